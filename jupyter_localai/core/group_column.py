"""A column set from a per-group result: `sales['total'] = sales.groupby('region')
['revenue'].sum()`.

The sum has one row per group, indexed by the group keys; assigned as a column of the
frame it lines up on the frame's own index (0, 1, 2, ...), so the new column is NaN
(or, with integer keys, holds group 3's sum in row 3). It runs, so no rehearsal shows it.
What is meant is each row's own group's value, `groupby(...)['revenue'].transform('sum')`,
so the checks name it (kind `group_column`) and the repair writes the `transform`.

Only the plain case is read: the target is `X['col']` of a frame named `X`; the value is a
chain that starts at `X.groupby(<keys>)`, selects one column (before or after the
aggregation) and ends in an aggregation called with no arguments, or `agg('name')`, with
nothing that changes the index on the way.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .source_rewrites import replaced_nodes

_AGGREGATIONS = frozenset({"mean", "median", "sum", "min", "max", "first", "last", "std",
                           "var", "count", "nunique", "prod", "size"})


@dataclass(frozen=True)
class GroupColumn:
    """One column set from a per-group result, as written and as meant."""

    value: ast.expr
    written: str
    meant: str


def group_columns(code: str, tree: ast.AST) -> list[GroupColumn]:
    """Every column of the code set from a per-group aggregation of its own frame."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                and isinstance(target.slice, ast.Constant)):
            continue
        meant = _per_row(code, node.value, target.value.id)
        written = ast.get_source_segment(code, node.value)
        if meant is not None and written is not None:
            found.append(GroupColumn(node.value, written, meant))
    return found


def group_column_messages(code: str, tree: ast.AST) -> list[str]:
    """What the checks say of each such column."""
    return [f"`{found.written}` has one row per group, indexed by the group keys, so as a "
            f"column of the frame it lines up with no row (NaN): each row's own group's "
            f"value is `{found.meant}`." for found in group_columns(code, tree)]


def with_group_columns(code: str) -> tuple[str, list[str]]:
    """The code with each such column computed per row by `transform`; notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    found = group_columns(code, tree)
    rewritten, made = replaced_nodes(code, [(item.value, item.meant) for item in found])
    return rewritten, [f"`{found[i].written}` → `{found[i].meant}`" for i in made]


def _per_row(code: str, value: ast.expr, frame: str) -> str | None:
    """`X.groupby(k)['c'].transform('agg')` for `value` when it is a per-group aggregation
    of frame `X` of one column; None otherwise."""
    if not (isinstance(value, ast.Call | ast.Subscript)):
        return None
    column: ast.expr | None = None
    node = value
    if isinstance(node, ast.Subscript):  # X.groupby(k).sum()['c']
        column, node = node.slice, node.value
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None
    name = _aggregation(node)
    if name is None:
        return None
    inner = node.func.value
    if isinstance(inner, ast.Subscript):  # X.groupby(k)['c'].sum()
        if column is not None:
            return None
        column, inner = inner.slice, inner.value
    if not (column is not None and isinstance(column, ast.Constant)
            and isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "groupby" and isinstance(inner.func.value, ast.Name)
            and inner.func.value.id == frame
            and not any(k.arg in ("as_index", "level") for k in inner.keywords)):
        return None
    grouping = ast.get_source_segment(code, inner)
    return None if grouping is None else f"{grouping}[{column.value!r}].transform({name!r})"


def _aggregation(call: ast.Call) -> str | None:
    """The aggregation `call` makes: `.sum()` -> 'sum', `.agg('sum')` -> 'sum'; else None."""
    method = call.func.attr  # type: ignore[attr-defined]
    if method in _AGGREGATIONS and not call.args and not call.keywords:
        return method
    if (method in ("agg", "aggregate") and len(call.args) == 1 and not call.keywords
            and isinstance(call.args[0], ast.Constant) and call.args[0].value in _AGGREGATIONS):
        return str(call.args[0].value)
    return None
