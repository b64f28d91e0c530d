"""The live DataFrames' columns an inline suggestion may subscript: the completion's `keys`.

Hint lines alone hardly move a small model (measured, `benchmarks/results/complete_quality.md`):
the 0.5B writes `df["` and then a column it invents. So the request carries, per live
DataFrame, its real column names, and the worker's decoding (`worker/key_guide.py`) keeps
a string key it writes after `frame[` to one of them. Only frames whose summary lists every
column (`summary_namespace.frame_columns`) are sent: a cut list would force a wrong choice.
Names the cell rebinds are left out (the live object of that name is the old one).
"""

from __future__ import annotations

import re

from .context import NotebookContext
from .redact import redact_context
from .summary_namespace import frame_columns

# At most this many frames, and columns of one frame (the summary lists at most 20 anyway).
MAX_FRAMES = 16
MAX_COLUMNS = 64
# Names the cell binds itself (`x = ...`, `for x in`, `import ... as x`).
_BOUND = re.compile(r"(?m)^\s*([A-Za-z_]\w*)\s*=(?!=)|\bfor\s+([A-Za-z_]\w*)|\bas\s+([A-Za-z_]\w*)")


def bound_names(text: str) -> set[str]:
    """The names `text` binds (an assignment at a line's start, a loop, an alias)."""
    return {next(name for name in match.groups() if name) for match in _BOUND.finditer(text)}


def rebound_names(prefix: str) -> set[str]:
    """The names the cell binds before the line being written: there the live object of
    that name is an older one. The line itself may still read it (`df = df[`)."""
    return bound_names(prefix[: prefix.rfind("\n") + 1])


def live_keys(context: NotebookContext | None, prefix: str) -> dict[str, list[str]]:
    """{frame name: its column names} for the live DataFrames whose every column is known,
    most relevant first, redacted as the prompt is; the names `prefix` rebinds left out."""
    if context is None or not context.variables:
        return {}
    bound = rebound_names(prefix)
    variables = sorted(redact_context(context).variables, key=lambda v: -v.relevance)
    keys: dict[str, list[str]] = {}
    for variable in variables:
        if variable.name in bound:
            continue
        read = frame_columns(variable)
        columns = [c for c in read[0] if c] if read is not None else []
        if columns:
            keys[variable.name] = columns[:MAX_COLUMNS]
            if len(keys) >= MAX_FRAMES:
                break
    return keys
