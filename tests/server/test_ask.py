"""The `ask` route: SSE streaming through the core's run_task, cancellation, errors."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest


def _auth(runtime):
    return {"Authorization": f"LocalAI {runtime.secret}"}


async def test_ask_streams_tokens_then_a_done_event_with_the_reply(
    parse_sse, raw_fetch, runtime, engine
):
    engine._reply = "Here:\n```python\ntotal = sum(range(10))\n```"
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "generate", "prompt": "sum of 0..9 in total", "retries": 0},
        headers=_auth(runtime),
    )
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    events = parse_sse(response.body)
    assert events[0]["type"] == "start" and events[0]["request_id"]
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) > 1
    done = events[-1]
    assert done["type"] == "done"
    assert done["request_id"] == events[0]["request_id"]
    assert "".join(tokens) == done["reply"]["text"] == engine._reply
    assert done["reply"]["code"] == "total = sum(range(10))"
    assert done["reply"]["task"] == "generate"
    # the prompt the engine saw was built by the core from the request
    assert "sum of 0..9" in engine.requests[-1].messages[-1]["content"]


async def test_ask_defaults_come_from_the_LocalAI_config(parse_sse, raw_fetch, runtime, engine):
    # localai_config sets c.LocalAI.max_tokens = 48 for these tests
    assert runtime.settings.max_tokens == 48
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi"},
        headers=_auth(runtime),
    )
    assert response.code == 200
    assert engine.requests[-1].max_tokens == 48
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi", "max_tokens": 7, "temperature": 0},
        headers=_auth(runtime),
    )
    assert engine.requests[-1].max_tokens == 7
    assert engine.requests[-1].temperature == 0.0


async def test_ask_passes_notebook_context_to_the_prompt(raw_fetch, runtime, engine):
    context = {
        "cells": [{"number": 1, "source": "import pandas as pd\nsales = pd.read_csv('s.csv')"}],
        "variables": [
            {
                "name": "sales",
                "type_name": "DataFrame",
                "summary": "DataFrame 10x2 columns: region(object), amount(float64)",
            }
        ],
        "last_error": None,
        "imports": ["pandas as pd"],
    }
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "generate", "prompt": "total amount per region", "context": context},
        headers=_auth(runtime),
    )
    assert response.code == 200
    prompt = "\n".join(m["content"] for m in engine.requests[-1].messages)
    assert "amount(float64)" in prompt


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('{"task": "generate"', b"not JSON"),
        ("[1, 2]", b"JSON object"),
        ({"task": "dance", "prompt": "x"}, b"unknown task"),
        ({"task": "chat", "prompt": "x", "history": "nope"}, b"history"),
        ({"task": "chat", "prompt": "x", "context": [1]}, b"context"),
        ({"task": "chat", "prompt": "x", "request_id": 5}, b"request_id"),
    ],
)
async def test_bad_ask_requests_get_a_clear_400(raw_fetch, runtime, engine, body, fragment):
    response = await raw_fetch("api/localai/ask", method="POST", body=body, headers=_auth(runtime))
    assert response.code == 400
    assert fragment in response.body
    assert engine.requests == []


async def test_a_prompt_too_long_is_a_400_that_says_so(raw_fetch, runtime, engine):
    engine.max_prompt_chars = 50
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "y" * 500},
        headers=_auth(runtime),
    )
    assert response.code == 400
    message = json.loads(response.body)["message"]
    assert "ContextOverflowError" in message and "takes 50" in message
    assert runtime.active_count() == 0


async def test_streaming_arrives_in_several_pieces_before_the_end(
    parse_sse, server_url, runtime, engine
):
    engine._reply = " ".join(f"w{i}" for i in range(12))
    engine._delay_s = 0.05
    arrivals: list[tuple[float, bytes]] = []
    started = time.perf_counter()
    request = HTTPRequest(
        server_url + "api/localai/ask",
        method="POST",
        body=json.dumps({"task": "chat", "prompt": "count"}),
        headers=_auth(runtime),
        streaming_callback=lambda chunk: arrivals.append((time.perf_counter() - started, chunk)),
        request_timeout=30,
    )
    response = await AsyncHTTPClient().fetch(request)
    finished = time.perf_counter() - started
    assert response.code == 200
    token_arrivals = [t for t, chunk in arrivals if b'"token"' in chunk]
    assert len(token_arrivals) >= 6
    # the first token was on the wire long before the answer was complete
    assert token_arrivals[0] < finished - 0.3
    events = parse_sse(b"".join(chunk for _, chunk in arrivals))
    assert events[-1]["type"] == "done"


async def _read_until_first_token(server_url, runtime, body, *, on_event=None):
    """Start an ask and return (request_id, the pending response future, the events list)."""
    events: list[dict] = []
    first_token = asyncio.Event()
    buffer = bytearray()

    def on_chunk(chunk: bytes) -> None:
        buffer.extend(chunk)
        while b"\n\n" in buffer:
            block, _, rest = bytes(buffer).partition(b"\n\n")
            buffer[:] = rest
            event = json.loads(block.decode().removeprefix("data: "))
            events.append(event)
            if event["type"] == "token":
                first_token.set()

    request = HTTPRequest(
        server_url + "api/localai/ask",
        method="POST",
        body=json.dumps(body),
        headers=_auth(runtime),
        streaming_callback=on_chunk,
        request_timeout=60,
    )
    client = AsyncHTTPClient(force_instance=True)
    pending = asyncio.ensure_future(client.fetch(request, raise_error=False))
    await asyncio.wait_for(first_token.wait(), timeout=10)
    return events, pending, client


async def test_cancel_stops_the_answer_and_frees_the_engine(
    long_answer, parse_sse, server_url, raw_fetch, runtime, engine
):
    engine._reply = long_answer
    engine._delay_s = 0.05  # 200 words: 10 s if nobody stops it
    events, pending, client = await _read_until_first_token(
        server_url, runtime, {"task": "chat", "prompt": "talk", "request_id": "my-request-0001"}
    )
    assert events[0] == {"type": "start", "request_id": "my-request-0001"}
    cancelled_at = time.perf_counter()
    response = await raw_fetch(
        "api/localai/cancel",
        method="POST",
        body={"request_id": "my-request-0001"},
        headers=_auth(runtime),
    )
    assert response.code == 200
    await asyncio.wait_for(pending, timeout=5)
    assert time.perf_counter() - cancelled_at < 2
    done = events[-1]
    assert done["type"] == "done"
    assert done["reply"]["finish_reason"] == "cancelled"
    assert 0 < len(done["reply"]["text"]) < len(long_answer)
    assert engine.generations[-1].cancelled
    assert runtime.active_count() == 0
    client.close()
    # the engine is free: the next question is answered at once
    engine._delay_s = 0.0
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "again"},
        headers=_auth(runtime),
    )
    assert response.code == 200
    assert parse_sse(response.body)[-1]["reply"]["finish_reason"] == "stop"


async def test_a_client_disconnect_cancels_the_generation(
    long_answer, server_url, jp_http_port, runtime, engine
):
    engine._reply = long_answer
    engine._delay_s = 0.05
    path = server_url.split(str(jp_http_port), 1)[1] + "api/localai/ask"
    body = json.dumps({"task": "chat", "prompt": "talk"}).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: LocalAI {runtime.secret}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    received = b""
    while b'"token"' not in received:
        received += await asyncio.wait_for(reader.read(4096), timeout=10)
    assert received.startswith(b"HTTP/1.1 200")
    writer.close()  # the client goes away mid-answer
    await writer.wait_closed()
    generation = engine.generations[-1]
    for _ in range(60):
        if runtime.active_count() == 0 and generation.completion is not None:
            break
        await asyncio.sleep(0.05)
    assert generation.cancelled
    assert generation.completion is not None
    assert generation.completion.finish_reason == "cancelled"
    assert generation.completion.completion_tokens < len(long_answer.split())
    assert runtime.active_count() == 0


async def test_cancel_of_an_unknown_request_is_a_404(raw_fetch, runtime):
    response = await raw_fetch(
        "api/localai/cancel",
        method="POST",
        body={"request_id": "never-started"},
        headers=_auth(runtime),
    )
    assert response.code == 404
    response = await raw_fetch("api/localai/cancel", method="POST", body={}, headers=_auth(runtime))
    assert response.code == 400


async def test_status_answers_fast_while_a_long_answer_streams(
    long_answer, server_url, raw_fetch, runtime, engine
):
    engine._reply = long_answer
    engine._delay_s = 0.05
    _events, pending, client = await _read_until_first_token(
        server_url, runtime, {"task": "chat", "prompt": "talk", "request_id": "status-test-0001"}
    )
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = await raw_fetch("api/localai/status", headers=_auth(runtime))
        timings.append(time.perf_counter() - started)
        assert response.code == 200
        status = json.loads(response.body)
        assert status["active_requests"] == 1
        assert status["model"] == "fake"
    assert max(timings) < 0.1, timings
    assert pending.done() is False  # the answer was still streaming all along
    await raw_fetch(
        "api/localai/cancel",
        method="POST",
        body={"request_id": "status-test-0001"},
        headers=_auth(runtime),
    )
    await asyncio.wait_for(pending, timeout=5)
    client.close()
