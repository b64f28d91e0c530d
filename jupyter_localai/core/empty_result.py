"""A result asked for each item of the data that comes out empty: `clean_phones = [p for p in
raw_phones if len(p) == 10]` where no number has ten characters, for "format each number
... store them, in the same order, in clean_phones".

An over-strict filter or a loop that never appends runs without error, so only the value
shows it. Where the request asks for something of each (every, all) item, or keeps the same
order, the rehearsal (kernel/fix/verify.py) reads the asked-for names the copy ended with:
one left an empty list, dict, set, tuple, Series, DataFrame or array while a collection the
code reads holds items fails, naming it. A request that filters ("only the rows where",
"which", "any") may rightly find nothing and is not judged.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .targets import asked_names

_EACH = re.compile(r"\b(?:each|every|all)\b|\bin\s+the\s+same\s+order\b|\bone\s+(?:entry|row|"
                   r"value|item)\s+(?:per|for\s+each)\b", re.IGNORECASE)
_FILTERS = re.compile(r"\b(?:only|which|whose|where|that\s+(?:are|have|match)|if\s+any|any|"
                      r"filter\w*|select\w*|duplicates?|missing|outliers?|invalid|errors?)\b",
                      re.IGNORECASE)


def asked_for_each(request: str, names: Sequence[str] | None = None) -> list[str]:
    """The asked-for names (`names`, else read from the request) of a request that asks for
    something of each item and filters nothing: those must not come out empty when the
    data has items."""
    if not _EACH.search(request) or _FILTERS.search(request):
        return []
    return list(asked_names(request) if names is None else names)


def _size(value: Any) -> int | None:
    """The number of items of a container (rows of a frame); None for anything else."""
    if isinstance(value, list | tuple | dict | set | frozenset):
        return len(value)
    kind = type(value).__name__
    if kind in ("Series", "DataFrame", "ndarray") and hasattr(value, "shape"):
        return int(value.shape[0]) if len(value.shape) else None
    return None


def empty_result(code: str, namespace: Mapping[str, Any], names: Sequence[str]) -> str | None:
    """What is wrong where an asked-for name came out empty while the code reads a
    collection with items; None when none did."""
    try:
        read = {n.id for n in ast.walk(ast.parse(code))
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    except SyntaxError:
        return None
    sources = sorted((name, size) for name in read - set(names) if name in namespace
                     and (size := _size(namespace[name])))
    if not sources:
        return None
    empty = [name for name in names if name in namespace and _size(namespace[name]) == 0]
    if not empty:
        return None
    source, size = sources[0]
    return (f"`{empty[0]}` came out empty, although `{source}` has {size} items and the request "
            "asks for something of each: a condition or filter of the code leaves out every "
            "item; check it against the data")
