"""One model worker process as seen from its parent: spawn, message pump, exit reason.

`WorkerProcess` owns the child, the socket pair and two threads: one reads protocol
messages and hands them to a callback, one forwards the child's stderr (llama.cpp's log)
to this process's logger and keeps its last lines, so a crash can say why it happened.
It knows nothing about requests; `worker_client.WorkerEngine` does the routing.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..worker.protocol import Channel
from .worker_settings import omp_wait_note

log = logging.getLogger("jupyter_localai.worker")

MessageHandler = Callable[["WorkerProcess", dict[str, Any]], None]
ExitHandler = Callable[["WorkerProcess", str], None]
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# `python -m` puts its working directory first on sys.path, so a numpy.py or llama_cpp.py
# in a notebook's folder would run inside the worker: it starts in the filesystem root
# (only an administrator writes there), and on 3.11+ `-P` leaves that off sys.path too.
_NEUTRAL_CWD = os.path.abspath(os.sep)
_SAFE_PATH = ("-P",) if sys.version_info >= (3, 11) else ()
_call_ids = itertools.count(1)
# Worker log lines worth a warning in the parent's log; the rest is llama.cpp chatter.
_LOUD_WORDS = ("ERROR", "GGML_ASSERT", "error", "failed", "Traceback", "Error:")


class WorkerProcess:
    """A running worker: send messages, make calls that wait for an answer, stop it."""

    def __init__(self, on_message: MessageHandler, on_exit: ExitHandler) -> None:
        parent_sock, child_sock = socket.socketpair()
        env = dict(os.environ)
        # The worker must import this very package, installed or not.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        env["GGML_NO_BACKTRACE"] = "1"  # an abort prints its reason, not a gdb session
        # Saved KV states are buffers of tens of MB made and freed on every answer. glibc
        # raises its mmap threshold after the first such free and then serves them from the
        # heap, which it rarely gives back: the worker's RSS crept up by ~70 MB over 100
        # requests. A fixed threshold keeps big buffers mmapped, returned to the OS on free.
        env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
        wait_policy = omp_wait_note(env)
        if wait_policy:
            log.info(wait_policy)
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    *_SAFE_PATH,
                    "-m",
                    "jupyter_localai.worker.main",
                    "--fd",
                    str(child_sock.fileno()),
                ],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                cwd=_NEUTRAL_CWD,
                # Its own process group: a notebook interrupt (SIGINT to the kernel's group)
                # must stop the answer through `cancel`, not kill the resident model.
                start_new_session=True,
            )
        finally:
            child_sock.close()
        self.pid = self.proc.pid
        self.channel = Channel(parent_sock)
        # The worker's log lines that say something went wrong (a GGML_ASSERT before an abort).
        self.complaints: collections.deque[str] = collections.deque(maxlen=5)
        self.calls: dict[str, Future[dict[str, Any]]] = {}
        self.stopping = False  # set when we asked it to exit: then the exit is no crash
        self._on_message = on_message
        self._on_exit = on_exit
        self._stderr_thread = threading.Thread(
            target=self._pump_stderr, name=f"localai-worker-{self.pid}-log", daemon=True
        )
        self._reader_thread = threading.Thread(
            target=self._pump_messages, name=f"localai-worker-{self.pid}", daemon=True
        )
        self._stderr_thread.start()
        self._reader_thread.start()

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(message)

    def call(self, op: str, timeout: float, **fields: Any) -> dict[str, Any]:
        """Send `op` and wait for the answer with the same id (status, tokenize, reset)."""
        call_id = f"call-{next(_call_ids)}"
        future: Future[dict[str, Any]] = Future()
        self.calls[call_id] = future
        try:
            self.send({"op": op, "id": call_id, **fields})
            return future.result(timeout)
        finally:
            self.calls.pop(call_id, None)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_bytes(self) -> int | None:
        """Resident memory of the worker (Linux /proc; None elsewhere)."""
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii", errors="replace") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to exit after its current job; kill it if it does not."""
        self.stopping = True
        if self.alive():
            with contextlib.suppress(OSError):  # already gone: nothing to ask
                self.send({"op": "shutdown"})
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("worker %s did not exit in %.0f s; killing it", self.pid, timeout)
            self.proc.kill()
            self.proc.wait()
        self.channel.close()

    def kill(self) -> None:
        """Stop at once (a wedged or unwanted worker), then reap it."""
        self.stopping = True
        self.proc.kill()
        self.proc.wait()
        self.channel.close()

    def exit_reason(self) -> str:
        """How the process ended, in words, with llama.cpp's last complaint if any."""
        code = self.proc.returncode
        if code is None:
            reason = "closed its connection"
        elif code < 0:
            try:
                reason = f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                reason = f"was killed by signal {-code}"
        else:
            reason = f"exited with code {code}"
        if self.complaints:
            reason += f" ({self.complaints[-1][:300]})"
        return reason

    def _pump_messages(self) -> None:
        try:
            for message in self.channel:
                future = self.calls.get(str(message.get("id")))
                if future is not None:
                    future.set_result(message)
                else:
                    self._on_message(self, message)
        except (OSError, ValueError) as exc:  # a torn socket or a half-written line
            log.debug("worker %s channel ended: %s", self.pid, exc)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # It closed the socket but lives on: useless to us, so end it.
            self.proc.kill()
            self.proc.wait()
        self._stderr_thread.join(timeout=2)
        reason = self.exit_reason()
        for future in list(self.calls.values()):
            if not future.done():
                future.set_exception(ConnectionError(f"the model worker {reason}"))
        self._on_exit(self, reason)

    def _pump_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", errors="replace").rstrip()
            loud = any(word in line for word in _LOUD_WORDS)
            if loud:  # an assertion's source path says nothing to a user
                at = line.find("GGML_ASSERT")
                self.complaints.append(line[at:].strip() if at > 0 else line.strip())
            log.log(logging.WARNING if loud else logging.DEBUG, "worker %s: %s", self.pid, line)
        self.proc.stderr.close()
