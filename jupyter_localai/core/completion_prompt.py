"""The inline completion prompt: the notebook as a Python file, then the cell being edited.

A completion is asked at every keystroke, so almost all of its prompt must already sit in
the model's cache. The prompt is split in two:

- `completion_context(context)`: the stable part, the earlier cells rendered as Python
  (`# In[n]:` headers, outputs as comments, as `core.prompt` renders them for chat), then
  the header of the cell being edited. It depends only on the notebook's context (which
  changes when a cell runs), never on what the user types, so it is byte-stable while they
  type and is prefilled once per cell run; the question-dependent parts of a context
  (`related_cells`, `mentioned`) are ignored.
- the cell's text before the cursor (`prefix`) and after it (`suffix`), which the engine
  puts around its fill-in-the-middle tokens. The prefix starts with one comment line per
  live variable the cell names (`variable_hints`): a DataFrame's quoted column names, an
  object's type and shape, in the form a code file would note them. Only the variables the
  cell refers to, right above the cursor: a header listing every variable's summary at the
  top of the context measured worse than no variables at all (the 0.5B copied words from
  it where the line asked for something else, `benchmarks/results/complete_quality.md`).
  The hints change only when the cell names another variable, so a keystroke still costs
  its own few tokens.

The live DataFrames' columns also travel with the request (`keys`, `completion_keys.py`):
the worker keeps a string key the suggestion writes after `frame[` to one of them.

Everything is redacted exactly as the chat prompt is (`core.redact`), before it is cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import defaults
from .completion_keys import live_keys, rebound_names
from .context import NotebookContext, VariableSummary
from .prompt import _fit_cells
from .redact import redact, redact_context

# The header of the cell being edited, in the form nbconvert's Python export gives a cell
# that has not run. The model sees earlier cells as `# In[n]:`; a completion that starts a
# header of its own is inventing the next cell, so the engine stops there.
CURRENT_CELL_HEADER = "# In[ ]:\n"
CELL_HEADER_STOP = "\n# In["
# What of the cell being edited is sent: the end of its prefix, the start of its suffix.
PREFIX_CHARS = 4000
SUFFIX_CHARS = 1000
# Variables named by the cell that get a hint line, and the most characters of one line.
MAX_HINTS = 4
# DataFrames hinted when the cell names no live variable (a fresh `x = ` line). None by
# default: such a line usually builds something new, and on pandas-cookbook a hinted frame
# pulled those lines to it (`df = ` became `fixed_df[...]`; benchmarks/README.md).
UNNAMED_HINTS = 0
# The types of the variables that get a hint line (None: every type). DataFrames only: a
# frame's line carries what the code above may not show (the columns of a frame read from
# a file), while a Series' or a GroupBy's mostly repeats that code and gives a small model
# words to copy (on pydata-book, `data.` went on `index: Series, 9 values, ...`). Chosen by
# a rule written before the run (pandas-cookbook, not lower on similarity or exact match
# than every type); see benchmarks/README.md.
HINT_TYPES: tuple[str, ...] | None = ("DataFrame",)
HINT_CHARS = 300
_NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")
# Where a summary's sample values or a callable's docstring begin: a hint keeps the
# structure, not data or prose to copy (the 0.5B wrote a function's docstring after its call).
_VALUES = re.compile(r"; first:|: [\[{(]|  # ")
_COLUMN = re.compile(r"([^,()]+?) \(([^()]*)\)")


@dataclass(frozen=True)
class CompletionPrompt:
    """What the engine completes: `context + prefix` before the cursor, `suffix` after it;
    `keys`: the live frames' columns its decoding keeps string subscripts to."""

    context: str
    prefix: str
    suffix: str
    stop: list[str] = field(default_factory=lambda: [CELL_HEADER_STOP])
    keys: dict[str, list[str]] = field(default_factory=dict)


