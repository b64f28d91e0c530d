"""The four tasks (generate, explain, fix, chat): prompt, stream, parse, check, retry.

`run_task` is the one function every face calls (magics, server, panel), so checks and
retries behave the same wherever the user asks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from .block_checks import blocks_feedback, check_blocks
from .candidates import IssuesOf, checked_issues, first_passing
from .check_types import CheckIssue, EmptyNamespace, NamespaceView
from .checks import ContextNamespace, asked_names, cell_targets, check_code
from .context import NotebookContext
from .context_names import checkable_names
from .engine import Engine, Generation, GenerationRequest
from .rehearsal_fixes import FailureOf, exact_fix, quick_fix, rehearsal_fix, rewritten_reply
from .repairs import (
    Repair,
    repaired,
    with_asked_column,
    with_asked_name,
    with_asked_pivot,
    with_axes_bound,
    with_axis,
    with_bar_direction,
    with_exact_age,
    with_function_called,
    with_group,
    with_group_columns_per_row,
    with_missing_imports,
    with_nan_skipped,
    with_percent,
    with_percentile,
    with_week_anchor,
    with_weekdays,
    with_wide_table,
    with_window_mean,
    without_data_copies,
    without_fills,
    without_reruns,
)
from .reply import CodeEndWatch, Reply, Timings, drop_replayed_cells, extract_code
from .reruns import ran_statements
from .task_request import TaskRequest, first_messages, redacted_request

# Runs a candidate in a copy of the kernel; returns None when it ran, else the error text.
Verifier = Callable[[str], "str | None"]


class TaskListener(Protocol):
    """Receives the answer as it streams, so a face can show it before it ends."""

    def on_attempt(self, attempt: int, reason: str) -> None:
        """A new attempt starts (attempt > 1 is a retry; `reason` says why)."""

    def on_token(self, text: str) -> None:
        """One more piece of the current attempt's text."""


class CancelScope:
    """Lets another thread (a stop button, a disconnect) stop the task at the next token."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._generation: Generation | None = None

    def attach(self, generation: Generation) -> None:
        with self._lock:
            self._generation = generation
            if self._event.is_set():
                generation.cancel()

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            if self._generation is not None:
                self._generation.cancel()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


def _wants_code(request: TaskRequest) -> bool:
    return request.task in ("generate", "fix") and request.format == "code"


def _checks_blocks(request: TaskRequest) -> bool:
    """chat and explain: their answers' code blocks are checked (`block_checks`)."""
    return request.task in ("chat", "explain")


def _quotable_sources(request: TaskRequest) -> list[str]:
    """What a chat or explain answer may quote without a retry: the cell it explains, and
    cells that ran without error (a failing cell handed back is a proposal that fails)."""
    context = request.context or NotebookContext()
    failed = context.last_error.source if context.last_error else None
    cells = [cell.source for cell in (*context.defining_cells, *context.cells,
                                      *context.related_cells)
             if not cell.error and cell.source != failed]
    return [request.target_source or "", *cells]


def _ran_sources(request: TaskRequest) -> list[str]:
    """The notebook's cells that ran without error: their assignments are what an answer
    must not run again (core/reruns.py)."""
    context = request.context or NotebookContext()
    return [cell.source for cell in (*context.defining_cells, *context.related_cells,
                                     *context.cells) if not cell.error]


def _failing_source(request: TaskRequest) -> str | None:
    if request.task != "fix":
        return None
    if request.target_source is not None:
        return request.target_source
    error = request.context.last_error if request.context else None
    return error.source if error else None


def _feedback(issues: list[CheckIssue], request: TaskRequest) -> str:
    problems = "\n".join(f"- {issue.message}" for issue in issues)
    again = ""
    if request.task == "fix" and any(i.kind == "unchanged" for i in issues):
        error = request.context.last_error if request.context else None
        if error is not None:
            again = f" It still raises {error.exc_type}: {error.message}."
            if error.suggestions or error.hints:
                again += " " + " ".join([*error.suggestions, *error.hints])
    return (
        f"That code has a problem:{again}\n{problems}\n"
        "Reply with the complete corrected code in one ```python block."
    )


