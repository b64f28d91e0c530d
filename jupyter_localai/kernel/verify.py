"""`--verify`: run a candidate in a forked copy of the kernel, never in the kernel itself.

`os.fork()` gives the child a copy-on-write image of the whole kernel (every variable,
imported module and open figure), so a candidate runs against the user's real state while
the parent's state cannot change. Caveat, documented for users: side effects outside the
process (files written, network calls, database writes) do happen in the copy.
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import sys
import time
import traceback
from dataclasses import replace
from typing import Any

from ..core.context import NotebookContext
from ..core.prompt import format_error
from .history import cell_sources, error_info
from .redact import namespace_redactor
from .replay import cells_to_replay

DEFAULT_TIMEOUT_S = 20.0
# The copy's report when a replayed cell failed: the caller retries without replay.
_REPLAY_FAILED = "<a replayed cell failed>"
_TIMED_OUT = "it did not finish within"
_MAX_REPORT_CHARS = 3000


class ForkVerifier:
    """Callable used by `run_task`: None when the code ran in the copy, else the error."""

    def __init__(self, shell: Any, context: NotebookContext | None,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._shell = shell
        self._timeout_s = timeout_s
        # A fix replaces the failing cell: in the copy, the cells that last assigned what the
        # failing cell changed run again first, so the fix meets the state the failing cell
        # found (`laps = laps.append(3)` left `laps` None).
        self._replay = _replay_for(shell, context)

    def __call__(self, code: str) -> str | None:
        if not hasattr(os, "fork"):
            return None  # no fork on this platform: nothing to verify with (reported unverified)
        if self._replay:
            error = self._run(code, self._replay)
            if error != _REPLAY_FAILED and not (error or "").startswith(_TIMED_OUT):
                return error
        return self._run(code, [])

    def _run(self, code: str, replay: list[str]) -> str | None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _run_in_child(self._shell, code, replay, write_fd)
        os.close(write_fd)
        try:
            error = _collect(pid, read_fd, self._timeout_s)
        except BaseException:
            _stop(pid)  # Ctrl-C (or any failure) while the copy runs: no copy left behind
            raise
        finally:
            os.close(read_fd)
        # The report goes to the model with the feedback: no secret of the kernel's in it.
        return None if error is None else namespace_redactor(self._shell.user_ns).redact(error)


def describe_failure(shell: Any, code: str, error: BaseException) -> str:
    """The candidate's failure as the fix prompt describes one: the error, Python's hints,
    the signatures called on the failing line and computed hints, without a traceback
    (the candidate is short, and its frames in the copy mean nothing to the user)."""
    described = error_info(error, code, shell=shell, user_ns=shell.user_ns)
    return format_error(replace(described, traceback=""))


def _replay_for(shell: Any, context: NotebookContext | None) -> list[str]:
    """The earlier cells to run again in the copy before a fix (none for other tasks)."""
    error = context.last_error if context is not None else None
    if error is None or error.cell_number is None:
        return []
    sources = cell_sources(shell)
    if not 0 < error.cell_number < len(sources):
        return []
    return cells_to_replay(sources, error.cell_number, sources[error.cell_number])


def _run_in_child(shell: Any, code: str, replay: list[str], write_fd: int) -> None:
    """Execute `code` in the forked copy and report through the pipe; always `_exit`s."""
    status = 1
    report: dict[str, str] = {}
    try:
        # The copy must not talk to the frontend: the kernel's sockets belong to the parent.
        sys.stdout = io.StringIO()
        sys.stderr = io.StringIO()
        os.environ["MPLBACKEND"] = "Agg"
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        namespace = shell.user_ns
        namespace.setdefault("display", lambda *args, **kwargs: None)
        if not _replayed(shell, replay, namespace):
            report = {"error": _REPLAY_FAILED}
            return
        compiled = compile(shell.transform_cell(code), "<candidate>", "exec")
        exec(compiled, namespace)  # noqa: S102 - the user asked for --verify
        status = 0
    except BaseException as error:  # noqa: BLE001 - every failure is the report
        try:
            report = {"error": describe_failure(shell, code, error)}
        except Exception:  # noqa: BLE001 - the hints failed: the bare error still reports
            lines = traceback.format_exception_only(type(error), error)
            report = {"error": "".join(lines).strip()}
    finally:
        payload = json.dumps({k: v[:_MAX_REPORT_CHARS] for k, v in report.items()}).encode()
        os.write(write_fd, payload)
        os.close(write_fd)
        os._exit(status)


def _replayed(shell: Any, replay: list[str], namespace: dict[str, Any]) -> bool:
    """Run the replayed cells in the copy; False when one fails (then the fix is tried on
    the state as it is, in a fresh copy)."""
    try:
        for source in replay:
            exec(compile(shell.transform_cell(source), "<replayed cell>", "exec"), namespace)  # noqa: S102 - only in the copy, under --verify
    except Exception:  # noqa: BLE001 - any failure: verify without the replay instead
        return False
    return True


def _stop(pid: int) -> None:
    """Kill and reap the copy, if it is still there."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass  # it had already ended and been reaped


def _collect(pid: int, read_fd: int, timeout_s: float) -> str | None:
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return f"{_TIMED_OUT} {timeout_s:.0f} s"
        ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"the copy was killed by signal {os.WTERMSIG(status)}"
    try:
        report = json.loads(b"".join(chunks).decode() or "{}")
    except json.JSONDecodeError:
        return "the copy's report was unreadable"
    if os.WEXITSTATUS(status) == 0:
        return None
    return report.get("error", "it failed without a message")
