"""Rules for a value used as what it is not: the None an in-place method returned (in this
cell, or in an earlier one as IPython's `In` shows), a call of a non-callable (shadowed
builtins, attributes, indexing), an unhashable key."""

from __future__ import annotations

import ast
import builtins
import re
import types
from typing import Any

from ..failure import (
    MISSING,
    SAMPLE,
    Failure,
    a_or_an,
    constant,
    is_safe,
    line_calls,
    pandas_kind,
    static_member,
    str_columns,
)
from ..hint import Edit, Hint, contains, segment, unique_replace
from ..suggest import names_assigned
from . import rule

# Rule 9: the result of an in-place method ---------------------------------------------------

_IN_PLACE = {"append", "extend", "insert", "sort", "reverse", "update", "add", "clear", "remove",
             "discard", "shuffle"}  # fmt: skip
_EARLIER_CELLS = 50  # cells of IPython's `In` searched for where a None came from


def _in_place(call: ast.Call) -> str | None:
    """How a call changes its object in place: `inplace` (the keyword), a method name, or None."""
    if any(k.arg == "inplace" and constant(k.value) is True for k in call.keywords):
        return "inplace"
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name if name in _IN_PLACE else None


@rule(TypeError, AttributeError)
def none_rule(f: Failure) -> list[str]:
    if "NoneType" not in f.message:
        return []
    if f.tree is None:
        return []
    standalone = {id(s.value) for s in ast.walk(f.tree) if isinstance(s, ast.Expr | ast.Assign)}
    for node in ast.walk(f.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            how = _in_place(node.value)
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if how and names and all(f.lookup(n) is None for n in names):
                hint = _none_hint(
                    node.value,
                    how,
                    f"`{names[0]} = {ast.unparse(node.value)}`",
                    f"stores None in `{names[0]}`",
                )
                return [Hint(hint, edit=_unassigned(f, node))]
        if isinstance(node, ast.Call) and id(node) not in standalone and _in_place(node):
            owner = f.resolve(node.func.value) if isinstance(node.func, ast.Attribute) else MISSING
            if _in_place(node) == "inplace" or type(owner) in (list, dict, set):
                return [
                    _none_hint(
                        node,
                        _in_place(node) or "",
                        f"`{ast.unparse(node)}`",
                        "returns None, so its result cannot be used",
                    )
                ]
    return _earlier_none_hint(f)


def _unassigned(f: Failure, node: ast.Assign) -> Edit | None:
    """`xs = xs.append(v)` -> `xs.append(v)`: the call alone does what the line meant (only
    when the method is called on the very name assigned, and not with `inplace=True`, whose
    rewrite would be a different call)."""
    call = node.value
    if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == node.targets[0].id
            and not any(k.arg == "inplace" for k in call.keywords)):
        return None
    old, new = ast.get_source_segment(f.source, node), ast.get_source_segment(f.source, call)
    return (old, new) if old and new else None


def _earlier_none_hint(f: Failure) -> list[str]:
    """The None a variable holds came from `x = x.append(...)` in an earlier cell.

    IPython keeps the cells' sources in `In` (absent elsewhere); the newest assignment to a
    None the cell reads decides, so a later `x = None` on purpose is not blamed on `append`.
    """
    cells = f.user_ns.get("In")
    if type(cells) is not list:
        return []
    pending = {name for name, value in f.read_values if value is None}
    pending -= names_assigned(f.source)
    first = max(0, len(cells) - _EARLIER_CELLS)
    for number in range(len(cells) - 1, first - 1, -1):
        if not pending:
            break
        for name, value in _last_assignments(cells[number], pending):
            pending.discard(name)
            how = _in_place(value) if isinstance(value, ast.Call) else None
            if how:
                code = f"`{name} = {ast.unparse(value)}` in an earlier cell (In[{number}])"
                hint = _none_hint(value, how, code, f"left `{name}` None")
                return [f"{hint} Re-create `{name}` before using it again."]
    return []


def _last_assignments(cell: Any, names: set[str]) -> list[tuple[str, ast.expr]]:
    """(name, value) of the last `name = value` in the cell's source, for each of `names`."""
    if type(cell) is not str:
        return []
    try:
        tree = ast.parse(cell)
    except (SyntaxError, ValueError):  # a cell that never ran cannot have assigned anything
        return []
    assigns = [node for node in ast.walk(tree) if isinstance(node, ast.Assign)]
    last: dict[str, ast.expr] = {}
    for node in sorted(assigns, key=lambda node: (node.lineno, node.col_offset)):
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id in names:
                last[target.id] = node.value
    return list(last.items())


def _none_hint(call: ast.Call, how: str, code: str, what: str) -> str:
    owner = ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else "the object"
    if how == "shuffle" and call.args:
        owner = ast.unparse(call.args[0])
    if how == "inplace":
        return (
            f"{code} {what}: with `inplace=True` pandas changes `{owner}` and returns None; "
            f"drop `inplace=True` and keep the result instead."
        )
    extra = f" (or use `sorted({owner})` for a new list)" if how == "sort" else ""
    return (
        f"{code} {what}: `{how}` changes `{owner}` in place and returns None; call it on its "
        f"own line and then use `{owner}`{extra}."
    )


# Rules 10-12: not callable, ambiguous truth value, unhashable -------------------------------

