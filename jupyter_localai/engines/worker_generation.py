"""One streaming answer of the worker engine, fed by the engine's message pump thread."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import LocalAIError
from .base import Completion, Generation

if TYPE_CHECKING:
    from .worker_client import WorkerEngine
    from .worker_process import WorkerProcess


class WorkerGeneration(Generation):
    """A streaming answer fed by the engine's message pump; iterate from any one thread."""

    def __init__(self, engine: WorkerEngine, request_id: str, model: str) -> None:
        super().__init__()
        self.request_id = request_id
        self.started = False  # the worker began evaluating it (left the queue)
        self._engine = engine
        self._model = model
        self._events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._error: LocalAIError | None = None
        self._worker: WorkerProcess | None = None  # the process that holds the request
        self._first_piece_at = 0.0
        self._finished = threading.Event()

    def __iter__(self) -> Iterator[str]:
        if self._error is not None:
            raise self._error
        if self.completion is not None:
            return
        while True:
            kind, payload = self._events.get()
            if kind == "token":
                if not self._first_piece_at:
                    self._first_piece_at = time.perf_counter()
                yield payload
            elif kind == "done":
                self.completion = payload
                return
            else:
                self._error = payload
                raise payload

    def cancel(self) -> None:
        """Stop at the next token (or drop it from the queue); safe from any thread."""
        if not self.cancelled and not self._finished.is_set():
            super().cancel()
            self._engine._cancel(self)

    # Called by the engine's pump thread.

    def _token(self, text: str) -> None:
        self._events.put(("token", text))

    def _done(self, data: dict[str, Any]) -> None:
        if self._finished.is_set():
            return
        self._finished.set()
        now = time.perf_counter()
        completion = Completion(
            text=str(data.get("text", "")),
            model=self._model,
            finish_reason=str(data.get("finish_reason", "stop")),
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            # Seen from the caller: queue wait and prompt processing included.
            ttft_s=(self._first_piece_at or now) - self._started,
            total_s=now - self._started,
            cached_tokens=int(data.get("cached_tokens") or 0),
        )
        self._events.put(("done", completion))

    def _fail(self, error: LocalAIError) -> None:
        if not self._finished.is_set():
            self._finished.set()
            self._events.put(("error", error))
