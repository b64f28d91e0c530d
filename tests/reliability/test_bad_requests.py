"""Bad input gets a clear 400, never a 500 or a stuck request: fuzzed request bodies.

The server's request parsers (`ask` and OpenAI chat bodies) are fuzzed with hypothesis over
arbitrary JSON, including what Python's JSON reader accepts beyond the standard (NaN,
Infinity, huge numbers); they may only refuse with the errors the handlers turn into a 400.
A set of such bodies then goes to the real in-process server, which must answer each with
a 4xx naming the problem, keep no request active, and answer the next good request.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tornado.httpclient import AsyncHTTPClient
from traitlets.config import Config

from jupyter_localai.config import LocalAI
from jupyter_localai.core.ask_body import task_request_from_json
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.server.openai_api import generation_request_from_json
from jupyter_localai.server.runtime import AssistantRuntime

REFUSALS = (TypeError, ValueError, KeyError)  # what the handlers turn into a 400

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=12,
)
ASK_KEYS = ["task", "prompt", "context", "history", "target_source", "target_output", "format",
            "max_tokens", "temperature", "seed", "context_tokens", "retries", "session_id"]
CHAT_KEYS = ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "seed",
             "top_p", "stop", "n", "user", "stream"]


def _bodies(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), json_values, max_size=8)


@pytest.fixture(scope="module")
def runtime() -> AssistantRuntime:
    return AssistantRuntime(LocalAI(), secret="s", engine_factory=lambda s: FakeEngine())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies(ASK_KEYS))
def test_fuzz_ask_bodies_parse_or_are_refused_cleanly(runtime: AssistantRuntime,
                                                      body: dict[str, Any]) -> None:
    try:
        request = task_request_from_json(body, runtime.settings)
    except REFUSALS:
        return
    assert request.max_tokens >= 1 and request.context_tokens >= 0 and 0 <= request.retries <= 10
    assert math.isfinite(request.temperature) and request.temperature >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_bodies(CHAT_KEYS))
def test_fuzz_chat_bodies_parse_or_are_refused_cleanly(body: dict[str, Any]) -> None:
    try:
        request = generation_request_from_json(body, LocalAI())
    except REFUSALS:
        return
    assert request.max_tokens >= 1 and request.messages
    assert math.isfinite(request.temperature) and 0 <= request.top_p <= 1


NASTY = [
    ("ask", '{"task": "chat", "prompt": "hi", "max_tokens": Infinity}'),
    ("ask", '{"task": "chat", "prompt": "hi", "max_tokens": NaN}'),
    ("ask", '{"task": "chat", "prompt": "hi", "temperature": 1e400}'),
    ("ask", '{"task": "chat", "prompt": "hi", "max_tokens": -5}'),
    ("ask", '{"task": "chat", "prompt": "hi", "retries": 1e9}'),
    ("ask", '{"task": "chat", "prompt": "hi", "context_tokens": -1}'),
    ("ask", '{"task": "chat", "prompt": "hi", "context": {"cells": [{"nope": 1}]}}'),
    ("ask", '{"task": "chat", "prompt": "hi", "context": {"cells": 5}}'),
    ("ask", '{"task": "chat", "prompt": "hi", "session_id": {"a": 1}}'),
    ("ask", '{"task": ["chat"], "prompt": "hi"}'),
    ("ask", '{"task": "explain", "target_source": {"code": 1}}'),
    ("ask", '{"task": "fix", "target_source": 7}'),
    ("v1/chat/completions", '{"messages": [{"role": "user", "content": "x"}], "max_tokens": 1e999}'),
    ("v1/chat/completions", '{"messages": [{"role": "user", "content": "hi"}], "seed": 1e400}'),
    ("v1/chat/completions", '{"messages": [{"role": "user", "content": "hi"}], "n": NaN}'),
    ("v1/chat/completions", '{"messages": [{"role": "user", "content": "hi"}], "top_p": "x"}'),
    ("prefill", '{"context": {}, "max_tokens": Infinity}'),
    ("prefill", '{"context": {}, "context_tokens": 1e400}'),
    ("models", '{"model": ["a"]}'),
    ("cancel", '{"request_id": {"id": 1}}'),
]


@pytest.fixture
def jp_server_config() -> Config:
    return Config({
        "ServerApp": {"jpserver_extensions": {"jupyter_localai": True}},
        "LocalAIExtension": {"engine_factory": lambda settings: FakeEngine(reply="ok")},
    })


async def test_nasty_bodies_get_a_4xx_and_the_server_carries_on(
    jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str,
    reliability_report: Any,
) -> None:
    runtime = jp_serverapp.web_app.settings["localai"]
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}api/localai/"
    headers = {"Authorization": f"LocalAI {runtime.secret}"}
    client = AsyncHTTPClient()
    for route, body in NASTY:
        response = await client.fetch(base + route, method="POST", body=body, headers=headers,
                                      raise_error=False, request_timeout=30)
        assert 400 <= response.code < 500, (route, body, response.code, response.body)
        assert json.loads(response.body)["message"] if route != "v1/chat/completions" else (
            json.loads(response.body)["error"]["message"])
        assert runtime.active_count() == 0
    good = await client.fetch(base + "ask", method="POST", headers=headers,
                              body=json.dumps({"task": "chat", "prompt": "hi"}))
    assert good.code == 200 and b'"done"' in good.body
    reliability_report.add(
        "bad requests",
        f"600 fuzzed `ask` / chat bodies (hypothesis) and {len(NASTY)} nasty bodies over HTTP "
        "(NaN, Infinity, 1e400, negative limits, wrong types)",
        "each parsed or refused with a 4xx naming the problem; no 500",
        "no request left active; next request answered",
    )
