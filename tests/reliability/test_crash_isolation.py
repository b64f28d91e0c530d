"""Crash isolation: the model worker dies, nothing else does.

Through the real server holding the real model: the worker is killed with SIGKILL in the
middle of a panel answer and in the middle of a kernel's `%%ai`, and llama.cpp aborts
(SIGABRT) on a file the header check lets through. Each time the request gets a clear error,
the Jupyter server process and the kernel stay up with their state, `status` names the
restart and its reason, and the next request is answered.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
from support.gguf_files import absurd_experts
from support.jupyter_process import JupyterServer, ServerKernel, sse_lines

pytestmark = pytest.mark.model

LONG = {"task": "chat", "prompt": "Count from 1 to 200, separated by commas.",
        "max_tokens": 64, "format": "text"}


def _kill_worker_when(ready: threading.Event, server: JupyterServer, killed: dict) -> None:
    assert ready.wait(300), "the answer never started streaming"
    killed["pid"] = server.status()["pid"]
    os.kill(killed["pid"], signal.SIGKILL)


def _answered(server: JupyterServer) -> str:
    response = server.post("api/localai/ask", {"task": "chat", "prompt": "Say hi.",
                                               "max_tokens": 8})
    events = [json.loads(line[6:]) for line in response.text.splitlines()
              if line.startswith("data: ")]
    assert events[-1]["type"] == "done", events[-1]
    return str(events[-1]["reply"]["text"])


def _still_up(server: JupyterServer, kernel: ServerKernel, pid: int) -> None:
    server.assert_alive()
    assert server.process is not None and server.process.pid == pid
    assert kernel.is_alive()
    assert kernel.value("precious") == {"cells": 300, "hours": 6}


def test_worker_deaths_cost_one_answer_and_nothing_else(
    model_server: JupyterServer, tmp_path: Path, reliability_report: Any
) -> None:
    kernel = model_server.start_kernel()
    server_pid = model_server.process.pid  # type: ignore[union-attr]
    survived: list[str] = []
    try:
        setup = "%load_ext jupyter_localai\nprecious = {'cells': 300, 'hours': 6}"
        assert kernel.execute(setup).status == "ok"
        _answered(model_server)  # a worker is up and warm
        restarts = model_server.status()["restarts"]

        # 1. SIGKILL in the middle of a panel answer (SSE from `ask`).
        response = requests.post(model_server.url + "api/localai/ask", data=json.dumps(LONG),
                                 headers=model_server.auth, stream=True, timeout=600)
        streaming, killed = threading.Event(), {}
        killer = threading.Thread(target=_kill_worker_when,
                                  args=(streaming, model_server, killed))
        killer.start()
        events = []
        for event in sse_lines(response):
            events.append(event)
            if event["type"] == "token":
                streaming.set()
        killer.join(60)
        error = events[-1]
        assert error["type"] == "error" and error["error"] == "WorkerCrashedError", error
        assert "SIGKILL" in error["message"] and error["status"] == 503
        status = model_server.status()
        assert status["state"] == "failed" and "SIGKILL" in status["last_error"]
        _still_up(model_server, kernel, server_pid)
        assert _answered(model_server)
        status = model_server.status()
        assert status["restarts"] == restarts + 1 and status["pid"] != killed["pid"]
        survived.append("SIGKILL mid `ask` stream")

        # 2. SIGKILL in the middle of a kernel's `%%ai` (OpenAI route, assistant secret).
        streaming, killed = threading.Event(), {}
        killer = threading.Thread(target=_kill_worker_when,
                                  args=(streaming, model_server, killed))
        killer.start()
        run = kernel.execute(
            f"%%ai --no-context -f text --max-tokens 64\n{LONG['prompt']}",
            on_message=lambda m: m["msg_type"] == "update_display_data" and streaming.set(),
        )
        killer.join(60)
        assert run.status == "ok", run.error  # an error message in the cell, no traceback
        shown = json.dumps(run.final_bundle())
        assert "WorkerCrashedError" in shown or "worker" in shown.lower(), shown
        _still_up(model_server, kernel, server_pid)
        again = kernel.execute("%%ai --no-context -f text --max-tokens 8\nSay hi.")
        assert again.status == "ok"
        assert kernel.value("__import__('jupyter_localai').last_reply().text")
        status = model_server.status()
        assert status["restarts"] == restarts + 2 and "SIGKILL" in status["last_error"]
        survived.append("SIGKILL mid kernel `%%ai`")

        # 3. llama.cpp aborts while loading a file the header check lets through.
        model = model_server.status()["model"]
        # A switch takes files from the model folder only.
        bad = absurd_experts(model_server.models_dir / "experts.gguf")
        response = model_server.post("api/localai/models", {"model": str(bad)}, timeout=300)
        assert response.status_code == 503, response.text
        message = response.json()["message"]
        assert str(bad) in message and "SIGABRT" in message and "GGML_ASSERT" in message
        status = model_server.status()
        assert status["model"] == model and "SIGABRT" in status["last_error"]
        _still_up(model_server, kernel, server_pid)
        assert _answered(model_server)  # the previous model, in a new worker
        status = model_server.status()
        assert status["state"] == "ready" and status["model"] == model
        assert status["restarts"] == restarts + 3
        survived.append("SIGABRT in llama.cpp loading a malformed GGUF")
    finally:
        kernel.shutdown()
    reliability_report.add(
        "crash isolation",
        "; ".join(survived),
        f"{len(survived)} worker deaths survived: each request got a clear error (503 "
        "WorkerCrashedError / ModelLoadError naming SIGKILL or SIGABRT), status showed the "
        "restart and why, the next request was answered",
        "same Jupyter server process; kernel alive with its variables",
    )
