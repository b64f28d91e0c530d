"""`--verify`: rehearse a candidate in a guarded, forked copy of the kernel, never in the
kernel itself.

`os.fork()` gives the child a copy-on-write image of the whole kernel (every variable,
imported module and open figure), so a candidate runs against the user's real state while
the parent's state cannot change. What lies outside the process (files, network, other
processes) the fork shares, so before anything runs the copy installs the guard of
`kernel/fix/guard.py`: such actions are refused there, and the refusal fails the candidate
with its reason. The copy leads its own process group, which is ended after each run, and
a candidate counts as run only when the copy reports that its code reached the end.
"""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...core.context import ErrorInfo, NotebookContext
from ...core.prompt import format_error
from ...core.result_expectations import ResultExpectations
from ..context.history import cell_sources
from ..context.redact import namespace_redactor
from .error_info import error_info
from .guard import Guard, GuardRefusal, install_guard
from .replay import names_only_the_failing_cell_binds, replay_numbers

DEFAULT_TIMEOUT_S = 20.0
_TIMED_OUT = "it did not finish within"
_MAX_REPORT_CHARS = 3000
_UNBOUND_NOTE = ("NameError: name '{name}' is not defined. `{name}` is set by the failing cell "
                 "itself, and the fix replaces that cell: reply with the whole corrected cell, "
                 "which sets `{name}` too, not only the line that changed.")
_EXIT_GRACE_S = 2.0  # after the report pipe closes, how long the copy may take to end


@dataclass
class _Outcome:
    """What one run in the copy reported: `ran` only from the end marker the copy sends
    after the candidate's code returned."""

    ran: bool = False
    error: str | None = None
    replay_failed: str | None = None
    refusals: tuple[str, ...] = ()
    # Whether the error came of a refusal (it is one, or one is in its chain of causes):
    # else a refusal the code went on after (matplotlib's cache folder) is no reason for it.
    refused_error: bool = False
    # The failure as data (type, message, suggestions, hint edits), for rewrites applied to
    # the candidate itself (`core/rehearsal_fixes.py`); None when there is none to give.
    failure: ErrorInfo | None = None


class ForkVerifier:
    """Callable used by `run_task`: None when the code ran in the copy, else the error.

    `notes` says what the copy did besides running candidates (the cells it re-ran, what
    the guard refused); the faces add them to the reply's warnings."""

    def __init__(self, shell: Any, context: NotebookContext | None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, *, replay: bool = True,
                 judge_stops: bool = True, expect: ResultExpectations | None = None) -> None:
        self._shell = shell
        # What the request expects of the values the code leaves
        # (`core/result_expectations.py`): a candidate that runs but leaves an asked-for
        # name unset, of another kind, keyed by another field, pairing an item with itself
        # or empty fails, with what it holds.
        self._expect = expect or ResultExpectations()
        self._timeout_s = timeout_s
        # A fix replaces the failing cell: in the copy, the cells that last assigned what the
        # failing cell changed run again first, so the fix meets the state the failing cell
        # found (`laps = laps.append(3)` left `laps` None). A generated cell runs after the
        # current state as it is (`replay=False`).
        self._replay = _replay_for(shell, context) if replay else []
        # What only the failing cell's partial run bound: taken away in the copy before a
        # fix runs, so a fix that is only the corrected line fails there as it would in
        # the notebook run from the top (`replay.names_only_the_failing_cell_binds`).
        self._unbound = _failing_cell_names(shell, context) if replay else []
        # Whether a run the copy had to stop (a guard refusal, the time limit) fails the
        # candidate. Rehearsals (`kernel/fix/rehearse.py`) pass False: writing the file the
        # user asked for is no error of the code, and feeding the refusal back would push
        # the model to drop the write; such a candidate is kept, marked as not judged.
        self._judge_stops = judge_stops
        self.notes: list[str] = []
        # Each rehearsed code's result: "ran", "stopped: <why>" or "failed: <error>".
        self.results: dict[str, str] = {}
        self._failures: dict[str, ErrorInfo] = {}

    def failure_of(self, code: str) -> ErrorInfo | None:
        """The failure the last rehearsal of `code` met (redacted), None if it ran or was
        stopped: what `run_task` computes rewrites of the candidate from."""
        return self._failures.get(code)

    def __call__(self, code: str) -> str | None:
        if not hasattr(os, "fork"):
            return None  # no fork on this platform: nothing to verify with (reported unverified)
        if self._replay:
            outcome = self._run(code, self._replay)
            if outcome.replay_failed is not None:
                # The replay fails the same way before every candidate: stop replaying.
                self._note(f"{outcome.replay_failed}; the candidates were tried on the state "
                           "as it is.")
                self._replay = []
            elif not (outcome.error or "").startswith(_TIMED_OUT):
                numbers = ", ".join(f"In[{number}]" for number, _ in self._replay)
                self._note(f"The copy re-ran {numbers} before each candidate (the cells that "
                           "last set what the failing cell changes).")
                return self._verdict(code, outcome)
        return self._verdict(code, self._run(code, []))

    def _note(self, note: str) -> None:
        redacted = namespace_redactor(self._shell.user_ns).redact(note)
        if redacted not in self.notes:
            self.notes.append(redacted)

    def _verdict(self, code: str, outcome: _Outcome) -> str | None:
        if outcome.ran:
            for refusal in outcome.refusals:
                self._note(f"In the copy the guard refused, and the code went on: {refusal}.")
            self.results[code] = "ran"
            return None
        redactor = namespace_redactor(self._shell.user_ns)
        stop = _stop_reason(outcome)
        if stop is not None and not self._judge_stops:
            self.results[code] = "stopped: " + redactor.redact(stop)
            return None
        # The report goes to the model with the feedback: no secret of the kernel's in it.
        error = redactor.redact(outcome.error or "it failed without a message")
        self.results[code] = "failed: " + error
        if outcome.failure is not None:
            self._failures[code] = _redacted_failure(outcome.failure, redactor)
        return error

    def _run(self, code: str, replay: list[tuple[int, str]]) -> _Outcome:
        private_dir = tempfile.mkdtemp(prefix="jupyter-localai-copy-")
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            _run_in_child(self._shell, code, replay, write_fd, private_dir, self._unbound,
                          self._expect)
        os.close(write_fd)
        try:
            os.setpgid(pid, pid)  # as the child does first: whichever runs first makes it so
        except (PermissionError, ProcessLookupError):
            pass  # the child has already set it, or already ended
        try:
            return _collect(pid, read_fd, self._timeout_s)
        finally:
            # Ctrl-C (or any failure) while the copy runs included: no copy, and nothing it
            # started, is left behind.
            _end_group(pid)
            os.close(read_fd)
            shutil.rmtree(private_dir, ignore_errors=True)


