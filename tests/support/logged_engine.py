"""The session's real worker engine, with every request it is sent kept for the test.

What reaches the model (the messages a task built) is then observed, not reconstructed;
the wrapped engine is borrowed, never closed here.
"""

from __future__ import annotations

from typing import Any

from jupyter_localai.core.engine import Engine, Generation, GenerationRequest


class LoggedEngine(Engine):
    """Passes each request to `inner` and keeps it in `requests`."""

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest) -> Generation:
        self.requests.append(request)
        return self.inner.generate(request)

    def status(self) -> dict[str, Any]:
        return self.inner.status()

    def n_ctx(self) -> int:
        return self.inner.n_ctx()

    def models(self) -> list[dict[str, Any]]:
        return self.inner.models()
