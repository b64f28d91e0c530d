"""What the kernel knows, in plain data: cells, the last error, variable summaries.

The kernel side fills these in (bounded, redacted); the prompt builder reads them. Plain
dataclasses keep the core free of IPython and let the side panel send the same shapes as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class CellRecord:
    """One executed cell: its source, a short text of its result, and its error if any."""

    number: int
    source: str
    output: str = ""
    error: str = ""


@dataclass
class ErrorInfo:
    """The most recent failure: where, what, and what Python would have suggested."""

    source: str
    exc_type: str
    message: str
    traceback: str = ""
    cell_number: int | None = None
    # "Did you mean 'shape'?" hints, computed from the object's attributes, the namespace,
    # or a mapping's keys (3.10/3.11 do not print them; small models need them).
    suggestions: list[str] = field(default_factory=list)
    # Signatures of the functions called on the line that raised, from the live objects
    # (`df.drop(labels=None, *, axis=0, ...)`): the options this library version has.
    signatures: list[str] = field(default_factory=list)
    # Hints computed from the exception and the live data (`'1,204' has a thousands
    # separator`, `'03/15/2024' matches '%m/%d/%Y'`): API facts a small model lacks.
    hints: list[str] = field(default_factory=list)
    # The exact rewrites some hints state, as [old, new] (old: text of the failing cell):
    # applied mechanically as a candidate fix when the model's own answer fails.
    edits: list[list[str]] = field(default_factory=list)


@dataclass
class VariableSummary:
    """A bounded description of one live variable (never the full repr of big data)."""

    name: str
    type_name: str
    summary: str
    # Higher means more relevant to the notebook's current work (read by the failing cell,
    # used by recent cells); it does not depend on the question, so neither does the choice
    # of variables in the prompt's stable part.
    relevance: float = 0.0
    # Named by the current request: listed again at the prompt's end if the stable part
    # had no room for it.
    mentioned: bool = False


@dataclass
class NotebookContext:
    """Everything the prompt may draw on, already redacted and bounded."""

    # The notebook's recent cells, oldest first: the stable part of every prompt.
    cells: list[CellRecord] = field(default_factory=list)
    variables: list[VariableSummary] = field(default_factory=list)
    last_error: ErrorInfo | None = None
    imports: list[str] = field(default_factory=list)
    # Older cells chosen for this request (they define or use the names it mentions, or
    # failed). They depend on the question, so the prompt puts them after the stable part.
    related_cells: list[CellRecord] = field(default_factory=list)
    # Older cells (before `cells`) that last assigned the variables the recent cells use,
    # chosen without the question: part of the stable prompt, so a question about an old
    # variable finds its definition already in the model's cache.
    defining_cells: list[CellRecord] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotebookContext:
        error = data.get("last_error")
        return cls(
            cells=[CellRecord(**c) for c in data.get("cells", [])],
            variables=[VariableSummary(**v) for v in data.get("variables", [])],
            last_error=ErrorInfo(**error) if error else None,
            imports=list(data.get("imports", [])),
            related_cells=[CellRecord(**c) for c in data.get("related_cells", [])],
            defining_cells=[CellRecord(**c) for c in data.get("defining_cells", [])],
        )
