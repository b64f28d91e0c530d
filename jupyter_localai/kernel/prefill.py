"""Prefill as cells run: after each cell, warm the model's cache with the notebook's context.

A notebook assistant knows when its context grows: a cell ran. So after every cell
(IPython's `post_run_cell`) the kernel collects the same redacted context a request would
(`collect_context`), and hands it to a background thread that sends it to the engine as a
low-priority prefill: the worker evaluates it when idle and drops it for any real request.
The user's cell is never slowed by the IPC and never broken: errors are logged, not raised.
Only the newest context is sent (a burst of cells coalesces into one prefill). After a
cell of the user's fails, what is sent is the whole first prompt `%ai fix` would send on
that context: the likely next question then starts its answer at once, and any other
question still reuses the context before its own turn.

A cell that only asks the assistant (`%%ai`, `%ai ...`) does not pause the prefill: its
question follows, and the worker lets the prefill run on for it (`asks_the_assistant`).

Loading the extension is the user's signal to get ready (`LocalAI.warm_on_load`, on by
default): `warm_up` starts loading the model at once, in the background (this kernel's
worker process, or nothing to load under the Jupyter server's resident model), and every
cell from then on warms it, so the first question of a session is as fast as any later one.
With `warm_on_load` off it starts once the user asked a question with notebook context
(before, the assistant touches none of the user's objects), and nothing is loaded for it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ..core.engine import Engine, PrefillRequest
from ..errors import LocalAIError

if TYPE_CHECKING:
    from ..core.context import NotebookContext
    from .assistant import KernelAssistant

log = logging.getLogger(__name__)


# The assistant's own magics (`magics.py`): `%%ai` / `%%localai` cells, `%ai ...` lines.
_MAGIC_NAMES = ("ai", "localai")


def asks_the_assistant(source: str | None) -> bool:
    """Whether a cell only talks to the assistant (its magics and comments).

    Such a cell is not the user's computation: its question follows at once and mostly
    begins with the context being prefilled, so pausing the prefill would throw away the
    batch in flight that the question is about to need (the worker finishes the prefill
    for a question from the same notebook: `Scheduler.prefill_should_yield`)."""
    lines = [line.strip() for line in (source or "").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        return False

    def magic(line: str, prefix: str) -> bool:
        name = line[len(prefix):].split(maxsplit=1)[0] if line[len(prefix):] else ""
        return line.startswith(prefix) and name in _MAGIC_NAMES

    return magic(lines[0], "%%") or all(magic(line, "%") and not line.startswith("%%")
                                         for line in lines)


def _users_cell_failed(result: Any) -> bool:
    """Whether the cell IPython just ran (its `ExecutionResult`) raised, and was the user's
    own code rather than a question to the assistant."""
    if result is None or getattr(result, "success", True):
        return False
    return not asks_the_assistant(getattr(getattr(result, "info", None), "raw_cell", ""))


class CellPrefill:
    """Sends the notebook's context to the engine after each cell; one per kernel."""

    def __init__(self, assistant: KernelAssistant) -> None:
        self.assistant = assistant
        self.sent = 0
        self.failures = 0
        # The newest context to send: (engine, context, session, task of `PrefillRequest`).
        self._latest: tuple[Any, NotebookContext, str | None, str] | None = None
        self._to_load: Engine | None = None
        self._loaded: Engine | None = None  # the engine `warm_up` loaded (or tried to)
        self.load_error: str | None = None
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
        if not self.assistant.prefill_armed or asks_the_assistant(getattr(info, "raw_cell", "")):
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

    def warm_up(self) -> None:
        """On `%load_ext` (with `warm_on_load`): start loading the model in the background,
        touching none of the user's objects; the cells that follow send the context."""
        try:
            if not (self.assistant.settings.warm_on_load and self.assistant.prefill_armed):
                return
            engine = self.assistant.prefill_engine()
            if engine is None or not engine.supports_prefill:
                return
            with self._lock:
                self._to_load = engine
                self._ensure_thread()
            self._wake.set()
        except Exception:  # loading the extension must never fail for the warm-up
            self.failures += 1
            log.warning("starting the model in the background failed", exc_info=True)

    def after_cell(self, result: Any = None) -> None:
        """IPython's post_run_cell callback: collect the context, queue it, return."""
        try:
            self._queue_context(failed=_users_cell_failed(result))
        except Exception:  # a hook must never break the user's cell
            self.failures += 1
            log.warning("prefill after the cell failed", exc_info=True)

    def _queue_context(self, failed: bool = False) -> None:
        """Queue the context; after a failing cell, `%ai fix`'s whole first prompt on it
        (the likely next question; any other still reuses the context before it)."""
        if not self.assistant.prefill_armed:
            return
        engine = self.assistant.prefill_engine()
        if engine is None or not engine.supports_prefill:
            return
        from .context.collect import collect_context

        # The shell's main thread: summaries rely on its time limits (signals).
        context = collect_context(self.assistant.shell, "")
        task = "fix" if failed and context.last_error is not None else ""
        with self._lock:
            self._latest = (engine, context, self.assistant.session_id(), task)
            self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self) -> None:
        """Start the send loop if it is not running (the caller holds the lock)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._send_loop, name="localai-prefill", daemon=True
            )
            self._thread.start()

    def _send_loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                latest, self._latest = self._latest, None
                to_load, self._to_load = self._to_load, None
            if self.assistant.settings.warm_on_load:
                to_load = latest[0] if latest is not None else to_load
            if to_load is not None and to_load is not self._loaded:
                self._load(to_load)
            if latest is None:
                continue
            engine, context, session, task = latest
            try:
                if self._send(engine, context, session, task):
                    self.sent += 1
            except Exception:  # a background prefill must not end the loop
                self.failures += 1
                log.warning("prefill not sent", exc_info=True)

    def _load(self, engine: Engine) -> None:
        """Load the model on this background thread, once per engine: the kernel never
        waits for it, and a question asked meanwhile queues behind the same load. A model
        that cannot load is reported once in the log; the first question says why."""
        self._loaded = engine
        try:
            engine.load()
        except LocalAIError as error:
            self.load_error = str(error)
            log.warning("jupyter_localai: the model did not load in the background: %s", error)
        else:
            self.load_error = None

    def _send(self, engine: Engine, context: NotebookContext, session: str | None,
              task: str = "") -> bool:
        settings = self.assistant.settings
        request = PrefillRequest(context, session, settings.max_tokens, settings.context_tokens,
                                 task)
        return bool(engine.prefill(request))
