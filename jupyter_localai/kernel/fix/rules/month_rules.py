"""Rule for month arithmetic inside a date constructor: `date(d.year, d.month + 1, 1)`.

It raises "month must be in 1..12" for December (13) and, with `- 1`, for January (0).
The step crosses a year, so both the year and the month are computed from one count of
months: with `m = d.month + k - 1`, the year is `d.year + m // 12` and the month
`m % 12 + 1` (floor division and modulo carry negative steps too). Only the constructors
of `datetime.date` / `datetime.datetime` and pandas' Timestamp, called with the year and
the month as their first two positional arguments, get the edit.
"""

from __future__ import annotations

import ast
import datetime

from ..failure import Failure, constant, line_calls, pandas_module
from ..hint import Hint, code, operand, unique_replace
from . import rule

_MONTH_RANGE = "month must be in 1..12"  # CPython; some versions add ", not 13"


@rule(ValueError)
def month_step_rule(f: Failure) -> list[str]:
    """A month computed as `m + k` (or `m - k`) in `date(year, month, day)`: carry the step
    into the year."""
    if not f.message.startswith(_MONTH_RANGE):
        return []
    for call in line_calls(f):
        if not _date_constructor(f, call) or len(call.args) < 2:
            continue
        step = _month_step(call.args[1])
        if step is None:
            continue
        month, delta = step
        year = call.args[0]
        count = operand(f, month) if delta == 1 else f"({code(f, month)} {_signed(delta - 1)})"
        new_year = f"{code(f, year)} + {count} // 12"
        new_month = f"{count} % 12 + 1"
        rest = [code(f, node) for node in [*call.args[2:], *call.keywords]]
        new = f"{code(f, call.func)}({', '.join([new_year, new_month, *rest])})"
        hint = ("A month step can cross a year (December + 1 is January of the next year): "
                f"compute both from one count of months, `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


def _date_constructor(f: Failure, call: ast.Call) -> bool:
    """Whether `call` makes a date: `date(...)`, `datetime(...)`, `datetime.date(...)`,
    `pd.Timestamp(...)`, each bound to the real class here."""
    func = call.func
    if isinstance(func, ast.Name):
        value = f.lookup(func.id)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        value = getattr(f.lookup(func.value.id), func.attr, None)
    else:
        return False
    pd = pandas_module()
    kinds = (datetime.date, datetime.datetime) + ((pd.Timestamp,) if pd is not None else ())
    return any(value is kind for kind in kinds)


def _month_step(node: ast.expr) -> tuple[ast.expr, int] | None:
    """`month + k` or `month - k` with an int constant k: (month, signed k)."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub)):
        return None
    k = constant(node.right)
    if type(k) is not int or k == 0:
        return None
    return node.left, k if isinstance(node.op, ast.Add) else -k


def _signed(n: int) -> str:
    return f"+ {n}" if n >= 0 else f"- {-n}"
