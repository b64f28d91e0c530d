"""Cell history from IPython: sources, short outputs, and the errors cells raised.

Sources come from the history manager (the raw text the user typed), outputs from what
IPython 9 records per cell (streams, results, displays) or `Out`, errors from a
`post_run_cell` hook (`HistoryRecorder`), which sees the exception object itself: that is
where the "Did you mean" hints and the failing cell's source come from (`fix/error_info.py`
describes each failure). Everything returned is bounded and redacted. The assistant's own
magic cells (`%%ai`, `%ai ...`) are skipped.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from ...core.context import CellRecord, ErrorInfo
from ..fix.error_info import (
    MAX_MESSAGE_CHARS,
    cell_label,
    clip_start,
    error_info,
    one_line_error,
    strip_ansi,
)
from .redact import WINDOW_MARGIN, Redactor, namespace_redactor
from .values import short_text

logger = logging.getLogger(__name__)

_OWN_MAGIC = re.compile(
    r"^\s*(?:%%?ai\b|get_ipython\(\)\.run_(?:line|cell)_magic\(\s*['\"]ai['\"])"
)

_LOADS_ITSELF = re.compile(r"\s*%(?:re)?load_ext\s+jupyter_localai\s*")


def is_own_magic(source: str) -> bool:
    """Whether a cell is one of this extension's magics, or only loads it: never context
    (a small model shown `%load_ext jupyter_localai` tends to write it back)."""
    return bool(_OWN_MAGIC.match(source) or _LOADS_ITSELF.fullmatch(source))


def clip_middle(text: str, max_chars: int, redactor: Redactor | None = None) -> str:
    """Keep the head and the tail of a long text (a cell's imports and its last lines);
    with a `redactor`, redacted before it is cut (a key cut in two has lost its shape)."""
    if redactor is not None and len(text) <= max_chars + 2 * WINDOW_MARGIN:
        text, redactor = redactor.redact(text), None
    if len(text) <= max_chars:
        return text
    head = max_chars * 2 // 3
    tail = max_chars - head - 40
    omitted = len(text) - head - max(tail, 0)
    first = text[:head] if redactor is None else redactor.redact_start(text, head)[:head]
    last = ""
    if tail > 0:
        last = text[-tail:] if redactor is None else redactor.redact_end(text, tail)[-tail:]
    return f"{first}\n# ... ({omitted} characters omitted)\n{last}"


class HistoryRecorder:
    """Records each failing cell's error through IPython's `post_run_cell` event.

    The extension registers one per kernel; `find_recorder(shell)` finds it again through
    the shell's event callbacks, so nothing is kept in a module global.
    """

    def __init__(self, max_errors: int = 50) -> None:
        self.max_errors = max_errors
        self.errors: dict[int, ErrorInfo] = {}
        self.last_error: ErrorInfo | None = None
        self._shell: Any = None

    def register(self, shell: Any) -> None:
        self._shell = shell
        shell.events.register("post_run_cell", self.post_run_cell)

    def unregister(self, shell: Any) -> None:
        if self.post_run_cell in shell.events.callbacks.get("post_run_cell", []):
            shell.events.unregister("post_run_cell", self.post_run_cell)
        self._shell = None

    def post_run_cell(self, result: Any) -> None:
        """Remember the error of a failing cell (never raises into the user's cell)."""
        exc = result.error_in_exec or result.error_before_exec
        info = getattr(result, "info", None)
        if exc is None or info is None or not getattr(info, "store_history", True):
            return
        source = getattr(info, "raw_cell", "") or ""
        if is_own_magic(source):
            return
        try:
            self.record(exc, source, result.execution_count)
        except Exception:  # a hook must not break the user's cell; the log says why
            logger.exception("could not record the error of cell %s", result.execution_count)

    def record(self, exc: BaseException, source: str, cell_number: int | None) -> ErrorInfo:
        error = error_info(exc, source, cell_number=cell_number, shell=self._shell)
        if cell_number is not None:
            self.errors[cell_number] = error
            while len(self.errors) > self.max_errors:
                del self.errors[min(self.errors)]
        self.last_error = error
        return error


def find_recorder(shell: Any) -> HistoryRecorder | None:
    """The recorder registered on `shell`, if the extension is loaded."""
    events = getattr(shell, "events", None)
    for callback in getattr(events, "callbacks", {}).get("post_run_cell", []):
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, HistoryRecorder):
            return owner
    return None


def cell_sources(shell: Any) -> list[str]:
    """The raw sources of the session's cells, indexed by execution count (index 0 empty)."""
    manager = getattr(shell, "history_manager", None)
    raw = getattr(manager, "input_hist_raw", None)
    if isinstance(raw, list) and len(raw) > 1:
        return raw
    inputs = shell.user_ns.get("In", [""])
    return inputs if isinstance(inputs, list) else [""]


def _bundle_text(output_type: str, bundle: dict[str, Any]) -> str:
    if output_type in ("out_stream", "err_stream"):
        return "".join(bundle.get("stream", []))
    text = bundle.get("text/plain")
    if text is None:
        kinds = ", ".join(sorted(k for k in bundle if "/" in k))
        return f"[{kinds or 'display'}]"
    return "".join(text) if isinstance(text, list) else str(text)


def _output_text(shell: Any, number: int, max_chars: int, redactor: Redactor) -> str:
    """What cell `number` printed or returned, redacted before it is cut."""
    manager = getattr(shell, "history_manager", None)
    outputs = getattr(manager, "outputs", None)
    if isinstance(outputs, dict) and outputs.get(number):
        parts = [_bundle_text(o.output_type, o.bundle) for o in outputs[number]]
        text = strip_ansi("\n".join(p.rstrip("\n") for p in parts if p))
        return clip_middle(text, max_chars, redactor)
    out = shell.user_ns.get("Out", {})
    if isinstance(out, dict) and number in out:
        return short_text(out[number], max_chars=max_chars, redactor=redactor)
    return ""


def _error_text(shell: Any, number: int, recorder: HistoryRecorder | None) -> str:
    if recorder is not None and number in recorder.errors:
        return one_line_error(recorder.errors[number])
    manager = getattr(shell, "history_manager", None)
    stored = getattr(manager, "exceptions", {}).get(number)
    if isinstance(stored, dict) and stored.get("ename"):
        text = strip_ansi(f"{stored['ename']}: {stored.get('evalue', '')}")
        return clip_start(text, MAX_MESSAGE_CHARS)
    return ""


def cell_record(
    shell: Any,
    number: int,
    *,
    max_chars_per_cell: int = 2000,
    max_output_chars: int = 500,
    recorder: HistoryRecorder | None = None,
    redactor: Redactor | None = None,
) -> CellRecord:
    """Cell `number` with its short output and error, bounded and redacted."""
    redactor = redactor or namespace_redactor(shell.user_ns)
    sources = cell_sources(shell)
    source = sources[number] if 0 < number < len(sources) else ""
    return CellRecord(
        number=number,
        source=clip_middle(str(source).rstrip(), max_chars_per_cell, redactor),
        output=redactor.redact(_output_text(shell, number, max_output_chars, redactor)),
        error=redactor.redact(_error_text(shell, number, recorder)),
    )


def cell_numbers(shell: Any) -> list[int]:
    """Numbers of the cells worth showing: not empty, not this extension's magics."""
    sources = cell_sources(shell)
    return [
        number
        for number in range(1, len(sources))
        if isinstance(sources[number], str)
        and sources[number].strip()
        and not is_own_magic(sources[number])
    ]


def cell_history(
    shell: Any,
    *,
    max_cells: int = 200,
    max_chars_per_cell: int = 2000,
    max_output_chars: int = 500,
    recorder: HistoryRecorder | None = None,
    redactor: Redactor | None = None,
) -> list[CellRecord]:
    """The session's last `max_cells` cells, oldest first, bounded and redacted.

    Skips empty cells and this extension's own magics; attaches each cell's output (short
    text) and the error it raised.
    """
    recorder = recorder or find_recorder(shell)
    redactor = redactor or namespace_redactor(shell.user_ns)
    numbers = cell_numbers(shell)[-max_cells:] if max_cells > 0 else []
    return [
        cell_record(
            shell,
            number,
            max_chars_per_cell=max_chars_per_cell,
            max_output_chars=max_output_chars,
            recorder=recorder,
            redactor=redactor,
        )
        for number in numbers
    ]


def cell_output_text(shell: Any, number: int, *, max_chars: int = 1000) -> str:
    """What cell `number` printed or returned, or the error it raised; redacted."""
    recorder = find_recorder(shell)
    redactor = namespace_redactor(shell.user_ns)
    text = _error_text(shell, number, recorder) or _output_text(shell, number, max_chars, redactor)
    return redactor.redact(text)


def _error_from_sys(shell: Any) -> ErrorInfo | None:
    """Without a recorder: `sys.last_value` (set by IPython when it shows a traceback)."""
    exc = getattr(sys, "last_value", None)
    if exc is None:
        return None
    number = None
    tb = exc.__traceback__
    while tb is not None:
        label = cell_label(tb.tb_frame.f_code.co_filename, shell)
        if label:
            number = int(label[3:-1])
        tb = tb.tb_next
    if isinstance(exc, SyntaxError):
        label = cell_label(str(exc.filename or ""), shell)
        number = int(label[3:-1]) if label else None
    sources = cell_sources(shell)
    source = sources[number] if number is not None and 0 < number < len(sources) else ""
    return error_info(exc, source, cell_number=number, shell=shell)


def last_error(
    shell: Any, *, recorder: HistoryRecorder | None = None, redactor: Redactor | None = None
) -> ErrorInfo | None:
    """The most recent failure: source, type, message, plain traceback and hints; redacted."""
    recorder = recorder or find_recorder(shell)
    # A cell that failed before `%load_ext` is only known to `sys.last_value`.
    error = recorder.last_error if recorder is not None else None
    if error is None:
        error = _error_from_sys(shell)
    if error is None:
        return None
    redactor = redactor or namespace_redactor(shell.user_ns)
    return ErrorInfo(
        source=clip_middle(error.source, 4000, redactor),
        exc_type=error.exc_type,
        message=redactor.redact(error.message),
        traceback=redactor.redact(error.traceback),
        cell_number=error.cell_number,
        suggestions=[redactor.redact(s) for s in error.suggestions],
        signatures=[redactor.redact(s) for s in error.signatures],
        hints=[redactor.redact(h) for h in error.hints],
        edits=[[redactor.redact(old), redactor.redact(new)] for old, new in error.edits],
    )
