"""Rules for how rows and columns are named to pandas: several columns given to `.loc`
without a list, and a column name with a space written bare inside `query`.

- `df.loc[mask, "student", "score"]` raises "Too many indexers": `.loc` takes rows and
  columns, so several columns go in one list, `df.loc[mask, ["student", "score"]]`;
- `df.query("unit price > 10")` raises SyntaxError: a column name that is not an
  identifier is written in backticks inside the query, `` `unit price` > 10 ``.
"""

from __future__ import annotations

import ast
import re

from ..failure import Failure, constant, pandas_kind, str_columns
from ..hint import Hint, replace
from . import rule


@rule(Exception)
def loc_columns_rule(f: Failure) -> list[str]:
    """`frame.loc[rows, "a", "b"]`: the columns as one list."""
    if type(f.exc).__name__ != "IndexingError" or "Too many indexers" not in f.message:
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                and node.value.attr in ("loc", "iloc") and isinstance(node.slice, ast.Tuple)
                and len(node.slice.elts) > 2):
            continue
        frame = f.resolve(node.value.value)
        if pandas_kind(frame) != "DataFrame":
            continue
        rows, *columns = node.slice.elts
        names = [constant(c) for c in columns]
        if node.value.attr == "loc" and not all(type(n) is str and n in str_columns(frame)
                                                for n in names):
            continue
        texts = [ast.get_source_segment(f.source, part) for part in (rows, *columns)]
        if None in texts:
            continue
        new_slice = f"{texts[0]}, [{', '.join(texts[1:])}]"
        hint = (f"`.{node.value.attr}` takes rows, then columns: several columns go in one "
                f"list, `[..., [{', '.join(texts[1:])}]]`.")
        return [Hint(hint, edit=replace(f, node.slice, new_slice))]
    return []


@rule(SyntaxError)
def query_spaces_rule(f: Failure) -> list[str]:
    """`frame.query("unit price > 10")`: backticks around a column name with a space."""
    for node in f.line_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("query", "eval") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        frame = f.resolve(node.func.value)
        if pandas_kind(frame) != "DataFrame":
            continue
        expression = node.args[0].value
        spaced = [c for c in str_columns(frame) if not c.isidentifier()
                  and re.search(rf"(?<![`\w]){re.escape(c)}(?![`\w])", expression)]
        if not spaced:
            continue
        fixed = expression
        for column in sorted(spaced, key=len, reverse=True):
            fixed = re.sub(rf"(?<![`\w]){re.escape(column)}(?![`\w])", f"`{column}`", fixed)
        shown = ", ".join(f"`{c}`" for c in spaced)
        hint = (f"Inside `query`, a column name that is not an identifier ({', '.join(map(repr, spaced))}) "
                f"is written in backticks: {shown}.")
        return [Hint(hint, edit=replace(f, node.args[0], repr(fixed)))]
    return []
