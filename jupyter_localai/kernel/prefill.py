"""Prefill as cells run: after each cell, warm the model's cache with the notebook's context.

A notebook assistant knows when its context grows: a cell ran. So after every cell
(IPython's `post_run_cell`) the kernel collects the same redacted context a request would
(`collect_context`), and hands it to a background thread that sends it to the engine as a
low-priority prefill: the worker evaluates it when idle and drops it for any real request.
The user's cell is never slowed by the IPC and never broken: errors are logged, not raised.
Only the newest context is sent (a burst of cells coalesces into one prefill).

It starts once the user asked a question with notebook context in this kernel (before,
the assistant touches none of the user's objects), and nothing is loaded for it: without
the Jupyter server's resident model, a prefill goes only to a worker this kernel already
started for an earlier question.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..core.engine import Engine, PrefillRequest

if TYPE_CHECKING:
    from ..core.context import NotebookContext
    from .assistant import KernelAssistant

log = logging.getLogger(__name__)


class CellPrefill:
    """Sends the notebook's context to the engine after each cell; one per kernel."""

    def __init__(self, assistant: KernelAssistant) -> None:
        self.assistant = assistant
        self.sent = 0
        self.failures = 0
        self._latest: tuple[Any, NotebookContext, str | None] | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, shell: Any) -> None:
        shell.events.register("pre_run_cell", self.before_cell)
        shell.events.register("post_run_cell", self.after_cell)

    def unregister(self, shell: Any) -> None:
        for event, hook in (("pre_run_cell", self.before_cell), ("post_run_cell", self.after_cell)):
            try:
                shell.events.unregister(event, hook)
            except ValueError:
                log.debug("prefill hook %s was not registered", event)

    def before_cell(self, info: Any = None) -> None:
        """IPython's pre_run_cell: the user's code gets the CPU; the model stops prefilling
        this notebook until the cell has run. To this kernel's worker that is a few bytes on
        a local socket; to the server's resident model an HTTP call, made off the main
        thread so the cell never waits for it."""
        if not (self.assistant.settings.prefill and self.assistant.context_asked):
            return
        engine = self.assistant.prefill_engine()
        if engine is None or not engine.supports_prefill:
            return
        if engine is self.assistant._engines.get("worker"):
            self._pause(engine)
        else:
            threading.Thread(
                target=self._pause, args=(engine,), name="localai-pause", daemon=True
            ).start()

    def _pause(self, engine: Engine) -> None:
        try:
            engine.pause_prefill(self.assistant.session_id())
        except Exception:  # a hook must never break the user's cell
            self.failures += 1
            log.warning("pausing the prefill failed", exc_info=True)

    def after_cell(self, result: Any = None) -> None:
        """IPython's post_run_cell callback: collect the context, queue it, return."""
        try:
            self._queue_context()
        except Exception:  # a hook must never break the user's cell
            self.failures += 1
            log.warning("prefill after the cell failed", exc_info=True)

    def _queue_context(self) -> None:
        if not (self.assistant.settings.prefill and self.assistant.context_asked):
            return
        engine = self.assistant.prefill_engine()
        if engine is None or not engine.supports_prefill:
            return
        from .context.collect import collect_context

        # The shell's main thread: summaries rely on its time limits (signals).
        context = collect_context(self.assistant.shell, "")
        with self._lock:
            self._latest = (engine, context, self.assistant.session_id())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._send_loop, name="localai-prefill", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _send_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                latest, self._latest = self._latest, None
            if latest is None:
                continue
            engine, context, session = latest
            try:
                if self._send(engine, context, session):
                    self.sent += 1
            except Exception:  # a background prefill must not end the loop
                self.failures += 1
                log.warning("prefill not sent", exc_info=True)

    def _send(self, engine: Engine, context: NotebookContext, session: str | None) -> bool:
        settings = self.assistant.settings
        request = PrefillRequest(context, session, settings.max_tokens, settings.context_tokens)
        return bool(engine.prefill(request))
