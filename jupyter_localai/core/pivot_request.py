"""A table asked as "one row per A and one column per B, holding the total C", where the
answer made no such table: the request itself names the pivot.

The wide-table check (`wide_table_intent`) tells the model; a small model often answers
again without any reshape. Where the request names all of it, each name a column of one
live frame (the rows, the columns, the values, and how they combine: total, mean, count,
largest, smallest), the pivot is written from those names alone,
`t = df.pivot_table(index="A", columns="B", values="C", aggfunc="sum")`, in place of the
answer's own assignment of the asked-for name. Nothing is guessed: a name that matches no
column, or two columns, leaves the answer as it was.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .check_types import NamespaceView
from .wide_table_intent import ZERO_WHERE_NONE, column_word

_ROW_PER = re.compile(r"\b(?:one|a|an|1)\s+rows?\s+(?:per|for\s+each|for\s+every|each)\s+(\w+)|"
                      r"\b(\w+)\s+as\s+(?:the\s+)?rows\b", re.IGNORECASE)
# How the values combine, by the words requests use for it (first match wins).
_COMBINES = (("sum", re.compile(r"\btotals?\b|\bsum(?:s|med)?\b|\badd(?:ed)?\s+up\b", re.IGNORECASE)),
             ("mean", re.compile(r"\b(?:mean|average|avg)\b", re.IGNORECASE)),
             ("count", re.compile(r"\b(?:count|number\s+of|how\s+many)\b", re.IGNORECASE)),
             ("max", re.compile(r"\b(?:max|maximum|highest|largest|biggest)\b", re.IGNORECASE)),
             ("min", re.compile(r"\b(?:min|minimum|lowest|smallest)\b", re.IGNORECASE)))
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class PivotAsk:
    """The pivot a request names: frame, rows, columns, values, how they combine."""

    frame: str
    index: str
    columns: str
    values: str
    aggfunc: str
    fill_zero: bool

    def code(self) -> str:
        fill = ", fill_value=0" if self.fill_zero else ""
        return (f"{self.frame}.pivot_table(index={self.index!r}, columns={self.columns!r}, "
                f"values={self.values!r}, aggfunc={self.aggfunc!r}{fill})")


def _matching(word: str, columns: list[str]) -> str | None:
    """The one column `word` names (exactly, or as its plural), or None."""
    word = word.lower()
    found = [c for c in columns if c.lower() in (word, word.rstrip("s"), word[:-2])
             or word in (c.lower(), c.lower() + "s", c.lower() + "es")]
    return found[0] if len(found) == 1 else None


def asked_pivot(request_text: str, namespace: NamespaceView,
                frames: list[str]) -> PivotAsk | None:  # fmt: skip
    """The pivot the request names over one of `frames` (names of live frames), or None."""
    rows, per_column = _ROW_PER.search(request_text), column_word(request_text)
    combine = next((name for name, words in _COMBINES if words.search(request_text)), None)
    if rows is None or per_column is None or combine is None:
        return None
    row_word = (rows.group(1) or rows.group(2)).lower()
    asked = [m.group(0) for m in _WORD.finditer(request_text)]
    found = []
    for frame in frames:
        columns = namespace.column_names(frame) if namespace.has(frame) else None
        if not columns:
            continue
        index, spread = _matching(row_word, columns), _matching(per_column, columns)
        if index is None or spread is None or index == spread:
            continue
        named = {c for c in columns if c not in (index, spread)
                 and any(w.lower() == c.lower() for w in asked)}
        if len(named) == 1:
            found.append(PivotAsk(frame, index, spread, named.pop(), combine,
                                  bool(ZERO_WHERE_NONE.search(request_text))))
    return found[0] if len(found) == 1 else None


def with_asked_pivots(code: str, namespace: NamespaceView, required: list[str],
                      request_text: str) -> tuple[str, list[str]]:  # fmt: skip
    """The code with its one top-level assignment of the asked-for name replaced by the
    pivot the request names, where the code reshapes nothing; and notes. Without an
    asked-for name ("a table named t" names a table, not surely a variable), the one name
    the code assigns at the top level that the request also writes is taken."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    if not required:
        words = set(_WORD.findall(request_text))
        required = sorted({t.id for s in tree.body if isinstance(s, ast.Assign)
                           for t in s.targets if isinstance(t, ast.Name) and t.id in words})
    if len(required) != 1:
        return code, []
    if any(isinstance(n, ast.Attribute) and n.attr in ("pivot", "pivot_table", "unstack",
                                                         "crosstab") for n in ast.walk(tree)):
        return code, []
    target = required[0]
    assignments = [s for s in tree.body if isinstance(s, ast.Assign) and len(s.targets) == 1
                   and isinstance(s.targets[0], ast.Name) and s.targets[0].id == target]
    read = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
                  | set(re.findall(r"`(\w+)`", request_text)))
    ask = asked_pivot(request_text, namespace, read)
    if len(assignments) != 1 or ask is None or assignments[0].end_lineno is None:
        return code, []
    statement = assignments[0]
    lines = code.splitlines(keepends=True)
    old = "".join(lines[statement.lineno - 1:statement.end_lineno]).strip()
    new = f"{target} = {ask.code()}"
    lines[statement.lineno - 1:statement.end_lineno] = [new + "\n"]
    return "".join(lines), [f"`{old[:80]}` → `{new}` (the table the request names)"]
