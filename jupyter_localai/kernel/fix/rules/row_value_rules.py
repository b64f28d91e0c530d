"""Rule for a value of a column used as a column: `box[team]` where `team` is 'Hawks', one of
the values of `box['team']`, raises KeyError 'Hawks'.

A loop over a column's values that then indexes the frame by each value means the rows
holding it; the edit selects them, `box[box['team'] == team]`, where exactly one column
holds the value (otherwise the hint names the columns that do).
"""

from __future__ import annotations

import ast
from typing import Any

from ..failure import MISSING, Failure, constant, pandas_kind, str_columns
from ..hint import Hint, code, contains, unique_replace
from . import rule

_MAX_COLUMNS = 200
_MAX_ROWS = 100_000


@rule(KeyError)
def value_as_column_rule(f: Failure) -> list[str]:
    """`frame[v]` with `v` no column but a value of one: the rows where that column is v."""
    key = f.exc.args[0] if len(f.exc.args) == 1 else None
    if type(key) not in (str, int):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and isinstance(node.slice, ast.Name | ast.Constant)):
            continue
        frame = f.resolve(node.value)
        if pandas_kind(frame) != "DataFrame" or key in str_columns(frame):
            continue
        given = (f.lookup(node.slice.id) if isinstance(node.slice, ast.Name)
                 else constant(node.slice))
        if given is MISSING or type(given) is not type(key) or given != key:
            continue
        holders = _columns_holding(frame, key)
        if not holders:
            continue
        frame_name, value = node.value.id, code(f, node.slice)
        if len(holders) > 1:
            return [(f"{key!r} is no column of `{frame_name}` but a value of its columns "
                     f"{', '.join(map(repr, holders))}: select the rows holding it, "
                     f"`{frame_name}[{frame_name}[<column>] == {value}]`.")]
        new = f"{frame_name}[{frame_name}[{holders[0]!r}] == {value}]"
        hint = (f"{key!r} is no column of `{frame_name}` but a value of its column "
                f"{holders[0]!r}: the rows holding it are `{new}`.")
        # Widened to an enclosing expression where the text recurs (`votes[town]` inside
        # `town_votes[town]`).
        outers = sorted((n for n in f.line_nodes if n is not node and contains(n, node)),
                        key=lambda n: len(code(f, n)))
        return [Hint(hint, edit=unique_replace(f, node, new, *outers))]
    return []


def _columns_holding(frame: Any, key: object) -> list[str]:
    """The text-named columns of `frame` with `key` among their first rows' values."""
    holders = []
    for column in str_columns(frame)[:_MAX_COLUMNS]:
        values = frame[column].iloc[:_MAX_ROWS]
        if isinstance(key, str) and values.dtype.kind not in "OSU" and str(values.dtype) not in (
                "string", "str", "category"):
            continue
        if bool(values.isin([key]).any()):
            holders.append(column)
    return holders
