"""Percentiles asked for by number, answered with the numbers themselves:
`np.clip(latencies, 5, 95)` where the values between the 5th and 95th percentiles were
asked for.

The code runs and clips at the values 5 and 95, so no rehearsal shows it. When the request
names percentiles by number ("the 5th and 95th percentiles", "the 90th percentile") and
the code computes no percentile or quantile anywhere, the checks name every bound that
is one of those numbers, or its fraction (0.95 for 95), beside the data (kind `percentile`), and
the repair computes it from the call's data, `np.clip(latencies,
np.percentile(latencies, 5), np.percentile(latencies, 95))`: the data is the function's
first argument, or the object a method is called on.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .source_rewrites import replaced_nodes

_NUMBERED = re.compile(r"\b(\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)?\s*(?:and|,|or|to|-)?\s*"
                       r"(?=(?:(?:\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)?\s*(?:and|,|or|to|-)?\s*)*"
                       r"percentiles?\b)", re.IGNORECASE)
_COMPUTED = frozenset({"percentile", "nanpercentile", "quantile", "nanquantile", "describe",
                       "quantiles"})


_BOUND_FUNCTIONS = frozenset({"clip"})  # np.clip(data, low, high)
_BOUND_METHODS = frozenset({"clip", "between"})  # data.clip(low, high)
_ORDERS = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_DATA = (ast.Name, ast.Attribute, ast.Subscript)


@dataclass(frozen=True)
class LiteralPercentile:
    """A number the request asks as a percentile, used as a plain bound of `data`."""

    number: ast.Constant
    data: str  # the data it bounds, as written
    percent: str  # the asked percentile it stands for ("95")


def asked_percentiles(request_text: str) -> set[float]:
    """The numbers the request names as percentiles ("5th and 95th percentiles": 5, 95)."""
    return {float(m.group(1)) for m in _NUMBERED.finditer(request_text)}


def literal_percentiles(tree: ast.AST, code: str, request_text: str) -> list[LiteralPercentile]:
    """Calls with an asked percentile's number as a plain argument beside their data, in
    code that computes no percentile."""
    asked = asked_percentiles(request_text)
    if not asked:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _COMPUTED:
            return []
    found = []
    for node in ast.walk(tree):
        data, values = _data_and_bounds(node)
        written = ast.get_source_segment(code, data) if data is not None else None
        for value in values:
            percent = _as_percent(value, asked)
            if written and percent is not None:
                found.append(LiteralPercentile(value, written, percent))
    return found


def _as_percent(node: ast.expr, asked: set[float]) -> str | None:
    """The asked percentile a number stands for, as written in percent: 95 for `95`, and
    for `0.95` (the quantile's form of the same bound)."""
    if not (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
        return None
    value = float(node.value)
    for percent in (value, round(value * 100, 6)):
        if percent in asked:
            return f"{percent:g}"
    return None


def _data_and_bounds(node: ast.AST) -> tuple[ast.expr | None, list[ast.expr]]:
    """The data a bound applies to and the bounds: `np.clip(x, a, b)` and `x.clip(a, b)`
    (also `between`) give x and [a, b]; `x > a` gives x and [a]."""
    if isinstance(node, ast.Compare) and isinstance(node.left, _DATA):
        if all(isinstance(op, _ORDERS) for op in node.ops):
            return node.left, list(node.comparators)
        return None, []
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return None, []
    func, keywords = node.func, [k.value for k in node.keywords]
    if (func.attr in _BOUND_FUNCTIONS and isinstance(func.value, ast.Name)
            and func.value.id in ("np", "numpy") and node.args):
        return node.args[0], [*node.args[1:], *keywords]
    if func.attr in _BOUND_METHODS and isinstance(func.value, _DATA):
        return func.value, [*node.args, *keywords]
    return None, []


def percentile_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of each percentile number used as a value."""
    messages = []
    for found in literal_percentiles(tree, code, request_text):
        number = ast.get_source_segment(code, found.number) or repr(found.number.value)
        messages.append(f"The request asks for the {found.percent}th percentile, but the code "
                        f"uses {number} itself as the value: compute it, "
                        f"`np.percentile({found.data}, {found.percent})`.")
    return list(dict.fromkeys(messages))


def with_percentiles(code: str, request_text: str, numpy_name: str | None
                     ) -> tuple[str, list[str]]:  # fmt: skip
    """The code with each such number replaced by the percentile of the call's data, and
    notes; unchanged without a name numpy is bound to."""
    if numpy_name is None:
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    found = literal_percentiles(tree, code, request_text)
    meant = [f"{numpy_name}.percentile({item.data}, {item.percent})" for item in found]
    rewritten, made = replaced_nodes(code, [(item.number, m) for item, m in zip(found, meant)])
    notes = [f"`{ast.get_source_segment(code, found[i].number)}` → `{meant[i]}`" for i in made]
    return rewritten, notes
