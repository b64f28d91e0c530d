"""The worker engine's answers: each streaming `WorkerGeneration`, and the table of those
the worker holds (`PendingGenerations`), fed by the engine's message pump thread.

The generations own their state; the engine only calls the small public API here (bind,
route a worker message, fail, end a queued one), and a generation reaches the engine only
through the `on_cancel` callback it was made with, so this module imports nothing of it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..core.engine import Completion, Generation
from ..errors import ContextOverflowError, LocalAIError, ModelLoadError
from ..worker.protocol import CONTEXT_OVERFLOW, MODEL_LOAD

if TYPE_CHECKING:
    from .worker_process import WorkerProcess


class WorkerGeneration(Generation):
    """A streaming answer fed by the engine's message pump; iterate from any one thread."""

    def __init__(
        self, request_id: str, model: str, on_cancel: Callable[[WorkerGeneration], None]
    ) -> None:
        super().__init__()
        self.request_id = request_id
        self.started = False  # the worker began evaluating it (left the queue)
        self._model = model
        self._on_cancel = on_cancel
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
            self._on_cancel(self)

    @property
    def worker(self) -> WorkerProcess | None:
        """The worker process the request was sent to (None until sent)."""
        return self._worker

    # Called by the engine (its callers' threads and its pump thread).

    def bind(self, worker: WorkerProcess, model: str) -> None:
        """The request goes to `worker`, which answers with `model`."""
        self._model = model
        self._worker = worker

    def push_token(self, text: str) -> None:
        self._events.put(("token", text))

    def finish(self, data: dict[str, Any]) -> None:
        """End with the worker's completion (`text`, `finish_reason`, token counts)."""
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
            candidates=[str(text) for text in data.get("candidates") or []],
        )
        self._events.put(("done", completion))

    def fail(self, error: LocalAIError) -> None:
        if not self._finished.is_set():
            self._finished.set()
            self._events.put(("error", error))


class PendingGenerations:
    """The requests sent to the worker and not yet answered, by request id.

    Callers' threads add, the pump thread routes the worker's messages and removes, any
    thread may fail them all; the table itself is guarded by a lock of its own.
    """

    def __init__(self) -> None:
        self._by_id: dict[str, WorkerGeneration] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, request_id: str) -> WorkerGeneration | None:
        return self._by_id.get(request_id)

    def add(self, generation: WorkerGeneration) -> None:
        with self._lock:
            self._by_id[generation.request_id] = generation

    def discard(self, request_id: str) -> None:
        with self._lock:
            self._by_id.pop(request_id, None)

    def all(self) -> list[WorkerGeneration]:
        return list(self._by_id.values())

    def queued(self) -> int:
        """Requests the worker has not started on yet."""
        return sum(1 for g in self.all() if not g.started)

    def route(self, message: dict[str, Any]) -> None:
        """Hand a `token`, `started`, `done` or `error` message to its generation."""
        kind = message.get("type")
        generation = self._by_id.get(str(message.get("id")))
        if generation is None:
            return
        if kind == "token":
            generation.push_token(message["text"])
        elif kind == "started":
            generation.started = True
        elif kind == "done":
            self.discard(generation.request_id)
            generation.finish(message["completion"])
        elif kind == "error":
            self.discard(generation.request_id)
            generation.fail(worker_error(message))

    def end_queued(self, generation: WorkerGeneration) -> None:
        """A cancelled request that never started ends now (the worker will skip it)."""
        if not generation.started:
            self.discard(generation.request_id)
            generation.finish({"text": "", "finish_reason": "cancelled"})

    def fail_all(self, error: LocalAIError, worker: WorkerProcess | None = None) -> None:
        """Fail the pending requests (of `worker` only, if given)."""
        with self._lock:
            failed = [g for g in self._by_id.values() if worker is None or g.worker is worker]
            for generation in failed:
                self._by_id.pop(generation.request_id, None)
        for generation in failed:
            generation.fail(error)


def worker_error(message: dict[str, Any]) -> LocalAIError:
    """The exception a worker error message stands for."""
    error, text = message.get("error"), str(message.get("message", ""))
    if error == CONTEXT_OVERFLOW:
        return ContextOverflowError(text)
    if error == MODEL_LOAD:
        return ModelLoadError(text)
    return LocalAIError(f"the model worker failed: {text}")
