"""Scripted engines for the server tests (a module, so test files can import them by a
name no other test folder uses; importing from `conftest` picks whichever folder's loaded)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jupyter_localai.core.engine import Generation, GenerationRequest
from jupyter_localai.engines.fake import FakeEngine, FakeGeneration
from jupyter_localai.errors import ContextOverflowError


class RecordingEngine(FakeEngine):
    """A FakeEngine that keeps its generations (to see them cancelled) and can refuse
    prompts longer than `max_prompt_chars` the way a real engine refuses an overflow."""

    def __init__(self, *args: Any, max_prompt_chars: int = 10_000, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generations: list[Generation] = []
        self.closed = False
        self.max_prompt_chars = max_prompt_chars

    def generate(self, request: GenerationRequest) -> Generation:
        size = sum(len(m["content"]) for m in request.messages)
        if size > self.max_prompt_chars:
            generation: Generation = _OverflowGeneration(size, self.max_prompt_chars)
            self.requests.append(request)
        else:
            generation = super().generate(request)
        self.generations.append(generation)
        return generation

    def close(self) -> None:
        self.closed = True


class _OverflowGeneration(FakeGeneration):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__("", "fake", 0.0)
        self._size, self._limit = size, limit

    def __iter__(self) -> Iterator[str]:
        raise ContextOverflowError(
            f"the prompt needs {self._size} characters but the model takes {self._limit}"
        )
