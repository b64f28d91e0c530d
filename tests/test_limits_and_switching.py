"""Issue 16, items 4 and 7, piece by piece (the live server runs them end to end in
tests/reliability/test_switching_and_limits.py): what a model switch may name, where the
remote key and the kernels' secret may go, the caps on a request, the worker channel's
handling of text that is not Unicode, and a GGUF header field of the wrong type.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from gguf import GGUFWriter

from jupyter_localai.config import LocalAI
from jupyter_localai.core.ask_body import (
    MAX_HISTORY,
    MAX_STOP_SEQUENCES,
    MAX_TOKENS_CAP,
    task_request_from_json,
)
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.remote import configured_api_key
from jupyter_localai.engines.server import ServerEngine
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.errors import EngineUnavailableError, InvalidModelError
from jupyter_localai.gguf_header import read_gguf_header
from jupyter_localai.kernel.server_client import engine_for_kernel
from jupyter_localai.server.auth import (
    KERNEL_USERNAME,
    MODEL_SWITCH_RESOURCE,
    SecretAwareAuthorizer,
)
from jupyter_localai.server.model_policy import ModelSwitchRefused, switch_target
from jupyter_localai.server.openai_api import generation_request_from_json
from jupyter_localai.worker.protocol import Channel

# --- who may switch, and to what ----------------------------------------------------------


class _AllowAll:
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return True


def test_the_secret_identity_is_never_authorized_to_switch_models() -> None:
    authorizer = SecretAwareAuthorizer(_AllowAll())
    kernel = SimpleNamespace(_localai_secret_authenticated=True)
    user = SimpleNamespace(username=KERNEL_USERNAME)
    assert authorizer.is_authorized(kernel, user, "write", "localai")
    assert not authorizer.is_authorized(kernel, user, "write", MODEL_SWITCH_RESOURCE)
    # A token holder is asked of the server's own authorizer, which may allow it.
    browser = SimpleNamespace()
    assert authorizer.is_authorized(browser, SimpleNamespace(username="me"), "write",
                                    MODEL_SWITCH_RESOURCE)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalAI:
    for name in ("HF_HOME", "HF_HUB_CACHE", "OLLAMA_MODELS"):
        monkeypatch.setenv(name, str(tmp_path / "elsewhere" / name.lower()))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "models").mkdir()
    return LocalAI(
        models_dir=str(tmp_path / "models"),
        aliases={"team": "remote:http://gpu-box:8000/v1#coder", "fast": "qwen2.5-coder-0.5b"},
    )


def test_switch_targets_the_configuration_names_are_allowed(
    settings: LocalAI, make_gguf: Callable[..., Path], tmp_path: Path
) -> None:
    def allowed(name: str) -> str:
        return switch_target(name, settings, "configured.gguf")

    assert allowed("team") == "team"
    assert allowed("remote:http://gpu-box:8000/v1#coder") == "remote:http://gpu-box:8000/v1#coder"
    assert allowed("qwen2.5-coder-1.5b") == "qwen2.5-coder-1.5b"
    assert allowed("configured.gguf") == "configured.gguf"
    assert allowed("ollama:qwen2.5-coder:7b") == "ollama:qwen2.5-coder:7b"
    assert allowed("not-here.gguf") == "not-here.gguf"  # a name: resolution looks it up
    inside = make_gguf("inside.gguf").rename(tmp_path / "models" / "inside.gguf")
    assert allowed(str(inside)) == str(inside.resolve())


@pytest.mark.parametrize(
    "name",
    [
        "remote:http://127.0.0.1:9/v1#m",
        "remote:http://gpu-box:8000/v1#another-model",
        "/etc/passwd",
        "{tmp}/outside.gguf",
        "{tmp}/models/../outside.gguf",
        "{tmp}/models/link.gguf",
    ],
)
def test_switch_targets_outside_the_configuration_are_refused(
    settings: LocalAI, make_gguf: Callable[..., Path], tmp_path: Path, name: str
) -> None:
    outside = make_gguf("outside.gguf")
    (tmp_path / "models" / "link.gguf").symlink_to(outside)
    with pytest.raises(ModelSwitchRefused, match=r"LocalAI\.aliases"):
        switch_target(name.format(tmp=tmp_path), settings, "configured.gguf")


def test_a_bad_file_in_the_model_folder_is_refused_before_any_engine(
    settings: LocalAI, tmp_path: Path
) -> None:
    bad = tmp_path / "models" / "notes.gguf"
    bad.write_text("not a model\n" * 10)
    with pytest.raises(InvalidModelError, match="not a GGUF"):
        switch_target(str(bad), settings, "configured.gguf")


# --- the remote key and the kernels' secret -------------------------------------------------


def test_the_remote_key_is_for_the_configured_url_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAM_KEY", "sk-team")
    settings = LocalAI(remote_url="http://gpu-box:8000/v1#coder", remote_api_key_env="TEAM_KEY")
    assert configured_api_key("http://gpu-box:8000/v1", settings) == "sk-team"
    assert configured_api_key("http://gpu-box:8000", settings) == "sk-team"  # /v1 implied
    assert configured_api_key("http://gpu-box:8000/v1/", settings) == "sk-team"
    assert configured_api_key("http://evil.example:8000/v1", settings) is None
    assert configured_api_key("http://gpu-box:8001/v1", settings) is None
    assert configured_api_key("https://gpu-box:8000/v1", settings) is None
    assert configured_api_key("http://gpu-box:8000/v1", LocalAI(remote_api_key_env="TEAM_KEY")) \
        is None  # no remote_url configured: the key goes nowhere


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:8888/", True),
        ("http://127.8.9.1:8888/base/", True),
        ("http://localhost:8888/", True),
        ("http://[::1]:8888/", True),
        ("http://10.0.0.5:8888/", False),
        ("http://evil.example/", False),
        ("http://127.0.0.1.evil.example/", False),
        ("ftp://127.0.0.1/", False),
    ],
)
def test_the_kernels_secret_goes_only_to_a_loopback_server(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, url: str, sent: bool
) -> None:
    monkeypatch.setenv("JUPYTER_LOCALAI_SECRET", "kernel-secret")
    monkeypatch.setenv("JUPYTER_LOCALAI_SERVER_URL", url)
    with caplog.at_level(logging.WARNING):
        engine = engine_for_kernel(LocalAI())
    assert isinstance(engine, ServerEngine) is sent
    if not sent:
        assert engine is None
        assert "not sending the assistant secret" in caplog.text


# --- caps on one request ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "\ud800"}, "prompt"),
        ({"history": [{"role": "user", "content": "a\udfffb"}]}, "history[0].content"),
        ({"context": {"cells": [{"source": "\ud800"}]}}, "context.cells[0].source"),
        ({"history": [{"role": "user", "content": "x"}] * (MAX_HISTORY + 1)}, "history"),
        ({"prompt": "x" * ((1 << 20) + 1)}, "prompt"),
        ({"context_tokens": MAX_TOKENS_CAP + 1}, "context_tokens"),
        ({"max_tokens": 10**12}, "max_tokens"),
    ],
)
def test_ask_bodies_over_the_caps_or_not_unicode_are_refused(body: dict[str, Any],
                                                            field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        task_request_from_json({"task": "chat", **body}, LocalAI())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"messages": [{"role": "user", "content": "\ud800"}]}, "messages"),
        ({"stop": ["x"] * (MAX_STOP_SEQUENCES + 1)}, "stop"),
        ({"stop": ["x" * 5000]}, "stop"),
        ({"messages": [{"role": "user", "content": "x"}] * 5000}, "messages"),
        ({"max_tokens": 10**12}, "max_tokens"),
    ],
)
def test_chat_bodies_over_the_caps_or_not_unicode_are_refused(body: dict[str, Any],
                                                             field: str) -> None:
    full = {"messages": [{"role": "user", "content": "hi"}], **body}
    with pytest.raises(ValueError, match=field):
        generation_request_from_json(full, LocalAI())


def test_real_requests_are_well_within_the_caps() -> None:
    request = task_request_from_json(
        {"task": "chat", "prompt": "déjà vu 😀", "history": [{"role": "user", "content": "ok"}],
         "context_tokens": 4096}, LocalAI())
    assert request.prompt == "déjà vu 😀"
    chat = generation_request_from_json(
        {"messages": [{"role": "user", "content": "😀"}], "stop": ["\n\n", "```"]}, LocalAI())
    assert chat.stop == ["\n\n", "```"]


# --- the worker channel ---------------------------------------------------------------------


def test_the_worker_channel_is_ascii_and_never_fails_on_a_lone_surrogate() -> None:
    left, right = socket.socketpair()
    sender, receiver = Channel(left), Channel(right)
    try:
        sender.send({"op": "generate", "text": "a\ud800b déjà 😀", "\udfff": ["\udc00"]})
        raw = right.recv(65536)
        assert raw.isascii()
        received = json.loads(raw)
        assert received == {"op": "generate", "text": "a\ufffdb déjà 😀", "\ufffd": ["\ufffd"]}
        received["text"].encode("utf-8")  # the other side can encode what it got
    finally:
        sender.close()
        receiver.close()


class _StubWorker:
    """Stands in for a worker process: records what would go over its channel."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        self.send = send
        self.pid = 0

    def rss_bytes(self) -> None:
        return None


