"""Drive a real IPython kernel (jupyter_client) and collect what a frontend would see.

`KernelDriver` is the tests' one kernel launcher (a kernel of its own, no Jupyter server);
`jupyter_process.ServerKernel` drives a kernel a running server started.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import KernelManager

from jupyter_localai.config import MODEL_ENV, SERVER_URL_ENV


def own_worker_env(model_path: str, *, unset: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This process's environment for a kernel that runs `model_path` in a worker of its own:
    no server URL (so the magics never reach a server), `unset` removed, `extra` added."""
    env = {k: v for k, v in os.environ.items() if k not in (SERVER_URL_ENV, *unset)}
    env[MODEL_ENV] = model_path
    env.update(extra)
    return env


@contextlib.contextmanager
def assistant_kernel(model_path: str, setup: str = "") -> Iterator[KernelDriver]:
    """A kernel with a worker of its own running `model_path`, the extension loaded and
    `setup` run (the state a test module's cells share); shut down on leaving."""
    driver = KernelDriver(env=own_worker_env(model_path))
    try:
        run = driver.execute("%load_ext jupyter_localai\n" + setup)
        assert run.status == "ok", run.error
        yield driver
    finally:
        driver.shutdown()


@dataclass
class CellRun:
    """Everything one execute request produced on iopub, in order."""

    status: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    reply: dict[str, Any] = field(default_factory=dict)

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    @property
    def stdout(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == "stdout")

    @property
    def stderr(self) -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream")
                       if m["content"]["name"] == "stderr")

    def final_bundle(self) -> dict[str, Any]:
        """The last display (or update) bundle: what the cell shows at the end."""
        shown = self.of_type("display_data", "update_display_data", "execute_result")
        return shown[-1]["content"]["data"] if shown else {}

    def final_bundle_with(self, mime: str) -> dict[str, Any]:
        """The last display (or update) bundle carrying `mime`: an answer's final form,
        whatever is displayed after it (the ipywidgets bar under a code answer)."""
        shown = [message["content"]["data"] for message in
                 self.of_type("display_data", "update_display_data", "execute_result")
                 if mime in message["content"]["data"]]
        return shown[-1] if shown else {}


class KernelDriver:
    """A real kernel in its own process, with the test's environment."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.manager = KernelManager(kernel_name="python3")
        # No `env`: the kernel inherits this process's (jupyter_client refuses `env=None`).
        self.manager.start_kernel(**({} if env is None else {"env": env}))
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)

    def execute(self, code: str, timeout: float = 300.0, on_message: Any = None,
                *, store_history: bool = True) -> CellRun:
        """Run `code`, return its iopub messages once the kernel is idle again.
        `store_history=False`: a probe, not a cell of the notebook (the assistant's context
        leaves it out, as a frontend's silent call)."""
        msg_id = self.client.execute(code, store_history=store_history)
        run = CellRun()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            msg_type = message["msg_type"]
            if msg_type == "status" and message["content"]["execution_state"] == "idle":
                reply = self.client.get_shell_msg(timeout=30)
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = self.client.get_shell_msg(timeout=30)
                run.status = reply["content"]["status"]
                run.reply = reply["content"]
                return run
            run.messages.append(message)
            if msg_type == "error":
                run.error = message["content"]
            if on_message is not None:
                on_message(message)
        raise TimeoutError(f"cell did not finish in {timeout} s:\n{code}")

    def value(self, expression: str) -> Any:
        """Evaluate `expression` in the kernel and bring back its JSON value."""
        run = self.execute(f"import json as _j; print(_j.dumps({expression}))")
        if run.error:
            raise RuntimeError(f"{run.error['ename']}: {run.error['evalue']}")
        import json

        return json.loads(run.stdout.strip().splitlines()[-1])

    def interrupt(self) -> None:
        self.manager.interrupt_kernel()

    def is_alive(self) -> bool:
        return self.manager.is_alive()

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


REPLY = "__import__('jupyter_localai').last_reply()"


def kept_answer(kernel: KernelDriver, ask: str, *, max_tokens: int = 128,
                timeout: float = 1200.0) -> str:
    """Ask `%%ai` (generate) in the kernel, run the code it kept there, and return that code;
    the ask and the run must both succeed."""
    run = kernel.execute(f"%%ai --max-tokens {max_tokens}\n{ask}", timeout=timeout)
    assert run.status == "ok", run.error
    code = kernel.value(f"{REPLY}.code")
    ran = kernel.execute(code)
    assert ran.status == "ok", (code, ran.error)
    return code
