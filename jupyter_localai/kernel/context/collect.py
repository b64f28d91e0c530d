"""Collecting what the kernel knows for one request: cells, variables, the last error.

Relevance decides what is kept and in which order: variables the request names come first,
then those the failing cell reads, then those the recent cells use, then the rest. Cells are
the most recent ones (a window that starts on a block boundary, so the prompt's prefix stays
put as cells run) plus, kept apart, older cells that define or use the names the request
mentions: those depend on the question, so the prompt places them late. Everything is bounded and redacted here, so the
prompt builder (core/prompt.py) only has to fit it to its token budget.

`context_json` is what the side panel runs silently in the kernel; it prints one line of JSON
and leaves the namespace and the history as they were.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from ...config import LocalAI
from ...core.context import CellRecord, ErrorInfo, NotebookContext
from ...core.prompt import CELL_DROP_BLOCK, DEFINING_MAX_TOKENS, estimate_tokens
from ..fix.suggest import names_assigned, names_read
from .history import (
    HistoryRecorder,
    cell_numbers,
    cell_record,
    cell_sources,
    find_recorder,
    last_error,
)
from .redact import namespace_redactor
from .summaries import list_imports, summarize_namespace, user_variables

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
RECENT_WINDOW = 10  # cells whose names count as "recently used"


def _settings(shell: Any, settings: LocalAI | None) -> LocalAI | None:
    """The LocalAI settings given, or those the extension registered on the shell."""
    if settings is not None:
        return settings
    for configurable in getattr(shell, "configurables", []):
        if isinstance(configurable, LocalAI):
            return configurable
    return None


def mentioned_names(text: str, names: set[str]) -> set[str]:
    """Which of `names` the text mentions as words (`df`, `sales_2023`)."""
    return set(_IDENTIFIER.findall(text)) & names


def variable_relevance(
    variables: set[str],
    request_text: str,
    error: ErrorInfo | None,
    recent_sources: list[str],
) -> dict[str, float]:
    """Scores in [0, 1]: named by the request 1.0, read by the failing cell 0.9, used by a
    recent cell 0.3-0.7 (newer is higher), anything else 0.1."""
    scores = dict.fromkeys(variables, 0.1)
    for age, source in enumerate(reversed(recent_sources)):
        score = 0.3 + 0.4 * (1 - age / max(len(recent_sources), 1))
        for name in mentioned_names(source, variables):
            scores[name] = max(scores[name], score)
    if error is not None:
        for name in names_read(error.source) & variables:
            scores[name] = max(scores[name], 0.9)
    for name in mentioned_names(request_text, variables):
        scores[name] = 1.0
    return {name: round(score, 3) for name, score in scores.items()}


def recent_window(numbers: list[int], max_cells: int) -> list[int]:
    """The newest cells, at least `max_cells` of them, starting on a block boundary.

    A window that slid by one cell per new cell would change the prompt's first cell (and so
    its whole prefix) every time a cell runs; starting at a multiple of CELL_DROP_BLOCK keeps
    the start put until a whole block has been added.
    """
    if max_cells <= 0:
        return []
    start = max(0, len(numbers) - max_cells)
    return numbers[(start // CELL_DROP_BLOCK) * CELL_DROP_BLOCK:]


def related_older_cells(
    sources: list[str], older: list[int], wanted: set[str], max_related_cells: int,
) -> list[int]:  # fmt: skip
    """Cells before the window that define or use `wanted` names (newest first, up to
    `max_related_cells`), in notebook order. The failing cell is not among them: a fix
    (and an explanation) carries its cell in the request itself."""
    chosen: set[int] = set()
    for number in reversed(older):
        if len(chosen) >= max_related_cells or not wanted:
            break
        source = sources[number]
        if wanted & set(_IDENTIFIER.findall(source)) and (
            wanted & names_assigned(source) or wanted & names_read(source)
        ):
            chosen.add(number)
    return sorted(chosen)


def defining_older_cells(
    sources: list[str], older: list[int], names: list[str], max_tokens: int,
) -> list[int]:  # fmt: skip
    """For each of `names` (most relevant first), the newest cell before the window that
    assigns it, while they fit in `max_tokens` (the prompt's estimate), in notebook order.

    Chosen without the question, they belong in the stable part of the prompt: a question
    about one of these variables then finds its definition already evaluated.
    """
    chosen: list[int] = []
    total = 0
    for name in names:
        number = next((n for n in reversed(older) if name in names_assigned(sources[n])), None)
        if number is None or number in chosen:
            continue
        cost = estimate_tokens(sources[number]) + 8  # the cell's `# In[n]:` header
        if total + cost > max_tokens:
            continue
        chosen.append(number)
        total += cost
    return sorted(chosen)


def collect_context(
    shell: Any,
    request_text: str = "",
    *,
    settings: LocalAI | None = None,
    recorder: HistoryRecorder | None = None,
    max_cells: int = 12,
    max_related_cells: int = 2,
    max_chars_per_cell: int = 2000,
    max_output_chars: int = 500,
    max_variables: int = 100,
    total_time: float = 0.5,
) -> NotebookContext:
    """Everything the prompt may draw on for `request_text`, ranked, bounded and redacted.

    Per-variable limits come from `settings` (`summary_time_limit`, `summary_max_chars`),
    else from the LocalAI settings the extension registered, else the defaults.
    """
    settings = _settings(shell, settings)
    time_limit = settings.summary_time_limit if settings is not None else 0.1
    max_chars = settings.summary_max_chars if settings is not None else 600
    user_ns = shell.user_ns
    hidden = getattr(shell, "user_ns_hidden", None)
    user_module = getattr(getattr(shell, "user_module", None), "__name__", "__main__")
    recorder = recorder or find_recorder(shell)
    redactor = namespace_redactor(user_ns)

    error = last_error(shell, recorder=recorder, redactor=redactor)
    sources = cell_sources(shell)
    numbers = cell_numbers(shell)
    variables = {name for name, _ in user_variables(user_ns, hidden)}
    recent = [sources[n] for n in numbers[-RECENT_WINDOW:]]
    standing = variable_relevance(variables, "", error, recent)  # without the question

    wanted = mentioned_names(request_text, variables)
    # Named by the request: summarised first (within the time budget) and flagged.
    relevance = {**standing, **dict.fromkeys(wanted, 1.0)}
    window = recent_window(numbers, max_cells)
    older = numbers[: len(numbers) - len(window)]
    in_use = sorted((name for name, score in standing.items() if score >= 0.3),
                    key=lambda name: (-standing[name], name))
    defining = defining_older_cells(sources, older, in_use, DEFINING_MAX_TOKENS)
    # A name whose defining cell is already in the stable part needs no related cell.
    defined = set().union(*(names_assigned(sources[n]) for n in defining)) if defining else set()
    related = related_older_cells(sources, [n for n in older if n not in defining],
                                  wanted - defined, max_related_cells)

    def record(number: int) -> CellRecord:
        return cell_record(
            shell,
            number,
            max_chars_per_cell=max_chars_per_cell,
            max_output_chars=max_output_chars,
            recorder=recorder,
            redactor=redactor,
        )

    summaries = summarize_namespace(
        user_ns,
        hidden=hidden,
        relevance=relevance,
        user_module=user_module,
        time_limit=time_limit,
        max_chars=max_chars,
        total_time=total_time,
        max_variables=max_variables,
        redactor=redactor,
    )
    for summary in summaries:
        summary.relevance = standing.get(summary.name, summary.relevance)
        summary.mentioned = summary.name in wanted
    imports = list_imports(user_ns, hidden=hidden, user_module=user_module)
    return NotebookContext(
        cells=[record(n) for n in window],
        variables=summaries,
        last_error=error,
        imports=imports,
        related_cells=[record(n) for n in related],
        defining_cells=[record(n) for n in defining],
    )


def context_json(shell: Any, request_text: str = "") -> None:
    """Print the collected context as one line of JSON (the side panel's silent call).

    IPython 9 tees stdout into the history of the next cell; writing through the stream's
    class method skips that tee, so the JSON never shows up as a cell's output.
    """
    line = json.dumps(collect_context(shell, request_text).to_json(), ensure_ascii=False)
    stream = sys.stdout
    type(stream).write(stream, line + "\n")
    stream.flush()
