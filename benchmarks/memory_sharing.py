"""Memory of one Jupyter server sharing its resident model with 3 notebooks, against 3
kernels that each start their own worker (what every notebook would cost without the server).

    python benchmarks/memory_sharing.py [--model PATH] [--kernels 3]

Each kernel loads the extension and asks one short `%%ai`. RSS counts a page once per
process that maps it, so the model file's pages count in every worker; PSS (Linux) splits
shared pages between the processes that share them, which is the honest total. Writes
`benchmarks/results/memory_sharing.md`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psutil
from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).parent))
from perf_kernel import BenchKernel
from perf_sides import JupyterServer

from jupyter_localai.models import resolve_model

ASK = "%load_ext jupyter_localai\n"
QUESTION = "%%ai --max-tokens 16\nwrite a function add(a, b)"
RESULTS = Path(__file__).parent / "results"


def tree_memory(pid: int) -> dict[str, int]:
    """RSS and PSS of a process and all its descendants."""
    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    rss = pss = 0
    for process in processes:
        info = process.memory_full_info()
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return {"rss": rss, "pss": pss, "processes": len(processes)}


async def _run_cell(connection: Any, code: str) -> None:
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "username": "bench", "session": uuid.uuid4().hex,
              "msg_type": "execute_request", "version": "5.3"}
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    await connection.write_message(json.dumps({"header": header, "parent_header": {},
                                               "metadata": {}, "channel": "shell",
                                               "buffers": [], "content": content}))
    while True:
        message = json.loads(await asyncio.wait_for(connection.read_message(), timeout=600))
        if (message.get("parent_header", {}).get("msg_id") == msg_id
                and message["header"]["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"):
            return


async def server_scenario(model: str, kernels: int, workdir: Path) -> dict[str, int]:
    token = uuid.uuid4().hex
    server = JupyterServer(model, n_ctx=4096, n_threads=0, workdir=workdir, token=token)
    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{server.port}/"
    connections = []
    try:
        for _ in range(kernels):
            response = await client.fetch(base + "api/kernels", method="POST",
                                          body=json.dumps({"name": "python3"}),
                                          headers={"Authorization": f"token {token}"})
            kernel_id = json.loads(response.body)["id"]
            connection = await websocket_connect(
                f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?token={token}")
            connections.append(connection)
            await _run_cell(connection, ASK)
            await _run_cell(connection, QUESTION)
        await asyncio.sleep(1)
        return tree_memory(server.process.pid)
    finally:
        for connection in connections:
            connection.close()
        server.process.terminate()
        server.process.wait(timeout=60)


def kernels_scenario(model: str, kernels: int) -> dict[str, int]:
    started = [BenchKernel(model) for _ in range(kernels)]
    try:
        for kernel in started:
            kernel.execute(ASK)
            kernel.execute(QUESTION)
        totals = {"rss": 0, "pss": 0, "processes": 0}
        for kernel in started:
            for key, value in tree_memory(kernel.pid).items():
                totals[key] += value
        return totals
    finally:
        for kernel in started:
            kernel.client.stop_channels()
            kernel.manager.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="GGUF path (default: the embedded model)")
    parser.add_argument("--kernels", type=int, default=3)
    args = parser.parse_args()
    model = args.model or str(resolve_model("qwen2.5-coder-0.5b").path)
    with tempfile.TemporaryDirectory() as workdir:
        shared = asyncio.run(server_scenario(model, args.kernels, Path(workdir)))
    separate = kernels_scenario(model, args.kernels)
    mib = 2**20
    lines = [
        (f"# Memory: one server for {args.kernels} notebooks vs {args.kernels} kernels with "
        "their own worker"), "",
        (f"Model: `{Path(model).name}` ({Path(model).stat().st_size / mib:.0f} MiB), "
        f"{psutil.cpu_count(logical=False)} cores; command: "
        f"`python benchmarks/memory_sharing.py --kernels {args.kernels}`"), "",
        "| setup | processes | RSS MiB | PSS MiB |", "|---|---|---|---|",
        (f"| server + 1 worker + {args.kernels} kernels | {shared['processes']} | "
        f"{shared['rss'] / mib:.0f} | {shared['pss'] / mib:.0f} |"),
        (f"| {args.kernels} kernels, each with its own worker | {separate['processes']} | "
        f"{separate['rss'] / mib:.0f} | {separate['pss'] / mib:.0f} |"),
        "", (f"Saving with the server: {(separate['pss'] - shared['pss']) / mib:.0f} MiB PSS "
        f"({separate['pss'] / max(shared['pss'], 1):.2f}x less)."),
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory_sharing.md").write_text("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
