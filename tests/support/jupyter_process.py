"""Jupyter processes for the tests: the one launcher, a `jupyter server` with the extension,
kernels it starts, and HTTP helpers.

The reliability tests run the server in its own process (as users do), so a crash, a hang or
a slow status call there is seen from outside exactly as a browser or a kernel would see it.
Kernels are started through the server's REST API and driven over their connection file with
jupyter_client; they inherit the server's URL and assistant secret, as real kernels do.
`launch_jupyter` also starts the browser tests' `jupyter lab` (`lab_helpers.running_lab`).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from jupyter_client.blocking import BlockingKernelClient

from jupyter_localai.config import SERVER_SECRET_ENV, SERVER_URL_ENV
from support.kernel_driver import KernelDriver

# On a launched process's PYTHONPATH, so it can load `support.<module>` (an engine factory).
TESTS_DIR = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pythonpath_with_tests(env: Mapping[str, str]) -> str:
    """`env`'s PYTHONPATH with tests/ in front (for `--...engine_factory=support.x.make`)."""
    return os.pathsep.join(p for p in (str(TESTS_DIR), env.get("PYTHONPATH", "")) if p)


def launch_jupyter(
    app: str,
    port: int,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    log: Path,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `python -m <app>` (jupyter_server, jupyterlab) on a loopback port, its output
    appended to `log`; `args` carry the token, folders and extension settings."""
    command = [
        sys.executable,
        "-m",
        app,
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        *args,
    ]
    with log.open("ab") as log_file:
        return subprocess.Popen(
            command, env=dict(env), stdout=log_file, stderr=subprocess.STDOUT, cwd=cwd
        )


def log_tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Poll `url` (an `api/status` with its token) until it answers; fail with the log's tail
    if the process exits or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"{process.args[2]} exited with {process.returncode}:\n{log_tail(log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise TimeoutError(f"{process.args[2]} did not answer in {timeout} s:\n{log_tail(log)}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Terminate, wait `timeout` s, then kill."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


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
        env.update(
            JUPYTER_CONFIG_DIR=str(self.root / "config"),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTER_DATA_DIR=str(self.root / "data"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONPATH=pythonpath_with_tests(env),
        )
        env.update(self.env)
        args = [
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebook_dir}",
            "--ServerApp.base_url=/base/",
            '--ServerApp.jpserver_extensions={"jupyter_localai": True}',
            "--LocalAI.retries=0",
            *self.args,
        ]
        self.process = launch_jupyter(
            "jupyter_server", port, args, env=env, log=self.log_path, cwd=self.notebook_dir
        )
        self.url = f"http://127.0.0.1:{port}/base/"
        wait_until_answering(
            f"{self.url}api/status?token={self.token}", self.process, self.log_path, timeout
        )
        return self

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log_tail(self, chars: int = 4000) -> str:
        return log_tail(self.log_path, chars)

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
        if self.process is not None:
            stop_process(self.process)


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
