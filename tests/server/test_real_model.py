"""The server extension with the real model (the session's worker engine, lent to the
in-process server): streaming with the official `openai` client, and `status` answering
at once while the model generates."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from support.logged_engine import LoggedEngine

pytestmark = pytest.mark.model

MESSAGES = [
    {"role": "system", "content": "Answer with one Python code block and nothing else."},
    {"role": "user", "content": "Write a Python function add(a, b) that returns a + b."},
]


@pytest.fixture
def engine_factory(worker_engine):
    return lambda settings: LoggedEngine(worker_engine)  # borrowed: never closed


@pytest.fixture
def localai_config(default_model_path):
    return {"model": default_model_path, "max_tokens": 48}


async def test_the_openai_client_streams_from_the_resident_model(openai_client):
    client = openai_client()
    stream = await client.chat.completions.create(
        model="anything",
        messages=MESSAGES,
        max_tokens=48,
        temperature=0,
        seed=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, usage, model = [], None, None, None
    async for chunk in stream:
        model = chunk.model
        usage = chunk.usage or usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    text = "".join(pieces)
    assert len(pieces) > 3
    assert "def add" in text
    assert finish in ("stop", "length")
    assert usage.completion_tokens > 0 and usage.prompt_tokens > 0
    assert model.endswith(".gguf") or "qwen" in model.lower()
    # temperature 0, fixed seed: the non-streaming answer is the same text
    whole = await client.chat.completions.create(
        model="anything",
        messages=MESSAGES,
        max_tokens=48,
        temperature=0,
        seed=0,
    )
    assert whole.choices[0].message.content == text


async def test_status_answers_in_under_100_ms_while_the_model_generates(
    server_url, raw_fetch, runtime, parse_sse
):
    auth = {"Authorization": f"LocalAI {runtime.secret}"}
    body = {
        "task": "chat",
        "prompt": "Count from 1 to 60, separated by commas.",
        "max_tokens": 64,
        "request_id": "real-status-0001",
    }
    ask = asyncio.ensure_future(
        raw_fetch("api/localai/ask", method="POST", body=body, headers=auth, request_timeout=300)
    )
    # wait until the model is generating this request
    for _ in range(600):
        status = json.loads((await raw_fetch("api/localai/status", headers=auth)).body)
        if status.get("active_requests") == 1 and status.get("state") in (
            "generating",
            "ready",
            "busy",
        ):
            break
        await asyncio.sleep(0.05)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = await raw_fetch("api/localai/status", headers=auth)
        timings.append(time.perf_counter() - started)
        assert response.code == 200
        await asyncio.sleep(0.05)
    still_running = not ask.done()
    response = await asyncio.wait_for(ask, timeout=300)
    assert still_running, "the answer finished before status was measured; use a longer one"
    assert max(timings) < 0.1, timings
    events = parse_sse(response.body)
    assert events[-1]["type"] == "done"
    assert events[-1]["reply"]["text"]
