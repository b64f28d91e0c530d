"""The server's real worker engine dies of SIGILL (a llama-cpp-python build this CPU cannot
run): `ask` gets a 503 naming the cause and the rebuild command, `GET status` (what the
panel's status line shows) says the same, and no second worker is started."""

from __future__ import annotations

import json
import time

import pytest

from jupyter_localai.engines import worker_client
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.llama_build import reinstall_command
from jupyter_localai.worker.faults import SIGILL_ENV

pytestmark = pytest.mark.model

ASK = {"task": "chat", "prompt": "Say hi.", "max_tokens": 8, "format": "text"}


@pytest.fixture
def spawned(monkeypatch):
    pids = []
    real = worker_client.WorkerProcess

    def counting(*args, **kwargs):
        process = real(*args, **kwargs)
        pids.append(process.pid)
        return process

    monkeypatch.setattr(worker_client, "WorkerProcess", counting)
    return pids


@pytest.fixture
def engine_factory(spawned, monkeypatch):
    """The real factory's engine, whose worker will die of SIGILL at the first answer."""
    monkeypatch.setenv(SIGILL_ENV, "generate")
    return WorkerEngine.from_settings


@pytest.fixture
def localai_config(default_model_path):
    return {"model": default_model_path, "n_ctx": 512, "n_gpu_layers": -1, "max_tokens": 8}


def _auth(runtime):
    return {"Authorization": f"LocalAI {runtime.secret}"}


async def _error_of_ask(raw_fetch, runtime, parse_sse):
    response = await raw_fetch("api/localai/ask", method="POST", body=ASK,
                               headers=_auth(runtime), request_timeout=300)
    if response.code != 200:  # failed before the stream started: a plain HTTP error
        return response.code, json.loads(response.body)
    event = parse_sse(response.body)[-1]
    assert event["type"] == "error", event
    return event["status"], event


async def test_ask_and_status_name_the_unsupported_build(raw_fetch, runtime, parse_sse, spawned):
    code, error = await _error_of_ask(raw_fetch, runtime, parse_sse)
    assert code == 503
    message = error["message"]
    assert "SIGILL" in message and "cannot run" in message and reinstall_command() in message

    status = json.loads((await raw_fetch("api/localai/status", headers=_auth(runtime))).body)
    # The panel shows "Model failed" and last_error under it when state is "failed".
    assert status["state"] == "failed" and status["failure"] == "unsupported build"
    assert reinstall_command() in status["last_error"]
    assert status["restarts"] == 0
    # The model did load before the first answer died: the backend is known.
    assert "CPU" in status["backend"] and status["gpu_settings"]["n_gpu_layers"] == -1

    started = time.perf_counter()
    code, again = await _error_of_ask(raw_fetch, runtime, parse_sse)
    assert code == 503 and reinstall_command() in again["message"]
    assert time.perf_counter() - started < 2.0
    assert len(spawned) == 1
