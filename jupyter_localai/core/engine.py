"""The engine protocol: what every backend (worker, remote, server, fake) implements.

A request is chat messages plus sampling options; a `Generation` streams text pieces as
they arrive and can be cancelled from any thread. Nothing here imports llama_cpp, Jupyter
or tornado, so kernels, the server and tests all share it.

Capabilities are declared, not probed (as simonw/llm's `can_stream` / `supports_tools`):
each engine class sets the `supports_*` flags for what it does, and a face reads a flag
before it calls the method, never `getattr(engine, "prefill", None)`. What an engine does
not support raises `NotSupportedError` (or, for `load`, is a documented no-op).
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import defaults
from .context import NotebookContext
from .errors import NotSupportedError
from .prompt import PromptBudget, prefill_messages
from .task_request import TaskRequest, first_messages, redacted_request


@dataclass
class GenerationRequest:
    """One question for the model: chat messages and how to sample the answer."""

    messages: list[dict[str, str]]
    max_tokens: int = defaults.MAX_TOKENS
    temperature: float = 0.0
    seed: int = 0
    top_p: float = 1.0
    stop: list[str] = field(default_factory=list)
    model: str | None = None
    # Which notebook the request belongs to; engines that keep per-notebook state use it.
    session_id: str | None = None
    # Answers wanted from one evaluation of the prompt (`Completion.candidates`): the first
    # is the usual answer (streamed, identical to n_candidates=1); the others are sampled
    # with distinct fixed seeds, so the caller can keep the first that passes its checks.
    # Engines that cannot decode several at once answer one (`Engine.supports_candidates`).
    n_candidates: int = 1

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form, as sent to the worker or a server."""
        data: dict[str, Any] = {
            "messages": self.messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "seed": self.seed,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "model": self.model,
            "session_id": self.session_id,
        }
        if self.n_candidates > 1:  # the one-answer message stays as it always was
            data["n_candidates"] = self.n_candidates
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationRequest:
        """Inverse of `to_json`, tolerant of missing optional keys."""
        return cls(
            messages=list(data["messages"]),
            max_tokens=int(data.get("max_tokens") or defaults.MAX_TOKENS),
            temperature=float(data.get("temperature") or 0.0),
            seed=int(data.get("seed") or 0),
            top_p=float(data.get("top_p") if data.get("top_p") is not None else 1.0),
            stop=list(data.get("stop") or []),
            model=data.get("model"),
            session_id=data.get("session_id"),
            n_candidates=max(1, int(data.get("n_candidates") or 1)),
        )


@dataclass
class CompletionRequest:
    """An inline completion at a cursor: complete the code between `prefix` and `suffix`.

    `context` is the stable text before the cell (the variables summary and earlier cells,
    already built and redacted by the caller): it changes rarely, so an engine may evaluate
    it ahead of time (`Engine.prefill_completion`) and a keystroke's request costs only the
    tokens after it. The answer ends at `max_tokens`, at a `stop` string, at the model's end
    of generation, or after `max_lines` lines, whichever comes first. A newer request of
    the same `session_id` cancels an older one still running. `request_id` names the
    request for the caller (a route that cancels it); engines may ignore it. `keys`: per
    live DataFrame its column names; an engine that steers its decoding keeps a string key
    written after `frame[` to one of them (`worker/key_guide.py`), others ignore it.
    """

    context: str = ""
    prefix: str = ""
    suffix: str = ""
    max_tokens: int = 64
    stop: list[str] = field(default_factory=list)
    max_lines: int = 6
    session_id: str | None = None
    request_id: str | None = None
    keys: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form, as sent to the worker or a server."""
        return {
            "context": self.context,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "max_tokens": self.max_tokens,
            "stop": list(self.stop),
            "max_lines": self.max_lines,
            "session_id": self.session_id,
            "request_id": self.request_id,
            "keys": {name: list(columns) for name, columns in self.keys.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompletionRequest:
        """Inverse of `to_json`; raises ValueError/TypeError on a malformed field."""
        texts = {key: data.get(key) or "" for key in ("context", "prefix", "suffix")}
        for key, value in texts.items():
            if not isinstance(value, str):
                raise TypeError(f"{key} must be a string, not {type(value).__name__}")
        stop = data.get("stop") or []
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise TypeError("stop must be a list of strings")
        return cls(
            context=texts["context"],
            prefix=texts["prefix"],
            suffix=texts["suffix"],
            max_tokens=max(1, int(data.get("max_tokens") or 64)),
            stop=list(stop),
            max_lines=max(1, int(data.get("max_lines") or 6)),
            session_id=data.get("session_id"),
            request_id=data.get("request_id"),
            keys=_keys(data.get("keys") or {}),
        )


def _keys(data: Any) -> dict[str, list[str]]:
    """A request's `keys` checked: names to lists of strings."""
    if not isinstance(data, dict) or not all(
        isinstance(name, str) and isinstance(columns, list)
        and all(isinstance(c, str) for c in columns)
        for name, columns in data.items()
    ):
        raise TypeError("keys must map names to lists of strings")
    return {name: list(columns) for name, columns in data.items()}


# What a prefill may evaluate besides the context: nothing, or `%ai fix`'s first prompt.
PREFILL_TASKS = ("", "fix")


