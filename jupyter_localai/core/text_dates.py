"""`df['day'].dt.strftime(...)` on a column of date strings: parse it where it is read.

Dates read from a CSV or typed as text stay strings, and `.dt` raises "Can only use .dt
accessor with datetimelike values". The checks say so and name `pd.to_datetime`, yet the
0.5B model repeated the same line after being told, up to the last retry. The repair
writes the conversion in for it (`repairs.repaired`): `pd.to_datetime(df['day']).dt...`
where the live column holds text, with pandas under the name the notebook gave it. Text
that is no date still fails, in the rehearsal, with pandas' own message.
"""

from __future__ import annotations

import ast

from .call_checks import text_read_as_dates
from .check_types import NamespaceView
from .checks import assigned_columns
from .source_rewrites import char_offset

# Names a notebook binds pandas to, tried in order; a name counts only if it holds a
# module that has `to_datetime` (the namespace lists a module's `__file__`).
_PANDAS_NAMES = ("pd", "pandas")


def pandas_name(namespace: NamespaceView) -> str | None:
    """The live name of the pandas module, or None when none is bound."""
    for name in _PANDAS_NAMES:
        attributes = set(namespace.attribute_names(name) or ()) if namespace.has(name) else set()
        if {"to_datetime", "DataFrame", "__file__"} <= attributes:
            return name
    return None


def with_dates_parsed(code: str, namespace: NamespaceView) -> tuple[str, list[str]]:
    """The code with every text column read through `.dt` parsed first, and notes saying
    what was rewritten; the code unchanged (and no notes) when there is none."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    module = pandas_name(namespace)
    if module is None:
        return code, []
    found = text_read_as_dates(tree, namespace, assigned_columns(tree))
    lines = code.splitlines(keepends=True)
    notes: list[str] = []
    # From the last to the first, so the positions of the ones before stay right.
    for node in sorted(found, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        if node.end_lineno != node.lineno or node.end_col_offset is None:
            continue  # a column read across lines: left to the model
        line = lines[node.lineno - 1]
        start, end = char_offset(line, node.col_offset), char_offset(line, node.end_col_offset)
        written = line[start:end]
        lines[node.lineno - 1] = f"{line[:start]}{module}.to_datetime({written}){line[end:]}"
        notes.append(f"`{written}.dt` → `{module}.to_datetime({written}).dt` (it holds text)")
    return "".join(lines), notes[::-1]

