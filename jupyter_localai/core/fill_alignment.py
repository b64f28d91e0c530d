"""A column filled from a per-group result: `df['price'].fillna(medians)` where
`medians = df.groupby('category')['price'].median()`.

`Series.fillna(other)` aligns `other` on the index: the result of a groupby is indexed by
the group keys (`book`, `toy`), the column by the frame's rows (0, 1, 2, ...), so no value
lines up and the code runs, silently filling nothing (or, with integer group keys, filling
row 3 from group 3). What is meant is each row's own group's value, `df['category'].map(
medians)` (or `groupby(...).transform(...)`). A run cannot show it, and a small model that
wrote it is not told why its answer fails a check; so the checks name it (kind
`fill_alignment`) and the repairs rewrite the argument to `df['category'].map(...)`.

Only the plain case is read: the filled column is `X['col']` of a frame named `X`, the
filling value is (or is a name bound once, at top level, to) a chain that starts at
`X.groupby(<one column>)` and ends in an aggregation, with no `transform`, `as_index=False`
or index reset on the way.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .source_rewrites import rewritten_innermost_first

# Aggregations that give one value per group, indexed by the group keys.
_AGGREGATIONS = frozenset({
    "mean", "median", "sum", "min", "max", "first", "last", "agg", "aggregate", "std", "var",
    "count", "nunique", "prod", "sem", "quantile"})
# Steps that change what the result is indexed by (or keep it per row already).
_REINDEXING = frozenset({"transform", "reset_index", "apply", "set_index", "reindex", "to_frame",
                         "rename_axis", "unstack", "stack", "pipe"})


@dataclass(frozen=True)
class GroupFill:
    """One `fillna` filled from a per-group result, as written and as meant."""

    written: str
    meant: str
    key: str  # the group column the values are looked up by


def misaligned_fills(code: str, tree: ast.AST) -> list[GroupFill]:
    """Every such `fillna` of the code, in order, each once."""
    bound = _bound_once(tree)
    found = (_misaligned(code, node, bound) for node in ast.walk(tree)
             if isinstance(node, ast.Call))
    return list(dict.fromkeys(fill for fill in found if fill is not None))


def with_fills_aligned(code: str) -> tuple[str, list[GroupFill]]:
    """The code with each such `fillna`'s value looked up per row by its group column."""
    return rewritten_innermost_first(code, misaligned_fills, lambda fill: fill.written,
                                     lambda fill: fill.meant)


def _misaligned(code: str, node: ast.Call, bound: dict[str, ast.expr]) -> GroupFill | None:
    if not (isinstance(node.func, ast.Attribute) and node.func.attr == "fillna"):
        return None
    frame = _column_of(node.func.value)
    value = node.args[0] if node.args else next(
        (k.value for k in node.keywords if k.arg == "value"), None)
    if frame is None or value is None:
        return None
    source = bound.get(value.id, value) if isinstance(value, ast.Name) else value
    key = _group_key(source, frame)
    written, value_text = ast.get_source_segment(code, node), ast.get_source_segment(code, value)
    receiver = ast.get_source_segment(code, node.func.value)
    if key is None or written is None or value_text is None or receiver is None:
        return None
    lookup = f"{frame}[{key!r}].map({value_text})"

    def text(argument: ast.expr) -> str | None:
        return lookup if argument is value else ast.get_source_segment(code, argument)

    positional = [text(arg) for arg in node.args]
    keywords = [(k.arg, text(k.value)) for k in node.keywords]
    if None in positional or any(part is None for _, part in keywords):
        return None
    arguments = [str(part) for part in positional]
    arguments += [f"{name}={part}" if name else f"**{part}" for name, part in keywords]
    return GroupFill(written, f"{receiver}.fillna({', '.join(arguments)})", key)


def _column_of(node: ast.expr) -> str | None:
    """`X` of `X['col']`."""
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
        return node.value.id
    return None


def _group_key(node: ast.expr, frame: str) -> str | None:
    """The one column `node` groups `frame` by, when it is a per-group aggregation of it."""
    chain: list[ast.expr] = []
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        chain.append(node)
        node = node.func if isinstance(node, ast.Call) else node.value
    if not (isinstance(node, ast.Name) and node.id == frame) or not chain:
        return None
    last = chain[0]
    if not (isinstance(last, ast.Call) and isinstance(last.func, ast.Attribute)
            and last.func.attr in _AGGREGATIONS):
        return None
    methods = [step.func for step in chain if isinstance(step, ast.Call)
               and isinstance(step.func, ast.Attribute)]
    if any(method.attr in _REINDEXING for method in methods):
        return None
    groupings = [step for step in chain if isinstance(step, ast.Call)
                 and isinstance(step.func, ast.Attribute) and step.func.attr == "groupby"]
    if len(groupings) != 1 or groupings[0].func.value is not node:  # type: ignore[attr-defined]
        return None
    grouping = groupings[0]
    if any(k.arg == "as_index" for k in grouping.keywords):
        return None
    keys = grouping.args or [k.value for k in grouping.keywords if k.arg == "by"]
    if (len(keys) == 1 and isinstance(keys[0], ast.Constant)
            and isinstance(keys[0].value, str)):
        return keys[0].value
    return None


def _bound_once(tree: ast.AST) -> dict[str, ast.expr]:
    """Names the module binds exactly once, at top level, by a plain assignment."""
    counts: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            counts[node.id] = counts.get(node.id, 0) + 1
    values: dict[str, ast.expr] = {}
    for statement in getattr(tree, "body", []):
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
                and counts.get(statement.targets[0].id) == 1):
            values[statement.targets[0].id] = statement.value
    return values
