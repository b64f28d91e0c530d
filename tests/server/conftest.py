"""Fixtures for the server extension: a real jupyter_server in process (pytest-jupyter).

The fast tests give the extension a scripted engine through `LocalAIExtension.engine_factory`;
the real-model tests leave the default (the worker engine) in place.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

# pytest-jupyter's fixtures (jp_serverapp, jp_fetch, jp_server_config, ...) and its hooks for
# async tests, for this directory only.
from pytest_jupyter.jupyter_server import *
from support.server_engines import RecordingEngine
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from traitlets.config import Config

EXTENSION_ON = {"jupyter_localai": True}
LONG_ANSWER = " ".join(f"word{i}" for i in range(200))


@pytest.fixture
def engine() -> RecordingEngine:
    """The engine the extension will own; tests that need another reply replace its script."""
    return RecordingEngine(reply="```python\nx = 1\n```", delay_s=0.0)


@pytest.fixture
def localai_config() -> dict[str, Any]:
    """Extra `c.LocalAI.*` settings for one test."""
    return {"max_tokens": 48}


@pytest.fixture
def engine_factory(engine: RecordingEngine) -> Callable[[Any], RecordingEngine]:
    """What the extension calls to make its engine from the LocalAI settings."""
    return lambda settings: engine


@pytest.fixture
def jp_server_config(engine_factory: Any, localai_config: dict[str, Any]) -> Config:
    return Config(
        {
            "ServerApp": {"jpserver_extensions": EXTENSION_ON},
            "LocalAIExtension": {"engine_factory": engine_factory},
            "LocalAI": localai_config,
        }
    )


@pytest.fixture
def runtime(jp_serverapp: Any) -> Any:
    return jp_serverapp.web_app.settings["localai"]


@pytest.fixture
def server_url(jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str) -> str:
    """The running server's URL (requesting `http_server` makes pytest-jupyter listen)."""
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


@pytest.fixture
def token(jp_serverapp: Any) -> str:
    return jp_serverapp.identity_provider.token


@pytest.fixture
def openai_client(server_url: str, token: str, jp_asyncio_loop: Any) -> Iterator[Any]:
    """Make official `openai` clients for this server (API key: the token unless given);
    they are closed on the test's loop before it closes."""
    import openai

    clients: list[Any] = []

    def make(api_key: str | None = None) -> Any:
        client = openai.AsyncOpenAI(
            base_url=server_url + "api/localai/v1",
            api_key=api_key or token,
            max_retries=0,
            timeout=300,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        jp_asyncio_loop.run_until_complete(client.close())


Fetch = Callable[..., Awaitable[HTTPResponse]]


@pytest.fixture
def raw_fetch(server_url: str) -> Fetch:
    """Fetch with exactly the headers given (no token added), never raising on HTTP errors."""

    async def fetch(
        path: str,
        *,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        request_timeout: float = 60,
        **kwargs: Any,
    ) -> HTTPResponse:
        payload = None
        if body is not None:
            payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method == "POST":
            payload = "{}"
        return await AsyncHTTPClient().fetch(
            server_url + path,
            method=method,
            body=payload,
            headers=headers or {},
            raise_error=False,
            request_timeout=request_timeout,
            **kwargs,
        )

    return fetch


@pytest.fixture
def parse_sse() -> Callable[[bytes], list[Any]]:
    return sse_events


@pytest.fixture
def long_answer() -> str:
    return LONG_ANSWER


def sse_events(body: bytes) -> list[Any]:
    """The `data:` payloads of an SSE body, JSON-decoded where they are JSON."""
    events: list[Any] = []
    for block in body.decode("utf-8").split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line[len("data: ") :]
                events.append(data if data == "[DONE]" else json.loads(data))
    return events
