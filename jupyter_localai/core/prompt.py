"""Prompt building: the notebook's context laid out for prefix reuse, fitted to a token budget.

Layout decides speed on a CPU (DESIGN.md, "Where the time goes"): llama.cpp reuses the
processed prefix that a prompt shares with the previous one, so stable material comes first
(the system prompt, identical for every task, then older cells in a fixed order) and volatile
material last (variables as they stand now, the error, the request). The oldest cells are
dropped in fixed blocks rather than one at a time, so the start of the prompt stays put as a
notebook grows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import defaults
from .context import CellRecord, ErrorInfo, NotebookContext, VariableSummary
from .errors import ContextOverflowError
from .redact import redact_context

SYSTEM_PROMPT = (
    "You are a Python coding assistant inside a Jupyter notebook. You can see the notebook's "
    "earlier cells and its live variables. Code you write runs in this same notebook, after "
    "those cells: use the existing variables and imports as they are, never create sample "
    "data or redefine a variable that already exists, import what you use that is not "
    "imported yet, and assign results to the names the user asks for. Put code in a single "
    "```python block. Keep explanations short."
)

# Cells are dropped from the start in blocks of this many, so the prompt's prefix only moves
# when a whole block goes (every few cells), not with every new cell.
CELL_DROP_BLOCK = 8
# The part of the context budget kept for what is picked per question (1/QUESTION_SHARE).
# Every token of it is evaluated afresh for each question (~5 ms per token on a 2-core CPU
# with the 0.5B model), while the stable part before it is usually cached.
QUESTION_SHARE = 8
# Older cells that define the variables in use (`NotebookContext.defining_cells`) take at
# most this many tokens of the stable part; their budget is fixed whenever there are any,
# so the recent cells' window does not move with them.
DEFINING_MAX_TOKENS = 360
CELL_SOURCE_CHARS = 1200
CELL_OUTPUT_CHARS = 240
# An older cell picked for the question shows its output only when it is one short line
# (at most this many characters): the question's part is evaluated afresh for every
# question, and a table of numbers costs a token per digit; the cell's source says what it
# did, the live variables what it left.
RELATED_OUTPUT_CHARS = 40
# ... and the older cells picked for a question take at most this many (estimated) tokens:
# on a 2-core CPU each costs ~5 ms of every question's first token.
RELATED_MAX_TOKENS = 120
TRACEBACK_CHARS = 1200


def estimate_tokens(text: str) -> int:
    """A safe upper estimate of the token count (Qwen-style BPE averages ~3.5-4 bytes/token
    on code and English; 3 keeps the budget on the safe side without the tokenizer)."""
    return len(text.encode("utf-8")) // 3 + 1


@dataclass
class PromptBudget:
    """How many tokens the prompt may use: the context window minus the answer, capped."""

    n_ctx: int
    max_tokens: int
    context_tokens: int = defaults.CONTEXT_TOKENS
    # Chat template tokens and estimate error.
    reserve: int = 64

    @property
    def prompt_tokens(self) -> int:
        return self.n_ctx - self.max_tokens - self.reserve


def _format_cell(cell: CellRecord, *, brief: bool = False) -> str:
    """A cell as the prompt shows it; `brief`: its output only if one short line."""
    source = cell.source if len(cell.source) <= CELL_SOURCE_CHARS else (
        cell.source[:CELL_SOURCE_CHARS] + "\n# ... (cell truncated)")
    parts = [f"# In[{cell.number}]:\n{source.rstrip()}"]
    if cell.error:
        limit = RELATED_OUTPUT_CHARS if brief else CELL_OUTPUT_CHARS
        parts.append(f"# Error: {_one_line(cell.error, limit)}")
    elif brief:
        output = cell.output.strip()
        if output and "\n" not in output and len(output) <= RELATED_OUTPUT_CHARS:
            parts.append(f"# Out: {output}")
    elif cell.output:
        output = cell.output if len(cell.output) <= CELL_OUTPUT_CHARS else (
            cell.output[:CELL_OUTPUT_CHARS] + " ...")
        parts.append("# Out: " + output.replace("\n", "\n#      "))
    return "\n".join(parts)


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + " ..."


def _fit_cells(cells: list[CellRecord], budget: int) -> list[str]:
    """Newest cells win; the oldest are dropped in fixed blocks to keep the prefix stable."""
    formatted = [_format_cell(cell) for cell in cells]
    costs = [estimate_tokens(text) + 1 for text in formatted]
    start = 0
    while start < len(formatted) and sum(costs[start:]) > budget:
        start = min(len(formatted), (start // CELL_DROP_BLOCK + 1) * CELL_DROP_BLOCK)
    if start >= len(formatted):  # even the newest block is too big: keep what fits, newest last
        kept: list[str] = []
        total = 0
        for text, cost in zip(reversed(formatted), reversed(costs)):
            if total + cost > budget:
                break
            kept.insert(0, text)
            total += cost
        return kept
    return formatted[start:]


def _fit_variables(variables: list[VariableSummary], budget: int) -> list[str]:
    """The most relevant variables that fit, listed by name. Neither the choice (relevance
    without the question, ties by name) nor the order depends on the question, so the
    variable block is the same for every question until a cell runs."""
    ranked = sorted(variables, key=lambda variable: (-variable.relevance, variable.name))
    kept: list[tuple[str, str]] = []
    total = 0
    for variable in ranked:
        line = _variable_line(variable)
        cost = estimate_tokens(line) + 1
        if total + cost > budget:
            continue
        kept.append((variable.name, line))
        total += cost
    return [line for _, line in sorted(kept)]


def _variable_line(variable: VariableSummary) -> str:
    return f"- {variable.name}: {variable.summary}"


# A numeric array's or Series' sample values, as the kernel's summary ends its line.
_NUMBER_SAMPLE = re.compile(r"; first: \[[-+0-9.,eE\s]*\]$", re.MULTILINE)


def _named_line(variable: VariableSummary) -> str:
    """A variable the request names, in the question's part: as in the list, less a
    numeric sample (a token per digit, afresh for every question; its dtype and shape
    are what code needs)."""
    return _NUMBER_SAMPLE.sub("", _variable_line(variable))


def _fit_lines(lines: list[str], budget: int) -> list[str]:
    """The leading lines that fit in `budget` tokens."""
    kept: list[str] = []
    total = 0
    for line in lines:
        cost = estimate_tokens(line) + 1
        if total + cost > budget:
            break
        kept.append(line)
        total += cost
    return kept


_FRAME_START = re.compile(r'^\s*File "([^"]*)", line \d+')
_LIBRARY_PATH = re.compile(r"(site-packages|dist-packages|[\\/]lib[\\/]python\d)")


_SHORT_LIBRARY_PATH = re.compile(r'File "[^"]*(?:site-packages|dist-packages)[\\/]([^"]*)')


def user_frames(traceback_text: str) -> str:
    """The traceback's frames in the user's cells and files, without library internals.

    A library's frames say where pandas raised, not what the user got wrong, and cost the
    small model tokens and attention; the innermost frame is kept for orientation, with
    its path shortened to the package (no machine paths in prompts).
    """
    frames: list[list[str]] = []
    for line in traceback_text.strip().splitlines():
        if line.startswith("Traceback (most recent call last)"):
            continue
        if _FRAME_START.match(line) or not frames:
            frames.append([line])
        else:
            frames[-1].append(line)
    if len(frames) <= 2:
        return "\n".join(line for frame in frames for line in frame)
    *calls, last = frames
    kept = [frame for frame in calls if not _LIBRARY_PATH.search(frame[0])]
    lines = [line for frame in [*kept, last] for line in frame]
    return "\n".join(_SHORT_LIBRARY_PATH.sub(r'File "\1', line) for line in lines)


def format_error(error: ErrorInfo) -> str:
    """The failure as Python would describe it, plus the hints 3.12 prints and 3.11 omits."""
    lines = [f"{error.exc_type}: {error.message}".rstrip(": ")]
    if error.traceback:
        tail = user_frames(error.traceback)[-TRACEBACK_CHARS:]
        lines.append("Traceback (most recent call last, abridged):\n" + tail.strip())
    for suggestion in error.suggestions:
        lines.append(f"Python's hint: {suggestion}")
    for hint in error.hints:
        lines.append(f"Hint: {hint}")
    if error.signatures:
        lines.append("Signatures of the functions called on the failing line (as installed):")
        lines.extend(f"- {signature}" for signature in error.signatures)
    return "\n".join(lines)


def context_section(context: NotebookContext, budget: PromptBudget, reserved_for_task: int) -> str:
    """The whole context as one text: the stable part, then the question's part."""
    stable, question = context_parts(context, budget, reserved_for_task)
    return "\n\n".join(part for part in (stable, question) if part)