def _stop_reason(outcome: _Outcome) -> str | None:
    """Why the copy stopped a candidate it could not judge: the first thing the guard
    refused, when the error came of a refusal (the code may have turned it into another
    error), or the time limit. An error of the code's own after a refusal it went on from
    is no stop: the candidate failed."""
    if outcome.refusals and outcome.refused_error:
        return outcome.refusals[0]
    if (outcome.error or "").startswith(_TIMED_OUT):
        return outcome.error
    return None


def describe_failure(shell: Any, code: str, error: BaseException) -> str:
    """The candidate's failure as the fix prompt describes one: the error, Python's hints,
    the signatures called on the failing line and computed hints, without a traceback
    (the candidate is short, and its frames in the copy mean nothing to the user)."""
    return format_error(_failure_info(shell, code, error))


def _failure_info(shell: Any, code: str, error: BaseException) -> ErrorInfo:
    return replace(error_info(error, code, shell=shell, user_ns=shell.user_ns), traceback="")


def _failure_fields(info: ErrorInfo) -> dict[str, Any]:
    """What the parent needs to rewrite the candidate: its source is the candidate's own."""
    return {"exc_type": info.exc_type, "message": info.message,
            "suggestions": info.suggestions, "edits": info.edits}


def _redacted_failure(failure: ErrorInfo, redactor: Any) -> ErrorInfo:
    """The failure with no secret of the kernel's in its texts (the edits' old text is the
    candidate's own, which the model wrote from a redacted prompt)."""
    return replace(failure, message=redactor.redact(failure.message),
                   suggestions=[redactor.redact(s) for s in failure.suggestions])


def _failing_cell(shell: Any, context: NotebookContext | None) -> tuple[list[str], int] | None:
    """The session's cell sources and the failing cell's number in them, or None."""
    error = context.last_error if context is not None else None
    if error is None or error.cell_number is None:
        return None
    sources = cell_sources(shell)
    if not 0 < error.cell_number < len(sources):
        return None
    return sources, error.cell_number


