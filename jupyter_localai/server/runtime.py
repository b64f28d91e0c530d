"""What the server extension owns: the settings, the one engine, the requests in flight.

One `AssistantRuntime` per server, kept in the tornado settings (never a module global).
The engine is made on first use (or at start with `LocalAI.load_on_start`), shared by every
notebook and kernel of the server, and closed when the server stops.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from ..config import LocalAI
from ..core.engine import Engine
from ..engines import select
from ..errors import EngineUnavailableError, QueueFullError

EngineFactory = Callable[[LocalAI], Engine]

# Threads that iterate generations: the engine serves one at a time in arrival order, the
# others wait their turn in the engine's queue; beyond this many, in the executor's queue.
GENERATION_THREADS = 8


class Cancellable(Protocol):
    """Anything with a `cancel()` that may be called from any thread."""

    def cancel(self) -> None: ...


def default_engine_factory(settings: LocalAI) -> Engine:
    """The engine `engines/select.py` picks for the server: a RemoteEngine for `remote:`
    models or `LocalAI.remote_url`, else the worker engine."""
    return select.resident_engine(settings)


class AssistantRuntime:
    """The resident engine plus the bookkeeping of the requests it serves."""

    def __init__(
        self,
        settings: LocalAI,
        *,
        secret: str,
        engine_factory: EngineFactory = default_engine_factory,
        log: logging.Logger | None = None,
    ) -> None:
        self.settings = settings
        # The model the server's configuration names: `POST models` may always switch back.
        self.configured_model = settings.model
        self.secret = secret
        self.log = log or logging.getLogger(__name__)
        self._engine_factory = engine_factory
        self._engine: Engine | None = None
        self._engine_lock = threading.RLock()
        self._active: dict[str, Cancellable] = {}
        self._active_lock = threading.Lock()
        self._closed = False
        self.executor = ThreadPoolExecutor(
            max_workers=GENERATION_THREADS, thread_name_prefix="localai-generate"
        )
        self.requests_started = 0

    # -- the engine -----------------------------------------------------------------------

    @property
    def engine_started(self) -> bool:
        return self._engine is not None

    def engine(self) -> Engine:
        """The resident engine, made on first use. May block (spawning a worker): call it
        from a thread, not the IOLoop."""
        with self._engine_lock:
            if self._closed:
                raise EngineUnavailableError("the Jupyter server is shutting down")
            if self._engine is None:
                self.log.info("jupyter_localai: starting the engine for %s", self.settings.model)
                self._engine = self._engine_factory(self.settings)
            return self._engine

    def warm_up(self) -> None:
        """Load the model now (LocalAI.load_on_start) instead of on the first question."""
        engine = self.engine()
        engine.load()
        self.log.info("jupyter_localai: engine ready: %s", engine.status().get("model"))

    def status(self) -> dict[str, Any]:
        """The engine's status, or what would be loaded when no engine runs yet."""
        engine = self._engine
        if engine is None:
            base: dict[str, Any] = {
                "state": "idle",
                "model": select.resolve_alias(self.settings, self.settings.model)
                if self.settings.model == select.AUTO else self.settings.model,
                "engine": None,
                "requests_served": 0,
            }
        else:
            base = dict(engine.status())
        if self.settings.model == select.AUTO:  # which model "auto" picked, and why
            from ..model_choice import auto_choice

            base["model_choice"] = auto_choice(self.settings).describe()
        base["active_requests"] = self.active_count()
        return base

    def switch_model(self, model: str) -> dict[str, Any]:
        """Make `model` the resident model.

        An engine that `supports_switch` (the worker) switches in place after the requests
        it queued; any other engine is replaced, and the answers in progress on it stopped.

        Blocks while the new model is resolved (a first use may assemble it): call it from
        a thread. On failure the previous model stays.
        """
        with self._engine_lock:
            previous_model = self.settings.model
            previous = self._engine
            if previous is not None and previous.supports_switch:
                # The engine switches in place; requests it already queued finish first.
                # "auto" (back to the configured default) is the model it picks.
                previous.switch_model(select.resolve_alias(self.settings, model)
                                      if model == select.AUTO else model)
                self.settings.model = model
                self.log.info("jupyter_localai: switched from %s to %s", previous_model, model)
                return self.status()
            self.cancel_all()  # the old engine is closed below
            self.settings.model = model
            try:
                self._engine = self._engine_factory(self.settings)
                self._engine.load()
            except Exception:
                self.settings.model = previous_model
                if self._engine is not None and self._engine is not previous:
                    self._engine.close()
                self._engine = previous
                raise
            if previous is not None:
                previous.close()
            self.log.info("jupyter_localai: switched from %s to %s", previous_model, model)
            return self.status()

    # -- requests in flight -----------------------------------------------------------------

    def register(self, handle: Cancellable, request_id: str | None = None) -> str:
        """Count a request in; QueueFullError (429) when `LocalAI.max_queued_requests`
        answers are already running or waiting, so a flood cannot queue without bound."""
        request_id = request_id or uuid.uuid4().hex
        limit = self.settings.max_queued_requests
        with self._active_lock:
            if request_id in self._active:
                raise ValueError(f"request_id {request_id!r} is already in use")
            if limit > 0 and len(self._active) >= limit:
                raise QueueFullError(
                    f"{len(self._active)} answers are already running or waiting "
                    f"(LocalAI.max_queued_requests = {limit}); try again when one finished"
                )
            self._active[request_id] = handle
            self.requests_started += 1
        return request_id

    def unregister(self, request_id: str) -> None:
        with self._active_lock:
            self._active.pop(request_id, None)

    def cancel(self, request_id: str) -> bool:
        """Stop one request; False when no such request runs (already finished)."""
        with self._active_lock:
            handle = self._active.get(request_id)
        if handle is None:
            return False
        handle.cancel()
        return True

    def cancel_all(self) -> None:
        with self._active_lock:
            handles = list(self._active.values())
        for handle in handles:
            handle.cancel()

    def active_count(self) -> int:
        with self._active_lock:
            return len(self._active)

    def close(self) -> None:
        """Stop every answer, free the engine (its worker process) and the threads."""
        with self._engine_lock:
            self._closed = True
            self.cancel_all()
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