def completion_context(
    context: NotebookContext | None,
    context_tokens: int = defaults.COMPLETION_CONTEXT_TOKENS,
) -> str:
    """The stable part of every completion prompt on `context`, ending where the cell
    being edited begins: the earlier cells, oldest first, dropped in blocks from the start
    as the chat prompt drops them. The variables are not here but next to the cursor
    (`variable_hints`). The result ends with a newline, so the cell's text starts a new
    line."""
    if context is None or context_tokens <= 0:
        return CURRENT_CELL_HEADER
    cells = _fit_cells(redact_context(context).cells, context_tokens)
    body = "\n\n\n".join(cell.rstrip("\n") for cell in cells)
    return f"{body}\n\n\n{CURRENT_CELL_HEADER}" if body else CURRENT_CELL_HEADER


def completion_prompt(
    context: NotebookContext | None,
    prefix: str,
    suffix: str,
    context_tokens: int = defaults.COMPLETION_CONTEXT_TOKENS,
    *,
    with_variables: bool = True,
    unnamed_hints: int = UNNAMED_HINTS,
    hint_types: tuple[str, ...] | None = HINT_TYPES,
) -> CompletionPrompt:
    """The whole prompt for a cursor between `prefix` and `suffix` in a new cell;
    `with_variables=False` leaves out the variable hints and the keys (the quality
    benchmark's baseline: the same prompt otherwise)."""
    hints = (variable_hints(context, prefix, suffix, unnamed_hints, hint_types)
             if with_variables else "")
    return CompletionPrompt(
        context=completion_context(context, context_tokens),
        prefix=hints + cell_prefix(prefix),
        suffix=cell_suffix(suffix),
        keys=live_keys(context, prefix) if with_variables else {},
    )


def variable_hints(
    context: NotebookContext | None, prefix: str, suffix: str,
    unnamed_hints: int = UNNAMED_HINTS,
    hint_types: tuple[str, ...] | None = HINT_TYPES,
) -> str:
    """A comment line per live variable the cell names (first named first, at most
    `MAX_HINTS`), redacted; when it names none, the first `unnamed_hints` DataFrames of the
    context (most relevant, then newest, as the kernel orders them)."""
    if context is None or not context.variables:
        return ""
    live = {variable.name: variable for variable in redact_context(context).variables}
    for name in rebound_names(prefix):  # the live object of that name is an older one
        live.pop(name, None)
    order = list(live.values())
    named: list[VariableSummary] = []
    for match in _NAME.finditer(f"{prefix}\n{suffix}"):
        variable = live.pop(match.group(1), None)
        if variable is not None and (hint_types is None or variable.type_name in hint_types):
            named.append(variable)
            if len(named) >= MAX_HINTS:
                break
    if not named:
        named = [v for v in order if v.type_name == "DataFrame"][:unnamed_hints]
    return "".join(hint_line(variable) + "\n" for variable in named)


def hint_line(variable: VariableSummary) -> str:
    """One variable as a code comment: its type and shape, a table's quoted column names
    (what `df["` completes from); no sample values (the model copied them into code)."""
    first, *rest = variable.summary.splitlines() or [variable.type_name]
    cut = _VALUES.search(first)
    first = first[: cut.start()] if cut else first
    if not first.startswith(variable.type_name):
        first = f"{variable.type_name} {first}"
    columns = next((line.split(":", 1)[1] for line in rest if line.startswith("columns")), "")
    index = next((line[len("index: "):] for line in rest if line.startswith("index: ")), "")
    if index:
        first += f", index {index}"  # a DatetimeIndex is what `df.index.` and `resample` need
    listed = _COLUMN.findall(columns)
    if listed:
        first += ": " + ", ".join(f"{name.strip()!r} ({kind})" for name, kind in listed)
    line = f"# {variable.name}: {first}"
    return line if len(line) <= HINT_CHARS else line[: HINT_CHARS - 3] + "..."


def cell_prefix(prefix: str) -> str:
    """The cell's text before the cursor, redacted, its end kept (that is where the cursor
    is). Redacted before it is cut, so a key cut in half is still hidden."""
    text = redact(prefix)
    return text[-PREFIX_CHARS:] if len(text) > PREFIX_CHARS else text


def cell_suffix(suffix: str) -> str:
    """The cell's text after the cursor, redacted, its start kept."""
    text = redact(suffix)
    return text[:SUFFIX_CHARS] if len(text) > SUFFIX_CHARS else text
