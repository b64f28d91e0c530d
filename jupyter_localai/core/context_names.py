"""The names a notebook's context knows, for a face that has the context but no kernel.

The server checks the side panel's answers against the context alone. When the panel could
not read the kernel (the read timed out, or the kernel lacks the extension), the context
has the document's cells but no variables and no error suggestions. Then every name the
cells bind looked undefined to the checks, and a NameError came without Python's "Did you
mean", so the fix prompt lacked the hint and the quick fix (`core/quickfix.py`) had
nothing to apply. The cells' own assignments stand in for what the kernel would have said.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from .checks import top_level_targets
from .context import NotebookContext
from .name_match import closest_names
from .quickfix import WRONG_NAME


def cell_bound_names(context: NotebookContext) -> set[str]:
    """The names the context's cells bind at the top level (imports included)."""
    names: set[str] = set()
    for cell in context.cells:
        try:
            names |= top_level_targets(ast.parse(cell.source))
        except SyntaxError:  # a cell with shell lines or magics: its names are not read
            continue
    return names


def checkable_names(context: NotebookContext) -> set[str]:
    """The names the checks treat as defined: the kernel's variables when the context has
    them (the truth), else what the cells bind, so a kernel that could not be read does not
    turn every notebook variable into an "undefined name"."""
    if context.variables:
        return {variable.name for variable in context.variables}
    return cell_bound_names(context)


def with_name_suggestion(context: NotebookContext | None) -> NotebookContext | None:
    """`context` with Python's "Did you mean" added to a NameError that has none, when a
    name the variables or cells bind is close enough (the kernel's cutoff); else as it is."""
    error = context.last_error if context is not None else None
    if context is None or error is None or error.suggestions:
        return context
    if error.exc_type not in ("NameError", "UnboundLocalError"):
        return context
    match = WRONG_NAME.search(error.message)
    if match is None:
        return context
    wrong = match.group(1)
    known = {variable.name for variable in context.variables} | cell_bound_names(context)
    close = closest_names(wrong, sorted(known - {wrong}), n=1, cutoff=0.6)
    if not close:
        return context
    hinted = replace(error, suggestions=[f"Did you mean: {close[0]!r}?"])
    return replace(context, last_error=hinted)
