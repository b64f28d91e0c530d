"""End to end: a real `jupyter server` process with the extension and the real model, a
kernel started through its REST API, and `%%ai` in that kernel answered by the server's
resident model (not a second copy in the kernel), authenticated by the assistant secret.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.jupyter_process import JupyterServer
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

from jupyter_localai.config import SERVER_SECRET_ENV, SERVER_URL_ENV

pytestmark = pytest.mark.model


@pytest.fixture
def jupyter_server(tmp_path: Path, default_model_path: str) -> Iterator[JupyterServer]:
    """A `jupyter server` subprocess with the extension enabled, loading the model at start."""
    server = JupyterServer(
        tmp_path,
        args=[
            f"--LocalAI.model={default_model_path}",
            "--LocalAI.n_ctx=4096",
            "--LocalAI.max_tokens=48",
            "--LocalAI.load_on_start=True",
        ],
    ).start()
    try:
        yield server
    finally:
        server.stop()


async def _get(server: JupyterServer, path: str, **kwargs: Any) -> Any:
    response = await AsyncHTTPClient().fetch(
        server.url + path, headers=server.auth, request_timeout=30, **kwargs
    )
    return json.loads(response.body) if response.body else None


async def _wait_ready(server: JupyterServer) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if server.process is None or server.process.poll() is not None:
            pytest.fail("jupyter server exited:\n" + server.log_tail(3000))
        try:
            status = await _get(server, "api/localai/status")
        except OSError:
            status = None
        if status and status.get("state") == "ready":
            return status
        await asyncio.sleep(0.5)
    pytest.fail("the model did not load:\n" + server.log_tail(3000))


class KernelChannel:
    """Just enough of the kernel websocket protocol to run cells and read their output."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.session = uuid.uuid4().hex

    async def run(self, code: str, timeout: float = 300) -> dict[str, Any]:
        msg_id = uuid.uuid4().hex
        await self.connection.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "username": "test",
                        "session": self.session,
                        "msg_type": "execute_request",
                        "version": "5.3",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "channel": "shell",
                    "buffers": [],
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": True,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                }
            )
        )
        result: dict[str, Any] = {"stdout": "", "outputs": [], "reply": None}
        idle = False
        while result["reply"] is None or not idle:
            raw = await asyncio.wait_for(self.connection.read_message(), timeout=timeout)
            assert raw is not None, "the kernel websocket closed"
            message = json.loads(raw)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["header"]["msg_type"]
            if kind == "execute_reply":
                result["reply"] = message["content"]
            elif kind == "stream":
                result["stdout"] += message["content"]["text"]
            elif kind in ("display_data", "update_display_data", "execute_result"):
                result["outputs"].append(message["content"]["data"])
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                idle = True
        return result


def _descendants_running(pid: int, module: str) -> list[psutil.Process]:
    """The processes under `pid` whose command line names `module`. Other extensions start
    passing children of their own (jupyter_lsp runs `npm prefix -g` at start, for seconds on
    a slow machine), so a count of all children says nothing about the model's workers."""
    found = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if module in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue  # a short-lived helper ended while it was listed
    return found


def _model_workers(server_pid: int) -> list[int]:
    return [worker.pid for worker in _descendants_running(server_pid, "jupyter_localai.worker")]


async def test_ai_magic_in_a_kernel_uses_the_servers_resident_model(jupyter_server):
    url = jupyter_server.url
    status = await _wait_ready(jupyter_server)
    assert status["engine"] == "llama"
    served_before = status["requests_served"]
    assert jupyter_server.process is not None
    server_pid = jupyter_server.process.pid
    workers_before = _model_workers(server_pid)
    assert len(workers_before) == 1  # the resident model's worker

    kernel = await _get(
        jupyter_server, "api/kernels", method="POST", body=json.dumps({"name": "python3"})
    )
    ws_url = url.replace("http://", "ws://") + f"api/kernels/{kernel['id']}/channels"
    connection = await websocket_connect(ws_url + f"?token={jupyter_server.token}")
    channel = KernelChannel(connection)
    try:
        loaded = await channel.run("%load_ext jupyter_localai")
        assert loaded["reply"]["status"] == "ok", loaded

        asked = await channel.run("%%ai\nwrite a function add(a, b) that returns a + b")
        assert asked["reply"]["status"] == "ok", asked

        token_hash = hashlib.sha256(jupyter_server.token.encode()).hexdigest()
        probe = await channel.run(
            "import hashlib, json, os, jupyter_localai\n"
            "reply = jupyter_localai.last_reply()\n"
            "print(json.dumps({'code': reply.code, 'model': reply.model,\n"
            f"  'secret': bool(os.environ.get('{SERVER_SECRET_ENV}')),\n"
            f"  'url': os.environ.get('{SERVER_URL_ENV}'),\n"
            "  'token_in_env': any(hashlib.sha256(v.encode()).hexdigest() == "
            f"'{token_hash}' for v in os.environ.values())}}))"
        )
        assert probe["reply"]["status"] == "ok", probe
        seen = json.loads(probe["stdout"].strip().splitlines()[-1])
        assert "def add" in seen["code"]
        assert seen["secret"] is True
        assert seen["url"] == url
        assert seen["token_in_env"] is False  # the kernel never holds Jupyter's token

        report = await channel.run("%ai status")
        assert "resident model" in report["stdout"], report["stdout"]
    finally:
        connection.close()

    status = await _get(jupyter_server, "api/localai/status")
    assert status["requests_served"] > served_before  # the server's model answered
    # ... and no model worker was started for the kernel
    kernel_process = _descendants_running(server_pid, "ipykernel")
    assert len(kernel_process) == 1
    assert not _descendants_running(kernel_process[0].pid, "jupyter_localai.worker")
    assert _model_workers(server_pid) == workers_before

    # stopping the server stops the worker that owned the model
    worker = psutil.Process(workers_before[0])
    jupyter_server.process.terminate()
    jupyter_server.process.wait(timeout=60)
    worker.wait(timeout=30)
    assert not worker.is_running()
