"""A pair of two different things asked, and a pair of one thing with itself answered:
`closest_pair = np.unravel_index(np.argmin(dist), dist.shape)` gives (0, 0), since a
distance matrix's diagonal is 0.

"closest_pair, a tuple (i, j) giving the two different depots nearest to each other", "the
most similar pair of products": a request for a pair of distinct items, answered with the
same index twice, runs and looks like an answer. The rehearsal (kernel/fix/verify.py) reads
the value the copy ended with: where the request asks one of its names for a pair ("pair",
"two different", "two distinct") and the name holds two equal values, the candidate fails
with how to leave the diagonal out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .targets import asked_names, sentences_naming

_ASKS_PAIR = re.compile(r"\bpairs?\b|\btwo\s+(?:different|distinct|separate)\b|"
                        r"\b(?:different|distinct)\s+(?:\w+\s+){0,2}?(?:indices|rows|items|ones)\b",
                        re.IGNORECASE)


def asked_pairs(request: str, names: Sequence[str] | None = None) -> list[str]:
    """The asked-for names (`names`, else read from the request) whose sentence asks for a
    pair of different things."""
    return [name for name in (asked_names(request) if names is None else names)
            if any(_ASKS_PAIR.search(s) for s in sentences_naming(request, name))]


def self_pair(name: str, value: Any) -> str | None:
    """What is wrong with `value` where it pairs one thing with itself; else None."""
    try:
        items = list(value) if type(value).__name__ in ("tuple", "list", "ndarray") else None
    except TypeError:
        return None
    if items is None or len(items) != 2:
        return None
    first, second = items
    if type(first).__name__ not in ("int", "int64", "int32", "intp", "str") or first != second:
        return None
    shown = repr(first) if isinstance(first, str) else str(first)
    return (f"`{name}` is ({shown}, {shown}), one item paired with itself, and the request "
            "asks for two different ones: leave out the pairs of an item with itself (for a "
            "distance matrix, `np.fill_diagonal(d, np.inf)` on a copy before `np.argmin`, or "
            "compare only i < j)")
