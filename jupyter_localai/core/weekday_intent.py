"""Weekdays asked, every day counted: `(end - start).dt.days` where the request says
"business days", "working days" or "weekdays (Monday to Friday)".

The difference of two dates counts weekends too, and it runs, so no rehearsal shows it.
When the request counts weekdays in so many words and the code has no way of telling a
weekday (numpy's `busday_count`/`is_busday`, pandas' `bdate_range` or business-day
offsets, or a comparison of `weekday()`/`dayofweek` with a number), the checks say so
(kind `weekdays`). How the dates are held varies, so there is no repair: the message
names the call that counts them.
"""

from __future__ import annotations

import ast
import re

_ASKS_WEEKDAYS = re.compile(r"\b(?:business|working|work)[\s-]+days?\b|\bweekdays\b|"
                            r"\bmonday\s+(?:to|through|-)\s+friday\b|\bexcluding\s+weekends?\b",
                            re.IGNORECASE)
_COUNTERS = frozenset({"busday_count", "is_busday", "busday_offset", "bdate_range", "BDay",
                       "BusinessDay", "CustomBusinessDay", "CDay", "networkdays"})
_DAY_OF_WEEK = frozenset({"weekday", "dayofweek", "day_of_week", "isoweekday", "day_name",
                          "strftime"})


def _tells_weekdays(tree: ast.AST) -> bool:
    """Whether the code uses a business-day counter or compares a day of the week."""
    for node in ast.walk(tree):
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)
        if name in _COUNTERS:
            return True
        if _selects_days(node) and any(isinstance(n, ast.Attribute) and n.attr in _DAY_OF_WEEK
                                       for n in ast.walk(node)):
            return True
    return False


def _selects_days(node: ast.AST) -> bool:
    """A comparison, or an `isin(...)` call: where a day of the week picks days."""
    return isinstance(node, ast.Compare) or (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "isin")


def weekday_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of code that counts every day where weekdays were asked."""
    if not _ASKS_WEEKDAYS.search(request_text) or _tells_weekdays(tree):
        return []
    return [("The request counts weekdays (Monday to Friday) only, and the code counts every "
            "day: `np.busday_count(start, end)` counts the weekdays from start up to, not "
            "including, end (for pandas columns: `np.busday_count(df['start'].values."
            "astype('datetime64[D]'), df['end'].values.astype('datetime64[D]'))`).")]
