"""The agent's copy of the kernel: one guarded fork per agent run, forked again per attempt.

`os.fork()` gives the copy the kernel's whole state (variables, imports, figures) while the
kernel itself cannot change; `kernel/fix/guard.py` refuses, in the copy, what would reach
outside the process (writing files, network, processes). Unlike `--verify`'s copy, which
lives for one candidate, the agent's steps build on each other, so the copy is a lineage:

    kernel ── base copy ── attempt of step 1 (kept) ── attempt of step 2 (dropped)
                                                    └─ attempt of step 2 (kept) ── ...

The base copy waits for commands. Each attempt is a fork of the newest kept state in a
process group of its own: it runs the cell, reports, and waits for the verdict. A dropped
attempt exits, and its process group with it; a kept one becomes the state the next
step forks from (its parent waits, holding nothing but copy-on-write pages). An attempt
past its time budget is killed with its group; the state before it is intact. At the end
of the run (`close`, also on an error or Ctrl-C) every process group of the lineage is
killed. Commands and reports are length-prefixed JSON frames over two pipes.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from ..context.redact import namespace_redactor
from ..fix.guard import Guard, install_guard
from ..fix.verify import quiet_copy
from .trial import run_trial

_HEADER = struct.Struct("!I")
_GONE_WAIT_S = 5.0


class CopyLost(RuntimeError):
    """The copy ended without answering (a crash in C code, killed from outside)."""


@dataclass
class TrialResult:
    """What one attempt did in the copy, redacted with the kernel's own values."""

    ran: bool
    output: str = ""
    error: str = ""
    figures: list[str] = field(default_factory=list)
    # Names the attempt bound or rebound, with summaries as the prompt shows variables.
    variables: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    stopped: str = ""  # why the copy stopped it (its time budget), else ""
    seconds: float = 0.0


