"""Rules for an argument in the wrong form: a percent given where a quantile (0 to 1) is
taken, an empty sequence given to `max`/`min`, a `%`-format that ends in a lone `%`.

- `np.quantile(x, 95)` / `s.quantile(95)` raise "Quantiles must be in the range [0, 1]":
  95 means the 95th percentile, `0.95`;
- `max(readings)` of an empty list raises "max() arg is an empty sequence": `default=None`
  says "no value" for the empty case (the user's choice of default is named in the hint);
- `autopct="%1.1f%"` raises "incomplete format" when matplotlib formats it: a literal
  percent sign is written `%%`.
"""

from __future__ import annotations

import ast
import re

from ..failure import Failure, constant
from ..hint import Hint, replace, segment, unique_replace, with_keyword
from . import rule

_QUANTILE_RANGE = re.compile(r"[Qq]uantiles? must be in the range \[0, 1\]|"
                             r"percentiles should all be in the interval \[0, 1\]")
_QUANTILE_CALLS = frozenset({"quantile", "nanquantile"})


@rule(ValueError)
def quantile_percent_rule(f: Failure) -> list[str]:
    """`quantile(x, 95)`: a percent where a fraction of 1 is taken."""
    if not _QUANTILE_RANGE.search(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _QUANTILE_CALLS):
            continue
        module_call = isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy")
        arguments = node.args[1:] if module_call else node.args[:1]
        arguments += [k.value for k in node.keywords if k.arg == "q"]
        literal = next((a for a in arguments if _percent(a)), None)
        if literal is None:
            continue
        value = constant(literal)
        fraction = f"{value / 100:g}"
        hint = (f"`{node.func.attr}` takes a fraction of 1; {value} is a percent: "
                f"`{fraction}` (or `np.percentile(..., {value})`).")
        return [Hint(hint, edit=unique_replace(f, literal, fraction, node))]
    return []


def _percent(node: ast.expr) -> bool:
    value = constant(node)
    return type(value) in (int, float) and 1 < value <= 100


_EMPTY = re.compile(r"^(max|min)\(\) (?:arg is an empty sequence|iterable argument is empty)")


@rule(ValueError)
def empty_extreme_rule(f: Failure) -> list[str]:
    """`max(values)` where `values` can be empty: `default=` gives the empty case a value."""
    match = _EMPTY.search(f.message)
    if not match:
        return []
    calls = [node for node in f.line_nodes if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == match.group(1)
             and len(node.args) == 1 and not node.keywords]
    if len(calls) != 1:
        return []
    hint = (f"`{match.group(1)}` of an empty sequence has no value: give it one for that case, "
            f"`{match.group(1)}(..., default=None)` (or 0, or whatever the empty case means), "
            f"or skip the empty ones.")
    return [Hint(hint, edit=with_keyword(f, calls[0], "default=None"))]


_INCOMPLETE = re.compile(r"^incomplete format$")


@rule(ValueError)
def lone_percent_rule(f: Failure) -> list[str]:
    """`"%1.1f%"`: a %-format whose last `%` starts no conversion."""
    if not _INCOMPLETE.search(f.message) or f.tree is None:
        return []
    texts = [node for node in ast.walk(f.tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and "%" in node.value and _ends_in_lone_percent(node.value)]
    if len(texts) != 1:
        return []
    written = segment(f, texts[0])
    if written is None or not written.endswith(("%'", '%"')):
        return []
    new = written[:-1] + "%" + written[-1]
    hint = (f"{written} ends in a `%` that starts no conversion; a literal percent sign in a "
            f"%-format is written `%%`: {new}.")
    return [Hint(hint, edit=replace(f, texts[0], new))]


def _ends_in_lone_percent(text: str) -> bool:
    """Whether `text` ends in a `%` not paired with the one before it."""
    run = len(text) - len(text.rstrip("%"))
    return run % 2 == 1


_PAIRS_NEEDED = re.compile(r"dictionary update sequence element #\d+ has length (\d+); 2 is required")


@rule(ValueError)
def dict_of_rows_rule(f: Failure) -> list[str]:
    """`dict(rows)` where each row has more than two fields: which is the key and which the
    value is the user's to say, so the hint shows both ways and makes no edit."""
    match = _PAIRS_NEEDED.search(f.message)
    if not match:
        return []
    for node in f.line_nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id == "dict") and len(node.args) == 1:
            rows = segment(f, node.args[0]) or "rows"
            width = int(match.group(1))
            return [(f"`dict` takes (key, value) pairs, and each item of `{rows}` has {width} "
                     f"fields: say which is the key and which the value, e.g. "
                     f"`{{r[0]: r[{width - 1}] for r in {rows}}}` (first field to last), or "
                     f"`{{r[0]: r[1:] for r in {rows}}}` (first field to the rest).")]
    return []