def _replay_for(shell: Any, context: NotebookContext | None) -> list[tuple[int, str]]:
    """The earlier cells (number, source) to run again in the copy before a fix (none for
    other tasks)."""
    found = _failing_cell(shell, context)
    if found is None:
        return []
    sources, failing = found
    return [(number, sources[number])
            for number in replay_numbers(sources, failing, sources[failing])]


def _failing_cell_names(shell: Any, context: NotebookContext | None) -> list[str]:
    """The names only the failing cell binds that its partial run left in the kernel."""
    found = _failing_cell(shell, context)
    if found is None:
        return []
    sources, failing = found
    names = names_only_the_failing_cell_binds(sources, failing, sources[failing])
    return [name for name in names if name in shell.user_ns]


def _run_in_child(shell: Any, code: str, replay: list[tuple[int, str]], write_fd: int,
                  private_dir: str, unbound: Sequence[str] = (),
                  expect: ResultExpectations | None = None) -> None:
    """Execute `code` in the forked copy, guarded, and report through the pipe; always
    `_exit`s."""
    report: dict[str, Any] = {}
    guard: Guard | None = None
    try:
        os.setpgid(0, 0)  # its own group, so the parent can end all it starts (killpg)
        quiet_copy(private_dir)
        guard = install_guard(private_dir, keep_fds={write_fd})
        namespace = shell.user_ns
        namespace.setdefault("display", lambda *args, **kwargs: None)
        failed_replay = _replay_failure(shell, replay, namespace, guard)
        if failed_replay is not None:
            report = {"replay_failed": failed_replay}
            return
        for name in unbound:
            namespace.pop(name, None)
        compiled = compile(shell.transform_cell(code), "<candidate>", "exec")
        exec(compiled, namespace)  # noqa: S102 - the user asked for --verify
        wrong = (expect or ResultExpectations()).failure(code, namespace)
        # The end marker: the candidate's code returned (and holds what was asked).
        report = {"error": wrong} if wrong else {"ran": True}
    except BaseException as error:  # noqa: BLE001 - every failure is the report
        refused = came_of_refusal(error)
        taken = getattr(error, "name", None) if isinstance(error, NameError) else None
        if taken in unbound:  # no "Did you mean": the cell's own name is what is missing
            report = {"error": _UNBOUND_NOTE.format(name=taken)}
            return
        info = None if refused else _failure_or_none(shell, code, error)
        report = {"error": _described(shell, code, error, guard if refused else None, info),
                  "refused_error": refused}
        if info is not None:
            report["failure"] = _failure_fields(info)
    finally:
        if guard is not None:
            report["refusals"] = [refusal[:_MAX_REPORT_CHARS] for refusal in guard.refusals[:5]]
        _send(write_fd, report)
        os._exit(0)


def came_of_refusal(error: BaseException) -> bool:
    """Whether `error` is a guard refusal or was raised while handling one, or from one
    (`requests` wraps a refused connect in its own ConnectionError)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        if isinstance(current, GuardRefusal):
            return True
        seen.add(id(current))
        pending += [current.__cause__, current.__context__]
    return False


def quiet_copy(private_dir: str) -> None:
    """The copy must not talk to the frontend (the kernel's sockets and captured output
    belong to the parent), write bytecode caches, or make temp files outside its folder."""
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.close(null)
    sys.dont_write_bytecode = True
    # MPLCONFIGDIR stays: matplotlib reads the user's font cache there (rebuilding it in the
    # private folder took seconds per copy) and falls back to TMPDIR if it must write.
    os.environ.update({"MPLBACKEND": "Agg", "TMPDIR": private_dir})
    tempfile.tempdir = private_dir
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _replay_failure(shell: Any, replay: list[tuple[int, str]], namespace: dict[str, Any],
                    guard: Guard) -> str | None:
    """Run the replayed cells in the copy; the reason when one fails (then the fix is tried
    on the state as it is, in a fresh copy)."""
    for number, source in replay:
        refused_before = len(guard.refusals)
        try:
            exec(compile(shell.transform_cell(source), "<replayed cell>", "exec"), namespace)  # noqa: S102 - only in the copy, under --verify
        except Exception as error:  # noqa: BLE001 - any failure: verify without the replay
            refusals = guard.refusals[refused_before:]
            why = refusals[0] if refusals else _one_line(error)
            return f"In[{number}] could not be re-run in the copy ({why})"
    return None


def _described(shell: Any, code: str, error: BaseException, guard: Guard | None,
               info: ErrorInfo | None = None) -> str:
    """The failure as the model reads it (from `info` when already described); a guard
    refusal comes first when `guard` is given (the error came of a refusal, which the code
    may have turned into another error: `requests` wraps a refused connect), and alone when
    it is the error itself (the signatures of the failing line would only distract)."""
    if isinstance(error, GuardRefusal):
        return str(error)[:_MAX_REPORT_CHARS]
    try:
        text = format_error(info) if info is not None else describe_failure(shell, code, error)
    except Exception:  # noqa: BLE001 - the hints failed: the bare error still reports
        text = _one_line(error)
    if guard is not None and guard.refusals and not isinstance(error, GuardRefusal):
        text = f"{guard.refusals[0]}\n{text}"
    return text[:_MAX_REPORT_CHARS]


def _failure_or_none(shell: Any, code: str, error: BaseException) -> ErrorInfo | None:
    """The failure described, or None when its hints could not be computed (the report
    then carries the bare error)."""
    try:
        return _failure_info(shell, code, error)
    except Exception:  # noqa: BLE001 - any failure here: `_described` falls back
        return None


def _one_line(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def _send(write_fd: int, report: dict[str, Any]) -> None:
    payload = json.dumps(report).encode()
    while payload:
        payload = payload[os.write(write_fd, payload):]
    os.close(write_fd)


def _end_group(pid: int) -> None:
    """Kill the copy's process group (the copy, and whatever it started that bypassed the
    guard), then reap the copy. The copy is reaped only here, so its pid, and with it the
    group's id, cannot be reused before the group is killed."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the group is already empty
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # already reaped


