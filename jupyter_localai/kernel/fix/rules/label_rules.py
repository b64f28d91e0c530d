"""Rules for labels used the wrong way: labels given to `.iloc`, `drop` looking on the
other axis (columns dropped as rows, or the reverse, or a name in neither).

Each hint rewrites the call from the cell's own AST, so the model sees the corrected
expression with its own variable names, next to the labels that make it right; the rewrite
also comes as the hint's edit (none where the labels must be split between both axes).
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

from ..failure import Failure, constant, has_label, line_calls, pandas_kind, show, str_columns
from ..hint import Hint, replace
from . import rule

_MAX_CODE = 120  # a rewritten expression longer than this is not shown

# Labels given to `.iloc` ------------------------------------------------------------------

_ILOC_MESSAGES = re.compile(
    r"Location based indexing can only have|Cannot index by location index with a non-integer"
    r"|cannot do positional indexing on|invalid literal for int\(\)|\.iloc requires numeric"
)


def _has_text(node: ast.AST) -> bool:
    return any(type(constant(n)) is str for n in ast.walk(node))


def _is_position(f: Failure, node: ast.expr) -> bool:
    """An int, a list of ints or a slice of ints, as written or as held by a name."""
    if isinstance(node, ast.Slice):
        parts = [p for p in (node.lower, node.upper, node.step) if p is not None]
        return bool(parts) and all(_is_position(f, p) for p in parts)
    if isinstance(node, ast.List | ast.Tuple):
        return bool(node.elts) and all(_is_position(f, e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _is_position(f, node.operand)
    value = constant(node) if isinstance(node, ast.Constant) else f.resolve(node)
    return type(value) is int


def _as_label(f: Failure, owner: ast.expr, axis: str, key: ast.expr) -> ast.expr:
    """`key` as `.loc` takes it: a position becomes `owner.index[key]` (or `.columns`)."""
    if _has_text(key) or not _is_position(f, key):
        return key  # labels (or a mask, or `:`) already suit `.loc`
    return ast.Subscript(value=ast.Attribute(value=owner, attr=axis), slice=key)


@rule(TypeError, ValueError, IndexError)
def iloc_label_rule(f: Failure) -> list[str]:
    if not _ILOC_MESSAGES.search(f.message):
        return []
    for node in f.line_nodes:
        target = node.value if isinstance(node, ast.Subscript) else None
        if not (isinstance(target, ast.Attribute) and target.attr == "iloc"):
            continue
        if not _has_text(node.slice):
            continue
        owner, value = target.value, f.resolve(target.value)
        keys = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        axes = ["index", "columns"]
        labels = [_as_label(f, owner, axis, key) for axis, key in zip(axes, keys, strict=False)]
        if len(keys) == 1 and pandas_kind(value) == "DataFrame":
            texts = [constant(n) for n in ast.walk(keys[0]) if type(constant(n)) is str]
            columns = set(str_columns(value))
            if all(t in columns and not has_label(value.index, t) for t in texts):
                labels = [ast.Slice(), keys[0]]  # `df.iloc['stock']` means the column
        key = ast.Tuple(elts=labels) if len(labels) > 1 else labels[0]
        fixed = ast.unparse(ast.Subscript(value=ast.Attribute(value=owner, attr="loc"), slice=key))
        use = f"`{fixed}`" if len(fixed) <= _MAX_CODE else "`.loc[...]`"
        hint = f"`.iloc` takes positions (0, 1, ...) and `.loc` takes labels: {use}"
        if pandas_kind(value) in ("DataFrame", "Series"):
            shown = ", ".join(show(label) for label in value.index[:5].tolist())
            hint += f" (index labels of `{ast.unparse(owner)}`: {shown})"
        return [Hint(hint + ".", edit=replace(f, node, fixed))]
    return []


# `drop` on the wrong axis -------------------------------------------------------------------

_NOT_IN_AXIS = re.compile(r"^(\[.*\]) not found in axis$", re.DOTALL)
_COLUMN_AXES = (1, "columns")


def _drop_call(f: Failure) -> tuple[ast.Call, Any] | None:
    """The `X.drop(...)` call of the failing line with X a DataFrame, and X."""
    for call in line_calls(f):
        if isinstance(call.func, ast.Attribute) and call.func.attr == "drop":
            frame = f.resolve(call.func.value)
            if pandas_kind(frame) == "DataFrame":
                return call, frame
    return None


def _dropped(call: ast.Call) -> tuple[ast.expr | None, bool]:
    """What the call drops (as written) and whether it drops columns."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if "columns" in keywords:
        return keywords["columns"], True
    if "index" in keywords:
        return keywords["index"], False
    labels = call.args[0] if call.args else keywords.get("labels")
    axis = call.args[1] if len(call.args) > 1 else keywords.get("axis")
    return labels, axis is not None and constant(axis) in _COLUMN_AXES


