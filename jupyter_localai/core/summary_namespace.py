"""The checks' view of a notebook the server only knows by its context (the side panel's).

The server has no kernel: the panel sends the kernel's variable summaries, which list a
DataFrame's columns (`columns: price (float64), qty (int64)`). Read back, they let the
column and attribute checks run on the server as they do in the kernel, so a reply naming
`df['quantity']` is caught there too. A summary that cannot be read back exactly (columns
cut at 20, a clipped line, a name the parse cannot place) answers "unknown", never a guess.
Summaries are read redacted, as the model sees them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .checks import ContextNamespace
from .context import NotebookContext, VariableSummary
from .context_names import checkable_names
from .redact import redact

# A class's member names by its type name (`"DataFrame"` -> dir(pandas.DataFrame)), or None
# when unknown: the face that can import the library supplies it.
ClassMembers = Callable[[str], "list[str] | None"]

_SHAPE = re.compile(r"^DataFrame, (\d+) rows x (\d+) columns$")
_COLUMNS = "columns: "
_INDEX = re.compile(r"^index: (\w+)(?: '(.*)')?$")


def _column_list(line: str) -> list[str] | None:
    """`a (int64), b (text, e.g. '1,204')` -> ['a', 'b']; None if it does not read back."""
    names: list[str] = []
    position = 0
    while position < len(line):
        opening = line.find(" (", position)
        if opening < 0:
            return None
        depth, cursor = 0, opening + 1
        while cursor < len(line):
            depth += {"(": 1, ")": -1}.get(line[cursor], 0)
            if depth == 0:
                break
            cursor += 1
        if depth != 0:
            return None
        names.append(line[position:opening])
        position = cursor + 1
        if position < len(line):
            if not line.startswith(", ", position):
                return None
            position += 2
    return names


def frame_columns(summary: VariableSummary) -> tuple[list[str], list[str]] | None:
    """(columns, index level names) of a DataFrame's summary when it lists all of them."""
    if summary.type_name != "DataFrame":
        return None
    lines = summary.summary.split("\n")
    shape = _SHAPE.match(lines[0]) if lines else None
    if shape is None or len(lines) < 2 or not lines[1].startswith(_COLUMNS):
        return None
    columns = _column_list(lines[1][len(_COLUMNS):])
    if columns is None or len(columns) != int(shape.group(2)):
        return None
    index_names: list[str] = []
    index = _INDEX.match(lines[2]) if len(lines) > 2 else None
    if index is not None:
        if index.group(2) is None and index.group(1) == "MultiIndex":
            return None  # its level names are not in the summary
        if index.group(2):
            index_names.append(index.group(2))
    return columns, index_names


class SummaryNamespace(ContextNamespace):
    """Names from the context; DataFrames' columns and attributes from their summaries."""

    def __init__(self, context: NotebookContext, class_members: ClassMembers | None = None) -> None:
        super().__init__(checkable_names(context), context.imports)
        self._frames: dict[str, tuple[list[str], list[str]]] = {}
        self._types: dict[str, str] = {}
        for variable in context.variables:
            # Column names reach the model in a retry's feedback: read the redacted text.
            found = frame_columns(replace(variable, summary=redact(variable.summary)))
            if found is not None:
                self._frames[variable.name] = found
                self._types[variable.name] = variable.type_name
        self._class_members = class_members

    def column_names(self, name: str) -> list[str] | None:
        frame = self._frames.get(name)
        return list(frame[0]) if frame else None

    def frame_labels(self, name: str) -> list[str] | None:
        frame = self._frames.get(name)
        return [*frame[0], *frame[1]] if frame else None

    def attribute_names(self, name: str) -> list[str] | None:
        frame = self._frames.get(name)
        if frame is None or self._class_members is None:
            return None
        members = self._class_members(self._types[name])
        if members is None:
            return None
        return [*members, *(c for c in frame[0] if c.isidentifier())]


def context_namespace(
    context: NotebookContext | None, class_members: ClassMembers | None = None
) -> SummaryNamespace | None:
    """The checks' namespace for a request that came with a context, else None."""
    return SummaryNamespace(context, class_members) if context is not None else None