def _exited(pid: int) -> bool:
    """Whether the copy has ended, without reaping it (see `_end_group`)."""
    if hasattr(os, "waitid"):
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    return False  # then only the pipe's end tells (and the grace period)


def _collect(pid: int, read_fd: int, timeout_s: float) -> _Outcome:
    """Read the copy's report until it ended (or the time is up). A process the copy
    started may hold the pipe open after the copy ended: the copy's own end decides."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    closed_at: float | None = None
    while True:
        now = time.monotonic()
        if now >= deadline:
            return _Outcome(error=f"{_TIMED_OUT} {timeout_s:.0f} s")
        if closed_at is not None and (now - closed_at > _EXIT_GRACE_S or not hasattr(os, "waitid")):
            break
        ready, _, _ = select.select([read_fd] if closed_at is None else [], [], [],
                                    min(deadline - now, 0.05))
        if ready:
            chunk = os.read(read_fd, 65536)
            if chunk:
                chunks.append(chunk)
                continue
            closed_at = time.monotonic()
        if _exited(pid):
            chunks += _drain(read_fd) if closed_at is None else []
            break
    return _outcome(pid, b"".join(chunks))


def _drain(read_fd: int) -> list[bytes]:
    chunks: list[bytes] = []
    while select.select([read_fd], [], [], 0)[0]:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return chunks


def _outcome(pid: int, payload: bytes) -> _Outcome:
    try:
        report = json.loads(payload.decode() or "{}")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _Outcome(error="the copy's report was unreadable")
    refusals = tuple(str(r) for r in report.get("refusals", []))
    if report.get("ran") is True:
        return _Outcome(ran=True, refusals=refusals)
    if "replay_failed" in report:
        return _Outcome(replay_failed=str(report["replay_failed"]), refusals=refusals)
    if "error" in report:
        return _Outcome(error=str(report["error"]), refusals=refusals,
                        refused_error=report.get("refused_error") is True,
                        failure=_failure_from(report.get("failure")))
    return _Outcome(error=_ended_early(pid))


def _failure_from(fields: Any) -> ErrorInfo | None:
    """The copy's failure fields as an ErrorInfo, or None when absent or malformed."""
    if not isinstance(fields, dict):
        return None
    try:
        return ErrorInfo(source="", exc_type=str(fields["exc_type"]), message=str(fields["message"]),
                         suggestions=[str(s) for s in fields.get("suggestions", [])],
                         edits=[[str(old), str(new)] for old, new in fields.get("edits", [])])
    except (KeyError, TypeError, ValueError):
        return None


def _ended_early(pid: int) -> str:
    """The copy ended without its end marker: say how, without reaping it."""
    how = "it ended"
    if hasattr(os, "waitid"):
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if result is not None and result.si_code == os.CLD_EXITED:
            how = f"it exited with status {result.si_status}"
        elif result is not None:
            how = f"it was killed by signal {result.si_status}"
    return (f"the copy ended before the candidate's code finished ({how}, e.g. through "
            "os._exit or a crash), so the candidate did not run to its end")
