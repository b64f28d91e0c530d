"""Min-max scaling asked, only a division by the maximum written: `a / a.max(axis=0)`
where the request says "rescale to the 0-1 range" or "min-max".

Dividing by the maximum puts the largest value at 1 but leaves the smallest above 0, and
it runs, so no rehearsal shows it. When the request asks for min-max scaling or the 0-1
range in so many words and the code never takes a minimum (or a range, `ptp`, or a
scaler), the checks say so (kind `min_max`), with the exact form.
"""

from __future__ import annotations

import ast
import re

_MIN_MAX = re.compile(r"\bmin[\s-]*max\b", re.IGNORECASE)
# "the 0-1 range", "between 0 and 1", "[0, 1]": min-max only where the request also scales
# (values kept between 0 and 1 by clipping are another request).
_UNIT_RANGE = re.compile(r"\b0\s*(?:-|–|to|and)\s*1\s+range\b|"
                         r"\brange\s+(?:of\s+)?\[?0\s*(?:,|-|–|to|and)\s*1\]?|"
                         r"\b(?:between|from)\s+0\s+(?:and|to)\s+1\b|\[0,\s*1\]",
                         re.IGNORECASE)
_SCALES = re.compile(r"\b(?:re)?scal(?:e|ed|ing)\b|\bnormali[sz](?:e|ed|ing|ation)\b",
                     re.IGNORECASE)
_TAKES_MINIMUM = frozenset({"min", "nanmin", "amin", "ptp", "minimum", "MinMaxScaler",
                            "minmax_scale", "cummin", "idxmin", "argmin"})


def _takes_minimum(tree: ast.AST) -> bool:
    return any((isinstance(n, ast.Attribute) and n.attr in _TAKES_MINIMUM)
               or (isinstance(n, ast.Name) and n.id in _TAKES_MINIMUM) for n in ast.walk(tree))


def min_max_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of scaling without a minimum where min-max was asked."""
    asks = _MIN_MAX.search(request_text) or (_UNIT_RANGE.search(request_text)
                                             and _SCALES.search(request_text))
    if not asks or _takes_minimum(tree):
        return []
    return [("The request scales to the 0-1 range (min-max), and the code never subtracts a "
            "minimum, so the smallest value does not become 0: `(x - x.min(axis=0)) / "
            "(x.max(axis=0) - x.min(axis=0))` (per column; without `axis` for the whole).")]
