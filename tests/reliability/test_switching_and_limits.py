"""Who may redirect every prompt, and what one request may cost (issue 16, items 4 and 7).

A real `jupyter server` process whose resident engine is a remote OpenAI-compatible server
(`LocalAI.remote_url`, with an API key from the environment), plus a second such server
that only an alias names. Both are small HTTP servers in this test process that record the
`Authorization` header of every request they get, so the test sees exactly where the key
goes. Everything between them (the extension, its auth, the RemoteEngine) is real.

- Switching the model (`POST models`) is refused to the kernels' secret, and to token
  holders for a `remote:` URL no alias names and for a path outside the model folders; an
  alias works, and the API key reaches only the configured URL.
- Bodies over a route's cap get 413 before they are read; a full queue answers 429; a lone
  surrogate in a prompt is a 400 that leaves nothing running; a GGUF whose
  `general.alignment` is a string is a 422.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from support.gguf_files import small_model, string_alignment
from support.jupyter_process import JupyterServer

from jupyter_localai.config import SERVER_SECRET_ENV

KEY_ENV = "LOCALAI_TEST_REMOTE_KEY"
CONFIGURED = "model-configured"  # what status names while the configured remote answers
BODY_LIMIT = 256 << 10
QUEUE_LIMIT = 2


class FakeOpenAI:
    """An OpenAI-compatible server that records who called it with which credentials.

    `hold` keeps chat answers waiting until it is released (for the queue test).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[str, str | None]] = []  # (path, Authorization header)
        self.release = threading.Event()
        self.release.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def do_GET(self) -> None:
                fake.calls.append((self.path, self.headers.get("Authorization")))
                body = json.dumps({"object": "list", "data": [{"id": f"model-{fake.name}"}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def do_POST(self) -> None:
                fake.calls.append((self.path, self.headers.get("Authorization")))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.release.wait(60)
                chunks = [
                    {"choices": [{"index": 0, "delta": {"content": f"hi from {fake.name}"}}]},
                    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
                ]
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def remotes() -> Iterator[dict[str, FakeOpenAI]]:
    servers = {"configured": FakeOpenAI("configured"), "other": FakeOpenAI("other")}
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture(scope="module")
def api_key() -> str:
    return "sk-test-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def guarded_server(
    tmp_path_factory: pytest.TempPathFactory, remotes: dict[str, FakeOpenAI], api_key: str
) -> Iterator[JupyterServer]:
    """The server under test: remote_url + key, two aliases, a model folder, small caps."""
    root = tmp_path_factory.mktemp("guarded-server")
    models = root / "models"  # JupyterServer.models_dir
    config = root / "config"
    config.mkdir()
    configured, other = remotes["configured"], remotes["other"]
    (config / "jupyter_server_config.json").write_text(json.dumps({"LocalAI": {
        "remote_url": configured.url,
        "remote_api_key_env": KEY_ENV,
        "aliases": {
            "team": f"remote:{configured.url}#model-configured",
            "elsewhere": f"remote:{other.url}#model-other",
        },
        "models_dir": str(models),
        "max_request_bytes": BODY_LIMIT,
        "max_queued_requests": QUEUE_LIMIT,
    }}))
    server = JupyterServer(root, env={KEY_ENV: api_key}).start()
    assert server.models_dir == models
    try:
        yield server
    finally:
        server.stop()


def _chat(server: JupyterServer, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.post(
        server.url + "api/localai/v1/chat/completions",
        data=json.dumps({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}),
        headers=headers or server.auth,
        timeout=60,
    )


def _switch(server: JupyterServer, model: str, headers: dict[str, str] | None = None
            ) -> requests.Response:
    return requests.post(
        server.url + "api/localai/models",
        data=json.dumps({"model": model}),
        headers=headers or server.auth,
        timeout=60,
    )


@pytest.fixture
def configured_model(guarded_server: JupyterServer) -> Iterator[str]:
    """Each test starts and ends on the model the server was configured with."""
    model = "qwen2.5-coder-0.5b"  # LocalAI.model's default; remote_url makes it remote
    assert _switch(guarded_server, model).status_code == 200
    yield model
    assert _switch(guarded_server, model).status_code == 200


def test_the_kernels_secret_cannot_switch_the_model(
    guarded_server: JupyterServer, configured_model: str, reliability_report: Any
) -> None:
    kernel = guarded_server.start_kernel()
    try:
        secret = str(kernel.value(f"__import__('os').environ['{SERVER_SECRET_ENV}']"))
    finally:
        kernel.shutdown()
    as_kernel = {"Authorization": f"LocalAI {secret}"}
    for model in ("elsewhere", "team", configured_model, "remote:http://127.0.0.1:9/v1#m"):
        response = _switch(guarded_server, model, as_kernel)
        assert response.status_code == 403, (model, response.status_code, response.text)
        assert guarded_server.status()["model"] == CONFIGURED
    # The secret still opens what kernels need.
    assert requests.get(guarded_server.url + "api/localai/status", headers=as_kernel,
                        timeout=30).status_code == 200
    assert _chat(guarded_server, as_kernel).status_code == 200
    reliability_report.add(
        "switching the model: kernels",
        "`POST models` with the kernels' assistant secret (from a real kernel's environment) "
        "naming two aliases, the configured model and `remote:http://127.0.0.1:9/v1#m`",
        "all 403 (the secret never has the `localai:models` resource); status and chat with "
        "the secret still 200",
        "resident model unchanged",
    )


def test_token_holders_switch_only_to_what_the_configuration_names(
    guarded_server: JupyterServer,
    configured_model: str,
    remotes: dict[str, FakeOpenAI],
    tmp_path: Path,
    reliability_report: Any,
) -> None:
    models = guarded_server.models_dir
    outside = small_model(tmp_path / "outside.gguf")
    link = models / "link.gguf"
    link.symlink_to(outside)
    try:
        refused = {
            "remote: URL no alias names": "remote:http://127.0.0.1:9/v1#m",
            "remote: the alias's host, another model": f"remote:{remotes['other'].url}#x",
            "GGUF path outside the model folder": str(outside),
            "path escaping the folder with ..": str(models / ".." / ".." / outside.name),
            "symlink in the folder to a file outside": str(link),
        }
        for case, model in refused.items():
            response = _switch(guarded_server, model)
            assert response.status_code == 403, (case, response.status_code, response.text)
            message = response.json()["message"]
            assert "LocalAI.aliases" in message, (case, message)
            assert guarded_server.status()["model"] == CONFIGURED, case
    finally:
        link.unlink()
    inside = small_model(models / "inside.gguf")
    response = _switch(guarded_server, str(inside))
    assert response.status_code == 200, response.text  # a file in the folder is fine
    reliability_report.add(
        "switching the model: token holders",
        "`POST models` with the Jupyter token naming " + "; ".join(refused)
        + "; then a GGUF inside `LocalAI.models_dir`",
        "each refused with 403 naming the model folder and `LocalAI.aliases`; the file "
        "inside the folder switched (200)",
        "resident model unchanged by every refusal",
    )


def test_an_alias_switches_and_the_key_goes_only_to_the_configured_url(
    guarded_server: JupyterServer,
    configured_model: str,
    remotes: dict[str, FakeOpenAI],
    api_key: str,
    reliability_report: Any,
) -> None:
    configured, other = remotes["configured"], remotes["other"]
    configured.calls.clear()
    other.calls.clear()
    answer = _chat(guarded_server)
    assert answer.status_code == 200 and "hi from configured" in answer.text
    response = _switch(guarded_server, "elsewhere")
    assert response.status_code == 200, response.text
    assert guarded_server.status()["model"] == "model-other"
    answer = _chat(guarded_server)
    assert answer.status_code == 200 and "hi from other" in answer.text
    assert _switch(guarded_server, "team").status_code == 200
    answer = _chat(guarded_server)
    assert answer.status_code == 200 and "hi from configured" in answer.text
    assert other.calls, "the alias's server was never asked"
    assert all(auth is None for _, auth in other.calls), other.calls
    assert all(api_key not in json.dumps(call) for call in other.calls)
    chats = [auth for path, auth in configured.calls if path.endswith("/chat/completions")]
    assert chats and all(auth == f"Bearer {api_key}" for auth in chats), configured.calls
    reliability_report.add(
        "remote API key",
        f"chat on the configured remote, switch to an alias naming another server, chat, "
        f"switch to an alias of the configured URL, chat ({len(other.calls)} requests reached "
        "the other server)",
        "the alias switched (200) and answered; the other server got no Authorization "
        "header; every chat to the configured URL carried the key",
        "n/a",
    )


def _raw_request(server: JupyterServer, path: str, headers: dict[str, str]) -> tuple[int, str]:
    """Send only a request's headers (no body) and read what the server answers."""
    host, port = "127.0.0.1", int(server.url.split(":")[2].split("/")[0])
    lines = [f"POST /base/{path} HTTP/1.1", f"Host: {host}:{port}",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    with socket.create_connection((host, port), timeout=15) as sock:
        sock.sendall("\r\n".join(lines).encode())
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    status = int(received.split(b" ", 2)[1])
    return status, received.decode(errors="replace")


def test_bodies_over_a_routes_cap_are_refused_before_they_are_read(
    guarded_server: JupyterServer, configured_model: str, reliability_report: Any
) -> None:
    auth = {**guarded_server.auth, "Content-Type": "application/json"}
    # 300 MB declared, nothing sent: an answer can only come without reading the body.
    status, text = _raw_request(
        guarded_server, "api/localai/ask", {**auth, "Content-Length": str(300_000_000)})
    assert status == 413, text
    assert "max_request_bytes" in text
    status, text = _raw_request(
        guarded_server, "api/localai/models", {**auth, "Content-Length": str(100_000)})
    assert status == 413, text
    # Chunked (no length declared): counted as it arrives, refused when complete.
    filler = "a" * (BODY_LIMIT + 1)

    def chunks() -> Iterator[bytes]:
        body = json.dumps({"messages": [{"role": "user", "content": filler}]}).encode()
        for start in range(0, len(body), 32 << 10):
            yield body[start : start + (32 << 10)]

    response = requests.post(guarded_server.url + "api/localai/v1/chat/completions",
                             data=chunks(), headers=auth, timeout=60)
    assert response.status_code == 413, response.text
    assert _chat(guarded_server).status_code == 200  # a normal body is served
    assert guarded_server.status()["active_requests"] == 0
    reliability_report.add(
        "request size",
        f"`ask` declaring 300,000,000 bytes and sending none; `models` declaring 100,000; a "
        f"chunked chat body of {BODY_LIMIT + 1:,}+ bytes (cap set to {BODY_LIMIT:,})",
        "413 naming the limit, the first two answered before any body byte was sent; the "
        "chunked one kept no further than the cap",
        "next request served; nothing left active",
    )


def test_a_full_queue_answers_429(
    guarded_server: JupyterServer,
    configured_model: str,
    remotes: dict[str, FakeOpenAI],
    reliability_report: Any,
) -> None:
    configured = remotes["configured"]
    configured.release.clear()
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(_chat(guarded_server).status_code))
               for _ in range(QUEUE_LIMIT)]
    try:
        for thread in threads:
            thread.start()
        guarded_server.wait_for(lambda s: s["active_requests"] == QUEUE_LIMIT, timeout=30,
                                what=f"{QUEUE_LIMIT} requests held")
        started = time.monotonic()
        response = requests.post(
            guarded_server.url + "api/localai/ask",
            data=json.dumps({"task": "chat", "prompt": "one more"}),
            headers=guarded_server.auth,
            timeout=20,
        )
        waited = time.monotonic() - started
        assert response.status_code == 429, response.text
        assert "max_queued_requests" in response.json()["message"]
        assert _chat(guarded_server).status_code == 429
    finally:
        configured.release.set()
        for thread in threads:
            thread.join(60)
    assert results == [200] * QUEUE_LIMIT
    guarded_server.wait_for(lambda s: s["active_requests"] == 0, timeout=30, what="idle")
    assert _chat(guarded_server).status_code == 200
    reliability_report.add(
        "queue bound",
        f"{QUEUE_LIMIT} answers held by the remote (`LocalAI.max_queued_requests` = "
        f"{QUEUE_LIMIT}), then one more `ask` and one more chat",
        f"both 429 naming the setting, after {waited * 1000:.0f} ms; the held answers "
        "completed (200)",
        "next request served once the queue drained",
    )


def test_a_lone_surrogate_is_a_400_and_leaves_nothing_running(
    guarded_server: JupyterServer, configured_model: str, reliability_report: Any
) -> None:
    # The JSON escape for a lone surrogate, exactly as a client would send it.
    bodies = {
        "ask": '{"task": "chat", "prompt": "fix \\ud800 this"}',
        "v1/chat/completions": '{"messages": [{"role": "user", "content": "\\udfff"}]}',
        "prefill": '{"session_id": "\\ud800", "context": {"cells": []}}',
    }
    for route, body in bodies.items():
        response = requests.post(guarded_server.url + "api/localai/" + route, data=body,
                                 headers=guarded_server.auth, timeout=30)
        assert response.status_code == 400, (route, response.status_code, response.text)
        assert "surrogate" in response.text, (route, response.text)
    status = guarded_server.status()
    assert status["active_requests"] == 0, status
    assert _chat(guarded_server).status_code == 200
    reliability_report.add(
        "lone surrogates",
        '`"\\ud800"` / `"\\udfff"` escapes in an `ask` prompt, a chat message and a prefill '
        "session id",
        "each 400 naming the field and the surrogate",
        "status: nothing active; next request served",
    )


def test_a_gguf_with_a_string_alignment_is_a_422(
    guarded_server: JupyterServer, configured_model: str, reliability_report: Any
) -> None:
    models = guarded_server.models_dir
    bad = string_alignment(models / "string-alignment.gguf")
    response = _switch(guarded_server, str(bad))
    assert response.status_code == 422, response.text
    message = response.json()["message"]
    assert str(bad) in message and "general.alignment" in message, message
    assert guarded_server.status()["model"] == CONFIGURED
    reliability_report.add(
        "string general.alignment",
        "`POST models` with a GGUF (in the model folder) whose `general.alignment` is the "
        'string "32"',
        "422 naming the file and the field, before any worker (before the fix: \"32\" passed "
        "the header check and reached the worker, whose llama.cpp refused it, a 503; a "
        "non-numeric string was a 500)",
        "resident model unchanged",
    )