def test_a_lone_surrogate_reaches_the_worker_replaced_and_is_not_stuck_pending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    left, right = socket.socketpair()
    channel = Channel(left)
    engine = WorkerEngine("qwen2.5-coder-0.5b")
    monkeypatch.setattr(engine, "_ensure_worker", lambda: _StubWorker(channel.send))
    try:
        engine.generate(GenerationRequest(messages=[{"role": "user", "content": "\ud800"}]))
        sent = json.loads(right.recv(65536))
        assert sent["request"]["messages"][0]["content"] == "\ufffd"
        assert engine.status()["in_flight"] == 1  # delivered: the worker would answer it
    finally:
        channel.close()
        right.close()


def test_a_request_that_cannot_be_sent_fails_and_leaves_nothing_pending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(message: dict[str, Any]) -> None:
        raise TypeError("Object of type bytes is not JSON serializable")

    engine = WorkerEngine("qwen2.5-coder-0.5b")
    monkeypatch.setattr(engine, "_ensure_worker", lambda: _StubWorker(refuse))
    generation = engine.generate(GenerationRequest(messages=[{"role": "user", "content": "x"}]))
    with pytest.raises(EngineUnavailableError, match="could not be sent"):
        list(generation)
    assert engine.status()["in_flight"] == 0


def test_the_worker_queue_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_localai.engines import worker_client
    from jupyter_localai.errors import QueueFullError

    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(worker_client, "MAX_PENDING_REQUESTS", 3)
    engine = WorkerEngine("qwen2.5-coder-0.5b")
    monkeypatch.setattr(engine, "_ensure_worker", lambda: _StubWorker(sent.append))
    request = GenerationRequest(messages=[{"role": "user", "content": "x"}])
    for _ in range(3):
        engine.generate(request)
    with pytest.raises(QueueFullError, match="already waiting"):
        list(engine.generate(request))
    assert len(sent) == 3 and engine.status()["in_flight"] == 3


