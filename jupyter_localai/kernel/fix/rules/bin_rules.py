"""Rule for `pd.cut` given a label count that does not fit its edges: n edges make n - 1
bins, one label each. The hint pairs the edges with the labels given, so the missing (or
extra) one shows; what the missing label is called is the user's to say, so no edit.
"""

from __future__ import annotations

import ast
import itertools

from ..failure import Failure, line_calls
from . import rule

_LABEL_COUNT = "Bin labels must be one fewer than the number of bin edges"
_SHOWN = 12


@rule(ValueError)
def bin_labels_rule(f: Failure) -> list[str]:
    """The bins `pd.cut` would make from the edges given, beside the labels given."""
    if f.message != _LABEL_COUNT:
        return []
    for call in line_calls(f):
        if getattr(call.func, "attr", getattr(call.func, "id", "")) not in ("cut", "qcut"):
            continue
        edges = _plain_list(f, _argument(call, 1, "bins"))
        labels = _plain_list(f, _argument(call, None, "labels"))
        if edges is None or labels is None or len(edges) > _SHOWN:
            continue
        right = next((k.value for k in call.keywords if k.arg == "right"), None)
        closed_left = isinstance(right, ast.Constant) and right.value is False
        bins = [f"[{a}, {b})" if closed_left else f"({a}, {b}]"
                for a, b in itertools.pairwise(edges)]
        pairs = ", ".join(f"{b} -> {labels[i]!r}" if i < len(labels) else f"{b} -> (no label)"
                          for i, b in enumerate(bins))
        return [(f"{len(edges)} bin edges make {len(bins)} bins, one label each, and "
                f"{len(labels)} labels are given: {pairs}. Give exactly {len(bins)} labels "
                f"(or change the edges).")]
    return []


def _argument(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    found = next((k.value for k in call.keywords if k.arg == keyword), None)
    if found is None and position is not None and len(call.args) > position:
        found = call.args[position]
    return found


def _plain_list(f: Failure, node: ast.expr | None) -> list[object] | None:
    """The list of plain numbers or texts `node` is, written in the cell or live."""
    if node is None:
        return None
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = f.resolve(node)
    if type(value) not in (list, tuple):
        return None
    plain = all(type(v) in (int, float, str) for v in value)  # type: ignore[union-attr]
    return list(value) if plain else None  # type: ignore[arg-type]
