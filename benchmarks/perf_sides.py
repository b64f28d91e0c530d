"""The contenders of the performance benchmark, each timed from where its user sits.

- `RawModel`: llama-cpp-python in this process, the floor: the chat template of the GGUF,
  `Llama.tokenize`, `Llama.generate` with the worker's sampling settings.
- `PeerServer`: llama-cpp-python's own OpenAI server (`python -m llama_cpp.server`), asked
  through the `openai` client with the full context in every request, as other projects'
  `%%ai` magics do.
- `JupyterServer`: `jupyter server` with our extension, asked through `POST
  /api/localai/ask` (SSE, the panel's route) and `/api/localai/v1/chat/completions`.
- `BenchKernel` (perf_kernel.py): a real IPython kernel, asked through `%%ai` / `%ai fix`
  with the kernel's own worker; time to first token is when the first streamed update of
  the answer reaches the client.

Every answer becomes a `Timed`: time to first token, total, tokens, prompt and cached tokens.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import psutil

# The worker's sampling settings (worker/main.py), so raw and ours decode the same tokens.
SAMPLING = {"top_k": 40, "min_p": 0.05, "top_p": 1.0, "repeat_penalty": 1.0}


@dataclass
class Timed:
    """One answer as its user saw it."""

    ttft_s: float
    total_s: float
    tokens: int
    prompt_tokens: int = 0
    cached_tokens: int = 0
    text: str = ""
    attempts: int = 1

    @property
    def decode_tok_s(self) -> float:
        """Tokens per second after the first one (prompt processing excluded)."""
        span = self.total_s - self.ttft_s
        return (self.tokens - 1) / span if self.tokens > 1 and span > 0 else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree_members(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (empty once it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def members_rss(procs: list[psutil.Process]) -> int:
    """The summed RSS of `procs` that still run, in bytes."""
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def tree_rss(pid: int) -> int:
    """RSS of a process and all its descendants, in bytes (0 once it is gone)."""
    return members_rss(tree_members(pid))


class PeakRSS:
    """Samples the RSS of process trees in the background; keeps each one's peak.

    A tree's members are looked up again only every `rescan_s` (finding children scans
    every process on the machine: ~1.3 ms a tree here, 3% of a core at 4 samples a second
    for 6 trees, taken from the contenders being timed); between rescans only the known
    members' RSS is read. `paused()` stops sampling while paired rates are measured.
    """

    def __init__(self, interval_s: float = 0.25, rescan_s: float = 2.0) -> None:
        self.peaks: dict[str, int] = {}
        self._pids: dict[str, int] = {}
        self._members: dict[str, list[psutil.Process]] = {}
        self._interval = interval_s
        self._rescan = rescan_s
        self._stop = threading.Event()
        self._sampling = threading.Event()
        self._sampling.set()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._thread.start()

    def watch(self, name: str, pid: int) -> None:
        self._pids[name] = pid

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No sampling inside the block (its CPU would be charged to what is timed)."""
        self._sampling.clear()
        try:
            yield
        finally:
            self._sampling.set()

    def _run(self) -> None:
        scanned = 0.0
        while not self._stop.wait(self._interval):
            self._sampling.wait()
            if time.monotonic() - scanned >= self._rescan:
                self._members = {name: tree_members(pid) for name, pid in list(self._pids.items())}
                scanned = time.monotonic()
            for name, members in list(self._members.items()):
                self.peaks[name] = max(self.peaks.get(name, 0), members_rss(members))

    def stop(self) -> None:
        self._stop.set()
        self._sampling.set()
        self._thread.join(timeout=5)