def run_task(
    engine: Engine,
    request: TaskRequest,
    *,
    namespace: NamespaceView | None = None,
    listener: TaskListener | None = None,
    cancel: CancelScope | None = None,
    verifier: Verifier | None = None,
    failure_of: FailureOf | None = None,
) -> Reply:
    """Answer `request` on `engine`, checking code replies and retrying with feedback.

    `failure_of` (with a verifier) gives the failure a rehearsed code met, so the hints'
    exact rewrites are applied to a candidate that failed (`core/rehearsal_fixes.py`).
    A KeyboardInterrupt (Ctrl-C in the kernel) cancels the generation and returns the
    partial answer marked "cancelled"; engine errors propagate for the face to report.
    """
    cancel = cancel or CancelScope()
    request = redacted_request(request)
    if namespace is None and request.context is not None:
        namespace = ContextNamespace(checkable_names(request.context), request.context.imports)
    messages = first_messages(request, engine.n_ctx())
    required = asked_names(request.prompt) if request.task == "generate" else []
    failing = _failing_source(request)
    asked = request.prompt if request.task == "generate" else ""
    ran = ran_statements(_ran_sources(request))
    keep = [*required, *cell_targets(failing)]

    def issues_of(code: str) -> list[CheckIssue]:
        return check_code(code, namespace=namespace, required_names=required,
                          failing_source=failing, request_text=asked, ran=ran)

    started = time.perf_counter()
    best: tuple[int, Reply] | None = None
    checks_blocks = _checks_blocks(request)
    attempts = 1 + (max(0, request.retries) if _wants_code(request) or checks_blocks else 0)
    reason = ""
    first_ttft: float | None = None
    cured: Reply | None = None
    for attempt in range(1, attempts + 1):
        if listener is not None:
            listener.on_attempt(attempt, reason)
        reply = _one_attempt(engine, request, messages, listener, cancel, attempt, None if (
            checks_blocks or not _wants_code(request)) else checked_issues(issues_of, verifier))
        first_ttft = reply.timings.ttft_s if first_ttft is None else first_ttft
        reply.attempts = attempt
        if checks_blocks:  # a stopped answer's blocks are offered too: checked, not retried
            reply.blocks, issues = check_blocks(reply.text, namespace, _quotable_sources(request))
        if reply.finish_reason == "cancelled" or not (_wants_code(request) or checks_blocks):
            return reply
        if not checks_blocks:
            issues = issues_of(reply.code)
        if issues and any(issue.kind in _REPAIRABLE for issue in issues) and not checks_blocks:
            reply, issues = _repair(reply, namespace, required, asked, issues_of, issues,
                                    ran, keep)
        if not issues and verifier is not None:
            error = verifier(reply.code)
            reply.verified = error is None
            fixed = None
            if error is not None and failure_of is not None:
                fixed = rehearsal_fix(reply.code, failure_of, issues_of, verifier)
            if fixed is not None:
                reply = rewritten_reply(reply, fixed)
            elif error is not None:
                issues = [CheckIssue("runtime", f"Running it in a copy of the notebook raised: {error}")]
        if not checks_blocks:  # a chat block's issues are marked on the block itself
            reply.warnings = [issue.message for issue in issues]
        score = sum(_SEVERITY.get(issue.kind, 1) for issue in issues)
        if best is None or score < best[0]:
            best = (score, reply)
        if not issues and reply.verified and request.task == "fix" and attempt == 1:
            assert verifier is not None  # verified: it ran in the copy
            reported = request.context.last_error if request.context else None
            reply = exact_fix(reported, reply, namespace, failing, verifier, failure_of) or reply
        if not issues:
            return _as_whole_task(reply, attempt, first_ttft, started)
        if request.task == "fix" and attempt == 1:
            error = request.context.last_error if request.context else None
            quick = quick_fix(error, reply, namespace, failing, verifier, failure_of)
            if quick is not None and quick.verified is not False:
                return _as_whole_task(quick, attempt, first_ttft, started)
            cured = quick  # the smallest edit that cures the error asked about, if nothing runs
        if time.perf_counter() - started > request.time_budget_s:
            break
        reason = "; ".join(issue.message for issue in issues)
        messages = [*messages, {"role": "assistant", "content": reply.text},
                    {"role": "user", "content": blocks_feedback(issues) if checks_blocks
                     else _feedback(issues, request)}]
    assert best is not None
    final = _as_whole_task(cured or best[1], attempt, first_ttft, started)
    if verifier is not None and final.verified is None:
        final.verified = False
    return final