def context_parts(
    context: NotebookContext, budget: PromptBudget, reserved_for_task: int
) -> tuple[str, str]:
    """Stable material first, volatile last, within the budget: (stable, question's part).

    The stable part (recent cells, imports, variables) changes only when a cell runs, and
    its budget does not depend on the question; a fixed share is kept for the part picked
    for this question (variables it names that had no room above, older cells that define
    or use them), which comes last, just before the request.
    """
    available = min(budget.context_tokens, budget.prompt_tokens - reserved_for_task)
    available -= estimate_tokens(SYSTEM_PROMPT)
    if available <= 0:
        return "", ""
    question_budget = available // QUESTION_SHARE
    stable = available - question_budget
    variable_budget = min(stable // 3, 600)
    variable_lines = _fit_variables(context.variables, variable_budget)
    imports_line = ", ".join(context.imports)
    defining_budget = min(stable // 5, DEFINING_MAX_TOKENS) if context.defining_cells else 0
    defining_texts = _fit_lines([_format_cell(cell) for cell in context.defining_cells],
                                defining_budget)
    # The cells' budget does not depend on how much the variables use: when a cell run
    # changes the variables, the cells (the prompt's start) must not change with them.
    cell_texts = _fit_cells(
        context.cells,
        stable - variable_budget - defining_budget - estimate_tokens(imports_line) - 24)
    listed = set(variable_lines)
    named = [_named_line(v) for v in context.variables
             if v.mentioned and _variable_line(v) not in listed]
    named_lines = _fit_lines(named, question_budget // 2)
    related_budget = min(
        RELATED_MAX_TOKENS,
        question_budget - sum(estimate_tokens(line) + 1 for line in named_lines))
    related_texts = _fit_lines(
        [_format_cell(cell, brief=True) for cell in context.related_cells], related_budget)
    sections = []
    if cell_texts:
        sections.append("Notebook cells so far (oldest first):\n" + "\n\n".join(cell_texts))
    if imports_line:
        sections.append(f"Imported modules: {imports_line}")
    if defining_texts:
        sections.append("Older cells that define variables used above:\n"
                        + "\n\n".join(defining_texts))
    if variable_lines:
        sections.append("Live variables now:\n" + "\n".join(variable_lines))
    extra = []
    if named_lines:
        extra.append("Variables the request names:\n" + "\n".join(named_lines))
    if related_texts:
        extra.append("Earlier cells related to the request:\n" + "\n\n".join(related_texts))
    return "\n\n".join(sections), "\n\n".join(extra)


# The assistant's side of the context turn. The notebook is its own user turn, answered,
# before the request: a small model shown notebook and request in one turn tends to
# answer by writing the notebook back (its cells, even the "Live variables" lines).
CONTEXT_ACK = "I have read the notebook. What should I do?"


def _context_turn(stable: str) -> list[dict[str, str]]:
    if not stable:
        return []
    return [
        {"role": "user", "content": f"Here is my notebook.\n\n{stable}"},
        {"role": "assistant", "content": CONTEXT_ACK},
    ]


def build_messages(
    task_text: str,
    context: NotebookContext | None,
    budget: PromptBudget,
    history: list[dict[str, str]] | None = None,
) -> list[dict[str, str]]:
    """Chat messages for one request: system, the notebook turn (stable context and an
    acknowledgement), any history, then the question's context and the task.

    Raises ContextOverflowError when the task text alone cannot fit the window.
    """
    task_cost = estimate_tokens(task_text)
    history = list(history or [])
    history_cost = sum(estimate_tokens(m["content"]) + 4 for m in history)
    if task_cost + estimate_tokens(SYSTEM_PROMPT) > budget.prompt_tokens:
        raise ContextOverflowError(
            f"The request is about {task_cost} tokens, more than the model's context of "
            f"{budget.n_ctx} tokens leaves room for (with {budget.max_tokens} for the answer). "
            "Shorten the request or lower --max-tokens."
        )
    while history and task_cost + history_cost > budget.prompt_tokens // 2:
        history_cost -= estimate_tokens(history[0]["content"]) + 4
        history.pop(0)
    stable, question = "", ""
    if context is not None:
        stable, question = context_parts(context, budget, task_cost + history_cost + 8)
    # The notebook opens the conversation, so every request on it shares that prefix;
    # what this question picked from it goes with the question, last.
    ask = f"{question}\n\n{task_text}" if question else task_text
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *_context_turn(stable),
        *history,
        {"role": "user", "content": ask},
    ]


def prefill_messages(context: NotebookContext, budget: PromptBudget) -> list[dict[str, str]]:
    """How every single-turn request on `context` begins: the system prompt, the notebook
    turn and its answer, then the request's user turn left empty and unfinished (the worker
    cuts the chat template there). Evaluating these ahead of time warms exactly the prefix
    a later request reuses.
    """
    # Redacted as `tasks.run_task` redacts a request's context, so the prefix is the same.
    stable, _ = context_parts(redact_context(context), budget, 8)
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        *_context_turn(stable),
        {"role": "user", "content": ""},
    ]
