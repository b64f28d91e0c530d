"""What one failure was: message, plain traceback, and the hints computed from it.

`error_info` describes an exception from the object itself (the hook in
`context/history.py` records one per failing cell): Python's "Did you mean" suggestions
(suggest.py), the signatures of the calls on the failing line (call_hints.py) and the
computed hints with their exact edits (hints.py). Texts are bounded and redacted by shape;
the namespace's known values are redacted later, when the context is collected.
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from ...core.context import ErrorInfo
from ..context.redact import Redactor
from ..context.timer import time_limit
from .call_hints import call_signatures
from .hints import error_hints, hint_edits
from .suggest import suggestions

MAX_TRACEBACK_CHARS = 3000
MAX_MESSAGE_CHARS = 500
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
# Frames of IPython's machinery above the user's cell, dropped from tracebacks.
_INTERNAL_FILES = ("IPython/core/interactiveshell.py", "IPython\\core\\interactiveshell.py")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (IPython colours its tracebacks)."""
    return _ANSI.sub("", text)


def clip_start(text: str, max_chars: int) -> str:
    """The start of an error message or traceback line, redacted by shape before it is cut
    (the namespace's known values are redacted later, when the context is collected)."""
    if len(text) <= max_chars:
        return text
    return _SHAPES.redact_start(text, max_chars)[:max_chars]


_SHAPES = Redactor()


def _clip_tail(text: str, max_chars: int) -> str:
    """Keep the end of a traceback (the frames nearest the error matter most), each line cut
    short first so that one huge message line cannot push every frame out."""
    lines = [
        line if len(line) <= MAX_MESSAGE_CHARS else clip_start(line, MAX_MESSAGE_CHARS - 1) + "…"
        for line in text.splitlines()
    ]
    text = "\n".join(lines) + "\n"
    if len(text) <= max_chars:
        return text
    return "... (traceback shortened)\n" + _SHAPES.redact_end(text, max_chars)[-(max_chars - 27) :]


def cell_label(filename: str, shell: Any) -> str | None:
    names = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if isinstance(names, dict) and filename in names:
        return f"In[{names[filename]}]"
    match = re.match(r"<ipython-input-(\d+)-", filename)
    return f"In[{match.group(1)}]" if match else None


def format_traceback(exc: BaseException, shell: Any = None, max_chars: int = 3000) -> str:
    """A plain-text traceback without IPython's own frames, cells named `In[N]`, bounded."""
    te = traceback.TracebackException.from_exception(exc, limit=-20, compact=True)
    if isinstance(exc, SyntaxError):
        te.filename = cell_label(str(exc.filename or ""), shell) or te.filename
        return _clip_tail(strip_ansi("".join(te.format_exception_only())), max_chars)
    frames = [f for f in te.stack if not f.filename.endswith(_INTERNAL_FILES)]
    for frame in frames:
        frame.filename = cell_label(frame.filename, shell) or frame.filename
    te.stack = traceback.StackSummary.from_list(frames)
    return _clip_tail(strip_ansi("".join(te.format(chain=True))), max_chars)


def _message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno}" + (f", offset {exc.offset})" if exc.offset else ")")
        return f"{exc.msg}{where if exc.lineno else ''}"
    try:
        text = str(exc)
    except Exception as inner:  # noqa: BLE001 - an exception's own __str__ may fail
        text = f"<unprintable {type(exc).__name__}: {type(inner).__name__}>"
    return clip_start(strip_ansi(text), MAX_MESSAGE_CHARS)


def error_info(
    exc: BaseException,
    source: str,
    *,
    cell_number: int | None = None,
    shell: Any = None,
    user_ns: Any = None,
) -> ErrorInfo:
    """Describe a failure of `source` (unredacted: callers redact) with Python's hints."""
    user_ns = user_ns if user_ns is not None else getattr(shell, "user_ns", {})
    with time_limit(0.5) as limit:  # str(exc) and dir() may run user code
        hints = error_hints(exc, source, user_ns)
        error = ErrorInfo(
            source=source,
            exc_type=type(exc).__name__,
            message=_message(exc),
            traceback=format_traceback(exc, shell, MAX_TRACEBACK_CHARS),
            cell_number=cell_number,
            suggestions=suggestions(exc, source, user_ns),
            signatures=call_signatures(exc, source, user_ns),
            hints=[str(hint) for hint in hints],
            edits=[[old, new] for old, new in hint_edits(hints)],
        )
    if limit.expired:
        return ErrorInfo(source, type(exc).__name__, "<message timed out>", "", cell_number)
    return error


def one_line_error(error: ErrorInfo) -> str:
    text = f"{error.exc_type}: {error.message}" if error.message else error.exc_type
    return f"{text} {error.suggestions[0]}" if error.suggestions else text
