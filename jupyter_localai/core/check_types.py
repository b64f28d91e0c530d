"""The vocabulary the static checks share: what they may ask of the kernel, what they report.

Kept apart from the checks themselves so that each family of checks (names and columns in
`checks`, calls on DataFrames in `call_checks`) can use it without importing the other.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Protocol


class NamespaceView(Protocol):
    """What the checks may ask about the live kernel, without touching its objects' state."""

    def has(self, name: str) -> bool: ...

    def attribute_names(self, name: str) -> list[str] | None:
        """Attributes of the variable, or None when unknown or unsafe to list."""

    def column_names(self, name: str) -> list[str] | None:
        """Columns (DataFrame) or keys (dict) of the variable, or None."""

    def frame_labels(self, name: str) -> list[str] | None:
        """Column and index-level names when the variable is a DataFrame, else None."""

    def member_kinds(self, name: str, path: tuple[str, ...]) -> dict[str, str] | None:
        """Members of the object reached from the variable by `path` (column steps written
        `[col]`, accessor steps `str`/`dt`/`cat`), each "method" or "data"; None if unknown."""

    def call_keywords(self, name: str, path: tuple[str, ...]) -> CallKeywords | None:
        """The keywords the callable reached from the variable by `path` (attribute steps,
        column steps `[col]`) accepts, read from its live signature; None if unknown."""

    def holds_literal(self, name: str, value: ast.expr) -> bool:
        """Whether the answer's literal expression rebuilds the variable exactly as it is
        (`kernel/context/literal_copy.py`); False when unknown."""


@dataclass(frozen=True)
class CallKeywords:
    """What a live callable takes by keyword: its named parameters, and whether it takes
    any keyword at all (`**kwargs`), in which case no keyword is wrong."""

    accepted: tuple[str, ...]
    any_keyword: bool = False


@dataclass(frozen=True)
class CheckIssue:
    """One problem found in a reply; `message` is written for the model and the user alike."""

    # syntax, undefined, rebinds, missing, attribute, column, keyword, inplace, none_result,
    # unchanged, empty, runtime
    kind: str
    message: str


class EmptyNamespace:
    """A namespace that knows nothing (for `--no-context` and tests)."""

    def has(self, name: str) -> bool:
        return False

    def attribute_names(self, name: str) -> list[str] | None:
        return None

    def column_names(self, name: str) -> list[str] | None:
        return None

    def frame_labels(self, name: str) -> list[str] | None:
        return None

    def member_kinds(self, name: str, path: tuple[str, ...]) -> dict[str, str] | None:
        return None

    def call_keywords(self, name: str, path: tuple[str, ...]) -> CallKeywords | None:
        return None

    def holds_literal(self, name: str, value: ast.expr) -> bool:
        return False
