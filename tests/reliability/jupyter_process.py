"""A real `jupyter server` process with the extension, kernels it starts, and HTTP helpers.

The reliability tests run the server in its own process (as users do), so a crash, a hang or
a slow status call there is seen from outside exactly as a browser or a kernel would see it.
Kernels are started through the server's REST API and driven over their connection file with
jupyter_client; they inherit the server's URL and assistant secret, as real kernels do.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from jupyter_client.blocking import BlockingKernelClient
from kernel_driver import KernelDriver

from jupyter_localai.config import SERVER_SECRET_ENV, SERVER_URL_ENV

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class JupyterServer:
    """A `jupyter server` subprocess; `url` ends with the base_url's slash."""

    root: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @property
    def runtime_dir(self) -> Path:
        return self.root / "runtime"

    @property
    def notebook_dir(self) -> Path:
        return self.root / "notebooks"

    @property
    def models_dir(self) -> Path:
        """The folder a test gives as `LocalAI.models_dir`: `POST models` takes files there."""
        return self.root / "models"

    def start(self, timeout: float = 120) -> JupyterServer:
        port = free_port()
        self.notebook_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in (SERVER_URL_ENV, SERVER_SECRET_ENV)}
        pythonpath = [str(HERE), env.get("PYTHONPATH", "")]
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root / "config"),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTER_DATA_DIR=str(self.root / "data"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONPATH=os.pathsep.join(p for p in pythonpath if p),
        )
        env.update(self.env)
        command = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebook_dir}",
            "--ServerApp.base_url=/base/",
            '--ServerApp.jpserver_extensions={"jupyter_localai": True}',
            "--LocalAI.retries=0",
            *self.args,
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.notebook_dir
            )
        self.url = f"http://127.0.0.1:{port}/base/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                if requests.get(self.url + "api/status", headers=self.auth, timeout=2).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise TimeoutError("jupyter server did not start:\n" + self.log_tail())

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def assert_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(
                f"jupyter server exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def get(self, path: str, timeout: float = 30, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, headers=self.auth, timeout=timeout, **kwargs)

    def post(self, path: str, body: Any, timeout: float = 300, **kwargs: Any) -> requests.Response:
        return requests.post(
            self.url + path, data=json.dumps(body), headers=self.auth, timeout=timeout, **kwargs
        )

    def status(self) -> dict[str, Any]:
        response = self.get("api/localai/status", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def wait_for(self, predicate: Any, timeout: float = 240, what: str = "") -> dict[str, Any]:
        """Poll `status` until `predicate(status)` holds; the last status."""
        deadline = time.monotonic() + timeout
        while True:
            self.assert_alive()
            status = self.status()
            if predicate(status):
                return status
            if time.monotonic() > deadline:
                raise TimeoutError(f"status never showed {what}: {status}")
            time.sleep(0.05)

    def start_kernel(self, **env: str) -> ServerKernel:
        return ServerKernel(self)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class ServerKernel(KernelDriver):
    """A kernel started by the server's REST API, driven through its connection file.

    It inherits the server's environment (URL and assistant secret), as kernels of a
    notebook do; interrupting goes through the server's REST API, as the Stop button does.
    """

    def __init__(self, server: JupyterServer) -> None:
        self.server = server
        response = server.post("api/kernels", {"name": "python3"}, timeout=60)
        response.raise_for_status()
        self.kernel_id = response.json()["id"]
        connection_file = server.runtime_dir / f"kernel-{self.kernel_id}.json"
        deadline = time.monotonic() + 30
        while not connection_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def interrupt(self) -> None:
        self.server.post(f"api/kernels/{self.kernel_id}/interrupt", {}, timeout=30)

    def is_alive(self) -> bool:
        response = self.server.get(f"api/kernels/{self.kernel_id}", timeout=10)
        return response.ok and response.json().get("execution_state") != "dead"

    def pid(self) -> int:
        return int(self.value("__import__('os').getpid()"))

    def shutdown(self) -> None:
        self.client.stop_channels()
        requests.delete(
            self.server.url + f"api/kernels/{self.kernel_id}", headers=self.server.auth, timeout=60
        )


def sse_lines(response: requests.Response) -> Iterator[Any]:
    """The `data:` payloads of a streaming response, as they arrive (JSON-decoded)."""
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data: "):
            data = line[len("data: ") :]
            yield data if data == "[DONE]" else json.loads(data)
