"""What the worker engine knows of its worker's model, for `status()` and for waiting.

Loading, ready or failed and why; how long the load took and what llama.cpp offloaded;
how often a crashed worker was replaced; and an unsupported build (the worker died of an
illegal instruction), after which no worker is started again. Written by the engine's
pump thread and by the callers' threads under the engine's lock; read by anyone.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..errors import ModelLoadError, UnsupportedBuildError
from .unsupported_build import is_illegal_instruction, unsupported_build_message

log = logging.getLogger("jupyter_localai.engines.worker_client")


class WorkerHealth:
    """The load and crash record of one engine's worker (see the module docstring)."""

    def __init__(self) -> None:
        self.state = "idle"
        self.load_error: str | None = None
        self.load_time_s = 0.0
        self.n_ctx_loaded = 0
        self.restarts = 0
        self.crashed = False
        self.last_error: str | None = None
        # Set once the worker died of an illegal instruction: no worker is started again.
        self.unsupported: str | None = None
        self.backend: dict[str, Any] = {}  # what the worker reported at load (gpu.py)
        self._loaded = threading.Event()

    def check_supported(self) -> None:
        """Raise `UnsupportedBuildError` once this build is known not to run here."""
        if self.unsupported:
            raise UnsupportedBuildError(self.unsupported)

    def worker_starting(self) -> None:
        """A new worker starts: it replaces a crashed one, if there was one."""
        if self.crashed:
            self.restarts += 1
            self.crashed = False

    def begin_load(self) -> None:
        self._loaded.clear()
        self.load_error = None
        self.state = "loading"

    def loaded(self, message: dict[str, Any]) -> None:
        """The worker's `loaded` answer."""
        self.state = "ready"
        self.load_time_s = float(message["load_time_s"])
        self.n_ctx_loaded = int(message["n_ctx"])
        self.backend = dict(message.get("backend") or {})
        log.info("model %s loaded in %.2f s", message["model_path"], self.load_time_s)
        self._loaded.set()

    def load_failed(self, reason: str) -> None:
        self.state, self.last_error, self.load_error = "failed", reason, reason
        self._loaded.set()

    def wait_loaded(self, timeout: float, what: object) -> None:
        """Wait for the load begun last; raise why it failed (`what`: the model, in words)."""
        if not self._loaded.wait(timeout):
            raise ModelLoadError(f"loading {what} took more than {timeout:.0f} s")
        self.check_supported()
        if self.load_error:
            raise ModelLoadError(self.load_error)

    def worker_died(self, pid: int, returncode: int | None, reason: str, model_path: str) -> bool:
        """Record a worker's unexpected exit; whether it died while loading.

        `model_path` is named in an unsupported build's message if it died loading it.
        """
        loading = self.state == "loading"
        self.state = "failed"
        if is_illegal_instruction(returncode):
            path = model_path if loading else ""
            self.unsupported = unsupported_build_message(pid, reason, path)
            self.last_error = self.load_error = self.unsupported
        else:
            self.crashed = True
            self.last_error = f"the model worker (pid {pid}) {reason}"
        return loading

    def unsupported_known(self) -> None:
        """After an unsupported build's exit: whoever waits for a load learns it now."""
        log.error("%s", self.unsupported)  # once: no worker is started after this
        self._loaded.set()