# Issues `repairs` rewrites: statements into the form that does what they say
# (`repaired`: "inplace", "none_result", "row_of_parts", "dates_as_text", "replace_call",
# "fill_alignment"),
# a standard-library module used without its import (`with_missing_imports`: "undefined"),
# an Axes or Figure used under a name nothing binds (`with_axes_bound`: "undefined"),
# the asked-for name left unbound while exactly one new result was bound under another
# (`with_asked_name`: "missing"), an asked value left a function nothing calls
# (`with_function_called`: "uncalled_function"), a whole-array reduction where the request asked per column
# or per row (`with_axis`: "axis"), a whole-column running operation where the request asked
# per group (`with_group`: "group"), a percentile's number used as the value
# (`with_percentile`: "percentile"), a fraction where percent was asked (`with_percent`:
# "percent"), a fill of values the request keeps missing (`without_fills`: "fill"), a moving sum where an average was asked
# (`with_window_mean`: "window_mean"), an age counted the short way (`with_exact_age`: "age"),
# a long or averaged table where one column per category or totals were asked
# (`with_wide_table`: "wide_table"; `with_asked_pivot`, the table the request names, where
# the code made none), every day counted where business days were asked
# (`with_weekdays`: "weekdays"), a column asked and only a variable made (`with_asked_column`:
# "column_target"), weeks ending on another day than asked (`with_week_anchor`:
# "week_anchor"), upright bars where horizontal ones were asked (`with_bar_direction`:
# "bar_direction"), plain numpy reductions where missing values were to be left out
# (`with_nan_skipped`: "nan_reduction"), a column set from a per-group aggregation
# (`with_group_columns_per_row`: "group_column"), the user's data re-typed exactly as it is
# (`without_data_copies`: "copies_data"), or the notebook's own earlier statement run
# again (`without_reruns`: "copies_data").
_REPAIRABLE = frozenset({"inplace", "none_result", "row_of_parts", "dates_as_text",
                         "replace_call", "fill_alignment", "axis", "group", "percentile",
                         "percent", "fill", "window_mean", "copies_data", "undefined",
                         "missing", "age", "wide_table", "weekdays", "column_target",
                         "week_anchor", "bar_direction", "uncalled_function",
                         "nan_reduction", "group_column"})


def _repair(reply: Reply, namespace: NamespaceView | None, required: list[str], asked: str,
            issues_of: IssuesOf, issues: list[CheckIssue], ran: frozenset[str],
            keep: list[str]) -> tuple[Reply, list[CheckIssue]]:
    """The reply with its in-place idioms rewritten, missing standard imports added and
    the asked-for name assigned, when that leaves no issue, or only some of the issues it
    had (a rewrite that mends part of an answer is kept, and the model is told the rest);
    else as it was.

    Made-up data (`rebinds`) is not repaired by dropping it: the literal can carry a
    conversion the model meant (`readings = [3, 4, 5]` for the strings '3', '4', '5'), so
    the model is told instead. A copy equal to the live value, or the notebook's own
    earlier statement run again (`ran`; names in `keep` excepted), carries nothing, and is
    dropped (`copies_data`)."""
    view = namespace or EmptyNamespace()
    rewrites: list[Callable[[str], Repair | None]] = [
        lambda code: without_data_copies(code, view),
        lambda code: without_reruns(code, view, ran, keep),
        lambda code: repaired(code, view),
        lambda code: with_axes_bound(code, view),
        lambda code: with_missing_imports(code, view),
        lambda code: with_asked_name(code, view, required),
        lambda code: with_function_called(code, view, required),
        lambda code: with_axis(code, view, asked),
        lambda code: with_group(code, view, asked),
        lambda code: with_percentile(code, view, asked),
        lambda code: with_percent(code, asked),
        lambda code: without_fills(code, asked),
        lambda code: with_window_mean(code, asked),
        lambda code: with_exact_age(code, asked),
        lambda code: with_wide_table(code, asked),
        lambda code: with_asked_pivot(code, view, required, asked),
        lambda code: with_weekdays(code, asked),
        lambda code: with_asked_column(code, asked),
        lambda code: with_week_anchor(code, asked),
        lambda code: with_bar_direction(code, asked),
        lambda code: with_nan_skipped(code, asked),
        lambda code: with_group_columns_per_row(code),
    ]
    code, notes = reply.code, []
    for rewrite in rewrites:
        repair = rewrite(code)
        if repair is not None:
            code, notes = repair.code, [*notes, *repair.notes]
    if not notes:
        return reply, issues
    left = issues_of(code)
    if left and not _mends_part(issues, left):
        return reply, issues
    return reply.with_code(code, "Rewritten: " + "; ".join(notes) + "."), left


def _mends_part(before: list[CheckIssue], after: list[CheckIssue]) -> bool:
    """Whether the issues left after a rewrite are fewer of the ones there were: none new,
    and less severe in all."""
    known = {(issue.kind, issue.message) for issue in before}
    return (all((issue.kind, issue.message) in known for issue in after)
            and sum(_SEVERITY.get(i.kind, 1) for i in after)
            < sum(_SEVERITY.get(i.kind, 1) for i in before))


