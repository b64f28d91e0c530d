"""Values of the data the request names, and code that never reads the field holding them:
"a credit adds its amount and a debit subtracts it", where 'credit' and 'debit' are the
values of each transaction's 'type', answered by code that adds every amount.

A condition the request states on the data ("shipped orders only", "debits subtract")
names values of one of its fields. Code that reads neither that field nor any of the
values it names has dropped the condition: it runs and computes something else. The
rehearsal (kernel/fix/verify.py) has the live data, so it reads which text fields of the
frames and lists of records the code uses hold a value the request names as a word; where
the code mentions neither the field nor any of those values, the candidate fails with
what the request said and where the values are.

Only short text values (3 to 30 characters, letters, digits, `_` and `-`) of fields with at
most 50 distinct values are considered: categories, not free text or identifiers; and
not the words requests also use as plain English ("open", "total", "new").
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from typing import Any

_MAX_ROWS = 10_000
_MAX_DISTINCT = 50
_CATEGORY = re.compile(r"[A-Za-z][\w-]{2,29}")
# Values that requests also use as plain English ("open the file", "the total"): not taken.
_COMMON = frozenset({
    "yes", "no", "none", "true", "false", "all", "other", "others", "open", "new", "old",
    "high", "low", "total", "first", "last", "top", "one", "two", "each", "data", "value",
    "values", "name", "names", "type", "types", "date", "time", "day", "week", "month",
    "year", "count", "mean", "sum", "max", "min", "and", "the", "for", "any", "not", "per",
    "unknown", "missing", "empty", "default", "null", "nan",
})


def request_words(request: str) -> frozenset[str]:
    """The request's words, lower case, for matching against the data's values."""
    return frozenset(w.lower() for w in re.findall(r"[A-Za-z][\w-]*", request))


def ignored_condition(code: str, words: frozenset[str], namespace: Mapping[str, Any]
                      ) -> str | None:
    """What the code leaves out where the request names values of a field of data the
    code reads, and the code mentions neither the field nor those values; else None."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    mentioned = {str(n.value).lower() for n in ast.walk(tree)
                 if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    mentioned |= {n.attr.lower() for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    text = code.lower()
    for variable, field, values in _category_fields(namespace, read):
        named = sorted(v for v in values if v.lower() in words and v.lower() not in _COMMON)
        if not named or field.lower() in mentioned:
            continue
        if any(v.lower() in mentioned or repr(v.lower()) in text for v in named):
            continue
        shown = " and ".join(repr(v) for v in named[:3])
        return (f"the request names {shown}, values of the field {field!r} of `{variable}`, "
                f"and the code never reads {field!r}: the condition the request states on it "
                f"is left out")
    return None


def _category_fields(namespace: Mapping[str, Any], read: set[str]
                     ) -> Iterator[tuple[str, str, set[str]]]:
    """(variable, field, distinct text values) of the frames and lists of records among
    the variables `read`, for fields that hold a few short text values."""
    for name in sorted(read):
        value = namespace.get(name)
        if type(value).__name__ == "DataFrame":
            for column in list(getattr(value, "columns", []))[:200]:
                if isinstance(column, str):
                    values = _categories(value[column].iloc[:_MAX_ROWS].tolist())
                    if values:
                        yield name, column, values
        elif isinstance(value, list) and value and all(isinstance(r, dict) for r in value[:50]):
            fields = {k for r in value[:50] for k in r if isinstance(k, str)}
            for field in sorted(fields):
                values = _categories([r.get(field) for r in value[:_MAX_ROWS]])
                if values:
                    yield name, field, values


def _categories(values: list[Any]) -> set[str]:
    """The distinct values, where all are short text and there are few of them; else empty."""
    distinct: set[str] = set()
    for v in values:
        if v is None:
            continue
        if type(v) is not str or not _CATEGORY.fullmatch(v):
            return set()
        distinct.add(v)
        if len(distinct) > _MAX_DISTINCT:
            return set()
    return distinct
