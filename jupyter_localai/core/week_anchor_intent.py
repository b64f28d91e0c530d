"""Weeks asked to end on one day, grouped by weeks ending on another: `resample('W-MON')`
where the request says "weeks running Monday to Sunday".

pandas names a weekly frequency by the day its weeks end (`'W'` is `'W-SUN'`, weeks Monday to
Sunday), and small models write the day the weeks start; it runs, so no rehearsal shows it.
When the request says in so many words which day its weeks start or end ("weeks running
Monday to Sunday", "weeks ending on Saturday", "weeks starting on Monday"), each weekly
frequency the code passes (`'W'`, `'W-MON'`, ... to `resample`, `Grouper`, `to_period`,
`date_range`, ...) that ends its weeks on another day is named (kind `week_anchor`), and the
repair writes the frequency that ends them on the asked day.
"""

from __future__ import annotations

import ast
import re

from .source_rewrites import replaced_nodes

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY = (r"(mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:rs(?:day)?)?|fri(?:day)?|"
        r"sat(?:urday)?|sun(?:day)?)s?")
_FROM_TO = re.compile(rf"\b{_DAY}\s*(?:-?\s*(?:to|through|thru|until|till)\s*-?|-|–|—)\s*"
                      rf"{_DAY}\b", re.IGNORECASE)
_ENDING = re.compile(rf"\bweeks?\s+(?:that\s+|which\s+)?(?:ending|ends?|closing|close)\s+(?:on\s+)?"
                     rf"(?:a\s+|each\s+|every\s+)?{_DAY}\b", re.IGNORECASE)
_STARTING = re.compile(rf"\bweeks?\s+(?:that\s+|which\s+)?(?:starting|starts?|beginning|begins?|"
                       rf"commencing)\s+(?:on\s+)?(?:a\s+|each\s+|every\s+)?{_DAY}\b",
                       re.IGNORECASE)
_WEEK_NEAR = 40  # characters around a "Monday to Sunday" range that must mention a week
_WEEKLY = re.compile(r"^W(?:-(MON|TUE|WED|THU|FRI|SAT|SUN))?$")


def _day(word: str) -> int:
    return next(i for i, day in enumerate(_DAYS) if day.startswith(word.lower()[:3]))


def asked_week_end(request_text: str) -> int | None:
    """The day (0 = Monday) the request's weeks end on, where it says so; else None."""
    ending = _ENDING.search(request_text)
    if ending:
        return _day(ending.group(1))
    starting = _STARTING.search(request_text)
    if starting:
        return (_day(starting.group(1)) - 1) % 7
    for match in _FROM_TO.finditer(request_text):
        start, end = _day(match.group(1)), _day(match.group(2))
        around = request_text[max(0, match.start() - _WEEK_NEAR):match.end() + _WEEK_NEAR]
        if end == (start - 1) % 7 and re.search(r"\bweek", around, re.IGNORECASE):
            return end  # a whole week: Monday to Sunday, Sunday to Saturday
    return None


def _misanchored(tree: ast.AST, end: int) -> list[ast.Constant]:
    """The weekly frequency texts passed to a call whose weeks end on another day."""
    found = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            if not (isinstance(argument, ast.Constant) and type(argument.value) is str):
                continue
            weekly = _WEEKLY.match(argument.value)
            if weekly and _day(weekly.group(1) or "SUN") != end:
                found.append(argument)
    return found


def _frequency(end: int) -> str:
    return "W-" + _DAYS[end][:3].upper()


def week_anchor_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of weekly frequencies whose weeks end on a day not asked."""
    end = asked_week_end(request_text)
    if end is None:
        return []
    return [f"`{node.value!r}` makes weeks that end on "
            f"{_DAYS[_day(_WEEKLY.match(node.value).group(1) or 'SUN')].title()} (pandas names a "
            f"weekly frequency by the day its weeks end), and the request's weeks end on "
            f"{_DAYS[end].title()}: use `{_frequency(end)!r}`."
            for node in _misanchored(tree, end)]


def with_week_anchors(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each weekly frequency ending its weeks on the asked day; and notes."""
    end = asked_week_end(request_text)
    if end is None:
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    nodes = _misanchored(tree, end)
    replacements: list[tuple[ast.AST, str]] = [(node, repr(_frequency(end))) for node in nodes]
    rewritten, made = replaced_nodes(code, replacements)
    return rewritten, [f"`{nodes[i].value!r}` → `{_frequency(end)!r}`" for i in made]
