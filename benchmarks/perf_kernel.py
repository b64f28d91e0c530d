"""A real IPython kernel for the benchmark, driven with jupyter_client, with the magics loaded.

Time to first token of `%%ai` is when the first streamed update of the answer reaches the
client, as a notebook frontend would see it.
"""

from __future__ import annotations

import json
import os
import queue
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SETUP = """
def _localai_bench_setup():
    import sys, types
    assistant = get_ipython().magics_manager.registry['LocalAIMagics'].assistant
    engine = assistant.engine()
    engine.start()
    sent = []
    original = engine.generate
    def generate(request):
        sent.append(request.messages)
        return original(request)
    engine.generate = generate
    def context_json(request):
        from jupyter_localai.kernel.context.collect import collect_context
        return collect_context(get_ipython(), request).to_json()
    sys.modules['_localai_bench'] = types.SimpleNamespace(
        sent=sent, engine=engine, context_json=context_json)
_localai_bench_setup()
del _localai_bench_setup
"""


@dataclass
class CellResult:
    """One executed cell: when the first streamed update came, when it ended, its error."""

    started: float
    first_update: float
    ended: float
    stdout: str
    error: str


class BenchKernel:
    """A python3 kernel without a server in its environment: the magics use its own worker.

    Benchmark probes run with `store_history=False`, so they never show up as notebook
    cells, and keep their state in `sys.modules['_localai_bench']`, not in the namespace.
    """

    def __init__(self, model_path: str, cache_dir: Path | None = None, *,
                 extra_env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        """`cache_dir`: the kernel's own user cache (saved KV states), so no state saved by
        another contender or an earlier run makes a cold question warm. `extra_env`:
        settings through the environment (`JUPYTER_LOCALAI_WARM_ON_LOAD`); `cwd`: where a
        notebook's relative data paths point."""
        from jupyter_client.manager import KernelManager

        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_LOCALAI_")}
        env.update(JUPYTER_LOCALAI_MODEL=model_path, MPLBACKEND="Agg", PYTHONHASHSEED="0")
        # Off unless asked: the benchmark's own contenders start the model themselves.
        env["JUPYTER_LOCALAI_WARM_ON_LOAD"] = "0"
        if cache_dir is not None:
            env["XDG_CACHE_HOME"] = str(cache_dir)
        env.update(extra_env or {})
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env, **({"cwd": str(cwd)} if cwd is not None else {}))
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    @property
    def pid(self) -> int:
        return int(self.manager.provisioner.process.pid)  # type: ignore[union-attr]

    def execute(self, code: str, *, store_history: bool = True,
                timeout: float = 600) -> CellResult:
        started = time.perf_counter()
        msg_id = self.client.execute(code, store_history=store_history, allow_stdin=False)
        first = 0.0
        stdout: list[str] = []
        error = ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.client.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "update_display_data":
                first = first or time.perf_counter()
            elif kind == "stream" and content["name"] == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                error = f"{content['ename']}: {content['evalue']}"
            elif kind == "status" and content["execution_state"] == "idle":
                ended = time.perf_counter()
                return CellResult(started, first or ended, ended, "".join(stdout), error)
        raise TimeoutError(f"cell did not finish in {timeout} s:\n{code[:300]}")

    def probe(self, expression: str) -> Any:
        """Evaluate `expression` silently in the kernel; its JSON value."""
        result = self.execute(
            f"import json as _j; print(_j.dumps({expression})); del _j", store_history=False)
        if result.error:
            raise RuntimeError(f"{expression[:80]}: {result.error}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def time_context(self, request: str, repeats: int) -> list[float]:
        """Seconds `collect_context` takes in the kernel for `request`, `repeats` times."""
        result = self.execute(
            "def _localai_time():\n"
            "    import json, time\n"
            "    from jupyter_localai.kernel.context.collect import collect_context\n"
            "    times = []\n"
            f"    for _ in range({repeats}):\n"
            "        started = time.perf_counter()\n"
            f"        collect_context(get_ipython(), {request!r})\n"
            "        times.append(time.perf_counter() - started)\n"
            "    print(json.dumps(times))\n"
            "_localai_time()\ndel _localai_time", store_history=False)
        if result.error:
            raise RuntimeError(f"collect_context failed: {result.error}")
        return [float(t) for t in json.loads(result.stdout.strip().splitlines()[-1])]

    def start_assistant(self) -> None:
        """Load the extension and its worker, and record the messages each request sends."""
        for code in ("%load_ext jupyter_localai", _SETUP):
            result = self.execute(code, store_history=False)
            if result.error:
                raise RuntimeError(f"assistant setup failed: {result.error}")

    def sent_messages(self) -> list[list[dict[str, str]]]:
        return self.probe("__import__('_localai_bench').sent")

    def worker_pid(self) -> int:
        return int(self.probe("__import__('_localai_bench').engine.status()['pid']"))

    def reset_cache(self, *, states: bool = False) -> None:
        """Empty the worker's cache (with `states`, its saved notebook states too)."""
        self.execute(f"__import__('_localai_bench').engine.reset_cache(states={states})",
                     store_history=False)

    def last_reply(self) -> dict[str, Any]:
        return self.probe("__import__('jupyter_localai').last_reply().to_json()")

    def close(self) -> None:
        """Shut the kernel down and wait for its worker too: an orphaned worker still busy
        (a prefill after the last cell ran) would slow whoever the benchmark times next."""
        import psutil

        try:
            children = psutil.Process(self.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        _, alive = psutil.wait_procs(children, timeout=10)
        for proc in alive:
            proc.kill()
        psutil.wait_procs(alive, timeout=5)
