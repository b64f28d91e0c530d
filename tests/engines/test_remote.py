"""RemoteEngine: a real llama_cpp.server on loopback, and every way a server can fail.

The failure servers are tiny stdlib HTTP servers in threads: each plays one misbehaviour
(refusing credentials, never answering, a broken stream) that a real server shows in the wild.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from support.jupyter_process import free_port, stop_process

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.remote import RemoteEngine, normalize_base_url
from jupyter_localai.errors import ContextOverflowError, EngineUnavailableError

ASK = GenerationRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=8)


Behaviour = Callable[[http.server.BaseHTTPRequestHandler], None]


@pytest.fixture
def fake_server() -> Iterator[Callable[[Behaviour], str]]:
    """Start a loopback HTTP server whose every request is answered by `behaviour`."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(behaviour: Behaviour) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                behaviour(self)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.body = json.loads(self.rfile.read(length) or b"{}")
                behaviour(self)

            def log_message(self, *args: object) -> None:
                pass  # keep test output quiet

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply(
    handler: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str = "application/json",
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def stream(
    handler: http.server.BaseHTTPRequestHandler, events: list[bytes], delay_s: float = 0.0
) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    handler.send_header("Connection", "close")
    handler.end_headers()
    try:
        for event in events:
            handler.wfile.write(event)
            handler.wfile.flush()
            if delay_s:
                time.sleep(delay_s)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client hung up: what cancel() does


def chunk(text: str, finish: str | None = None) -> bytes:
    data = {
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


# --- protocol -------------------------------------------------------------------------------


def test_streams_pieces_and_reports_the_completion(fake_server):
    seen: dict = {}

    def behaviour(handler):
        seen["path"] = handler.path
        seen["auth"] = handler.headers.get("Authorization")
        seen["body"] = handler.body
        usage = {
            "prompt_tokens": 9,
            "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": 4},
        }
        usage_event = f"data: {json.dumps({'model': 'm', 'choices': [], 'usage': usage})}\n\n"
        stream(
            handler,
            [
                b": ping\n\n",
                chunk("Hel"),
                chunk("lo"),
                chunk("", "length"),
                usage_event.encode(),
                b"data: [DONE]\n\n",
            ],
        )

    engine = RemoteEngine(fake_server(behaviour), "m", api_key="k3y")
    generation = engine.generate(ASK)
    assert list(generation) == ["Hel", "lo"]
    completion = generation.completion
    assert completion.text == "Hello"
    assert completion.finish_reason == "length"
    assert (completion.prompt_tokens, completion.completion_tokens) == (9, 2)
    assert completion.cached_tokens == 4
    assert completion.model == "m"
    assert seen["path"] == "/v1/chat/completions"
    assert seen["auth"] == "Bearer k3y"
    assert seen["body"]["stream"] is True
    assert seen["body"]["messages"] == ASK.messages
    assert seen["body"]["max_tokens"] == 8


def test_custom_auth_header_replaces_the_api_key(fake_server):
    seen = {}

    def behaviour(handler):
        seen["auth"] = handler.headers.get("Authorization")
        stream(handler, [chunk("ok", "stop"), b"data: [DONE]\n\n"])

    engine = RemoteEngine(fake_server(behaviour), "m", headers={"Authorization": "LocalAI s3cret"})
    assert engine.generate(ASK).result().text == "ok"
    assert seen["auth"] == "LocalAI s3cret"


def test_models_and_status_come_from_the_model_list(fake_server):
    def behaviour(handler):
        assert handler.path == "/v1/models"
        reply(
            handler,
            200,
            json.dumps(
                {
                    "object": "list",
                    "data": [
                        {"id": "big", "object": "model", "max_model_len": 32768},
                        {"id": "small", "object": "model", "meta": {"n_ctx_train": 2048}},
                    ],
                }
            ).encode(),
        )

    engine = RemoteEngine(fake_server(behaviour), "small")
    assert [m["name"] for m in engine.models()] == ["big", "small"]
    status = engine.status()
    assert status["state"] == "ready"
    assert status["model"] == "small"
    assert status["n_ctx"] == 2048
    assert engine.n_ctx() == 2048


def test_without_a_model_name_the_servers_first_model_is_asked(fake_server):
    bodies = []

    def behaviour(handler):
        if handler.command == "GET":
            reply(handler, 200, b'{"data": [{"id": "served-model"}, {"id": "other"}]}')
        else:
            bodies.append(handler.body)
            stream(handler, [chunk("ok", "stop"), b"data: [DONE]\n\n"])

    engine = RemoteEngine(fake_server(behaviour))
    assert engine.generate(ASK).result().model == "m"  # what the chunks said ran
    engine.generate(ASK).result()
    assert [body["model"] for body in bodies] == ["served-model", "served-model"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://box:8000", "http://box:8000/v1"),
        ("http://box:8000/", "http://box:8000/v1"),
        ("http://box:8000/v1/", "http://box:8000/v1"),
        ("https://box/api/localai/v1", "https://box/api/localai/v1"),
    ],
)
def test_base_urls_are_normalized(given, expected):
    assert normalize_base_url(given) == expected


