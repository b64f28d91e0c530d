"""Rule for assigning into a tuple held by a list: `item[1] = 10` inside `for item in stock`.

Tuples cannot change; the list that holds them can. So the list's entry is replaced by a
new tuple with that one position changed, `stock[i] = (*item[:1], 10, *item[2:])`, with
the loop given the index it needs (`for i, item in enumerate(stock)`). The same for a
direct `stock[j][1] = 10`. Only where the list is live and every entry is a plain tuple,
and the position is a constant within every entry.
"""

from __future__ import annotations

import ast
import re

from ..failure import Failure, constant
from ..hint import Hint, code, free_name, operand, source_between, unique_replace
from . import rule

_TUPLE_WRITE = "'tuple' object does not support item assignment"


@rule(TypeError)
def tuple_item_rule(f: Failure) -> list[str]:
    """A write into a tuple taken from a list of tuples: the list's entry gets a new tuple."""
    if f.message != _TUPLE_WRITE or f.tree is None:
        return []
    for node in f.line_nodes:
        write = _tuple_write(node)
        if write is None:
            continue
        statement, target, value = write
        position = constant(target.slice)
        if type(position) is not int or position < 0:
            continue
        holder = target.value
        if isinstance(holder, ast.Subscript):  # stock[j][1] = 10
            entries = f.resolve(holder.value)
            if not _tuples_with(entries, position):
                continue
            new = f"{code(f, holder)} = {_rebuilt(f, holder, position, statement, value)}"
            edit = unique_replace(f, statement, new)
        elif isinstance(holder, ast.Name):  # for item in stock: item[1] = 10
            loop = _enclosing_loop(f.tree, statement, holder.id)
            if loop is None or not isinstance(loop.iter, ast.Name):
                continue
            if not _tuples_with(f.lookup(loop.iter.id), position):
                continue
            index = _index_name(f)
            new = f"{loop.iter.id}[{index}] = {_rebuilt(f, holder, position, statement, value)}"
            edit = _loop_edit(f, loop, statement, index, new)
        else:
            continue
        hint = ("A tuple cannot change, but the list holding it can: put a new tuple with "
                f"that position changed in its place, `{new}`.")
        return [Hint(hint, edit=edit)]
    return []


_FIELD_WRITE = re.compile(r"^(can't set attribute|property '\w+' of '\w+' object has no setter)")


@rule(AttributeError)
def namedtuple_field_rule(f: Failure) -> list[str]:
    """A field of a namedtuple set in place, `item.price = 2.5`: `_replace` makes the changed
    copy, and the place the tuple came from (the list's entry, or the name) gets it."""
    if not _FIELD_WRITE.match(f.message) or f.tree is None:
        return []
    for node in f.line_nodes:
        write = _field_write(f, node)
        if write is None:
            continue
        statement, target, value = write
        holder, field = target.value, target.attr
        replaced = f"{code(f, holder)}._replace({field}={_updated(f, target, statement, value)})"
        loop = (_enclosing_loop(f.tree, statement, holder.id)
                if isinstance(holder, ast.Name) else None)
        if loop is not None and isinstance(loop.iter, ast.Name) and _all_namedtuples(
                f.lookup(loop.iter.id)):
            index = _index_name(f)
            new = f"{loop.iter.id}[{index}] = {replaced}"
            edit = _loop_edit(f, loop, statement, index, new)
        elif isinstance(holder, ast.Name | ast.Subscript) and loop is None:
            new = f"{code(f, holder)} = {replaced}"
            edit = unique_replace(f, statement, new)
        else:
            continue
        hint = (f"A namedtuple cannot change in place: `_replace` makes a copy with "
                f"`{field}` changed; put it where the old one was, `{new}`.")
        return [Hint(hint, edit=edit)]
    return []


