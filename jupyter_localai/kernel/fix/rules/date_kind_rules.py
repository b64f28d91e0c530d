"""Rules for dates of two kinds: a `datetime` compared with a `date`, and a frame's year and
month columns assembled into dates without a day.

- `login >= cutoff` with `login` a datetime and `cutoff` a date raises "can't compare
  datetime.datetime to datetime.date": the datetime's own day is compared,
  `login.date() >= cutoff`;
- `pd.to_datetime(df[["year", "month"]])` raises "... [day] is missing": a month's date
  is its first day, `df[["year", "month"]].assign(day=1)`.
"""

from __future__ import annotations

import ast
import datetime as dt
import re

from ..failure import MISSING, Failure
from ..hint import Hint, operand, unique_replace
from . import rule

_DATETIME_DATE = re.compile(r"can't compare datetime\.datetime to datetime\.date|"
                            r"can't compare datetime\.date to datetime\.datetime")


@rule(TypeError)
def datetime_date_rule(f: Failure) -> list[str]:
    """`a < b` where one side is a datetime and the other a date: compare the day."""
    if not _DATETIME_DATE.search(f.message):
        return []
    for node in f.line_nodes:
        if not isinstance(node, ast.Compare):
            continue
        for side in (node.left, *node.comparators):
            value = f.resolve(side)
            if value is MISSING or type(value) is not dt.datetime:
                continue
            written = operand(f, side)
            new = f"{written}.date()"
            hint = (f"`{written}` is a datetime and it is compared with a date: compare its "
                    f"day, `{new}` (or make the date a datetime, "
                    f"`datetime.combine(d, datetime.min.time())`).")
            return [Hint(hint, edit=unique_replace(f, side, new, node))]
    return []


_NO_DAY = re.compile(r"to assemble mappings requires at least that \[year, month, day\] be "
                     r"specified: \[day\] is missing")


@rule(ValueError)
def assemble_without_day_rule(f: Failure) -> list[str]:
    """`pd.to_datetime(frame[["year", "month"]])`: the first of each month."""
    if not _NO_DAY.search(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "to_datetime" and len(node.args) == 1):
            continue
        written = operand(f, node.args[0])
        new = f"{written}.assign(day=1)"
        hint = (f"`to_datetime` builds dates from year, month and day columns, and "
                f"`{written}` has no day: the first of each month is `{new}`.")
        return [Hint(hint, edit=unique_replace(f, node.args[0], new, node))]
    return []