_NOT_CALLABLE = re.compile(r"'([\w.]+)' object is not callable")
_INDEXABLE = {"dict", "list", "tuple", "str", "Series", "DataFrame", "ndarray"}


def _is_data_attribute(f: Failure, func: ast.Attribute) -> bool:
    """Whether `owner.attr` is a property or column of a library object (so not callable)."""
    owner = f.resolve(func.value)
    if owner is MISSING or not is_safe(owner) or isinstance(owner, types.ModuleType):
        return False
    if pandas_kind(owner) == "DataFrame" and func.attr in str_columns(owner):
        return True
    static = static_member(type(owner), func.attr)
    return static is not MISSING and (isinstance(static, property) or not callable(static))


@rule(TypeError)
def callable_rule(f: Failure) -> list[str]:
    match = _NOT_CALLABLE.search(f.message)
    if not match:
        return []
    type_name = match.group(1).split(".")[-1]
    for call in line_calls(f):
        func, value, code = call.func, f.resolve(call.func), ast.unparse(call.func)
        if isinstance(func, ast.Constant) and type(func.value) in (int, float):
            return [
                (
                    f"`{ast.unparse(call)}` calls a number: to multiply write "
                    f"`{func.value!r} * ({', '.join(ast.unparse(a) for a in call.args)})`."
                )
            ]
        if isinstance(func, ast.Attribute) and _is_data_attribute(f, func):
            return [
                (
                    f"`{code}` is an attribute (here {a_or_an(type_name)}), not a method: drop the "
                    f"parentheses, `{code}`."
                )
            ]
        if value is MISSING or type(value).__name__ != type_name:
            continue
        if isinstance(func, ast.Name) and hasattr(builtins, code):
            return [
                (
                    f"`{code}` is a Python builtin, but your variable `{code}` ({a_or_an(type_name)}) "
                    f"hides it: rename the variable, then `del {code}` to get the builtin back."
                )
            ]
        if type_name in _INDEXABLE and len(call.args) == 1 and not call.keywords:
            indexed = ast.unparse(ast.Subscript(value=func, slice=call.args[0]))
            return [
                (
                    f"`{code}` is {a_or_an(type_name)}: look items up with square brackets, "
                    f"`{indexed}`, not `{ast.unparse(call)}`."
                )
            ]
    return []


_UNHASHABLE = re.compile(r"unhashable type: '([\w.]+)'")


@rule(TypeError)
def unhashable_rule(f: Failure) -> list[str]:
    match = _UNHASHABLE.search(f.message)
    if not match:
        return []
    kind = match.group(1)
    for name, value in f.read_values:
        if pandas_kind(value) == "DataFrame":
            for column in str_columns(value):
                if value[column].dtype.kind == "O" and any(
                    type(v).__name__ == kind for v in value[column].iloc[:SAMPLE].tolist()
                ):
                    return [
                        (
                            f"Column {column!r} of `{name}` holds {kind}s, which cannot be hashed "
                            f"(grouped, deduplicated, counted): convert them first, "
                            f"`{name}[{column!r}] = {name}[{column!r}].apply(tuple)`."
                        )
                    ]
    fixes = {"list": "a tuple, `tuple(values)`", "set": "a frozenset, `frozenset(values)`",
             "dict": "a tuple of its items, `tuple(sorted(d.items()))`",
             "numpy.ndarray": "a tuple, `tuple(arr)`"}  # fmt: skip
    if kind not in fixes:
        return []
    text = (f"A {kind} cannot be a dict key, set member or groupby key because it can change: "
            f"use {fixes[kind]}, instead.")
    element = _hashed_element(f)
    if element is None:
        return [text]
    wrapped = _HASHABLE_FORMS[kind].format(segment(f, element) or ast.unparse(element))
    edit = unique_replace(f, element, wrapped, *_enclosing(f, element))
    return [Hint(f"{text} Here each item counted or collected is one: `{wrapped}`.", edit=edit)
            if edit else text]


_HASHABLE_FORMS = {"list": "tuple({})", "numpy.ndarray": "tuple({})", "set": "frozenset({})",
                   "dict": "tuple(sorted({}.items()))"}
_HASHING_CALLS = frozenset({"Counter", "set", "frozenset", "fromkeys"})


def _hashed_element(f: Failure) -> ast.expr | None:
    """The item expression of the one comprehension on the failing line whose items are
    hashed: fed to `Counter`/`set`/`frozenset`/`dict.fromkeys`, a set comprehension's
    items, a dict comprehension's keys."""
    found: list[ast.expr] = []
    for node in f.line_nodes:
        if isinstance(node, ast.SetComp):
            found.append(node.elt)
        elif isinstance(node, ast.DictComp):
            found.append(node.key)
        elif isinstance(node, ast.Call) and node.args and isinstance(
                node.args[0], ast.GeneratorExp | ast.ListComp) and (
                getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        ) in _HASHING_CALLS:
            found.append(node.args[0].elt)
    return found[0] if len(found) == 1 else None


def _enclosing(f: Failure, node: ast.AST) -> list[ast.AST]:
    """The nodes of the failing line holding `node`, innermost first: where its own text
    recurs in the cell, the edit widens to one of them."""
    holders = [n for n in f.line_nodes if n is not node and contains(n, node)]
    return sorted(holders, key=lambda n: len(ast.unparse(n)))