def _as_whole_task(reply: Reply, attempts: int, first_ttft: float | None, started: float) -> Reply:
    """The kept reply, with figures of the whole task: attempts made, first token, total."""
    reply.attempts = attempts
    reply.timings.ttft_s = first_ttft if first_ttft is not None else reply.timings.ttft_s
    reply.timings.total_s = time.perf_counter() - started
    return reply


_SEVERITY = {"empty": 100, "syntax": 50, "unchanged": 40, "runtime": 30, "undefined": 20,
             "rebinds": 20, "attribute": 10, "column": 10, "inplace": 10, "none_result": 10,
             "row_of_parts": 10, "dates_as_text": 10, "replace_call": 10, "fill_alignment": 10,
             "axis": 10, "group": 10, "percentile": 10, "percent": 10, "fill": 10,
             "drawing": 10, "window_mean": 10, "copies_data": 10, "alias": 10, "age": 10,
             "weekdays": 10, "min_max": 10, "wide_table": 10, "column_target": 10,
             "week_anchor": 10, "bar_direction": 10, "bar_order": 10,
             "case_fold": 10, "uncalled_function": 10, "nan_reduction": 10,
             "group_column": 10, "missing": 5}


# Sampling temperature of the 2nd, 3rd, ... attempt (at least; a higher user setting stays).
# At temperature 0 a small model told "that raised" mostly repeats the same answer; a warmer
# retry explores. The seed stays fixed per attempt, so a task's answers are reproducible.
RETRY_TEMPERATURES = (0.4, 0.7, 0.9)


def attempt_sampling(request: TaskRequest, attempt: int) -> tuple[float, int]:
    """Temperature and seed of the given attempt (1 = the first answer, as the user set)."""
    if attempt <= 1:
        return request.temperature, request.seed
    warmer = RETRY_TEMPERATURES[min(attempt - 2, len(RETRY_TEMPERATURES) - 1)]
    return max(request.temperature, warmer), request.seed + attempt - 1


def _one_attempt(
    engine: Engine,
    request: TaskRequest,
    messages: list[dict[str, str]],
    listener: TaskListener | None,
    cancel: CancelScope,
    attempt: int = 1,
    issues_of: IssuesOf | None = None,
) -> Reply:
    temperature, seed = attempt_sampling(request, attempt)
    n_candidates = request.candidates if issues_of and engine.supports_candidates else 1
    generation = engine.generate(GenerationRequest(
        messages=messages,
        max_tokens=request.max_tokens,
        temperature=temperature,
        seed=seed,
        model=request.model,
        session_id=request.session_id,
        n_candidates=n_candidates,
    ))
    cancel.attach(generation)
    pieces: list[str] = []
    # A code answer ends with its code: the prose after the block is stopped (decode time
    # on a small CPU, and no code in it). Not with parallel candidates: they share the
    # decode, and the others may still be inside their block.
    code_ends_at: int | None = None
    code_end = CodeEndWatch() if _wants_code(request) and n_candidates == 1 else None
    try:
        for piece in generation:
            pieces.append(piece)
            if listener is not None:
                listener.on_token(piece)
            if code_end is not None and code_ends_at is None:
                code_ends_at = code_end.add(piece)
                if code_ends_at is not None:
                    generation.cancel()
    except KeyboardInterrupt:
        generation.cancel()
        cancel.cancel()
        for _ in generation:  # let the engine acknowledge, so the model is free again
            pass
    completion = generation.completion
    text = completion.text if completion is not None else "".join(pieces)
    timings = Timings()
    model = request.model or ""
    finish = "cancelled" if cancel.cancelled else "stop"
    if completion is not None:
        timings = Timings(
            ttft_s=completion.ttft_s,
            total_s=completion.total_s,
            tokens=completion.completion_tokens,
            prompt_tokens=completion.prompt_tokens,
            cached_tokens=completion.cached_tokens,
        )
        model = completion.model
        finish = "cancelled" if cancel.cancelled else completion.finish_reason
    if code_ends_at is not None and not cancel.cancelled:
        text, finish = text[:code_ends_at], "stop"
    reply = Reply(task=request.task, text=text, code=_code_of(request, text), model=model,
                  timings=timings, finish_reason=finish)
    if issues_of is not None and completion is not None and finish != "cancelled":
        reply = first_passing(reply, completion.all_candidates(),
                              lambda other: _code_of(request, other), issues_of)
    return reply


def _code_of(request: TaskRequest, text: str) -> str:
    """The code an answer proposes (cells it merely replays dropped)."""
    code = extract_code(text) if _wants_code(request) else ""
    if code and request.context is not None:
        failing = _failing_source(request)
        known = [cell.source for cell in (*request.context.defining_cells, *request.context.cells,
                                          *request.context.related_cells)
                 if cell.source != failing]
        code = drop_replayed_cells(code, known)
    return code