def test_a_non_http_url_is_refused_clearly():
    with pytest.raises(EngineUnavailableError, match="not an http"):
        RemoteEngine("gpu-box:8000")


# --- failures -------------------------------------------------------------------------------


def test_connection_refused_is_a_clear_error():
    engine = RemoteEngine(f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    started = time.perf_counter()
    with pytest.raises(EngineUnavailableError, match="cannot reach"):
        list(engine.generate(ASK))
    assert time.perf_counter() - started < 5
    status = engine.status()
    assert status["state"] == "unreachable"
    assert "cannot reach" in status["last_error"]


@pytest.mark.parametrize("code", [401, 403])
def test_refused_credentials_name_the_fix(fake_server, code):
    url = fake_server(lambda h: reply(h, code, b'{"error": {"message": "Invalid API key"}}'))
    engine = RemoteEngine(url, "m", api_key="wrong")
    with pytest.raises(EngineUnavailableError) as raised:
        list(engine.generate(ASK))
    message = str(raised.value)
    assert f"HTTP {code}" in message and "Invalid API key" in message and "API key" in message
    with pytest.raises(EngineUnavailableError, match=f"HTTP {code}"):
        engine.models()


def test_a_server_that_accepts_and_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # connections complete in the backlog; nobody ever reads them
    try:
        port = listener.getsockname()[1]
        engine = RemoteEngine(f"http://127.0.0.1:{port}/v1", timeout=0.5, status_timeout=0.5)
        started = time.perf_counter()
        with pytest.raises(EngineUnavailableError, match="did not answer within 0.5 s"):
            list(engine.generate(ASK))
        assert time.perf_counter() - started < 3
        started = time.perf_counter()
        assert engine.status()["state"] == "unreachable"
        assert time.perf_counter() - started < 3
    finally:
        listener.close()


def test_a_stream_that_stalls_times_out(fake_server):
    url = fake_server(lambda h: stream(h, [chunk("a"), chunk("b")], delay_s=2.0))
    engine = RemoteEngine(url, "m", timeout=0.5)
    pieces: list[str] = []
    with pytest.raises(EngineUnavailableError, match="stopped sending"):
        pieces.extend(engine.generate(ASK))
    assert pieces == ["a"]


@pytest.mark.parametrize(
    ("events", "fragment"),
    [
        ([chunk("a"), b"data: {not json\n\n"], "malformed event"),
        ([chunk("a"), b"data: [1, 2]\n\n"], "malformed event"),
        ([chunk("a")], "ended before the answer finished"),
        ([chunk("a"), b'data: {"error": {"message": "worker exploded"}}\n\n'], "worker exploded"),
        ([chunk("a"), b'error: {"message": "slot unavailable"}\n\n'], "slot unavailable"),
    ],
)
def test_a_broken_stream_is_a_clear_error(fake_server, events, fragment):
    engine = RemoteEngine(fake_server(lambda h: stream(h, events)), "m")
    with pytest.raises(EngineUnavailableError, match=fragment):
        list(engine.generate(ASK))


def test_an_answer_that_is_not_an_openai_model_list_is_refused(fake_server):
    engine = RemoteEngine(fake_server(lambda h: reply(h, 200, b"<html>hello</html>")))
    with pytest.raises(EngineUnavailableError, match="not JSON"):
        engine.models()


def test_a_context_overflow_is_a_context_overflow_error(fake_server):
    message = b'{"error": {"message": "Requested tokens (9000) exceed context window of 4096"}}'
    engine = RemoteEngine(fake_server(lambda h: reply(h, 400, message)), "m")
    with pytest.raises(ContextOverflowError, match="exceed context window"):
        list(engine.generate(ASK))


def test_cancel_closes_the_connection_and_ends_the_answer(fake_server):
    url = fake_server(lambda h: stream(h, [chunk(f"w{i} ") for i in range(200)], delay_s=0.05))
    engine = RemoteEngine(url, "m", timeout=30)
    generation = engine.generate(ASK)
    pieces = []
    started = None
    for piece in generation:
        pieces.append(piece)
        if len(pieces) == 3:
            started = time.perf_counter()
            threading.Timer(0.0, generation.cancel).start()
    assert started is not None and time.perf_counter() - started < 1.0
    assert generation.completion.finish_reason == "cancelled"
    assert 3 <= len(pieces) < 200


def test_cancel_while_the_server_processes_the_prompt(fake_server):
    def slow(handler):
        time.sleep(5)  # "processing the prompt": no headers yet
        stream(handler, [chunk("late", "stop")])

    engine = RemoteEngine(fake_server(slow), "m", timeout=30)
    generation = engine.generate(ASK)
    threading.Timer(0.3, generation.cancel).start()
    started = time.perf_counter()
    assert list(generation) == []
    assert time.perf_counter() - started < 2
    assert generation.completion.finish_reason == "cancelled"


# --- a real OpenAI-compatible server: llama-cpp-python's, with the small model --------------


@pytest.fixture(scope="module")
def llama_cpp_server(default_model_path: str, tmp_path_factory) -> Iterator[str]:
    pytest.importorskip("llama_cpp.server")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                default_model_path,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "2048",
                "--n_threads",
                str(os.cpu_count() or 2),
                "--seed",
                "0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)
        yield url
    finally:
        stop_process(process, timeout=30)


@pytest.mark.model
def test_against_a_real_llama_cpp_server(llama_cpp_server, default_model_path):
    engine = RemoteEngine(llama_cpp_server, timeout=120)
    status = engine.status()
    assert status["state"] == "ready"
    assert status["model"]  # llama_cpp.server names the model by its path or alias
    request = GenerationRequest(
        messages=[{"role": "user", "content": "Write a Python function that adds two numbers."}],
        max_tokens=32,
        temperature=0.0,
        seed=0,
    )
    generation = engine.generate(request)
    pieces = list(generation)
    assert len(pieces) > 3  # it streamed
    completion = generation.completion
    assert completion.text == "".join(pieces)
    assert "def " in completion.text
    assert completion.finish_reason in ("stop", "length")
    assert completion.ttft_s > 0
    # temperature 0 and a fixed seed: the same answer again
    assert engine.generate(request).result().text == completion.text


@pytest.mark.model
def test_cancel_against_a_real_llama_cpp_server(llama_cpp_server):
    engine = RemoteEngine(llama_cpp_server, timeout=120)
    generation = engine.generate(
        GenerationRequest(
            messages=[{"role": "user", "content": "Count from 1 to 500, one number per line."}],
            max_tokens=400,
        )
    )
    pieces = []
    for piece in generation:
        pieces.append(piece)
        if len(pieces) == 5:
            generation.cancel()
    assert generation.completion.finish_reason == "cancelled"
    assert len(pieces) < 50
    # the server is still serving after the client hung up
    follow_up = engine.generate(
        GenerationRequest(messages=[{"role": "user", "content": "Say yes."}], max_tokens=4)
    )
    assert follow_up.result().text
