"""The engine protocol: what every backend (worker, remote, fake) implements.

A request is chat messages plus sampling options; a `Generation` streams text pieces as
they arrive and can be cancelled from any thread. Nothing here imports llama_cpp, Jupyter
or tornado, so kernels, the server and tests all share it.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class GenerationRequest:
    """One question for the model: chat messages and how to sample the answer."""

    messages: list[dict[str, str]]
    max_tokens: int = 512
    temperature: float = 0.0
    seed: int = 0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    model: str | None = None
    # Which notebook the request belongs to; engines that keep per-notebook state use it.
    session_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form, as sent to the worker or a server."""
        return {
            "messages": self.messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "model": self.model,
            "session_id": self.session_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationRequest:
        """Inverse of `to_json`, tolerant of missing optional keys."""
        return cls(
            messages=list(data["messages"]),
            max_tokens=int(data.get("max_tokens") or 512),
            temperature=float(data.get("temperature") or 0.0),
            seed=int(data.get("seed") or 0),
            top_p=float(data.get("top_p") if data.get("top_p") is not None else 1.0),
            stop=list(data.get("stop") or []),
            model=data.get("model"),
            session_id=data.get("session_id"),
        )


@dataclass
class Completion:
    """What a finished generation produced, with the timings users and benchmarks need."""

    text: str
    model: str
    finish_reason: str = "stop"  # "stop", "length" or "cancelled"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    ttft_s: float = 0.0
    total_s: float = 0.0
    # Prompt tokens reused from the KV cache (0 when unknown or cold).
    cached_tokens: int = 0


class Generation(ABC):
    """A streaming answer: iterate for text pieces; `completion` is set once it ends.

    `cancel()` may be called from any thread (an interrupt handler, a disconnected client);
    the engine stops at the next token and iteration ends with finish_reason "cancelled".
    """

    def __init__(self) -> None:
        self.completion: Completion | None = None
        self._cancelled = threading.Event()
        self._started = time.perf_counter()

    @abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    def cancel(self) -> None:
        """Ask the engine to stop this answer as soon as possible."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def result(self) -> Completion:
        """Drain the stream and return the completion."""
        for _ in self:
            pass
        assert self.completion is not None
        return self.completion


class Engine(ABC):
    """A model backend. One engine object is owned by whoever needs it (no globals)."""

    @abstractmethod
    def generate(self, request: GenerationRequest) -> Generation:
        """Start answering `request`; returns at once with a stream."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """State of the engine (model, state, n_ctx, ...); must answer at once."""

    def n_ctx(self) -> int:
        """Context window in tokens, for the prompt budget."""
        return int(self.status().get("n_ctx") or 4096)

    def models(self) -> list[dict[str, Any]]:
        """Models this engine can serve."""
        return []

    def close(self) -> None:
        """Free processes and connections."""
