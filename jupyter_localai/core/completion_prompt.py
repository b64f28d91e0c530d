"""The inline completion prompt: the notebook as a Python file, then the cell being edited.

A completion is asked at every keystroke, so almost all of its prompt must already sit in
the model's cache. The prompt is split in two:

- `completion_context(context)`: the stable part, the earlier cells rendered as Python
  (`# In[n]:` headers, outputs as comments, as `core.prompt` renders them for chat), the
  kernel's variable summaries as comments, then the header of the cell being edited. It
  depends only on the notebook's context (which changes when a cell runs), never on what
  the user types, so it is byte-stable while they type and is prefilled once per cell run;
  the question-dependent parts of a context (`related_cells`, `mentioned`) are ignored.
- the cell's text before the cursor (`prefix`) and after it (`suffix`), which the engine
  puts around its fill-in-the-middle tokens.

Everything is redacted exactly as the chat prompt is (`core.redact`), before it is cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import defaults
from .context import NotebookContext
from .prompt import _fit_cells, _fit_variables
from .redact import redact, redact_context

# The header of the cell being edited, in the form nbconvert's Python export gives a cell
# that has not run. The model sees earlier cells as `# In[n]:`; a completion that starts a
# header of its own is inventing the next cell, so the engine stops there.
CURRENT_CELL_HEADER = "# In[ ]:\n"
CELL_HEADER_STOP = "\n# In["
# No word here that code could use: "(name: summary)" made the 0.5B suggest `.summary()`.
VARIABLES_HEADER = "# Variables in the kernel now:"
# Share of the context budget the variable summaries may take (the rest is cells).
VARIABLE_SHARE = 3
# What of the cell being edited is sent: the end of its prefix, the start of its suffix.
PREFIX_CHARS = 4000
SUFFIX_CHARS = 1000


@dataclass(frozen=True)
class CompletionPrompt:
    """What the engine completes: `context + prefix` before the cursor, `suffix` after it."""

    context: str
    prefix: str
    suffix: str
    stop: list[str] = field(default_factory=lambda: [CELL_HEADER_STOP])


def _comment_block(line: str) -> list[str]:
    """A variable line (`- df: DataFrame, ...` plus continuation lines) as comments."""
    first, *rest = line.splitlines() or [""]
    return [f"# {first}".rstrip(), *(f"#   {more}".rstrip() for more in rest)]


def completion_context(
    context: NotebookContext | None,
    context_tokens: int = defaults.COMPLETION_CONTEXT_TOKENS,
    *,
    with_variables: bool = True,
) -> str:
    """The stable part of every completion prompt on `context`, ending where the cell
    being edited begins.

    Earlier cells come first (oldest first, dropped in blocks from the start as the chat
    prompt drops them), then the variables: the names the user is about to type sit next
    to the cursor. `with_variables=False` leaves the variables out (the quality benchmark's
    baseline). The result ends with a newline, so the cell's text starts a new line.
    """
    if context is None or context_tokens <= 0:
        return CURRENT_CELL_HEADER
    safe = redact_context(context)
    variable_budget = context_tokens // VARIABLE_SHARE if with_variables else 0
    variable_lines = _fit_variables(safe.variables, variable_budget) if variable_budget else []
    cell_budget = context_tokens - variable_budget
    cells = _fit_cells(safe.cells, cell_budget)
    parts = [cell.rstrip("\n") for cell in cells]
    if variable_lines:
        comments = [VARIABLES_HEADER]
        for line in variable_lines:
            comments.extend(_comment_block(line))
        parts.append("\n".join(comments))
    body = "\n\n\n".join(parts)
    return f"{body}\n\n\n{CURRENT_CELL_HEADER}" if body else CURRENT_CELL_HEADER


def completion_prompt(
    context: NotebookContext | None,
    prefix: str,
    suffix: str,
    context_tokens: int = defaults.COMPLETION_CONTEXT_TOKENS,
    *,
    with_variables: bool = True,
) -> CompletionPrompt:
    """The whole prompt for a cursor between `prefix` and `suffix` in a new cell."""
    return CompletionPrompt(
        context=completion_context(context, context_tokens, with_variables=with_variables),
        prefix=cell_prefix(prefix),
        suffix=cell_suffix(suffix),
    )


def cell_prefix(prefix: str) -> str:
    """The cell's text before the cursor, redacted, its end kept (that is where the cursor
    is). Redacted before it is cut, so a key cut in half is still hidden."""
    text = redact(prefix)
    return text[-PREFIX_CHARS:] if len(text) > PREFIX_CHARS else text


def cell_suffix(suffix: str) -> str:
    """The cell's text after the cursor, redacted, its start kept."""
    text = redact(suffix)
    return text[:SUFFIX_CHARS] if len(text) > SUFFIX_CHARS else text
