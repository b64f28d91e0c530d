"""A kernel's view: `engine_for_kernel` finds this server through the environment and asks
its resident model with the assistant secret (blocking stdlib client, so run in a thread)."""

from __future__ import annotations

import asyncio
import threading

from jupyter_localai.config import SERVER_SECRET_ENV, SERVER_URL_ENV, LocalAI
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.server import ServerEngine
from jupyter_localai.kernel.server_client import engine_for_kernel

ASK = GenerationRequest(messages=[{"role": "user", "content": "hi"}], max_tokens=16)


async def test_a_kernel_under_the_server_uses_its_resident_model(
    jp_serverapp, http_server, runtime, engine
):
    engine._reply = "from the server"
    client = engine_for_kernel(LocalAI())  # settings as a kernel started by the server sees them
    assert isinstance(client, ServerEngine)
    status = await asyncio.to_thread(client.status)
    assert status["engine"] == "server"
    assert "resident model" in status["description"]
    assert status["state"] == "idle"  # nothing asked yet; the kernel started nothing
    generation = client.generate(ASK)
    pieces = await asyncio.to_thread(list, generation)
    assert "".join(pieces) == "from the server"
    assert len(pieces) == 3
    assert engine.requests[-1].messages == ASK.messages
    status = await asyncio.to_thread(client.status)
    assert (status["state"], status["model"], status["server_engine"]) == ("ready", "fake", "fake")
    models = await asyncio.to_thread(client.models)
    assert any(row["current"] for row in models)


async def test_cancel_in_the_kernel_stops_the_servers_generation(
    jp_serverapp, http_server, runtime, engine, long_answer
):
    engine._reply = long_answer
    engine._delay_s = 0.05
    client = engine_for_kernel(LocalAI())
    generation = client.generate(ASK)
    first = threading.Event()

    def consume() -> list[str]:
        pieces = []
        for piece in generation:
            pieces.append(piece)
            first.set()
        return pieces

    consumer = asyncio.ensure_future(asyncio.to_thread(consume))
    await asyncio.to_thread(first.wait, 10)
    generation.cancel()
    pieces = await asyncio.wait_for(consumer, timeout=5)
    assert generation.completion.finish_reason == "cancelled"
    assert len(pieces) < len(long_answer.split())
    for _ in range(60):  # the server notices the closed connection and stops the model
        if runtime.active_count() == 0:
            break
        await asyncio.sleep(0.05)
    assert runtime.active_count() == 0
    assert engine.generations[-1].cancelled


async def test_a_wrong_secret_is_refused_clearly(jp_serverapp, http_server, monkeypatch):
    monkeypatch.setenv(SERVER_SECRET_ENV, "not-the-secret")
    client = engine_for_kernel(LocalAI())
    status = await asyncio.to_thread(client.status)
    assert status["state"] == "unreachable"
    assert "HTTP 403" in status["last_error"]


def test_no_server_in_the_environment_means_no_server_engine(monkeypatch):
    monkeypatch.delenv(SERVER_URL_ENV, raising=False)
    monkeypatch.delenv(SERVER_SECRET_ENV, raising=False)
    assert engine_for_kernel(LocalAI()) is None


def test_use_server_off_or_a_missing_secret_means_no_server_engine(monkeypatch):
    monkeypatch.setenv(SERVER_URL_ENV, "http://127.0.0.1:8888/")
    monkeypatch.setenv(SERVER_SECRET_ENV, "s")
    assert engine_for_kernel(LocalAI(use_server=False)) is None
    assert isinstance(engine_for_kernel(LocalAI()), ServerEngine)
    monkeypatch.delenv(SERVER_SECRET_ENV)
    assert engine_for_kernel(LocalAI()) is None