class AgentCopy:
    """The lineage of one agent run; use as a context manager so it always ends."""

    def __init__(self, shell: Any, step_timeout_s: float) -> None:
        self._shell = shell
        self._timeout_s = step_timeout_s
        self._base: int | None = None
        self._groups: list[int] = []  # the base's and every kept attempt's process group
        self._trial: int | None = None  # the attempt waiting for its verdict
        self._cmd_w = self._report_r = -1
        self._private_dir = ""

    def __enter__(self) -> AgentCopy:  # noqa: PYI034 - no typing_extensions dependency
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._base is not None

    def start(self) -> None:
        """Fork the base copy and guard it before anything runs there."""
        self._private_dir = tempfile.mkdtemp(prefix="jupyter-localai-agent-")
        cmd_r, cmd_w = os.pipe()
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the base copy: never returns
            os.close(cmd_w)
            os.close(report_r)
            _base_main(self._shell, cmd_r, report_w, self._private_dir)
        os.close(cmd_r)
        os.close(report_w)
        try:
            os.setpgid(pid, pid)
        except (PermissionError, ProcessLookupError):
            pass  # the base has set it itself, or already ended
        self._base, self._groups = pid, [pid]
        self._cmd_w, self._report_r = cmd_w, report_r

    def run(self, code: str, then: list[tuple[int, str]] | None = None) -> TrialResult:
        """Run `code` in a new attempt forked from the newest kept state, then the cells
        `then` (number, source: the failing cell an edit should repair). The attempt waits
        for `keep()` or `drop()`; a stopped or lost one is already gone."""
        if self._base is None:
            raise CopyLost("the agent's copy is not running")
        if self._trial is not None:
            self.drop()
        started = time.monotonic()
        _write_frame(self._cmd_w, {"op": "run", "code": code, "then": then or []})
        deadline = started + self._timeout_s
        hello = self._read(deadline)
        if hello is None:
            raise CopyLost("the agent's copy did not start the attempt")
        if "pid" not in hello:
            raise CopyLost(str(hello.get("error", "the agent's copy could not fork")))
        trial = int(hello["pid"])
        report = self._read(deadline)
        seconds = time.monotonic() - started
        if report is None:
            self._kill_trial(trial)
            return TrialResult(ran=False, stopped=(
                f"it did not finish within its budget of {self._timeout_s:.0f} s, so the copy "
                "stopped it (its process group was killed)"), seconds=seconds)
        self._trial = trial
        return self._result(report, seconds)

    def keep(self) -> None:
        """The waiting attempt's state is the one the next step builds on."""
        if self._trial is None:
            return
        _write_frame(self._cmd_w, {"op": "keep"})
        self._groups.append(self._trial)
        self._trial = None

    def drop(self) -> None:
        """Discard the waiting attempt: it exits and its process group is killed."""
        if self._trial is None:
            return
        # Killed, not told: a verdict frame left unread in the pipe would reach its parent.
        self._kill_trial(self._trial)
        self._trial = None

    def close(self) -> None:
        """End every process of the lineage (each group killed) and remove its folder."""
        if self._base is None:
            return
        for group in [*self._groups, *([self._trial] if self._trial else [])]:
            try:
                os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass  # the group has already ended
        try:
            os.waitpid(self._base, 0)  # the others are the base's descendants
        except ChildProcessError:
            pass  # already reaped
        for descriptor in (self._cmd_w, self._report_r):
            os.close(descriptor)
        shutil.rmtree(self._private_dir, ignore_errors=True)
        self._base, self._trial, self._groups = None, None, []

    # -- in the kernel -------------------------------------------------------------------
    def _read(self, deadline: float) -> dict[str, Any] | None:
        """The next report frame, or None when the deadline passed first."""
        header = _read_exact(self._report_r, _HEADER.size, deadline)
        if header is None:
            return None
        (size,) = _HEADER.unpack(header)
        body = _read_exact(self._report_r, size, deadline)
        return None if body is None else json.loads(body.decode())

    def _kill_trial(self, trial: int) -> None:
        """Kill an attempt's group and wait until its parent reaped it, then drop whatever
        half report it left in the pipe, so the next report starts on a frame."""
        try:
            os.killpg(trial, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already ended
        gone_by = time.monotonic() + _GONE_WAIT_S
        while time.monotonic() < gone_by:
            try:
                os.kill(trial, 0)
            except ProcessLookupError:
                break
            time.sleep(0.01)
        while select.select([self._report_r], [], [], 0)[0]:
            if not os.read(self._report_r, 65536):
                break

    def _result(self, report: dict[str, Any], seconds: float) -> TrialResult:
        redact = namespace_redactor(self._shell.user_ns).redact
        variables = [{**variable, "summary": redact(str(variable.get("summary", "")))}
                     for variable in report.get("variables", [])]
        return TrialResult(
            ran=bool(report.get("ran")), output=redact(str(report.get("output", ""))),
            error=redact(str(report.get("error", ""))),
            figures=[redact(str(f)) for f in report.get("figures", [])],
            variables=variables, refusals=[redact(str(r)) for r in report.get("refusals", [])],
            seconds=seconds)


# -- in the copy ---------------------------------------------------------------------------
def _base_main(shell: Any, cmd_r: int, report_w: int, private_dir: str) -> None:
    """The base copy: guard, then serve attempts until the kernel ends the lineage."""
    try:
        os.setpgid(0, 0)
        quiet_copy(private_dir)  # output is captured per attempt (trial.py)
        guard = install_guard(private_dir, keep_fds={cmd_r, report_w})
        _serve(shell, guard, cmd_r, report_w)
    finally:
        os._exit(0)


def _serve(shell: Any, guard: Guard, cmd_r: int, report_w: int) -> None:
    """Fork an attempt per command and wait for it; return only when the pipe closes."""
    while True:
        command = _read_frame(cmd_r)
        if command is None or command.get("op") != "run":
            return  # the kernel closed the lineage (a stray verdict is never expected here)
        guard.allow_fork = True
        try:
            pid = os.fork()
        except OSError as error:
            guard.allow_fork = False
            _write_frame(report_w, {"error": f"the copy could not fork: {error}"})
            continue
        guard.allow_fork = False
        if pid == 0:
            _attempt_main(shell, guard, command, cmd_r, report_w)
        os.waitpid(pid, 0)  # until the attempt is dropped, killed, or (kept) the run ends


def _attempt_main(shell: Any, guard: Guard, command: dict[str, Any], cmd_r: int,
                  report_w: int) -> None:
    """One attempt: its own process group, the cell run, the report, then the verdict."""
    try:
        os.setpgid(0, 0)
        _write_frame(report_w, {"pid": os.getpid()})
        then = [(int(number), str(source)) for number, source in command.get("then", [])]
        _write_frame(report_w, run_trial(shell, guard, str(command["code"]), then))
        verdict = _read_frame(cmd_r)
        if verdict is not None and verdict.get("op") == "keep":
            _serve(shell, guard, cmd_r, report_w)  # this state is the one to build on now
    finally:
        os._exit(0)


# -- frames ----------------------------------------------------------------------------------
def _write_frame(descriptor: int, message: dict[str, Any]) -> None:
    payload = json.dumps(message).encode()
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(descriptor, data):]


def _read_frame(descriptor: int) -> dict[str, Any] | None:
    header = _read_exact(descriptor, _HEADER.size, None)
    if header is None:
        return None
    body = _read_exact(descriptor, _HEADER.unpack(header)[0], None)
    return None if body is None else json.loads(body.decode())


def _read_exact(descriptor: int, size: int, deadline: float | None) -> bytes | None:
    """Exactly `size` bytes, or None at the end of the pipe or past `deadline`."""
    data = b""
    while len(data) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([descriptor], [], [], left)[0]:
                return None
        chunk = os.read(descriptor, size - len(data))
        if not chunk:
            if deadline is not None:
                raise CopyLost("the agent's copy ended without reporting")
            return None
        data += chunk
    return data
