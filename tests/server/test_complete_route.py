"""POST complete and complete/prefill on a real jupyter_server with a scripted engine:
streaming through the stop rules, no-suggestion answers, cancellation, the off switch."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.server_engines import RecordingEngine
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from jupyter_localai.core.completion_prompt import CELL_HEADER_STOP
from jupyter_localai.core.engine import CompletionRequest, Generation
from jupyter_localai.engines.fake import FakeGeneration
from jupyter_localai.errors import ContextOverflowError

KEY = "sk-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"
CONTEXT = {
    "cells": [
        {"number": 1, "source": "import pandas as pd\nsales = pd.read_csv('sales.csv')"},
        {"number": 2, "source": f"client = connect(api_key='{KEY}')"},
    ],
    "variables": [
        {"name": "sales", "type_name": "DataFrame",
         "summary": "DataFrame, 5000 rows x 3 columns\ncolumns: region (str), units (int64)",
         "relevance": 1.0},
    ],
}  # fmt: skip


class CompletingEngine(RecordingEngine):
    """The scripted engine, keeping its completion streams (to see them cancelled)."""

    def __init__(self, *args: Any, refuse: Exception | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.completion_streams: list[Generation] = []
        self.refuse = refuse

    def complete(self, request: CompletionRequest) -> Generation:
        if self.refuse is not None:
            generation: Generation = _Refusal(self.refuse)
            self.completions.append(request)
        else:
            generation = super().complete(request)
        self.completion_streams.append(generation)
        return generation


class _Refusal(FakeGeneration):
    def __init__(self, error: Exception) -> None:
        super().__init__("", "fake", 0.0)
        self._error = error

    def __iter__(self) -> Iterator[str]:
        raise self._error


class ChatOnlyEngine(RecordingEngine):
    supports_complete = False


@pytest.fixture
def engine() -> CompletingEngine:
    return CompletingEngine(completion_reply='"region"]\nprint(sales)', delay_s=0.0)


def _auth(runtime: Any) -> dict[str, str]:
    return {"Authorization": f"LocalAI {runtime.secret}", "Content-Type": "application/json"}


def _body(**fields: Any) -> dict[str, Any]:
    body = {"request_id": "req-0001", "session_id": "nb.ipynb", "prefix": "x = sales[",
            "suffix": "]", "context": CONTEXT}  # fmt: skip
    body.update(fields)
    return body


async def _complete(raw_fetch, runtime, **fields: Any) -> tuple[int, list[dict[str, Any]]]:
    response = await raw_fetch(
        "api/localai/complete", method="POST", body=_body(**fields), headers=_auth(runtime)
    )
    if response.code != 200:
        return response.code, [json.loads(response.body)] if response.body else []
    events = [json.loads(line[6:]) for line in response.body.decode().split("\n\n") if line]
    return response.code, events


async def _started(raw_fetch, runtime) -> None:
    """The first completion starts the engine in the background ('loading'); wait for it."""
    code, events = await _complete(raw_fetch, runtime, request_id="warm-up")
    assert code == 200 and events[-1]["stop_reason"] in ("loading", "suffix")
    for _ in range(100):
        if runtime.engine_started:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the engine did not start")


async def test_the_first_request_answers_no_suggestion_at_once_and_starts_the_model(
    raw_fetch, runtime, engine
):
    started = time.perf_counter()
    code, events = await _complete(raw_fetch, runtime)
    assert code == 200
    assert events == [{"type": "done", "request_id": "req-0001", "text": "",
                       "stop_reason": "loading"}]  # fmt: skip
    assert time.perf_counter() - started < 2
    await _started(raw_fetch, runtime)
    code, events = await _complete(raw_fetch, runtime)
    assert events[-1]["text"] == '"region"'


async def test_a_suggestion_streams_through_the_stop_rules(raw_fetch, runtime, engine):
    await _started(raw_fetch, runtime)
    code, events = await _complete(raw_fetch, runtime)
    assert code == 200
    pieces = [e["text"] for e in events if e["type"] == "piece"]
    done = events[-1]
    assert done["type"] == "done" and done["stop_reason"] == "suffix"
    # the suffix `]` and the invented next line are cut; what streamed is the suggestion
    assert "".join(pieces) == done["text"] == '"region"'


async def test_the_engine_gets_the_notebook_as_python_redacted_and_the_cell_around_the_cursor(
    raw_fetch, runtime, engine
):
    await _started(raw_fetch, runtime)
    await _complete(raw_fetch, runtime, prefix=f"token = '{KEY[:10]}", suffix="'\nx = sales[")
    request = engine.completions[-1]
    assert "sales = pd.read_csv('sales.csv')" in request.context
    # The variable the cell names, as a hint line above the cell's text.
    hint, typed = request.prefix.split("\n", 1)
    assert hint.startswith("# sales: DataFrame") and "'region' (str), 'units' (int64)" in hint
    sent = request.context + request.prefix + request.suffix
    assert KEY not in sent
    assert typed.startswith("token = ")
    assert request.session_id == "nb.ipynb" and request.request_id == "req-0001"
    assert CELL_HEADER_STOP in request.stop
    assert request.max_tokens == runtime.settings.completion_max_tokens
    assert request.max_lines == runtime.settings.completion_max_lines


async def test_max_tokens_is_capped_by_the_setting(raw_fetch, runtime, engine):
    await _started(raw_fetch, runtime)
    await _complete(raw_fetch, runtime, max_tokens=10_000)
    assert engine.completions[-1].max_tokens == runtime.settings.completion_max_tokens
    await _complete(raw_fetch, runtime, max_tokens=3)
    assert engine.completions[-1].max_tokens == 3


async def test_the_stop_rules_cancel_the_generation_where_the_suggestion_ends(
    raw_fetch, runtime, engine
):
    await _started(raw_fetch, runtime)
    engine._completion_reply = "1\n" + " ".join(f"w{i} = {i}\n" for i in range(100))
    engine._delay_s = 0.05  # 300 pieces: 15 s if the rules did not stop it
    started = time.perf_counter()
    code, events = await _complete(raw_fetch, runtime, prefix="y = ", suffix="")
    assert code == 200
    assert time.perf_counter() - started < 3
    assert events[-1] == {"type": "done", "request_id": "req-0001", "text": "1",
                          "stop_reason": "statement"}  # fmt: skip
    assert engine.completion_streams[-1].cancelled


async def _open_stream(server_url, runtime, body: dict[str, Any]):
    """Start a completion; returns (events, pending fetch, client, first-piece event)."""
    events: list[dict[str, Any]] = []
    first = asyncio.Event()
    buffer = bytearray()

    def on_chunk(chunk: bytes) -> None:
        buffer.extend(chunk)
        while b"\n\n" in buffer:
            block, _, rest = bytes(buffer).partition(b"\n\n")
            buffer[:] = rest
            events.append(json.loads(block.decode().removeprefix("data: ")))
            first.set()

    request = HTTPRequest(server_url + "api/localai/complete", method="POST",
                          body=json.dumps(body), headers=_auth(runtime),
                          streaming_callback=on_chunk, request_timeout=60)  # fmt: skip
    client = AsyncHTTPClient(force_instance=True)
    pending = asyncio.ensure_future(client.fetch(request, raise_error=False))
    await asyncio.wait_for(first.wait(), timeout=10)
    return events, pending, client


SLOW_BLOCK = " ".join(f"v{i}" for i in range(200))  # one long line, 200 pieces


async def test_a_newer_request_of_the_session_cancels_the_older_one(
    server_url, raw_fetch, runtime, engine
):
    await _started(raw_fetch, runtime)
    engine._completion_reply = SLOW_BLOCK
    engine._delay_s = 0.05
    old_events, old_pending, old_client = await _open_stream(
        server_url, runtime, _body(request_id="old-0001", prefix="x = ", suffix=""))
    _other_events, other_pending, other_client = await _open_stream(
        server_url, runtime, _body(request_id="other-001", session_id="other.ipynb",
                                   prefix="x = ", suffix=""))  # fmt: skip
    old_stream = engine.completion_streams[-2]
    engine._delay_s = 0.0
    engine._completion_reply = "42"
    _code, events = await _complete(raw_fetch, runtime, request_id="new-0001", prefix="x = ",
                                   suffix="")  # fmt: skip
    assert events[-1]["text"] == "42"
    await asyncio.wait_for(old_pending, timeout=5)
    assert old_stream.cancelled
    assert old_events[-1]["type"] == "done" and old_events[-1]["stop_reason"] == "cancelled"
    # another notebook's completion goes on
    assert not engine.completion_streams[-2].cancelled
    assert not other_pending.done()
    engine.completion_streams[-2].cancel()
    await asyncio.wait_for(other_pending, timeout=5)
    old_client.close()
    other_client.close()


async def test_a_client_disconnect_cancels_the_completion(
    server_url, jp_http_port, raw_fetch, runtime, engine
):
    await _started(raw_fetch, runtime)
    engine._completion_reply = SLOW_BLOCK
    engine._delay_s = 0.2  # 48 pieces (max_tokens): ~10 s if nobody stops it
    path = server_url.split(str(jp_http_port), 1)[1] + "api/localai/complete"
    body = json.dumps(_body(prefix="x = ", suffix="")).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", jp_http_port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: LocalAI {runtime.secret}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    await writer.drain()
    received = b""
    while b'"piece"' not in received:
        received += await asyncio.wait_for(reader.read(4096), timeout=10)
    stream = engine.completion_streams[-1]
    writer.close()  # the user typed on and the front end dropped the request
    await writer.wait_closed()
    for _ in range(100):
        if stream.completion is not None and runtime.active_count() == 0:
            break
        await asyncio.sleep(0.05)
    assert stream.cancelled
    assert stream.completion is not None and stream.completion.finish_reason == "cancelled"
    assert stream.completion.completion_tokens < 20
    assert runtime.active_count() == 0


@pytest.mark.parametrize("localai_config", [{"completion_wait_ms": 300}])
async def test_a_model_busy_past_the_budget_answers_no_suggestion_fast(
    raw_fetch, runtime, engine, localai_config
):
    await _started(raw_fetch, runtime)
    engine._completion_reply = SLOW_BLOCK
    engine._delay_s = 2.0  # the first token would come after 2 s
    started = time.perf_counter()
    _code, events = await _complete(raw_fetch, runtime, prefix="x = ", suffix="")
    assert time.perf_counter() - started < 1.5
    assert events == [{"type": "done", "request_id": "req-0001", "text": "",
                       "stop_reason": "busy"}]  # fmt: skip
    assert engine.completion_streams[-1].cancelled


async def test_a_prompt_with_no_room_answers_no_suggestion(raw_fetch, runtime, engine):
    await _started(raw_fetch, runtime)
    engine.refuse = ContextOverflowError("the prompt needs 9000 tokens, the model takes 8192")
    code, events = await _complete(raw_fetch, runtime)
    assert code == 200
    assert events[-1] == {"type": "done", "request_id": "req-0001", "text": "",
                          "stop_reason": "no_room"}  # fmt: skip
    assert runtime.active_count() == 0


@pytest.mark.parametrize("localai_config", [{"completion": False}])
async def test_completion_off_is_a_409_disabled_and_nothing_is_generated(
    raw_fetch, runtime, engine, localai_config
):
    code, events = await _complete(raw_fetch, runtime)
    assert code == 409 and events[0]["type"] == "disabled"
    assert "LocalAI.completion" in events[0]["message"]
    response = await raw_fetch("api/localai/complete/prefill", method="POST",
                               body={"session_id": "nb", "context": CONTEXT},
                               headers=_auth(runtime))  # fmt: skip
    assert response.code == 202 and json.loads(response.body) == {"sent": False}
    assert engine.completions == [] and engine.completion_prefills == []
    assert not runtime.engine_started  # the off switch never loads a model


@pytest.mark.parametrize("engine", [ChatOnlyEngine()])
async def test_an_engine_without_completion_is_a_409_disabled(raw_fetch, runtime, engine):
    await _started(raw_fetch, runtime)
    code, events = await _complete(raw_fetch, runtime)
    assert code == 409 and events[0]["type"] == "disabled"
    assert "ChatOnlyEngine" in events[0]["message"]


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"request_id": None}, "request_id"),
        ({"session_id": ""}, "session_id"),
        ({"prefix": 12}, "prefix"),
        ({"context": "cells"}, "context"),
        ({"context": {"cells": [{"no": 1}]}}, "context"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": "8"}, "max_tokens"),
    ],
)
async def test_bad_completion_requests_get_a_clear_400(raw_fetch, runtime, fields, fragment):
    code, body = await _complete(raw_fetch, runtime, **fields)
    assert code == 400
    assert fragment in body[0]["message"]


async def test_prefill_warms_exactly_the_context_later_completions_start_with(
    raw_fetch, runtime, engine
):
    response = await raw_fetch("api/localai/complete/prefill", method="POST",
                               body={"session_id": "nb.ipynb", "context": CONTEXT},
                               headers=_auth(runtime))  # fmt: skip
    assert response.code == 202 and json.loads(response.body) == {"sent": False}
    assert not runtime.engine_started  # prefill never loads a model
    await _started(raw_fetch, runtime)
    response = await raw_fetch("api/localai/complete/prefill", method="POST",
                               body={"session_id": "nb.ipynb", "context": CONTEXT},
                               headers=_auth(runtime))  # fmt: skip
    assert response.code == 202 and json.loads(response.body) == {"sent": True}
    prefilled, session = engine.completion_prefills[-1]
    assert session == "nb.ipynb"
    assert KEY not in prefilled
    for prefix in ("x", "x = sal", "x = sales["):
        await _complete(raw_fetch, runtime, prefix=prefix, suffix="")
        assert engine.completions[-1].context == prefilled


@pytest.mark.parametrize("localai_config", [{"max_queued_requests": 1}])
async def test_a_full_queue_answers_no_suggestion(
    server_url, raw_fetch, runtime, engine, localai_config
):
    await _started(raw_fetch, runtime)
    engine._completion_reply = SLOW_BLOCK
    engine._delay_s = 0.05
    _events, pending, client = await _open_stream(
        server_url, runtime, _body(session_id="busy.ipynb", prefix="x = ", suffix=""))
    _code, answered = await _complete(raw_fetch, runtime, session_id="other.ipynb")
    assert answered[-1]["stop_reason"] == "busy" and answered[-1]["text"] == ""
    engine.completion_streams[-1].cancel()
    await asyncio.wait_for(pending, timeout=5)
    client.close()


async def test_the_engine_gets_the_live_frames_columns_as_keys(raw_fetch, runtime, engine):
    await _started(raw_fetch, runtime)
    context = json.loads(json.dumps(CONTEXT))
    context["variables"][0]["summary"] = (
        "DataFrame, 5000 rows x 2 columns\ncolumns: region (str), units (int64)")
    await _complete(raw_fetch, runtime, context=context)
    assert engine.completions[-1].keys == {"sales": ["region", "units"]}
    # A summary whose column list is cut sends none (a cut list would force a wrong key).
    await _complete(raw_fetch, runtime)
    assert engine.completions[-1].keys == {}
