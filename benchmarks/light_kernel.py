"""A light kernel environment asking a Jupyter server's resident model, install timed.

    python benchmarks/light_kernel.py [--model PATH] [--editable] [--keep DIR]

Creates a fresh venv with `python -m venv`, installs jupyter-localai into it WITHOUT extras
(the kernel side: IPython, ipykernel, traitlets, gguf, ...; no llama-cpp-python, nothing
compiled) and times that install; registers the venv as a kernelspec; starts `jupyter
server` from this (full) environment, which owns the model; then, in a kernel of the light
venv, runs `%load_ext jupyter_localai` and `%%ai`. It checks that the answer came from the
server's resident model and that `llama_cpp` is not importable in the light venv. Writes
`benchmarks/results/light_kernel.md`; exits non-zero when a check fails.

The wheel ships the prebuilt lab extension: a non-editable install needs
`jupyter_localai/labextension/` built (an editable install of the full environment builds
it), else hatch runs npm; `--editable` installs the repository in place instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tornado.httpclient import AsyncHTTPClient
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).parent))
from perf_sides import JupyterServer

from jupyter_localai.models import resolve_model

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results"
KERNEL_NAME = "localai-light"
QUESTION = "%%ai --max-tokens 48 --no-context\nwrite a function add(a, b) that returns a + b"
AGAIN = "%%ai --max-tokens 48 --no-context\nwrite a function sub(a, b) that returns a - b"
PROBE = (
    "import importlib.util, json, jupyter_localai\n"
    "reply = jupyter_localai.last_reply()\n"
    "print(json.dumps({'llama_cpp': importlib.util.find_spec('llama_cpp') is not None,\n"
    "    'jupyter_server': importlib.util.find_spec('jupyter_server') is not None,\n"
    "    'model': reply and reply.model, 'code': reply and reply.code,\n"
    "    'engines': list(get_ipython().magics_manager.registry['LocalAIMagics']"
    ".assistant.engine_statuses())}))"
)


def make_light_venv(root: Path, editable: bool) -> tuple[Path, float]:
    """A fresh venv with the base install only; returns its python and the install seconds."""
    venv = root / "light-venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = ["-e", str(REPO)] if editable else [str(REPO)]
    started = time.perf_counter()
    subprocess.run([str(python), "-m", "pip", "install", "-q", *target], check=True)
    return python, time.perf_counter() - started


def register_kernel(python: Path, data_dir: Path) -> None:
    """A kernelspec for the light venv, in a JUPYTER_PATH folder of its own."""
    spec = data_dir / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "jupyter-localai light kernel", "language": "python",
    }))


async def run_cell(connection: Any, code: str) -> list[dict[str, Any]]:
    """Execute `code` and return its iopub messages up to the kernel's idle status."""
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "username": "bench", "session": uuid.uuid4().hex,
              "msg_type": "execute_request", "version": "5.3"}
    content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}
    await connection.write_message(json.dumps({
        "header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
        "buffers": [], "content": content}))
    messages = []
    while True:
        message = json.loads(await asyncio.wait_for(connection.read_message(), timeout=600))
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        messages.append(message)
        if (message["header"]["msg_type"] == "status"
                and message["content"]["execution_state"] == "idle"):
            return messages


def text_of(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        content = message["content"]
        if message["header"]["msg_type"] == "stream":
            parts.append(content["text"])
        elif message["header"]["msg_type"] == "error":
            parts.append("\n".join(content["traceback"]))
        elif "data" in content:
            parts.append(str(content["data"].get("text/plain", "")))
    return "".join(parts)


async def ask_in_light_kernel(server: JupyterServer) -> dict[str, Any]:
    client = AsyncHTTPClient()
    base = f"http://127.0.0.1:{server.port}/"
    response = await client.fetch(base + "api/kernels", method="POST",
                                  body=json.dumps({"name": KERNEL_NAME}),
                                  headers={"Authorization": f"token {server.token}"})
    kernel_id = json.loads(response.body)["id"]
    connection = await websocket_connect(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?token={server.token}")
    try:
        loaded = text_of(await run_cell(connection, "%load_ext jupyter_localai"))
        started = time.perf_counter()
        answer = text_of(await run_cell(connection, QUESTION))
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        await run_cell(connection, AGAIN)
        again_s = time.perf_counter() - started
        probe = text_of(await run_cell(connection, PROBE))
    finally:
        connection.close()
        await client.fetch(base + f"api/kernels/{kernel_id}", method="DELETE",
                           headers={"Authorization": f"token {server.token}"})
    facts = json.loads(probe.strip().splitlines()[-1])
    return {**facts, "answer": answer, "load_output": loaded, "answer_s": seconds,
            "again_s": again_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="GGUF path (default: the embedded model)")
    parser.add_argument("--editable", action="store_true", help="pip install -e the repo")
    parser.add_argument("--keep", default="", help="work in this folder and keep it")
    args = parser.parse_args()
    model = args.model or str(resolve_model("qwen2.5-coder-0.5b").path)
    root = Path(args.keep or tempfile.mkdtemp(prefix="localai-light-"))
    root.mkdir(parents=True, exist_ok=True)
    python, install_s = make_light_venv(root, args.editable)
    register_kernel(python, root / "jupyter-data")
    os.environ["JUPYTER_PATH"] = str(root / "jupyter-data")
    server = JupyterServer(model, n_ctx=4096, n_threads=0, workdir=root, token=uuid.uuid4().hex)
    try:
        result = asyncio.run(ask_in_light_kernel(server))
        server_model = server.get("api/localai/status").get("model")
    finally:
        server.process.terminate()
        server.process.wait(timeout=60)
    load = os.getloadavg()
    checks = {
        "llama_cpp is not importable in the light venv": result["llama_cpp"] is False,
        "jupyter_server is not installed in the light venv": result["jupyter_server"] is False,
        "the answer came from the server's resident model": result["engines"] == ["server"],
        "the answer holds the function asked for": "def sub" in (result["code"] or ""),
    }
    lines = [
        "# A light kernel environment asking the server's resident model",
        "",
        f"Command: `python benchmarks/light_kernel.py{' --editable' if args.editable else ''}`",
        "",
        (f"- `pip install {'-e ' if args.editable else ''}<repo>` (no extras) into a fresh "
         f"venv: {install_s:.1f} s (with this machine's pip cache)"),
        (f"- `%%ai` in the light kernel: first answer {result['answer_s']:.1f} s, a second "
         f"{result['again_s']:.1f} s; model `{Path(result['model']).name}`, server status "
         f"model `{Path(server_model).name}` (file names only: the report names no folder "
         "of this machine)"),
        (f"- load average at the end (1/5/15 min): {' / '.join(f'{x:.1f}' for x in load)} on "
         f"{os.cpu_count()} CPUs (other work on the machine slows both figures)"),
        *(f"- {'PASS' if ok else 'FAIL'}: {name}" for name, ok in checks.items()),
        "",
        "The second answer's code, as the model gave it (only its presence is checked):",
        "",
        "```python",
        str(result["code"]),
        "```",
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "light_kernel.md").write_text("\n".join(lines) + "\n")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
