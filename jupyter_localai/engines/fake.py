"""A scripted engine for fast unit tests of logic; never a stand-in for real-model tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..core.engine import Completion, Engine, Generation, GenerationRequest

ReplyScript = Callable[[GenerationRequest], str]


class FakeGeneration(Generation):
    """Streams a fixed answer word by word, honouring cancellation between pieces."""

    def __init__(self, text: str, model: str, delay_s: float) -> None:
        super().__init__()
        self._text = text
        self._model = model
        self._delay_s = delay_s

    def __iter__(self) -> Iterator[str]:
        if self.completion is not None:
            return
        pieces = self._text.split(" ")
        produced: list[str] = []
        first_piece_at = 0.0
        finish = "stop"
        for index, word in enumerate(pieces):
            if self.cancelled:
                finish = "cancelled"
                break
            if self._delay_s:
                time.sleep(self._delay_s)
            piece = word if index == 0 else " " + word
            if not produced:
                first_piece_at = time.perf_counter() - self._started
            produced.append(piece)
            yield piece
        self.completion = Completion(
            text="".join(produced),
            model=self._model,
            finish_reason=finish,
            completion_tokens=len(produced),
            ttft_s=first_piece_at,
            total_s=time.perf_counter() - self._started,
        )


class FakeEngine(Engine):
    """Answers from a script (a fixed string or a function of the request) and records prompts."""

    def __init__(
        self,
        reply: str | ReplyScript = "```python\nprint('hello')\n```",
        *,
        model: str = "fake",
        n_ctx: int = 4096,
        delay_s: float = 0.0,
    ) -> None:
        self._reply = reply
        self._model = model
        self._n_ctx = n_ctx
        self._delay_s = delay_s
        self._lock = threading.Lock()
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Generation:
        with self._lock:
            self.requests.append(request)
        text = self._reply(request) if callable(self._reply) else self._reply
        return FakeGeneration(text, self._model, self._delay_s)

    def status(self) -> dict[str, Any]:
        return {
            "engine": "fake",
            "model": self._model,
            "state": "ready",
            "n_ctx": self._n_ctx,
            "requests_served": len(self.requests),
        }

    def n_ctx(self) -> int:
        return self._n_ctx

    def models(self) -> list[dict[str, Any]]:
        return [{"name": self._model, "available": True}]
