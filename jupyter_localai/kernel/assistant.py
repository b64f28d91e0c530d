"""The kernel's assistant: owns the engine, the settings and the last answer of this kernel.

One object per kernel, created by `%load_ext` and held by the magics (no module globals).
The engine is chosen lazily on first use: the Jupyter server's resident model when the
kernel runs under a server with the extension, else a worker process of this kernel.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from typing import Any

from ..config import LocalAI
from ..core.reply import Reply
from ..engines.base import Engine
from ..errors import EngineUnavailableError

log = logging.getLogger(__name__)

REMOTE_PREFIX = "remote:"
LOCAL_RUNTIME = "llama_cpp"


def no_engine_message() -> str:
    """What to install when this kernel has neither a server to ask nor a local runtime."""
    return (
        "No jupyter-localai server is reachable from this kernel and llama-cpp-python is not "
        "installed here: either run this notebook under a Jupyter server with jupyter-localai "
        "installed (`pip install \"jupyter-localai[server]\"` where `jupyter lab` runs; its "
        "kernels then use the server's resident model), or "
        f'`pip install "jupyter-localai[local]"` into this kernel\'s environment '
        f"({sys.prefix}) to run a model here (it compiles llama.cpp, a few minutes), or set "
        "`%config LocalAI.remote_url = \"http://host:port/v1\"` for an OpenAI-compatible server."
    )


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
        # (before it, the assistant touches none of the user's objects).
        self.context_asked = False

    # -- engines -----------------------------------------------------------------------
    def resolve_alias(self, model: str | None) -> str:
        name = model or self.settings.model
        return self.settings.aliases.get(name, name)

    def engine(self, model: str | None = None) -> Engine:
        """The engine answering for `model` (an alias, registry name, path or remote spec)."""
        target = self.resolve_alias(model)
        if target.startswith(REMOTE_PREFIX):
            return self._remote_engine(target)
        if self.settings.remote_url and model is None:
            return self._remote_engine(f"{REMOTE_PREFIX}{self.settings.remote_url}#{target}")
        server = self._server_engine()
        if server is not None:
            return server
        return self._worker_engine(target)

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

    def _remote_engine(self, spec: str) -> Engine:
        if spec not in self._engines:
            from ..engines.remote import RemoteEngine, configured_api_key

            base_url, _, model_name = spec[len(REMOTE_PREFIX):].partition("#")
            self._engines[spec] = RemoteEngine(
                base_url,
                model_name or None,
                # The key goes to LocalAI.remote_url only, never to another alias's host.
                api_key=configured_api_key(base_url, self.settings),
                timeout=self.settings.remote_timeout,
            )
        return self._engines[spec]

    def _worker_engine(self, model: str) -> Engine:
        engine = self._engines.get("worker")
        if engine is None:
            # A top-level find_spec locates the package without importing it: the kernel
            # never loads llama.cpp, its worker process does.
            if importlib.util.find_spec(LOCAL_RUNTIME) is None:
                raise EngineUnavailableError(no_engine_message())
            from ..engines.worker_client import WorkerEngine

            engine = WorkerEngine.from_config(self.settings)
            if model != self.settings.model:
                engine.switch_model(model)
            self._engines["worker"] = engine
            self._local_model = model
        elif model != self._local_model:
            engine.switch_model(model)  # type: ignore[attr-defined]
            self._local_model = model
        return engine

    def prefill_engine(self) -> Engine | None:
        """The engine a cell's prefill goes to, never started for it: the server's resident
        model, or this kernel's worker once a question started it; None for remote models."""
        if self.settings.remote_url:
            return None
        server = self._server_engine()
        if server is not None:
            return server
        worker = self._engines.get("worker")
        return worker if worker is not None and hasattr(worker, "prefill") else None

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
