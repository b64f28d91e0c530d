"""Rules for a value its holder cannot take: numpy numbers given to `json`, and fractions
written into a column of integers.

- `json.dumps(summary)` where `summary` holds `np.int64(3)`: the json module writes Python's
  own numbers only ("Object of type int64 is not JSON serializable"). A numpy value's
  `.tolist()` is the Python number (or nested list) it holds, so `default=` converts each.
  Not for other types: a Timestamp or a set has no one right text.
- `df.loc[rows, 'price'] = df.loc[rows, 'price'] * 0.85` on an int64 column: pandas 3 no
  longer upcasts in place ("Invalid value '[106.25 67.15]' for dtype 'int64'"). The column
  becomes float first, in its own statement before the write; the write stays as written.
"""

from __future__ import annotations

import ast
import re
import sys

from ..failure import Failure, constant, line_calls, pandas_kind
from ..hint import Hint, segment, with_keyword
from . import rule

_NOT_SERIALIZABLE = re.compile(r"^Object of type (\w+) is not JSON serializable$")
_JSON_WRITERS = frozenset({"dumps", "dump"})
_TO_PYTHON = "default=lambda value: value.tolist()"
_INVALID_FOR_INT = re.compile(r"^Invalid value '.*' for dtype '(u?int\d*|Int\d+|UInt\d+)'$",
                              re.DOTALL)


@rule(TypeError)
def json_numbers_rule(f: Failure) -> list[str]:
    """A numpy value (or array) given to `json.dumps` / `json.dump`: `default=` converts it."""
    match = _NOT_SERIALIZABLE.match(f.message)
    numpy = sys.modules.get("numpy")
    kind = getattr(numpy, match.group(1), None) if match and numpy is not None else None
    if not (isinstance(kind, type) and issubclass(kind, numpy.generic | numpy.ndarray)):
        return []
    writers = [call for call in line_calls(f) if _is_json_writer(f, call)
               and not any(keyword.arg in ("default", "cls") for keyword in call.keywords)]
    text = (f"`json` writes Python's own numbers only, and a value here is numpy's "
            f"{match.group(1)}: pass `{_TO_PYTHON}` (each numpy value becomes the Python "
            "number or list it holds).")
    if len(writers) != 1:
        return [text]
    return [Hint(text, edit=with_keyword(f, writers[0], _TO_PYTHON))]


def _is_json_writer(f: Failure, call: ast.Call) -> bool:
    """`json.dumps(...)` / `json.dump(...)` on the json module, under whatever name."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _JSON_WRITERS
            and isinstance(func.value, ast.Name)):
        return False
    return getattr(f.lookup(func.value.id), "__name__", None) == "json"


@rule(TypeError)
def int_column_write_rule(f: Failure) -> list[str]:
    """Fractions written into part of an integer column (`df.loc[rows, 'col'] = ...`): the
    column is made float first."""
    match = _INVALID_FOR_INT.match(f.message)
    if match is None or f.tree is None:
        return []
    writes = [(statement, cell) for statement in f.tree.body
              if isinstance(statement, ast.Assign | ast.AugAssign) and statement in f.line_nodes
              for target in (statement.targets if isinstance(statement, ast.Assign)
                             else [statement.target])
              if (cell := _column_cell(f, target)) is not None]
    if len(writes) != 1:
        return []
    statement, (frame, column) = writes[0]
    cast = f"{frame}[{column!r}] = {frame}[{column!r}].astype(float)"
    text = (f"`{frame}[{column!r}]` holds {match.group(1)} and pandas no longer turns part of "
            f"it into fractions in place: make the column float first, `{cast}` (or round "
            "the new values to whole numbers).")
    written = segment(f, statement)
    if written is None or f.source.count(written) != 1:
        return [text]
    return [Hint(text, edit=(written, f"{cast}\n{written}"))]


def _column_cell(f: Failure, target: ast.expr) -> tuple[str, str] | None:
    """(frame, column) of `frame.loc[rows, 'column']` / `frame.at[row, 'column']` where
    `frame` is a live DataFrame with that column."""
    if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
            and target.value.attr in ("loc", "at") and isinstance(target.value.value, ast.Name)
            and isinstance(target.slice, ast.Tuple) and len(target.slice.elts) == 2):
        return None
    frame, column = target.value.value.id, constant(target.slice.elts[1])
    value = f.lookup(frame)
    if type(column) is not str or pandas_kind(value) != "DataFrame" or column not in value:
        return None
    return frame, column
