"""What inline completion owns on the server: its engine choice and the request per session.

One `CompletionService` per server, next to the `AssistantRuntime` in the tornado settings.
The model is the resident one unless `LocalAI.completion_model` names another, which then
gets an engine (a worker) of its own, made and closed here. A keystroke never waits for a
model to load: while none is ready the service starts loading it and the route answers
"no suggestion". Each session (a notebook) has at most one completion running: a newer
request cancels the older one, which the user has typed past.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future

from ..config import LocalAI
from ..core.engine import Engine
from ..core.tasks import CancelScope
from .runtime import AssistantRuntime, EngineFactory


def _settings_for(settings: LocalAI, model: str) -> LocalAI:
    """A copy of the server's settings that names `model`."""
    values = {name: getattr(settings, name) for name in settings.trait_names(config=True)}
    values["model"] = model
    return LocalAI(**values)


class CompletionService:
    """The engine that answers completions, and the completion running in each session."""

    def __init__(self, runtime: AssistantRuntime, engine_factory: EngineFactory) -> None:
        self.runtime = runtime
        self._engine_factory = engine_factory
        self._lock = threading.Lock()
        self._running: dict[str, CancelScope] = {}
        self._own_engine: Engine | None = None
        self._own_model = ""
        self._loading: Future[None] | None = None
        self._closed = False

    @property
    def model(self) -> str:
        """The model completions use: `LocalAI.completion_model`, else the resident one."""
        return self.runtime.settings.completion_model.strip() or self.runtime.settings.model

    def _separate(self) -> bool:
        wanted = self.runtime.settings.completion_model.strip()
        return bool(wanted) and wanted != self.runtime.settings.model

    def ready_engine(self) -> Engine | None:
        """The engine if it is ready to answer now; else None, after starting to load it
        (once) in the background. Call from a thread: the first call may spawn a worker."""
        if not self._separate():
            if self.runtime.engine_started:
                return self.runtime.engine()
            self._start_loading(self.runtime.warm_up)
            return None
        with self._lock:
            engine = self._own_engine
            if engine is not None and self._own_model == self.model:
                return engine
        self._start_loading(self._load_own)
        return None

    def started_engine(self) -> Engine | None:
        """The engine if it runs, without starting anything (for prefill)."""
        if not self._separate():
            return self.runtime.engine() if self.runtime.engine_started else None
        with self._lock:
            return self._own_engine if self._own_model == self.model else None

    def _start_loading(self, load: Callable[[], None]) -> None:
        with self._lock:
            if self._closed or (self._loading is not None and not self._loading.done()):
                return
            self._loading = self.runtime.executor.submit(load)
            self._loading.add_done_callback(self._report_load)

    def _report_load(self, future: Future[None]) -> None:
        error = future.exception() if not future.cancelled() else None
        if error is not None:
            self.runtime.log.error("jupyter_localai: loading the completion model failed: %s",
                                   error)  # fmt: skip

    def _load_own(self) -> None:
        model = self.model
        engine = self._engine_factory(_settings_for(self.runtime.settings, model))
        try:
            engine.load()
        except Exception:
            engine.close()
            raise
        with self._lock:
            previous, self._own_engine, self._own_model = self._own_engine, engine, model
            closed = self._closed
        if previous is not None:
            previous.close()
        if closed:
            engine.close()

    def begin(self, session_id: str, scope: CancelScope) -> None:
        """`scope` is the session's completion now; the older one is cancelled."""
        with self._lock:
            older = self._running.get(session_id)
            self._running[session_id] = scope
        if older is not None and older is not scope:
            older.cancel()

    def end(self, session_id: str, scope: CancelScope) -> None:
        with self._lock:
            if self._running.get(session_id) is scope:
                del self._running[session_id]

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def close(self) -> None:
        """Cancel every completion and close the completion model's own engine."""
        with self._lock:
            self._closed = True
            scopes = list(self._running.values())
            self._running.clear()
            engine, self._own_engine = self._own_engine, None
        for scope in scopes:
            scope.cancel()
        if engine is not None:
            engine.close()
