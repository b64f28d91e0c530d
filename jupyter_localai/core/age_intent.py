"""An age in full years, counted the short way: `as_of.year - born.year`, or
`(as_of - born).days // 365`.

Both run and both are wrong near birthdays (and `(as_of - born).days`, an age in days where
years were asked, is wrong everywhere): the year difference counts a year whose
birthday has not come yet, and days over 365 (or 365.25) drift by the leap days. When the
request asks for an age or for completed years ("how old", "age in years", "full years"),
the checks name each such expression (kind `age`), and where both dates are plain names,
attributes or items (`as_of`, `row.born`, `d["born"]`: scalars, not pandas' `.dt`), the
repair writes the exact count, `a.year - b.year - ((a.month, a.day) < (b.month, b.day))`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .source_rewrites import replaced_nodes

_ASKS_AGE = re.compile(r"\bhow\s+old\b|\bages?\b|\byears\s+old\b|"
                       r"\b(?:full|whole|complete|completed)\s+years\b", re.IGNORECASE)
# An age given in days where the request counts years: "how old", "in (full) years".
_ASKS_YEARS = re.compile(r"\bhow\s+old\b|\byears?\b", re.IGNORECASE)
_ASKS_DAYS = re.compile(r"\bdays?\b", re.IGNORECASE)
_YEAR_LENGTHS = (365, 365.0, 365.25, 365.2425)
_SIMPLE = (ast.Name, ast.Attribute, ast.Subscript)


@dataclass(frozen=True)
class ShortAge:
    """An age counted the short way: the expression as written, the two dates (later
    first) as written, or None where they are not both scalar terms."""

    node: ast.expr
    written: str
    later: str | None
    earlier: str | None

    @property
    def exact(self) -> str | None:
        if self.later is None or self.earlier is None:
            return None
        a, b = self.later, self.earlier
        return f"({a}.year - {b}.year - (({a}.month, {a}.day) < ({b}.month, {b}.day)))"


def short_ages(tree: ast.AST, code: str, request_text: str) -> list[ShortAge]:
    """The year differences and days-over-365 of code where the request asks for an age."""
    if not _ASKS_AGE.search(request_text) or _compares_months(tree):
        return []
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    differences = _named_differences(tree)
    in_years = bool(_ASKS_YEARS.search(request_text)) and not _ASKS_DAYS.search(request_text)
    found = []
    for node in ast.walk(tree):
        dates = _year_difference(node) or _days_over_year(node)
        if dates is None and in_years and not isinstance(parents.get(node), ast.BinOp):
            dates = _plain_days(node, differences)
        if dates is None:
            continue
        outer = parents.get(node)
        if (isinstance(outer, ast.Call) and isinstance(outer.func, ast.Name)
                and outer.func.id in ("int", "round") and len(outer.args) == 1):
            node = outer  # `int((a - b).days / 365.25)`: the whole count is replaced
        written = ast.get_source_segment(code, node) or ast.unparse(node)
        later, earlier = (_scalar(code, side) for side in dates)
        if ".dt" in written:  # pandas dates: the exact count is per value, not this form
            later = earlier = None
        found.append(ShortAge(node, written, later, earlier))
    return found


def _named_differences(tree: ast.AST) -> dict[str, ast.BinOp]:
    """`age = as_of - born`: the names bound to a difference of two terms (once each)."""
    bound: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            bound.setdefault(node.targets[0].id, []).append(node.value)
    return {name: values[0] for name, values in bound.items() if len(values) == 1
            and isinstance(values[0], ast.BinOp) and isinstance(values[0].op, ast.Sub)}


def _plain_days(node: ast.AST, differences: dict[str, ast.BinOp]
                ) -> tuple[ast.expr, ast.expr] | None:  # fmt: skip
    """(a, b) of `(a - b).days`, or of `age.days` after `age = a - b`: an age in days,
    where years were asked."""
    if not (isinstance(node, ast.Attribute) and node.attr == "days"):
        return None
    value = node.value
    if isinstance(value, ast.Name) and value.id in differences:
        value = differences[value.id]
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Sub):
        return value.left, value.right
    return None


def _year_difference(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(a, b) of `a.year - b.year`."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
        return None
    sides = [node.left, node.right]
    if all(isinstance(s, ast.Attribute) and s.attr == "year" for s in sides):
        return sides[0].value, sides[1].value  # type: ignore[attr-defined]
    return None


def _days_over_year(node: ast.AST) -> tuple[ast.expr, ast.expr] | None:
    """(a, b) of `(a - b).days // 365` or `/ 365.25`."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv | ast.Div)):
        return None
    if not (isinstance(node.right, ast.Constant) and node.right.value in _YEAR_LENGTHS):
        return None
    days = node.left
    if not (isinstance(days, ast.Attribute) and days.attr == "days"):
        return None
    difference = days.value
    if isinstance(difference, ast.Attribute) and difference.attr == "dt":  # a Series' days
        difference = difference.value
    if not (isinstance(difference, ast.BinOp) and isinstance(difference.op, ast.Sub)):
        return None
    return difference.left, difference.right


def _scalar(code: str, node: ast.expr) -> str | None:
    """A date term as written, where it is a name, attribute or item and not pandas' `.dt`."""
    if not isinstance(node, _SIMPLE):
        return None
    if any(isinstance(n, ast.Attribute) and n.attr == "dt" for n in ast.walk(node)):
        return None
    return ast.get_source_segment(code, node) or ast.unparse(node)


def _compares_months(tree: ast.AST) -> bool:
    """Whether the code already looks at months or days of the year (it counts exactly,
    or in a way of its own)."""
    return any(isinstance(n, ast.Attribute) and n.attr in ("month", "day", "dayofyear",
                                                            "timetuple", "replace")
               for n in ast.walk(tree)) or any(
        isinstance(n, ast.Name) and n.id == "relativedelta" for n in ast.walk(tree))


def age_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of each short count of an age."""
    messages = []
    for age in short_ages(tree, code, request_text):
        exact = age.exact or "a.year - b.year - ((a.month, a.day) < (b.month, b.day))"
        messages.append(f"`{age.written}` does not count an age in full years (a year "
                        f"difference counts a birthday still to come, days / 365 drift by leap "
                        f"days, days are not years): count full years, `{exact}`.")
    return list(dict.fromkeys(messages))


def with_exact_ages(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each short count of two scalar dates written exactly, and notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    ages = [age for age in short_ages(tree, code, request_text) if age.exact]
    rewritten, made = replaced_nodes(code, [(age.node, age.exact) for age in ages])  # type: ignore[misc]
    return rewritten, [f"`{ages[i].written}` → `{ages[i].exact}`" for i in made]