@dataclass
class PrefillRequest:
    """A notebook's context to warm the model with, ahead of the questions on it.

    `max_tokens` and `context_tokens` are the budget later requests will use, so the
    prefix evaluated now is the one they start with (`messages`).

    `task` "fix" (when the cell just run failed): the whole first prompt of `%ai fix` on
    this context instead, the question the user most likely asks next. Its user turn
    starts where every other question's does, so they still reuse the context before it;
    `%ai fix` itself then reuses all of it, logits included (`LoadedModel.cached_prefix`).
    """

    context: NotebookContext
    session_id: str | None = None
    max_tokens: int = defaults.MAX_TOKENS
    context_tokens: int = defaults.CONTEXT_TOKENS
    task: str = ""

    def __post_init__(self) -> None:
        if self.task not in PREFILL_TASKS:
            raise ValueError(f"a prefill's task is one of {PREFILL_TASKS}, not {self.task!r}")

    @property
    def whole(self) -> bool:
        """Whether `messages` are a whole prompt (else their last turn is left open)."""
        return bool(self.task)

    def messages(self, n_ctx: int) -> list[dict[str, str]]:
        """How every single-turn request on this context begins, for a window of `n_ctx`;
        with a `task`, that request's whole first prompt."""
        if self.task:
            request = redacted_request(TaskRequest(
                self.task, context=self.context, max_tokens=self.max_tokens,
                context_tokens=self.context_tokens, session_id=self.session_id))
            return first_messages(request, n_ctx)
        budget = PromptBudget(n_ctx, self.max_tokens, self.context_tokens)
        return prefill_messages(self.context, budget)



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
    # With `GenerationRequest.n_candidates` > 1: every candidate's text, the first being
    # `text` (the streamed one). Empty for a one-answer request: see `all_candidates`.
    candidates: list[str] = field(default_factory=list)

    def all_candidates(self) -> list[str]:
        """The answers in the order to check them: the streamed one first."""
        return list(self.candidates) if self.candidates else [self.text]


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
    """A model backend. One engine object is owned by whoever needs it (no globals).

    Every engine answers `generate`, `status`, `n_ctx`, `models`, `load` and `close`. The
    rest is optional and declared by a flag the face reads first:

    - `supports_switch`: `switch_model` changes the model in place (else the owner replaces
      the engine);
    - `supports_prefill`: `prefill` warms the cache with a notebook's context and
      `pause_prefill` stops that while the notebook's cell computes;
    - `supports_complete`: `complete` answers an inline completion and
      `prefill_completion` warms it with the stable context;
    - `supports_candidates`: `generate` honours `GenerationRequest.n_candidates` > 1 (else
      it answers one and `Completion.all_candidates()` has one entry).
    """

    supports_switch: ClassVar[bool] = False
    supports_prefill: ClassVar[bool] = False
    supports_complete: ClassVar[bool] = False
    supports_candidates: ClassVar[bool] = False

    @abstractmethod
    def generate(self, request: GenerationRequest) -> Generation:
        """Start answering `request`; returns at once with a stream."""

    @abstractmethod
    def status(self) -> dict[str, Any]:
        """State of the engine (model, state, n_ctx, ...); must answer at once."""

    def n_ctx(self) -> int:
        """Context window in tokens, for the prompt budget."""
        return int(self.status().get("n_ctx") or defaults.UNKNOWN_N_CTX)

    def models(self) -> list[dict[str, Any]]:
        """Models this engine can serve (`{"name", "available", ...}` rows)."""
        return []

    def load(self) -> None:
        """Load the model now instead of on the first request. A no-op for engines with
        nothing to load (a remote server's model is loaded by that server)."""

    def switch_model(self, name_or_path: str) -> dict[str, Any]:
        """Serve another model from now on, after the requests already queued; answers the
        new status. Only when `supports_switch`."""
        raise NotSupportedError(f"{type(self).__name__} does not switch models in place")

    def prefill(self, request: PrefillRequest) -> bool:
        """Warm the cache with the start of the later requests on `request.context`; fire
        and forget, at low priority, never loading a model. Returns whether it was sent.
        Only when `supports_prefill`."""
        raise NotSupportedError(f"{type(self).__name__} does not prefill")

    def pause_prefill(self, session_id: str | None = None) -> None:
        """A cell starts computing in that notebook: stop its prefill at once, so the model
        does not compete with the user's code. Only when `supports_prefill`."""
        raise NotSupportedError(f"{type(self).__name__} does not prefill")

    def complete(self, request: CompletionRequest) -> Generation:
        """Complete code at a cursor (inline completion); returns at once with a stream.

        Latency policy: a completion is worth something only while the user waits for it,
        so it must never queue behind a long chat answer; an engine serves it between the
        answer's tokens (or answers "no suggestion" at once), and a newer completion of the
        same session cancels the older one. Only when `supports_complete`."""
        raise NotSupportedError(f"{type(self).__name__} does not do inline completion")

    def prefill_completion(self, context: str, session_id: str | None = None) -> bool:
        """Evaluate a completion's stable `context` ahead of the keystrokes that will use it;
        fire and forget, never loading a model. Returns whether it was sent.
        Only when `supports_complete`."""
        raise NotSupportedError(f"{type(self).__name__} does not do inline completion")

    def close(self) -> None:
        """Free processes and connections."""