def wait_until_idle(pids: list[int], *, below_pct: float = 5.0, timeout_s: float = 30.0) -> float:
    """Wait until the process trees of `pids` (the other contenders) use less than
    `below_pct` of one core over 0.5 s; returns the last figure (timed runs record it).

    Contenders are measured one after another, not side by side: a server's worker still
    loading or prefilling while raw decodes would make raw look slower than it is.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        procs = _processes(pids)
        _cpu_used(procs)  # starts each process's count
        time.sleep(0.5)
        used = _cpu_used(procs)
        if used < below_pct or time.monotonic() > deadline:
            return round(used, 1)


class CpuDuring:
    """CPU that processes other than the timed one used while it answered (% of one core):
    a contender's worker prefilling, or the asking kernel busy, would slow the answer.

    `trees`: process trees (a server and its worker); `singles`: one process each (the
    kernel whose own worker is the one being timed)."""

    def __init__(self, trees: list[int], singles: list[int]) -> None:
        self.procs = _processes(trees, singles)
        self.used = 0.0

    def __enter__(self) -> Self:
        _cpu_used(self.procs)  # starts each process's count
        return self

    def __exit__(self, *exc: object) -> None:
        self.used = round(_cpu_used(self.procs), 1)


def _processes(trees: list[int], singles: Sequence[int] = ()) -> list[psutil.Process]:
    """The processes of the trees rooted at `trees` and the `singles` themselves (those
    already gone left out)."""
    procs: list[psutil.Process] = []
    for pid in trees:
        with contextlib.suppress(psutil.NoSuchProcess):
            root = psutil.Process(pid)
            procs += [root, *root.children(recursive=True)]
    for pid in singles:
        with contextlib.suppress(psutil.NoSuchProcess):
            procs.append(psutil.Process(pid))
    return procs


def _cpu_used(procs: list[psutil.Process]) -> float:
    """CPU the processes used since the last call on them (% of one core; 0 the first time)."""
    used = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            used += proc.cpu_percent(None)
    return used


# --- raw llama-cpp-python ---------------------------------------------------------------


class RawModel:
    """llama-cpp-python driven directly: what any wrapper of it can at best match."""

    def __init__(self, path: str, *, n_ctx: int, n_threads: int, n_batch: int = 512,
                 flash_attn: bool = False, use_mmap: bool = True, draft: Any = None) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        started = time.perf_counter()
        self.llm = Llama(path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                         n_batch=n_batch, flash_attn=flash_attn, use_mmap=use_mmap, seed=0,
                         draft_model=draft, verbose=False,
                         # A draft model needs every position's logits; llama-cpp-python sizes
                         # its logits buffer from this flag alone, so without it a prompt
                         # longer than n_batch overruns the buffer.
                         logits_all=draft is not None)
        self.load_s = time.perf_counter() - started
        model = self.llm._model
        eos, bos = self.llm.token_eos(), self.llm.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=self.llm.metadata["tokenizer.chat_template"],
            eos_token=model.token_get_text(eos) if eos != -1 else "",
            bos_token=model.token_get_text(bos) if bos != -1 else "",
        )

    def tokens(self, messages: list[dict[str, str]]) -> list[int]:
        formatted = self.formatter(messages=messages)
        return self.llm.tokenize(formatted.prompt.encode("utf-8"),
                                 add_bos=not formatted.added_special, special=True)

    def reset(self) -> None:
        self.llm.reset()

    def run(self, messages: list[dict[str, str]], max_tokens: int) -> Timed:
        """One answer at temperature 0; stops at end of turn or `max_tokens`."""
        import llama_cpp

        started = time.perf_counter()
        tokens = self.tokens(messages)
        held = self.llm.input_ids[: self.llm.n_tokens].tolist()
        cached = next((i for i, (a, b) in enumerate(zip(held, tokens)) if a != b),
                      min(len(held), len(tokens)))
        pieces: list[bytes] = []
        first = 0.0
        produced = 0
        for token in self.llm.generate(tokens, temp=0.0, **SAMPLING):
            if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
                break
            produced += 1
            pieces.append(self.llm.detokenize([token]))
            first = first or time.perf_counter()
            if produced >= max_tokens:
                break
        ended = time.perf_counter()
        text = b"".join(pieces).decode("utf-8", errors="replace")
        return Timed((first or ended) - started, ended - started, produced, len(tokens),
                     min(cached, len(tokens) - 1), text)


# --- llama_cpp.server, the peer way --------------------------------------------------------


def _wait_http(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    parsed = urllib.parse.urlsplit(url)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=5)
            conn.request("GET", parsed.path or "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


class PeerServer:
    """llama_cpp.server in a subprocess, asked with the openai client."""

    def __init__(self, path: str, *, n_ctx: int, n_threads: int, workdir: Path) -> None:
        import openai

        port = free_port()
        self.log = workdir / "llama_cpp_server.log"
        command = [sys.executable, "-m", "llama_cpp.server", "--model", path,
                   "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
                   "--n_threads", str(n_threads), "--n_threads_batch", str(n_threads),
                   "--n_batch", "512", "--flash_attn", "false", "--seed", "0",
                   # Its default (True) computes logits for every prompt token; off, it does
                   # the same work per token as raw and ours.
                   "--logits_all", "false"]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        _wait_http(self.url + "/v1/models", self.process, self.log, 240)
        self.client = openai.OpenAI(base_url=self.url + "/v1", api_key="none", max_retries=0)

    def run(self, messages: list[dict[str, str]], max_tokens: int) -> Timed:
        started = time.perf_counter()
        first = 0.0
        chunks: list[str] = []
        stream = self.client.chat.completions.create(
            model="local", messages=messages, max_tokens=max_tokens, temperature=0.0,
            seed=0, stream=True, top_p=1.0, extra_body={"top_k": 40, "min_p": 0.05},
        )  # fmt: skip
        for chunk in stream:
            text = chunk.choices[0].delta.content if chunk.choices else None
            if text:
                first = first or time.perf_counter()
                chunks.append(text)
        ended = time.perf_counter()
        return Timed((first or ended) - started, ended - started, len(chunks),
                     text="".join(chunks))

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- jupyter server with the extension -------------------------------------------------------


def _sse_events(response: http.client.HTTPResponse) -> Iterator[dict[str, Any] | str]:
    for raw in response:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("data: "):
            data = line[6:]
            yield data if data == "[DONE]" else json.loads(data)


class JupyterServer:
    """`jupyter server --allow-root` with the extension enabled, on a free loopback port."""

    def __init__(self, model_path: str, *, n_ctx: int, n_threads: int, workdir: Path,
                 token: str) -> None:
        self.port = free_port()
        self.token = token
        self.log = workdir / "jupyter_server.log"
        (workdir / "notebooks").mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_LOCALAI_")}
        env.update(JUPYTER_CONFIG_DIR=str(workdir / "config"),
                   JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_PLATFORM_DIRS="1",
                   # Its own user cache: KV states saved by other contenders stay out.
                   XDG_CACHE_HOME=str(workdir / "server-cache"))
        command = [sys.executable, "-m", "jupyter_server", "--no-browser", "--allow-root",
                   f"--port={self.port}", "--ServerApp.port_retries=0",
                   "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
                   f"--ServerApp.root_dir={workdir / 'notebooks'}",
                   f"--LocalAI.model={model_path}", f"--LocalAI.n_ctx={n_ctx}",
                   f"--LocalAI.n_threads={n_threads}", "--LocalAI.load_on_start=True"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("jupyter server exited:\n" + self.log.read_text()[-3000:])
            try:
                if self.get("api/localai/status").get("state") == "ready":
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the server's model did not load:\n" + self.log.read_text()[-3000:])

    def _request(self, method: str, path: str, body: Any = None,
                 timeout: float = 600) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, "/" + path, body=data,
                     headers={"Authorization": f"token {self.token}",
                              "Content-Type": "application/json"})
        response = conn.getresponse()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {response.read()[:500]!r}")
        return response

    def get(self, path: str) -> dict[str, Any]:
        return json.loads(self._request("GET", path, timeout=10).read())

    def worker_pid(self) -> int | None:
        return self.get("api/localai/status").get("pid")

    def reload(self) -> None:
        """Load the model again (`POST models`, same model): its KV cache starts empty."""
        model = self.get("api/localai/status")["model"]
        self._request("POST", "api/localai/models", {"model": model}).read()

    def ask(self, body: dict[str, Any]) -> Timed:
        """`POST ask`: the panel's route. Timed from the request to the first token event."""
        started = time.perf_counter()
        response = self._request("POST", "api/localai/ask", body)
        first = 0.0
        reply: dict[str, Any] = {}
        for event in _sse_events(response):
            assert isinstance(event, dict)
            if event["type"] == "token":
                first = first or time.perf_counter()
            elif event["type"] == "done":
                reply = event["reply"]
            elif event["type"] == "error":
                raise RuntimeError(f"ask failed: {event}")
        ended = time.perf_counter()
        timings = reply.get("timings", {})
        return Timed((first or ended) - started, ended - started, int(timings.get("tokens", 0)),
                     int(timings.get("prompt_tokens", 0)), int(timings.get("cached_tokens", 0)),
                     str(reply.get("text", "")), int(reply.get("attempts", 1)))

    def chat(self, messages: list[dict[str, str]], max_tokens: int) -> Timed:
        """The OpenAI-compatible route, streaming, with usage."""
        started = time.perf_counter()
        response = self._request("POST", "api/localai/v1/chat/completions", {
            "model": "local", "messages": messages, "max_tokens": max_tokens,
            "temperature": 0.0, "seed": 0, "stream": True,
            "stream_options": {"include_usage": True},
        })  # fmt: skip
        first = 0.0
        pieces: list[str] = []
        usage: dict[str, Any] = {}
        for event in _sse_events(response):
            if not isinstance(event, dict):
                break
            usage = event.get("usage") or usage
            for choice in event.get("choices", []):
                text = choice.get("delta", {}).get("content")
                if text:
                    first = first or time.perf_counter()
                    pieces.append(text)
        ended = time.perf_counter()
        return Timed((first or ended) - started, ended - started,
                     int(usage.get("completion_tokens", len(pieces))),
                     int(usage.get("prompt_tokens", 0)), text="".join(pieces))

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
