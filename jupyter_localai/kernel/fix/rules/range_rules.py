"""A loop over positions that reads past the end: `for i in range(len(xs))` with `xs[i + 1]`.

Pairs of neighbours (day-to-day changes, differences, "the next one") are written with an
offset index, and the loop's range is left at the full length, so the last pass reads one
past the end and raises IndexError. A small model asked to fix it often hands the cell
back unchanged. The live values confirm it (the loop variable plus the offset reaches the
length), and the rewrite is exact: the range stops the offset earlier.
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Any

from ..failure import MISSING, Failure, constant
from ..hint import COMPREHENSIONS, Hint, code, unique_replace
from . import rule

_OUT_OF_RANGE = re.compile(
    r"^(list|tuple|string) index out of range$|^index -?\d+ is out of bounds for axis 0 with size \d+$"
)


def _offset(index: ast.expr) -> tuple[str, int] | None:
    """(name, k) of an index `i`, `i + k` or `k + i` with a literal int k >= 0."""
    if isinstance(index, ast.Name):
        return index.id, 0
    if isinstance(index, ast.BinOp) and isinstance(index.op, ast.Add):
        for name, number in ((index.left, index.right), (index.right, index.left)):
            k = constant(number)
            if isinstance(name, ast.Name) and type(k) is int and k >= 0:
                return name.id, k
    return None


def _len_of(node: ast.expr) -> ast.expr | None:
    """`xs` of `len(xs)`, `len(xs) + c` or `len(xs) - c` (c a literal int)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub) \
            and type(constant(node.right)) is int:
        node = node.left
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" \
            and len(node.args) == 1 and not node.keywords:
        return node.args[0]
    return None


def _range_loops(tree: ast.Module) -> list[tuple[ast.AST, str, ast.Call]]:
    """(loop or comprehension, its variable, its `range(...)` call) of every loop of the
    cell over a range, `for` statements and comprehensions alike."""
    found: list[tuple[ast.AST, str, ast.Call]] = []
    for node in ast.walk(tree):
        heads: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.For):
            heads = [(node.target, node.iter)]
        elif isinstance(node, COMPREHENSIONS):
            heads = [(loop.target, loop.iter) for loop in node.generators]
        for target, call in heads:
            if (isinstance(target, ast.Name) and isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name) and call.func.id == "range"
                    and 1 <= len(call.args) <= 2 and not call.keywords):
                found.append((node, target.id, call))
    return found


def _position_loops(f: Failure, subscript: ast.Subscript) -> list[tuple[ast.AST, str, ast.Call]]:
    """The range loops of the cell that contain `subscript` and whose range's stop measures
    the subscripted sequence itself."""
    found = []
    for owner, name, call in _range_loops(f.tree) if f.tree is not None else []:
        measured = _len_of(call.args[-1])
        if measured is None or ast.dump(measured) != ast.dump(subscript.value):
            continue
        if any(child is subscript for child in ast.walk(owner)):
            found.append((owner, name, call))
    return found


def _length(value: Any) -> int | None:
    """len() of a list, tuple, str or one-dimensional array the rules may read; else None."""
    if type(value) in (list, tuple, str):
        return len(value)
    shape = getattr(value, "shape", None) if type(value).__module__ == "numpy" else None
    return shape[0] if isinstance(shape, tuple) and len(shape) == 1 else None


@rule(IndexError)
def range_end_rule(f: Failure) -> list[str]:
    if not _OUT_OF_RANGE.match(f.message):
        return []
    if f.lookup("len") not in (MISSING, builtins.len) or f.lookup("range") not in (MISSING, builtins.range):
        return []
    reads: dict[int, tuple[ast.AST, str, ast.Call, ast.Subscript, int]] = {}
    for node in f.line_nodes:
        offset = _offset(node.slice) if isinstance(node, ast.Subscript) else None
        if offset is None:
            continue
        for owner, name, call in _position_loops(f, node):
            if name == offset[0] and (id(call) not in reads or reads[id(call)][4] < offset[1]):
                reads[id(call)] = (owner, name, call, node, offset[1])
    if len(reads) != 1:
        return []
    [(owner, name, call, subscript, k)] = reads.values()
    position, length = f.lookup(name), _length(f.resolve(subscript.value))
    if type(position) is not int or length is None or position + k < length:
        return []  # not the loop's last passes reading past the end: some other index
    sequence = code(f, subscript.value)
    stop = f"len({sequence}) - {k}" if k else f"len({sequence})"
    if code(f, call.args[-1]) == stop:
        return []
    fixed = f"range({', '.join([*(code(f, a) for a in call.args[:-1]), stop])})"
    text = (f"`{code(f, subscript)}` reads past the end of `{sequence}` on the loop's last "
            f"pass ({name} = {position}, len({sequence}) = {length}): loop over `{fixed}`.")
    return [Hint(text, edit=unique_replace(f, call, fixed, owner))]
