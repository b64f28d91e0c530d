"""Text that looks like something else: dates and numbers stored as strings.

A small model reads `amount (object)` and writes `df.amount.sum()` or `df.joined.dt.year`,
which fail on '1,204' or '2024-03-01' strings. A short tag (`date text '%Y-%m-%d'`,
`numbers as text, e.g. '1,204'`) makes it convert first. Classification looks at a handful of
head values only, and only at values that are exactly `str`, so it costs microseconds and runs
no user code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

# Tried in order; the first that parses every sampled value is named (day-first and
# month-first can both parse '01/02/2024': then both are named).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d %b %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d, %Y",
)
# What spreadsheets and CSV exports write for "no value" (compared stripped, lower-cased).
MISSING_TOKENS = frozenset(
    {"", "-", "--", "?", ".", "n/a", "na", "n.a.", "#n/a", "nan", "null", "none", "missing"}
)
SAMPLE_SIZE = 20  # str values looked at per column
_MAX_LENGTH = 40  # longer strings are prose, not a date or a number
_MAX_TOKENS_SHOWN = 3
_NUMBER = re.compile(
    r"\(?[-+]?[$€£¥]?\s?[-+]?"  # sign, accounting '(', currency
    r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)"  # digits, maybe with thousands commas
    r"(?:[eE][-+]?\d+)?\s?[%$€£¥]?\)?"  # exponent, percent or trailing currency
)
_DECORATION = re.compile(r"[,$€£¥%(]")
_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")


def _shape(text: str) -> str:
    """'2024-03-01' -> '9-9-9', 'Mar 1, 2024' -> 'a 9, 9': which formats are worth a strptime."""
    return _DIGITS.sub("9", _LETTERS.sub("a", text))


def _formats_by_shape() -> dict[str, list[str]]:
    """A format's shape is that of a date it writes (month names in strptime's locale)."""
    found: dict[str, list[str]] = {}
    for date_format in DATE_FORMATS:
        found.setdefault(_shape(datetime(2000, 1, 1).strftime(date_format)), []).append(date_format)
    return found


_FORMATS_BY_SHAPE = _formats_by_shape()


def text_sample(values: Iterable[Any], size: int = SAMPLE_SIZE) -> list[str]:
    """The first `size` values that are exactly `str` (subclasses could run user code)."""
    sample = []
    for value in values:
        if type(value) is str:
            sample.append(value)
            if len(sample) >= size:
                break
    return sample


def is_number_text(text: str) -> bool:
    """'1,204', '$3.50', '12%', '(7.5)', '-0.3': a number once its decoration is stripped."""
    return len(text) <= _MAX_LENGTH and _NUMBER.fullmatch(text.strip()) is not None


def date_formats(values: Sequence[str]) -> list[str]:
    """The formats of `DATE_FORMATS` that parse every value (most often none or one)."""
    if not values or any(len(v) > _MAX_LENGTH for v in values):
        return []
    # strptime costs ~5 µs a try: only formats of the first value's shape are tried at all.
    first = values[0].strip()
    candidates = _FORMATS_BY_SHAPE.get(_shape(first), []) if _DIGITS.search(first) else []
    return [f for f in candidates if all(_parses(v.strip(), f) for v in values)]


def date_tag(text: str) -> str | None:
    """`date text '%Y-%m-%d'` for one string that is a date, else None."""
    return _date_tag(date_formats([text]))


def text_kind(values: Sequence[str]) -> str | None:
    """A tag for a column's sampled strings, or None when they read as ordinary text.

    Missing-value tokens ('n/a', '-', '') are set aside and named: they are what makes
    `astype(float)` or `pd.to_datetime` fail even when every other value converts.
    """
    tokens: list[str] = []
    rest: list[str] = []
    for value in values:
        if len(value) <= 8 and value.strip().lower() in MISSING_TOKENS:
            if value not in tokens:
                tokens.append(value)
        else:
            rest.append(value)
    if not rest:
        return None
    with_tokens = ", ".join(repr(t) for t in tokens[:_MAX_TOKENS_SHOWN])
    if all(is_number_text(v) for v in rest):
        if tokens:
            return f"numbers as text with {with_tokens}"
        example = next((v for v in rest if _DECORATION.search(v)), rest[0])
        return f"numbers as text, e.g. {example.strip()!r}"
    tag = _date_tag(date_formats(rest))
    if tag and tokens:
        return f"{tag} with {with_tokens}"
    return tag


def _date_tag(formats: list[str]) -> str | None:
    if not formats:
        return None
    return "date text " + " or ".join(repr(f) for f in formats[:2])


def _parses(text: str, date_format: str) -> bool:
    try:
        datetime.strptime(text, date_format)
    except ValueError:
        return False
    return True
