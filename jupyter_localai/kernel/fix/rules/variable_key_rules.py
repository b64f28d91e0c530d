"""Rule for a notebook variable's name quoted as a column: `people['as_of']` where `as_of`
is a variable (the date to count ages on), not a column of `people`, raises KeyError
'as_of'.

The request named both, and the model put the variable inside the frame. The edit reads
the variable itself; where the code went on to read `.dt` of the column it took it for
and the variable is one date, the accessor goes too (`people['as_of'].dt.year` becomes
`as_of.year`).
"""

from __future__ import annotations

import ast
import datetime as dt
import types

from ..failure import MISSING, Failure, constant, pandas_kind, str_columns
from ..hint import Hint, code, replace
from . import rule


@rule(KeyError)
def variable_as_column_rule(f: Failure) -> list[str]:
    """`frame['name']` where `name` is no column but a variable of the notebook."""
    key = f.exc.args[0] if len(f.exc.args) == 1 else None
    if type(key) is not str or not key.isidentifier():
        return []
    value = f.lookup(key)
    if value is MISSING or isinstance(value, types.ModuleType | types.FunctionType | type):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Subscript) and constant(node.slice) == key):
            continue
        frame = f.resolve(node.value)
        if pandas_kind(frame) != "DataFrame" or key in str_columns(frame):
            continue
        accessor = next((n for n in f.line_nodes if isinstance(n, ast.Attribute)
                         and n.value is node and n.attr == "dt"), None)
        replaced = accessor if accessor is not None and _one_date(value) else node
        hint = (f"{key!r} is no column of `{code(f, node.value)}` but a variable of the "
                f"notebook: use it as it is, `{key}`" + (
                    f" (one date: `{key}.year`, not `.dt.year`)." if replaced is accessor
                    else "."))
        # Every place the cell writes it is the same mistake: the edit is applied to each.
        return [Hint(hint, edit=replace(f, replaced, key))]
    return []


def _one_date(value: object) -> bool:
    """Whether `value` is a single date or time (datetime, date, a pandas Timestamp)."""
    return isinstance(value, dt.date) or type(value).__name__ == "Timestamp"