def _on_axis(call: ast.Call, labels: ast.expr, columns: bool) -> str:
    """The call rewritten to drop `labels` from the columns (or the index)."""
    kept = [k for k in call.keywords if k.arg not in ("labels", "axis", "index", "columns")]
    named = ast.keyword(arg="columns" if columns else "index", value=labels)
    return ast.unparse(ast.Call(func=call.func, args=[], keywords=[named, *kept]))


def _literal(node: ast.expr, default: list[Any]) -> list[Any]:
    """The labels a literal `'a'` or `['a', 'b']` names, else `default`."""
    try:
        value = ast.literal_eval(node)
    except (SyntaxError, ValueError):  # a variable or an expression: not evaluated
        return default
    return list(value) if type(value) in (list, tuple) else [value]


def _wrong_axis_hint(
    call: ast.Call, labels: ast.expr, columns: bool, missing: list[Any], split: bool
) -> str:
    """The dropped labels are on the other axis: the call that drops them there."""
    owner, names = ast.unparse(call.func.value), ", ".join(show(m) for m in missing[:3])
    one = len(missing) == 1
    use = f"`{_on_axis(call, labels, not columns)}`"
    if split:  # other labels of the call are on the axis it looks at: drop those apart
        use = f"drop {'it' if one else 'them'} with `{'index' if columns else 'columns'}=`"
    are = "is" if one else "are"
    if columns:
        where, column = ("a row label", "a column") if one else ("row labels", "columns")
        return f"{names} {are} {where} of `{owner}`, not {column}: {use}."
    where = "a column" if one else "columns"
    return (
        f"{names} {are} {where} of `{owner}`, but `drop` looks in the index (row labels) "
        f"by default: {use} (or `axis=1`)."
    )


@rule(KeyError)
def drop_rule(f: Failure) -> list[str]:
    if len(f.exc.args) != 1 or type(f.exc.args[0]) is not str:
        return []
    match, found = _NOT_IN_AXIS.match(f.exc.args[0]), _drop_call(f)
    if not match or found is None:
        return []
    try:
        missing = ast.literal_eval(match.group(1))
    except (SyntaxError, ValueError):  # labels pandas shows in a form Python cannot read back
        return []
    (call, frame), (labels, columns) = found, _dropped(found[0])
    if labels is None or not missing:
        return []
    other = frame.index if columns else frame.columns
    if all(has_label(other, m) for m in missing):
        split = not all(has_label(other, m) for m in _literal(labels, missing))
        text = _wrong_axis_hint(call, labels, columns, missing, split)
        edit = None if split else replace(f, call, _on_axis(call, labels, not columns))
        return [Hint(text, edit=edit)]
    nowhere = [m for m in missing if not has_label(other, m)]
    owner, names = ast.unparse(call.func.value), ", ".join(show(m) for m in nowhere[:3])
    close = [c for m in nowhere if type(m) is str
             for c in difflib.get_close_matches(m, str_columns(frame), n=3)]  # fmt: skip
    if close:
        listed = ", ".join(show(c) for c in dict.fromkeys(close))
        return [f"`{owner}` has no row or column {names}; close column names: {listed}."]
    listed = ", ".join(show(c) for c in frame.columns[:8].tolist())
    return [f"`{owner}` has no row or column {names}; its columns: {listed}."]