def _field_write(f: Failure, node: ast.AST) -> tuple[ast.stmt, ast.Attribute, ast.expr] | None:
    """(statement, `x.field` target, value) of `x.field = v` or `x.field += v`, where `x` is
    a live namedtuple with that field."""
    target = _write_target(node)
    if not isinstance(target, ast.Attribute):
        return None
    holder = target.value
    value = (f.lookup(holder.id) if isinstance(holder, ast.Name) else f.resolve(holder))
    if not (_is_namedtuple(value) and target.attr in type(value)._fields):
        return None
    return node, target, node.value  # type: ignore[attr-defined]


def _write_target(node: ast.AST) -> ast.expr | None:
    """The one target of `t = v` or `t += v`; None for any other node."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        return node.targets[0]
    return node.target if isinstance(node, ast.AugAssign) else None


def _is_namedtuple(value: object) -> bool:
    fields = getattr(type(value), "_fields", None)
    return isinstance(value, tuple) and type(fields) is tuple and hasattr(type(value), "_replace")


def _all_namedtuples(entries: object) -> bool:
    return type(entries) is list and bool(entries) and all(_is_namedtuple(e) for e in entries)


def _updated(f: Failure, target: ast.expr, statement: ast.stmt, value: ast.expr) -> str:
    """The new value: `v`, or `x.field + v` for `x.field += v`."""
    new_value = code(f, value)
    if isinstance(statement, ast.AugAssign):
        symbol = _OPERATORS.get(type(statement.op))
        plain = isinstance(value, ast.Constant) and type(value.value) in (int, float)
        right = new_value if plain else operand(f, value)
        return f"{code(f, target)} {symbol} {right}" if symbol else new_value
    return new_value


def _tuple_write(node: ast.AST) -> tuple[ast.stmt, ast.Subscript, ast.expr] | None:
    """(statement, `x[k]` target, value) of `x[k] = v` or `x[k] += v`."""
    target = _write_target(node)
    return (node, target, node.value) if isinstance(target, ast.Subscript) else None  # type: ignore[attr-defined,return-value]


def _rebuilt(f: Failure, holder: ast.expr, position: int, statement: ast.stmt,
             value: ast.expr) -> str:  # fmt: skip
    """The new tuple: the old one with `position` replaced (updated, for `+=` and the like)."""
    old = code(f, holder)
    new_value = code(f, value)
    if isinstance(statement, ast.AugAssign):
        symbol = _OPERATORS.get(type(statement.op))
        new_value = f"{old}[{position}] {symbol} {new_value}" if symbol else new_value
    head = f"*{old}[:{position}], " if position else ""
    return f"({head}{new_value}, *{old}[{position + 1}:])"


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
              ast.Mod: "%"}


def _tuples_with(entries: object, position: int) -> bool:
    return (type(entries) is list and bool(entries)
            and all(type(e) is tuple and len(e) > position for e in entries))


def _enclosing_loop(tree: ast.Module, statement: ast.stmt, name: str) -> ast.For | None:
    """The innermost `for <name> in ...` loop whose body holds `statement`."""
    found = None
    for loop in ast.walk(tree):
        if (isinstance(loop, ast.For) and isinstance(loop.target, ast.Name)
                and loop.target.id == name
                and any(child is statement for child in ast.walk(loop))):
            found = loop  # ast.walk is breadth first: a later match is nested deeper
    return found


def _index_name(f: Failure) -> str:
    return free_name(f.tree, ("i", "idx", "position"), "_entry_index") or "_entry_index"


def _loop_edit(f: Failure, loop: ast.For, statement: ast.stmt, index: str,
               new_statement: str) -> tuple[str, str] | None:  # fmt: skip
    """One edit from the loop's `for` through the write: the header enumerates, the write
    replaces the list's entry."""
    head = source_between(f, loop, loop.target)
    to_iter = source_between(f, loop.target, loop.iter, after_start=True)
    to_write = source_between(f, loop.iter, statement, after_start=True)
    old = source_between(f, loop, statement, through_end=True)
    if None in (head, to_iter, to_write, old):
        return None
    new = (f"{head}{index}, {code(f, loop.target)}{to_iter}enumerate({code(f, loop.iter)})"
           f"{to_write}{new_statement}")
    return (old, new) if f.source.count(old) == 1 else None
