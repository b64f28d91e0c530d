"""A column (or key) spelled another way than the data has it, as an edit of the cell.

`orders.quantity * orders.price` where the column is `qty`, `df['Unit Price']` written
`df['unit_price']`, `config['learning_rate']` for `lr`: the fix is to use the name the data
has, and it follows from the live object, not from the model. Every such use in the cell
(not only the one that raised first) gets a hint naming the real column and, where one
column clearly stands out (`core.name_match.clear_match`), the exact edit, so the candidate
fix does not stop at the next misspelt column. A column that is no identifier (`Unit Price`)
is written as a key, `df['Unit Price']`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from ....core.name_match import clear_match
from ..failure import MISSING, Failure, is_safe, pandas_kind, static_member, str_columns
from ..hint import Hint, replace, segment
from . import rule

MAX_LISTED = 8
# An edit is applied without asking the model: only a strong match (an abbreviation, the
# same words cased otherwise, a typo) is one; a shared word alone (`b` of `a b`) is not.
EDIT_CUTOFF = 0.75


def _labels(value: Any) -> list[str] | None:
    """The text labels a `value[...]` or `value.x` may name: columns, Series labels, keys."""
    kind = pandas_kind(value)
    if kind == "DataFrame":
        return str_columns(value)
    if kind == "Series":
        return [v for v in value.index[:2000].tolist() if type(v) is str]
    if type(value) is dict:
        return [k for k in list(value)[:2000] if type(k) is str]
    return None


def _string_keys(node: ast.expr) -> Iterator[ast.Constant]:
    """The str literals a subscript names: `'a'` or the items of `['a', 'b']`."""
    items = node.elts if isinstance(node, (ast.List, ast.Tuple)) else [node]
    for item in items:
        if isinstance(item, ast.Constant) and type(item.value) is str:
            yield item


def _created(tree: ast.Module) -> set[str]:
    """Keys the cell assigns (`df['new'] = ...`): they exist once that line ran."""
    return {key.value for node in ast.walk(tree)
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
            for key in _string_keys(node.slice)}  # fmt: skip


# Selecting from `df.groupby(...)` (or a window of df) takes df's column names.
_GROUPING = frozenset({"groupby", "rolling", "expanding", "resample", "ewm"})


def _grouped_from(node: Any, name: str) -> bool:
    """Whether `node` is `name.groupby(...)` (or rolling, resample, ...)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _GROUPING and isinstance(node.func.value, ast.Name)
            and node.func.value.id == name)  # fmt: skip


def _wrong_uses(f: Failure, name: str, value: Any, labels: list[str]) -> Iterator[tuple[ast.AST, str]]:
    """(node to replace, wrong label) for each use of `name` with a label it lacks:
    `name.label`, `name['label']`, `name.groupby(...)['label']`."""
    assert f.tree is not None
    called = {id(node.func) for node in ast.walk(f.tree) if isinstance(node, ast.Call)}
    created = _created(f.tree)
    frame = pandas_kind(value) == "DataFrame"
    for node in ast.walk(f.tree):
        owner = getattr(node, "value", None)
        direct = isinstance(owner, ast.Name) and owner.id == name
        if not (direct or (frame and isinstance(node, ast.Subscript)
                           and _grouped_from(owner, name))):
            continue
        if (direct and isinstance(node, ast.Attribute) and frame and isinstance(node.ctx, ast.Load)
                and id(node) not in called and node.attr not in labels
                and not node.attr.startswith("_")
                and static_member(type(value), node.attr) is MISSING):
            yield node, node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            for key in _string_keys(node.slice):
                if key.value not in labels and key.value not in created:
                    yield key, key.value


def _new_text(f: Failure, node: ast.AST, name: str, label: str) -> str:
    if isinstance(node, ast.Attribute):
        return f"{name}.{label}" if label.isidentifier() else f"{name}[{label!r}]"
    written, text = segment(f, node), repr(label)
    if written and written[-1] == '"' and text[0] == "'" and '"' not in label:
        return f'"{text[1:-1]}"'  # the cell's own quotes
    return text


def _parent_value(f: Failure, key: ast.AST) -> Any:
    """The expression a string key subscripts (None when `key` is not a subscript's)."""
    assert f.tree is not None
    for node in ast.walk(f.tree):
        if isinstance(node, ast.Subscript) and any(k is key for k in _string_keys(node.slice)):
            return node.value
    return None


def _listed(labels: list[str]) -> str:
    shown = ", ".join(repr(label) for label in labels[:MAX_LISTED])
    return shown + (", ..." if len(labels) > MAX_LISTED else "")


def _owners(f: Failure) -> list[tuple[str, Any]]:
    """The variables whose labels the failure may be about: the object that lacked the
    attribute, or every DataFrame, Series and dict the cell reads for a KeyError."""
    if isinstance(f.exc, KeyError):
        return f.read_values
    obj = getattr(f.exc, "obj", None)
    return [(name, value) for name, value in f.read_values if value is obj and is_safe(obj)]


@rule(AttributeError, KeyError)
def column_name_rule(f: Failure) -> list[str]:
    if f.tree is None:
        return []
    hints: list[str] = []
    for name, value in _owners(f):
        labels = _labels(value)
        if not labels:
            continue
        what = "column" if pandas_kind(value) == "DataFrame" else "key"
        for node, wrong in _wrong_uses(f, name, value, labels):
            best = clear_match(wrong, labels, cutoff=EDIT_CUTOFF)
            if best is None:
                continue
            new = _new_text(f, node, name, best)
            written = new if isinstance(node, ast.Attribute) else f"{name}[{new}]"
            if _grouped_from(_parent_value(f, node), name):
                written = f"{name}.{_parent_value(f, node).func.attr}(...)[{new}]"
            text = (f"`{name}` has no {what} {wrong!r}; the {what} meant is most likely "
                    f"{best!r}: write `{written}` (its {what}s: {_listed(labels)}).")
            hint = Hint(text, edit=replace(f, node, new))
            if hint not in hints:
                hints.append(hint)
    return hints
