"""What a generate request says its mapping is keyed by, and whether a value is keyed so.

"a dict favourite_items keyed by customer name", "top_scorer mapping team name to player
name": the request names where the keys come from as well as the name. An answer can
assign a dict or Series and key it by something else (the items, where customers were
asked), which runs and which no static check sees. The rehearsal (kernel/fix/verify.py)
reads the value the copy ended with: where a frame or a list of records in the notebook
has a field of that word and no key of the value is one of its values (or the value is
empty), the candidate fails with a message that names a few of the values the keys should
be.

Only the names `targets.asked_names` finds are considered, and only a "keyed by" or
"mapping ... to" in the same sentence as the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .field_word import word_names_field
from .targets import asked_names, sentences_naming

_KEYED = re.compile(r"\bkeyed\s+(?:on|by)\s+(?:the\s+|each\s+|their\s+)?(?P<word>[A-Za-z_]\w*)|"
                    r"\bmapping\s+(?:each\s+|every\s+|the\s+)?(?P<word2>[A-Za-z_]\w*)"
                    r"(?:\s+(?:names?|ids?|codes?|labels?))?\s+(?:to|->|→|onto)\s", re.IGNORECASE)
_MAX_VALUES = 100_000  # rows of a field read for its values, at most
_SHOWN = 3


def asked_keys(request: str, names: Sequence[str] | None = None) -> dict[str, str]:
    """Each asked-for name (`names`, else read from the request) whose keys the request
    says come from a field: name -> word."""
    keys: dict[str, str] = {}
    for name in asked_names(request) if names is None else names:
        for sentence in sentences_naming(request, name):
            keyed = _KEYED.search(sentence)
            if keyed:
                keys[name] = (keyed.group("word") or keyed.group("word2")).lower()
                break
    return keys


def _field_values(namespace: Mapping[str, Any], word: str) -> tuple[str, set[str]] | None:
    """(where, values as text) of the fields named by `word` in the namespace's frames and
    lists of records; None where there is none."""
    found: set[str] = set()
    where: list[str] = []
    for name, value in list(namespace.items()):
        if name.startswith("_"):
            continue
        columns = getattr(value, "columns", None)
        if type(value).__name__ == "DataFrame" and columns is not None:
            for column in list(columns)[:1000]:
                if isinstance(column, str) and word_names_field(word, column):
                    found |= {str(v) for v in value[column].iloc[:_MAX_VALUES].unique()}
                    where.append(f"`{name}[{column!r}]`")
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value[:50]):
            fields = {k for r in value[:50] for k in r
                      if isinstance(k, str) and word_names_field(word, k)}
            for field in sorted(fields):
                found |= {str(r[field]) for r in value[:_MAX_VALUES] if field in r}
                where.append(f"the {field!r} of `{name}`")
    return (", ".join(where), found) if found else None


def _keys_of(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        return list(value.keys())
    if type(value).__name__ == "Series" and hasattr(value, "index"):
        return list(value.index[:_MAX_VALUES])
    return None


def key_mismatch(name: str, value: Any, word: str, namespace: Mapping[str, Any]) -> str | None:
    """What is wrong with `value`'s keys, where none of them is a value of the field the
    request keys it by; None when one is, or where that cannot be told."""
    keys = _keys_of(value)
    source = _field_values(namespace, word) if keys is not None else None
    if keys is None or source is None:
        return None
    where, values = source
    if not keys:
        return (f"`{name}` is empty, and {where} has values to key it by: one entry per "
                f"{word} is asked, e.g. for {_shown(sorted(values))}")
    if {str(k) for k in keys} & values:
        return None
    return (f"`{name}` is keyed by {_shown(keys)}, none of which is a {word} in {where}; the "
            f"request keys it by {word}: its keys should be those, e.g. {_shown(sorted(values))}")


def _shown(values: Iterable[Any]) -> str:
    listed = list(values)
    shown = ", ".join(repr(str(v))[:40] for v in listed[:_SHOWN])
    return shown + (", ..." if len(listed) > _SHOWN else "")