# --- a GGUF header field of the wrong type --------------------------------------------------


@pytest.mark.parametrize("alignment", ["32", "thirty-two"])
def test_a_string_alignment_is_an_invalid_model_not_a_crash(tmp_path: Path,
                                                           alignment: str) -> None:
    """Before: 'thirty-two' was a ValueError (a 500) and '32' passed the check, though
    llama.cpp reads the field as a uint32."""
    path = tmp_path / "string-alignment.gguf"
    writer = GGUFWriter(str(path), "qwen2")
    writer.add_block_count(1)
    writer.add_string("general.alignment", alignment)
    writer.add_tensor("blk.0.attn_norm.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(InvalidModelError, match="general.alignment must be an unsigned integer"):
        read_gguf_header(path)


def test_threads_sending_at_once_keep_lines_whole() -> None:
    """The slow path (a message with a surrogate) still sends under the channel's lock."""
    left, right = socket.socketpair()
    sender = Channel(left)
    reader = right.makefile("rb")
    messages = [{"n": i, "text": "\ud800" * 2000 if i % 2 else "é" * 2000} for i in range(40)]
    threads = [threading.Thread(target=sender.send, args=(m,)) for m in messages]
    for thread in threads:
        thread.start()
    got = [json.loads(reader.readline()) for _ in messages]
    for thread in threads:
        thread.join()
    assert sorted(m["n"] for m in got) == list(range(40))
    sender.close()
    reader.close()
    right.close()
