"""A scripted engine for fast unit tests of logic; never a stand-in for real-model tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..core.engine import Completion, CompletionRequest, Engine, Generation, GenerationRequest

ReplyScript = Callable[[GenerationRequest], str]
CompletionScript = Callable[[CompletionRequest], str]


def echo_completion(request: CompletionRequest) -> str:
    """The fake's default inline completion: names the cursor's line, so a test can tell
    which request an answer belongs to (deterministic, never empty)."""
    line = request.prefix.rsplit("\n", 1)[-1]
    return f"completion_of({line.strip()!r})"


def trimmed_completion(text: str, request: CompletionRequest) -> str:
    """`text` cut as a real engine cuts a completion: first stop string, `max_lines`."""
    hits = [at for at in (text.find(stop) for stop in request.stop if stop) if at >= 0]
    if hits:
        text = text[: min(hits)]
    return "\n".join(text.split("\n")[: request.max_lines])


class FakeGeneration(Generation):
    """Streams a fixed answer word by word, honouring cancellation between pieces."""

    def __init__(
        self,
        text: str,
        model: str,
        delay_s: float,
        *,
        candidates: list[str] | None = None,
        max_pieces: int | None = None,
    ) -> None:
        super().__init__()
        self._text = text
        self._model = model
        self._delay_s = delay_s
        self._candidates = list(candidates or [])
        self._max_pieces = max_pieces

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
            if self._max_pieces is not None and index >= self._max_pieces:
                finish = "length"
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
            # A cancel stops every candidate: only the streamed one's part is left.
            candidates=[] if finish == "cancelled" or not self._candidates else [
                "".join(produced), *self._candidates[1:]],
        )


class FakeEngine(Engine):
    """Answers from a script (a fixed string or a function of the request) and records prompts.

    `candidate_replies` are the extra answers of a request with `n_candidates` > 1 (the
    scripted reply is candidate 0; missing ones repeat it). `complete` answers inline
    completions from `completion_reply` (default `echo_completion`), cut at the request's
    stops and lines, one piece per word capped at `max_tokens`; a newer completion of a
    session cancels its older one, as the worker does. Requests are recorded in
    `requests`, `completions` and `completion_prefills`.
    """

    supports_complete = True
    supports_candidates = True

    def __init__(
        self,
        reply: str | ReplyScript = "```python\nprint('hello')\n```",
        *,
        model: str = "fake",
        n_ctx: int = 4096,
        delay_s: float = 0.0,
        candidate_replies: list[str] | None = None,
        completion_reply: str | CompletionScript = echo_completion,
    ) -> None:
        self._reply = reply
        self._model = model
        self._n_ctx = n_ctx
        self._delay_s = delay_s
        self._candidate_replies = list(candidate_replies or [])
        self._completion_reply = completion_reply
        self._lock = threading.Lock()
        self._completing: dict[str | None, FakeGeneration] = {}
        self.requests: list[GenerationRequest] = []
        self.completions: list[CompletionRequest] = []
        self.completion_prefills: list[tuple[str, str | None]] = []

    def generate(self, request: GenerationRequest) -> Generation:
        with self._lock:
            self.requests.append(request)
        text = self._reply(request) if callable(self._reply) else self._reply
        candidates = None
        if request.n_candidates > 1:
            extra = self._candidate_replies[: request.n_candidates - 1]
            extra += [text] * (request.n_candidates - 1 - len(extra))
            candidates = [text, *extra]
        return FakeGeneration(text, self._model, self._delay_s, candidates=candidates)

    def complete(self, request: CompletionRequest) -> Generation:
        script = self._completion_reply
        text = trimmed_completion(script(request) if callable(script) else script, request)
        generation = FakeGeneration(text, self._model, self._delay_s, max_pieces=request.max_tokens)
        with self._lock:
            self.completions.append(request)
            older = self._completing.get(request.session_id)
            self._completing[request.session_id] = generation
        if older is not None:
            older.cancel()
        return generation

    def prefill_completion(self, context: str, session_id: str | None = None) -> bool:
        with self._lock:
            self.completion_prefills.append((context, session_id))
        return True

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
