"""Fresh Jupyter kernels for the evaluation suite, driven cell by cell like a notebook.

Each task gets new kernels (one to ask the model, one to check the answer), so no state,
import or figure leaks from one task or phase into the next.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from jupyter_localai.config import DEFAULT_MODEL


@dataclass
class CellResult:
    """What one executed cell did: its status, its error, and its output as text."""

    ok: bool
    ename: str = ""
    evalue: str = ""
    output: str = ""
    timed_out: bool = False


class KernelSession:
    """A running python3 kernel (see `fresh_kernel`) that executes cells like a notebook."""

    def __init__(self, manager: Any, client: Any) -> None:
        self.manager = manager
        self.client = client

    def run(self, code: str, timeout: float) -> CellResult:
        """Execute one cell as a notebook would (history kept) and collect its output."""
        pieces: list[str] = []

        def collect(msg: dict[str, Any]) -> None:
            content = msg["content"]
            if msg["msg_type"] == "stream":
                pieces.append(content["text"])
            elif msg["msg_type"] in ("display_data", "execute_result"):
                pieces.append(content["data"].get("text/plain", "") + "\n")
            elif msg["msg_type"] == "error":
                pieces.append(f"{content['ename']}: {content['evalue']}\n")

        try:
            reply = self.client.execute_interactive(code, timeout=timeout, output_hook=collect,
                                                    allow_stdin=False)
        except TimeoutError:
            self.manager.interrupt_kernel()
            return CellResult(False, "Timeout", f"no answer in {timeout:.0f} s",
                              "".join(pieces), timed_out=True)
        content = reply["content"]
        return CellResult(content["status"] == "ok", content.get("ename", ""),
                          content.get("evalue", ""), "".join(pieces))


@contextlib.contextmanager
def fresh_kernel(env: dict[str, str]) -> Iterator[KernelSession]:
    """A new kernel in its own empty working directory, shut down on exit."""
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="eval-kernel-") as workdir:
        # IPC sockets inside the working directory: local-only, no TCP ports to collide on.
        manager = KernelManager(kernel_name="python3", transport="ipc",
                                ip=os.path.join(workdir, "kernel"))
        manager.start_kernel(cwd=workdir, env=env)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=90)
            yield KernelSession(manager, client)
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)


def kernel_env(model: str | None, server_url: str | None) -> dict[str, str]:
    """The kernels' environment: Agg plots, stable hashing, the model and server to use."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    env["PYTHONHASHSEED"] = "0"
    # Always a named model: under LocalAI.model = "auto" the kernels would pick by this
    # machine's measured speed, and the run's label would not say what answered.
    env["JUPYTER_LOCALAI_MODEL"] = model or DEFAULT_MODEL
    if server_url:
        env["JUPYTER_LOCALAI_SERVER_URL"] = server_url
    return env


