"""Weekdays asked, every day counted: `(end - start).dt.days` where the request says
"business days", "working days" or "weekdays (Monday to Friday)".

The difference of two dates counts weekends too, and it runs, so no rehearsal shows it.
When the request counts weekdays in so many words and the code has no way of telling a
weekday (numpy's `busday_count`/`is_busday`, pandas' `bdate_range` or business-day
offsets, or a comparison of `weekday()`/`dayofweek` with a number), the checks say so
(kind `weekdays`). How the dates are held varies, so there is no repair: the message
names the call that counts them. Where the code takes the days of a difference of two dates
(`(b - a).dt.days` of columns, `(b - a).days` of single dates), the repair counts the
weekdays between them instead, `np.busday_count(a, b)`, from the date the request names
first to the other (the code's own order where the request names neither).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .source_rewrites import replaced_nodes

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


@dataclass(frozen=True)
class DayCount:
    """`(later - earlier).dt.days` (or `.days`) as written, and its two dates as written."""

    node: ast.expr
    written: str
    later: str
    earlier: str
    columns: bool

    def counted(self, request_text: str) -> str:
        """The weekday count, from the date the request names first to the other."""
        start, end = self.earlier, self.later
        at_later, at_earlier = _first_mention(request_text, end), _first_mention(request_text, start)
        if at_later is not None and at_earlier is not None and at_later < at_earlier:
            start, end = end, start
        if self.columns:
            return (f"np.busday_count({start}.values.astype('datetime64[D]'), "
                    f"{end}.values.astype('datetime64[D]'))")
        return f"np.busday_count(np.datetime64({start}, 'D'), np.datetime64({end}, 'D'))"


def _first_mention(request_text: str, written: str) -> int | None:
    """Where the request first names the column or variable `written` reads."""
    names = re.findall(r"[\"']([\w ]+)[\"']|(\w+)$", written)
    word = next((a or b for a, b in reversed(names) if a or b), None)
    if not word:
        return None
    found = re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", request_text)
    return found.start() if found else None


def day_counts(tree: ast.AST, code: str, request_text: str) -> list[DayCount]:
    """The day counts of date differences, where weekdays were asked and none is told."""
    if not _ASKS_WEEKDAYS.search(request_text) or _tells_weekdays(tree):
        return []
    found = []
    for node in ast.walk(tree):
        weekdays = _weekday_difference(node)
        if weekdays is not None:  # `b.dt.dayofweek - a.dt.dayofweek`: days of the week apart
            later, earlier = (ast.get_source_segment(code, side) or ast.unparse(side)
                              for side in weekdays)
            written = ast.get_source_segment(code, node) or ast.unparse(node)
            found.append(DayCount(node, written, later, earlier, True))  # type: ignore[arg-type]
            continue
        if not (isinstance(node, ast.Attribute) and node.attr == "days"):
            continue
        difference, columns = node.value, False
        if isinstance(difference, ast.Attribute) and difference.attr == "dt":
            difference, columns = difference.value, True
        if not (isinstance(difference, ast.BinOp) and isinstance(difference.op, ast.Sub)
                and all(isinstance(side, ast.Name | ast.Attribute | ast.Subscript)
                        for side in (difference.left, difference.right))):
            continue
        later, earlier = (ast.get_source_segment(code, side) or ast.unparse(side)
                          for side in (difference.left, difference.right))
        written = ast.get_source_segment(code, node) or ast.unparse(node)
        found.append(DayCount(node, written, later, earlier, columns))
    return found


def _weekday_difference(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(b, a) of `b.dt.dayofweek - a.dt.dayofweek` (or `.weekday`), columns as written."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    sides = []
    for side in (node.left, node.right):
        if not (isinstance(side, ast.Attribute) and side.attr in ("dayofweek", "weekday",
                                                                  "day_of_week")
                and isinstance(side.value, ast.Attribute) and side.value.attr == "dt"
                and isinstance(side.value.value, ast.Name | ast.Attribute | ast.Subscript)):
            return None
        sides.append(side.value.value)
    return sides[0], sides[1]


def with_weekday_counts(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each day count of a date difference counting weekdays, and notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    counts = day_counts(tree, code, request_text)
    replacements = [(count.node, count.counted(request_text)) for count in counts]
    rewritten, made = replaced_nodes(code, replacements)  # type: ignore[arg-type]
    if not made:
        return code, []
    if not re.search(r"^\s*import numpy as np\b", rewritten, re.MULTILINE):
        rewritten = "import numpy as np\n" + rewritten
    return rewritten, [f"`{counts[i].written}` → `{replacements[i][1]}`" for i in made]
