"""The kernel's assistant: owns the engine, the settings and the last answer of this kernel.

One object per kernel, created by `%load_ext` and held by the magics (no module globals).
The engine is chosen lazily on first use: the Jupyter server's resident model when the
kernel runs under a server with the extension, else a worker process of this kernel.
"""

from __future__ import annotations

import logging
from typing import Any

from ..config import LocalAI
from ..core.engine import Engine
from ..core.reply import Reply
from ..engines import select
from ..errors import LocalAIError

log = logging.getLogger(__name__)


class KernelAssistant:
    """Everything the magics need that outlives one cell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.settings = LocalAI(parent=shell)
        self.last_reply: Reply | None = None
        self.chat_history: list[dict[str, str]] = []
        self._engines: dict[str, Engine] = {}
        self._local_model: str | None = None
        # Set by the extension on load: records cells' errors as they run.
        self.recorder: Any = None
        # Set by the extension on load: warms the model after each cell (kernel/prefill.py).
        self.prefill: Any = None
        # A question with notebook context was asked here: from then on cells prefill
        # even when `warm_on_load` is off (before it, the assistant touches none of the
        # user's objects).
        self.context_asked = False

    @property
    def prefill_armed(self) -> bool:
        """Whether cells warm the model: loading the extension says so (`warm_on_load`),
        else the first question with notebook context does."""
        return self.settings.prefill and (self.settings.warm_on_load or self.context_asked)

    # -- engines -----------------------------------------------------------------------
    def resolve_alias(self, model: str | None) -> str:
        return select.resolve_alias(self.settings, model)

    def engine(self, model: str | None = None) -> Engine:
        """The engine answering for `model` (an alias, registry name, path or remote spec):
        a remote server's when the name says so (`engines/select.py`), else the Jupyter
        server's resident model, else this kernel's worker."""
        choice = select.choose(self.settings, model, name_configured_model=True)
        if choice.is_remote:
            if choice.key not in self._engines:
                self._engines[choice.key] = select.remote_engine(choice, self.settings)
            return self._engines[choice.key]
        server = self._server_engine()
        if server is not None:
            return server
        return self._worker_engine(choice.target)

    def _server_engine(self) -> Engine | None:
        if not self.settings.use_server:
            return None
        if "server" not in self._engines:
            from .server_client import engine_for_kernel

            engine = engine_for_kernel(self.settings)
            if engine is None:
                return None
            self._engines["server"] = engine
        return self._engines["server"]

    def _worker_engine(self, model: str) -> Engine:
        engine = self._engines.get("worker")
        if engine is None:
            engine = select.worker_engine(self.settings, require_runtime=True)
            if model != self.settings.model:
                engine.switch_model(model)
            self._engines["worker"] = engine
            self._local_model = model
        elif model != self._local_model:
            engine.switch_model(model)
            self._local_model = model
        return engine

    def prefill_engine(self) -> Engine | None:
        """The engine a cell's prefill goes to: the server's resident model, or this
        kernel's worker; None for remote models. Without `warm_on_load` the worker must have
        been started by a question; with it, the worker engine is made here (cheap: its
        process starts when the prefill thread loads it, never on this thread)."""
        if self.settings.remote_url:
            return None
        server = self._server_engine()
        if server is not None:
            return server
        worker = self._engines.get("worker")
        if worker is None and self.settings.warm_on_load:
            choice = select.choose(self.settings, None, name_configured_model=True)
            if choice.is_remote:
                return None
            try:
                worker = self._worker_engine(choice.target)
            except LocalAIError as error:  # no llama-cpp-python: the question will say so
                log.info("jupyter_localai: not warming on load: %s", error)
                return None
        return worker if worker is not None and worker.supports_prefill else None

    def session_id(self) -> str | None:
        """The kernel session's id: one notebook's key for its saved model state."""
        kernel = getattr(self.shell, "kernel", None)
        session = getattr(kernel, "session", None)
        return getattr(session, "session", None) or None

    def engine_statuses(self) -> dict[str, dict[str, Any]]:
        """Status of every engine started in this kernel (none started yet is fine)."""
        return {key: engine.status() for key, engine in self._engines.items()}

    def close(self) -> None:
        for key, engine in list(self._engines.items()):
            try:
                engine.close()
            except OSError as error:
                log.warning("closing engine %s failed: %s", key, error)
        self._engines.clear()
