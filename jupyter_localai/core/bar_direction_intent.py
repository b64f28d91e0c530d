"""A horizontal bar chart asked, vertical bars drawn: `plt.bar(names, values)` where the
request says "a horizontal bar chart".

`bar` draws upright bars and `barh` lying ones; both run, so no rehearsal shows the mix-up.
When the request asks for horizontal bars in so many words and the code draws bars only
upright (`plt.bar`, `ax.bar`, `.plot(kind="bar")`, `.plot.bar()`), the checks say so (kind
`bar_direction`) and the repair draws the same bars with `barh` (`bar`'s `height=`, the bars'
length, becomes `barh`'s `width=`, and the other way round). Bars asked in order ("sorted",
"the biggest at the top") drawn by code that sorts nothing are named (kind `bar_order`): in
which direction to sort is the model's to write (`barh` draws its first bar at the bottom).
"""

from __future__ import annotations

import ast
import re

from .source_rewrites import replaced_nodes

_ASKS_HORIZONTAL = re.compile(r"\bhorizontal(?:ly)?\s+(?:\w+\s+){0,2}?bars?\b|\bbarh\b|"
                              r"\bbars?\s+(?:\w+\s+){0,2}?horizontal(?:ly)?\b", re.IGNORECASE)
# bar(x, height, width, bottom) draws what barh(y, width, height, left) draws lying.
_ASKS_ORDER = re.compile(r"\bsorted\b|\b(?:in\s+)?(?:descending|ascending|decreasing|increasing)"
                         r"\s+order\b|\b(?:largest|biggest|highest|smallest|lowest|longest|"
                         r"shortest)\b[^.;]{0,40}?\b(?:at\s+the\s+)?(?:top|bottom|first|left)\b",
                         re.IGNORECASE)
_SORTS = frozenset({"sorted", "sort", "sort_values", "sort_index", "nlargest", "nsmallest",
                    "argsort", "most_common", "rank"})
_SWAPPED = {"x": "y", "height": "width", "width": "height", "bottom": "left"}


def _bar_kind(call: ast.Call) -> str | None:
    """'bar' or 'barh' where `call` draws bars: `x.bar(...)`, `x.plot.bar(...)`,
    `x.plot(kind='bar')`; else None."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in ("bar", "barh"):
        return func.attr
    if func.attr == "plot":
        kind = next((k.value for k in call.keywords if k.arg == "kind"), None)
        if isinstance(kind, ast.Constant) and kind.value in ("bar", "barh"):
            return kind.value
    return None


def _upright_bars(tree: ast.AST, request_text: str) -> list[ast.Call]:
    """The calls drawing upright bars, where horizontal ones were asked and none is drawn."""
    if not _ASKS_HORIZONTAL.search(request_text):
        return []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _bar_kind(n)]
    if any(_bar_kind(c) == "barh" for c in calls):
        return []
    return [c for c in calls if _bar_kind(c) == "bar"]


def bar_direction_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of upright bars where horizontal ones were asked."""
    return [f"`{ast.get_source_segment(code, call) or ast.unparse(call)}` draws upright bars, "
            "and the request asks for a horizontal bar chart: draw them with `barh` (the "
            "categories on the y axis, the values as the bars' lengths)."
            for call in _upright_bars(tree, request_text)]


def _lying(call: ast.Call, code: str) -> str | None:
    """The text of `call` drawing the same bars with `barh`; None where it cannot be told."""
    written = ast.get_source_segment(code, call)
    if written is None or not isinstance(call.func, ast.Attribute):
        return None
    if call.func.attr == "plot":
        kind = next(k.value for k in call.keywords if k.arg == "kind")
        start = (kind.col_offset - call.col_offset) if kind.lineno == call.lineno else -1
        if start < 0 or written[start:start + len(repr("bar"))].strip("'\"") != "bar":
            return None
        return f"{written[:start]}{written[start]}barh{written[start + 4:]}"
    head = ast.get_source_segment(code, call.func.value)
    if head is None or not written.startswith(head):
        return None
    if not written[len(head):].lstrip().startswith(".bar"):
        return None
    # Each keyword renamed where it stands, the last first so earlier offsets stay right.
    for keyword in sorted(call.keywords, key=lambda k: k.col_offset, reverse=True):
        if keyword.arg not in _SWAPPED:
            continue
        if keyword.lineno != call.lineno or not code.isascii():
            return None
        start = keyword.col_offset - call.col_offset
        if written[start:start + len(keyword.arg)] != keyword.arg:
            return None
        written = written[:start] + _SWAPPED[keyword.arg] + written[start + len(keyword.arg):]
    return head + written[len(head):].replace(".bar", ".barh", 1)


def with_horizontal_bars(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with its upright bars drawn lying, where horizontal bars were asked; notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    calls = _upright_bars(tree, request_text)
    replacements: list[tuple[ast.AST, str]] = []
    for call in calls:
        new = _lying(call, code)
        if new is not None:
            replacements.append((call, new))
    rewritten, made = replaced_nodes(code, replacements)
    return rewritten, [f"`{ast.get_source_segment(code, replacements[i][0])}` → "
                       f"`{replacements[i][1]}`" for i in made]


def bar_order_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of bars asked in order and drawn in the data's own order."""
    if not _ASKS_ORDER.search(request_text):
        return []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if not any(_bar_kind(c) for c in calls):
        return []
    names = {c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", "")
             for c in calls}
    if names & _SORTS:
        return []
    return [("The request asks for the bars in order, and the code draws them in the data's "
             "own order: sort the values first (`sorted(d.items(), key=lambda kv: kv[1])`, "
             "`s.sort_values()`); `barh` draws its first bar at the bottom, so an ascending "
             "sort puts the largest on top.")]
