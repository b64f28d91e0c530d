"""`s.str.split('-')[0]`: a row of parts where each value's part was meant.

`Series.str.split`, `rsplit`, `findall`, `partition` and `rpartition` return a Series of
lists (tuples), one per row; indexing that Series with `[0]` takes the *row labelled 0*,
a whole list, not the first part of every value, which `.str[0]` (or `expand=True`) gives.
Assigned to a column it raises "Length of values (3) does not match length of index (4)",
or, when the row happens to have as many parts as the frame has rows, fills the column
with the wrong values silently. Both models wrote it on unseen tasks and repeated it when
told it raised, so the checks name it and the repairs rewrite it (`repairs.repaired`): the
index of an integer literal on such a call is by far more often meant per value.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .source_rewrites import rewritten_innermost_first

# Methods of the `.str` accessor whose result holds a list or tuple per row.
_PARTS_PER_ROW = frozenset({"split", "rsplit", "findall", "partition", "rpartition"})


@dataclass(frozen=True)
class RowOfParts:
    """One `….str.split(…)[k]` as written and the per-value form that replaces it."""

    written: str
    per_value: str


def _is_parts_call(node: ast.expr) -> bool:
    """Whether `node` is `<x>.str.<method>(...)` returning a Series of lists."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _PARTS_PER_ROW
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "str"
            and not any(k.arg == "expand" for k in node.keywords))


def _integer_index(node: ast.expr) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def rows_of_parts_nodes(code: str, tree: ast.AST) -> list[tuple[RowOfParts, ast.Subscript]]:
    """Every `….str.split(…)[k]` of the code (k an integer literal) with its node, in order."""
    found: list[tuple[RowOfParts, ast.Subscript]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load)
                and _is_parts_call(node.value) and _integer_index(node.slice)):
            continue
        written = ast.get_source_segment(code, node)
        call = ast.get_source_segment(code, node.value)
        index = ast.get_source_segment(code, node.slice)
        if written is not None and call is not None and index is not None:
            found.append((RowOfParts(written, f"{call}.str[{index}]"), node))
    return found


def rows_of_parts(code: str, tree: ast.AST) -> list[RowOfParts]:
    """Every distinct `….str.split(…)[k]` of the code, in order."""
    return list(dict.fromkeys(found for found, _ in rows_of_parts_nodes(code, tree)))


def with_parts_per_value(code: str) -> tuple[str, list[RowOfParts]]:
    """The code with every row of parts read per value instead, and what was rewritten.

    The same text means the same mistake wherever it stands, so each is replaced
    everywhere, the innermost first and the code read again after each
    (`….str.split(',')[0].str.split(':')[1]` holds two)."""
    return rewritten_innermost_first(code, rows_of_parts, lambda row: row.written,
                                     lambda row: row.per_value)
