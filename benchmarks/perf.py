"""Performance benchmark: ours beside raw llama-cpp-python and the peer way, in one run.

    python benchmarks/perf.py            # notebooks of 10, 50 and 200 cells (~15 min quiet)
    python benchmarks/perf.py --quick    # the 50-cell notebook only, fewer repeats
    python benchmarks/perf.py --sweep    # threads / batch / flash attention / mmap settings

One GGUF (`--model`, default the embedded 0.5B) and one thread count for every contender:
1. raw llama-cpp-python in this process, on exactly the messages ours sent (the floor);
2. the peer way: llama_cpp.server asked with the full context every time, in our layout
   and in the peers' layout (volatile material first: a timestamp and the question before
   the notebook);
3. ours: `%%ai` / `%ai fix` in a real kernel (its own worker), and the server extension's
   `POST /api/localai/ask` route of a `jupyter server` subprocess;
4. llama.cpp's own C benchmark, `llama-bench`, built from the sources the installed
   llama-cpp-python was built from (`perf_llamacpp.py`, cached), on the magic's prompt
   length and decode depth: the physical limit of prompt processing and decoding.
Writes `benchmarks/results/perf_<model>.md`, `perf_latency.png` and `ratios.json`, and
prints the ratios last. See benchmarks/README.md, "Performance".
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_kernel import BenchKernel
from perf_llamacpp import build as build_llama_bench
from perf_llamacpp import llama_bench_prompt, run_llama_bench
from perf_notebooks import (
    COLD_QUESTION,
    DECODE_QUESTION,
    FAILING_CELL,
    FAILING_ERROR,
    WARM_QUESTIONS,
    notebook_cells,
)
from perf_sides import (
    CpuDuring,
    JupyterServer,
    PeakRSS,
    PeerServer,
    RawModel,
    Timed,
    wait_until_idle,
)

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.task_request import TaskRequest, task_text
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

log = logging.getLogger("perf")
RESULTS = Path(__file__).resolve().parent / "results"
ASK_TOKENS = 32  # cold and warm questions: time to first token is what is measured
DECODE_TOKENS = 96
# The magic's cold and decode asks measured between llama-bench runs: a single pair spreads
# 0.8-1.06 on this CPU, so 3 pairs judged a 5% margin only roughly.
LLAMACPP_PAIRS = 5
FIX_TOKENS = 160
PEER_SYSTEM = "You are a helpful Jupyter AI assistant. Current time: {now}."


class Run:
    """Everything one benchmark run holds: the contenders and the rows measured."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.model = resolve_model(args.model)
        self.path = str(self.model.path)
        self.threads = args.threads or physical_cores()
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}
        self.workdir = workdir
        self.rss = PeakRSS()
        log.info("raw llama-cpp-python: loading %s", self.path)
        self.raw = RawModel(self.path, n_ctx=args.n_ctx, n_threads=self.threads)
        self.rss.watch("raw", os.getpid())
        log.info("peer: starting llama_cpp.server")
        self.peer = PeerServer(self.path, n_ctx=args.n_ctx, n_threads=self.threads,
                               workdir=workdir)
        self.rss.watch("peer", self.peer.process.pid)
        log.info("ours: starting jupyter server with the extension")
        self.server = JupyterServer(self.path, n_ctx=args.n_ctx, n_threads=self.threads,
                                    workdir=workdir, token=uuid.uuid4().hex)
        self.rss.watch("server", self.server.process.pid)

    def add(self, notebook: int, side: str, measure: str, timed: Timed, **extra: Any) -> None:
        row = {"notebook": notebook, "side": side, "measure": measure,
               "ttft_s": round(timed.ttft_s, 4), "total_s": round(timed.total_s, 4),
               "tokens": timed.tokens, "prompt_tokens": timed.prompt_tokens,
               "cached_tokens": timed.cached_tokens, "attempts": timed.attempts,
               "decode_tok_s": round(timed.decode_tok_s, 2), **extra}
        self.rows.append(row)
        log.info("%4d cells %-12s %-6s ttft %6.3f s total %6.2f s %3d tok %5.1f tok/s "
                 "prompt %d cached %d", notebook, side, measure, timed.ttft_s, timed.total_s,
                 timed.tokens, timed.decode_tok_s, timed.prompt_tokens, timed.cached_tokens)

    def close(self) -> None:
        self.rss.stop()
        self.peer.close()
        self.server.close()


def magic_ask(kernel: BenchKernel, body: str, line: str) -> tuple[Timed, dict[str, Any]]:
    """Run one `%%ai` / `%ai` cell; time to first token is the first streamed update."""
    code = f"%%ai {line}\n{body}" if body else f"%ai {line}"
    cell = kernel.execute(code)
    if cell.error:
        raise RuntimeError(f"{code[:60]!r} failed: {cell.error}")
    reply = kernel.last_reply()
    timings = reply["timings"]
    return Timed(cell.first_update - cell.started, cell.ended - cell.started,
                 int(timings["tokens"]), int(timings["prompt_tokens"]),
                 int(timings["cached_tokens"]), reply["text"], int(reply["attempts"])), reply


def engine_figures(reply: dict[str, Any]) -> dict[str, float]:
    """The answer as the kernel's engine client saw it stream from the worker: the rates
    without the cell's own work before the request (context) and after the last token
    (checks, display)."""
    t = reply["timings"]
    fresh = int(t["prompt_tokens"]) - int(t["cached_tokens"])
    span = float(t["total_s"]) - float(t["ttft_s"])
    return {"engine_ttft_s": round(float(t["ttft_s"]), 4),
            "engine_prompt_tok_s": round(fresh / float(t["ttft_s"]), 2) if t["ttft_s"] else 0.0,
            "engine_decode_tok_s": round((int(t["tokens"]) - 1) / span, 2) if span > 0 else 0.0}


def peer_messages(ours: list[dict[str, str]], asked: str) -> list[dict[str, str]]:
    """The peers' layout of the same material: a timestamp and the question, then the notebook.

    `asked` is the task text that ends our last user message; the notebook is our notebook
    turn plus whatever the last message holds before the task text.
    """
    content = ours[-1]["content"]
    if not content.endswith(asked):
        raise ValueError("our message does not end with the task text")
    turns = [m["content"] for m in ours[1:-1] if m["role"] == "user"]
    notebook = "\n\n".join([*turns, content[: -len(asked)].strip()]).strip()
    return [{"role": "system", "content": PEER_SYSTEM.format(now=time.time_ns())},
            {"role": "user", "content": f"{asked}\n\nHere is my notebook:\n{notebook}"}]


def bench_notebook(run: Run, n_cells: int, n_warm: int) -> None:
    """All contenders on one synthetic notebook of `n_cells` cells."""
    log.info("notebook of %d cells: running it in a kernel", n_cells)
    kernel = BenchKernel(run.path, cache_dir=run.workdir / f"kernel-cache-{n_cells}")
    run.rss.watch(f"magic_{n_cells}", kernel.pid)
    try:
        for cell in notebook_cells(n_cells):
            result = kernel.execute(cell)
            if result.error:
                raise RuntimeError(f"notebook cell failed: {result.error}\n{cell}")
        kernel.start_assistant()
        build = kernel.time_context(COLD_QUESTION, 3 if run.args.quick else 7)
        run.extra.setdefault("context_build_ms", {})[n_cells] = round(
            1000 * statistics.median(build), 2)
        questions = [COLD_QUESTION, *WARM_QUESTIONS[:n_warm]]
        contexts = [kernel.probe(f"__import__('_localai_bench').context_json({q!r})")
                    for q in [*questions, DECODE_QUESTION]]
        kernel.reset_cache()
        replies: list[dict[str, Any]] = []
        # As for raw: the other contenders idle before an ask, and what they (and the
        # asking kernel itself, not its worker) used during it recorded beside it.
        others = [run.peer.process.pid, run.server.process.pid]
        asks = [(q, ASK_TOKENS, "cold" if i == 0 else "warm") for i, q in enumerate(questions)]
        for question, tokens, measure in [*asks, (DECODE_QUESTION, DECODE_TOKENS, "decode")]:
            busy = wait_until_idle(others)
            with CpuDuring(others, [kernel.pid, os.getpid()]) as during:
                timed, reply = magic_ask(kernel, question, f"--max-tokens {tokens} --retries 0")
            run.add(n_cells, "magic", measure, timed, others_cpu_pct=busy,
                    others_cpu_during_pct=during.used, **engine_figures(reply))
            replies.append(reply)
        failing = kernel.execute(FAILING_CELL)
        if not failing.error.startswith(FAILING_ERROR):
            raise RuntimeError(f"the failing cell raised {failing.error!r}, not {FAILING_ERROR}")
        fix_context = kernel.probe("__import__('_localai_bench').context_json('')")
        timed, reply = magic_ask(kernel, "", f"fix --max-tokens {FIX_TOKENS}")
        run.add(n_cells, "magic", "fix", timed)
        replies.append(reply)
        sent = kernel.sent_messages()
        if "llamacpp" not in run.args.skip:
            with run.rss.paused():  # both sides of each pair measured with nothing sampling
                beside_llamacpp(run, n_cells, kernel, 2 if run.args.quick else LLAMACPP_PAIRS)
    finally:
        kernel.close()
    n_asks = len(questions) + 1
    bench_raw(run, n_cells, sent, n_asks, replies)
    bench_server(run, n_cells, questions, contexts, fix_context, sent)
    bench_peer(run, n_cells, questions, sent, n_asks)
    if "llamacpp" not in run.args.skip:
        bench_llamacpp(run, n_cells)


def beside_llamacpp(run: Run, n_cells: int, kernel: BenchKernel, pairs: int) -> None:
    """The magic's cold ask and its decode ask `pairs` more times each, beside llama-bench
    on the same work (`paired_rates`), the other contenders idle too.

    This CPU's speed drifts 10-20% over minutes (llama-bench alone: 26-40 decode tokens/s
    and 151-187 prompt tokens/s on adjacent runs here), so a llama-bench figure taken
    minutes after the magic's ask (`bench_llamacpp`) moves its ratio by as much as the gap
    being measured.
    """
    idle = [run.peer.process.pid, run.server.process.pid, kernel.pid]
    binary = build_llama_bench()

    def record(key: str, measure: str, paired: dict[str, Any]) -> None:
        run.extra.setdefault(key, {})[n_cells] = paired
        log.info("%4d cells magic %s beside llama-bench: %s", n_cells, measure,
                 " ".join(f"{r:.3f}" for r in paired["ratios"]))

    depth = next(r["prompt_tokens"] for r in run.rows if r["notebook"] == n_cells
                 and r["side"] == "magic" and r["measure"] == "decode")
    record("llamacpp_paired", "decode", paired_rates(
        kernel, decode_bench(binary, run.path, run.threads), decode_ask(kernel), depth, pairs,
        idle))
    # No prefill between the reset and the cold ask (a cell run starts one); the cells
    # asked since made the prompt longer, so an unmeasured first ask learns its length.
    kernel.execute("%config LocalAI.prefill = False", store_history=False)
    try:
        ask = cold_ask(kernel)
        _, length = ask()
        record("llamacpp_prompt_paired", "cold", paired_rates(
            kernel, prompt_bench(binary, run.path, run.threads), ask, length, pairs, idle))
    finally:
        kernel.execute("%config LocalAI.prefill = True", store_history=False)


def decode_bench(binary: Path, model_path: str, threads: int) -> Callable[[int], float]:
    """llama-bench's decode rate of `DECODE_TOKENS` after a given depth."""
    return lambda depth: run_llama_bench(binary, model_path, threads=threads, n_prompt=16,
                                         n_gen=DECODE_TOKENS, depth=depth, reps=1).decode_tok_s


def prompt_bench(binary: Path, model_path: str, threads: int) -> Callable[[int], float]:
    """llama-bench's prompt rate for a prompt of a given length from an empty cache."""
    return lambda n_prompt: llama_bench_prompt(binary, model_path, threads=threads,
                                               n_prompt=n_prompt)


def decode_ask(kernel: BenchKernel) -> Callable[[], tuple[float, int]]:
    """The magic's decode ask: its decode rate and its prompt's length."""
    def ask() -> tuple[float, int]:
        _, reply = magic_ask(kernel, DECODE_QUESTION, f"--max-tokens {DECODE_TOKENS} --retries 0")
        return engine_figures(reply)["engine_decode_tok_s"], int(reply["timings"]["prompt_tokens"])
    return ask


def cold_ask(kernel: BenchKernel) -> Callable[[], tuple[float, int]]:
    """The magic's cold ask on an emptied cache: its prompt rate and its prompt's length."""
    def ask() -> tuple[float, int]:
        kernel.reset_cache(states=True)  # else the notebook's saved state is restored
        _, reply = magic_ask(kernel, COLD_QUESTION, f"--max-tokens {ASK_TOKENS} --retries 0")
        if int(reply["timings"]["cached_tokens"]):
            raise RuntimeError("the paired cold ask found tokens cached after a reset")
        return engine_figures(reply)["engine_prompt_tok_s"], int(reply["timings"]["prompt_tokens"])
    return ask


def paired_rates(kernel: BenchKernel, bench: Callable[[int], float],
                 ask: Callable[[], tuple[float, int]], at: int, pairs: int,
                 idle: list[int]) -> dict[str, Any]:
    """`ask` (the magic's rate and its prompt's length) `pairs` times, each between two
    llama-bench runs (`bench`, a rate for that length; the first at `at`), so that each
    ratio compares runs seconds apart; the process trees `idle` are idle before each run.
    Also what the kernel and this process used while each answer ran (% of one core): the
    receiving side's share of the cores."""
    wait_until_idle(idle)
    benches, magic, cpu = [bench(at)], [], []
    for _ in range(pairs):
        wait_until_idle(idle)
        with CpuDuring([], [kernel.pid, os.getpid()]) as during:
            rate, at = ask()
        magic.append(rate)
        cpu.append(during.used)
        wait_until_idle(idle)
        benches.append(bench(at))
    ratios = [rate / ((benches[i] + benches[i + 1]) / 2) for i, rate in enumerate(magic)]
    return {"magic_tok_s": magic, "llamacpp_tok_s": [round(b, 2) for b in benches],
            "ratios": [round(r, 3) for r in ratios], "tokens": at,
            "kernel_and_benchmark_cpu_pct_during": cpu}


def bench_llamacpp(run: Run, n_cells: int) -> None:
    """llama-bench on the same work as the magic's cold ask and decode ask: a prompt of the
    cold ask's length from an empty cache, and `DECODE_TOKENS` decoded after as many
    tokens as the decode ask's prompt; same GGUF, threads and batch settings."""
    cold = next(r for r in run.rows if r["notebook"] == n_cells and r["side"] == "magic"
                and r["measure"] == "cold")
    decode = next(r for r in run.rows if r["notebook"] == n_cells and r["side"] == "magic"
                  and r["measure"] == "decode")
    binary = build_llama_bench()
    c = run_llama_bench(binary, run.path, threads=run.threads, n_prompt=cold["prompt_tokens"],
                        n_gen=DECODE_TOKENS, depth=decode["prompt_tokens"], reps=3)
    run.extra.setdefault("llamacpp", {})[n_cells] = c.as_dict()
    prompt_s = c.n_prompt / c.prompt_tok_s
    run.add(n_cells, "llamacpp", "cold",
            Timed(prompt_s, prompt_s, 1, c.n_prompt, 0), prompt_tok_s=round(c.prompt_tok_s, 2))
    decode_s = (c.n_gen - 1) / c.decode_tok_s
    run.add(n_cells, "llamacpp", "decode",
            Timed(0.0, decode_s, c.n_gen, c.depth, c.depth))


def bench_raw(run: Run, n_cells: int, sent: list[list[dict[str, str]]], n_asks: int,
              replies: list[dict[str, Any]]) -> None:
    """The same messages, in the same order, on raw llama-cpp-python."""
    run.raw.reset()
    others = [run.peer.process.pid, run.server.process.pid]
    for i, messages in enumerate(sent[:n_asks]):
        measure = "cold" if i == 0 else "decode" if i == n_asks - 1 else "warm"
        busy = wait_until_idle(others)
        timed = run.raw.run(messages, DECODE_TOKENS if measure == "decode" else ASK_TOKENS)
        same = timed.text.strip() == replies[i]["text"].strip()
        run.add(n_cells, "raw", measure, timed, same_text_as_magic=same,
                others_cpu_pct=busy)
    total, tokens, texts = 0.0, 0, []
    first: Timed | None = None
    for messages in sent[n_asks:]:
        timed = run.raw.run(messages, FIX_TOKENS)
        first = first or timed
        total += timed.total_s
        tokens += timed.tokens
        texts.append(timed.text)
    assert first is not None
    fix = Timed(first.ttft_s, total, tokens, first.prompt_tokens, first.cached_tokens,
                texts[-1], len(texts))
    run.add(n_cells, "raw", "fix", fix,
            same_text_as_magic=texts[-1].strip() == replies[-1]["text"].strip())
    run.extra.setdefault("fix_messages", {})[n_cells] = sent[n_asks:]
    run.extra.setdefault("decode_messages", {})[n_cells] = sent[n_asks - 1]


def bench_server(run: Run, n_cells: int, questions: list[str], contexts: list[dict[str, Any]],
                 fix_context: dict[str, Any], sent: list[list[dict[str, str]]]) -> None:
    """The server extension: `POST ask` with the kernel's context, as the panel sends it."""
    run.server.reload()
    asks = [*questions, DECODE_QUESTION]
    for i, (question, context) in enumerate(zip(asks, contexts)):
        measure = "cold" if i == 0 else "decode" if i == len(asks) - 1 else "warm"
        body = {"task": "generate", "prompt": question, "context": context, "retries": 0,
                "max_tokens": DECODE_TOKENS if measure == "decode" else ASK_TOKENS}
        run.add(n_cells, "server", measure, run.server.ask(body))
    run.extra.setdefault("server_asks", {})[n_cells] = list(zip(questions, contexts))
    body = {"task": "fix", "prompt": "", "context": fix_context, "max_tokens": FIX_TOKENS}
    run.add(n_cells, "server", "fix", run.server.ask(body))
    # The OpenAI route on the magic's exact messages: cold, then the follow-ups.
    run.server.reload()
    for i, messages in enumerate(sent[: len(questions)]):
        run.add(n_cells, "server_v1", "cold" if i == 0 else "warm",
                run.server.chat(messages, ASK_TOKENS))


def bench_peer(run: Run, n_cells: int, questions: list[str],
               sent: list[list[dict[str, str]]], n_asks: int) -> None:
    """llama_cpp.server with the full context resent: our layout, then the peers' layout."""
    for i, messages in enumerate(sent[: len(questions)]):
        run.add(n_cells, "peer_same", "cold" if i == 0 else "warm",
                run.peer.run(messages, ASK_TOKENS))
    for i, (question, messages) in enumerate(zip(questions, sent)):
        asked = task_text(TaskRequest(task="generate", prompt=question))
        run.add(n_cells, "peer", "cold" if i == 0 else "warm",
                run.peer.run(peer_messages(messages, asked), ASK_TOKENS))
    fix = sent[n_asks]
    asked = fix[-1]["content"][fix[-1]["content"].rfind("This cell failed:"):]
    run.add(n_cells, "peer", "fix", run.peer.run(peer_messages(fix, asked), FIX_TOKENS))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="registry name or GGUF path")
    parser.add_argument("--quick", action="store_true",
                        help="50-cell notebook only, fewer repeats (under 10 minutes)")
    parser.add_argument("--sweep", action="store_true",
                        help="measure n_threads / n_batch / flash_attn / mmap settings only")
    parser.add_argument("--sweep-only", nargs="*", default=[],
                        choices=["n_threads", "n_batch", "flash_attn", "use_mmap", "busy_core"],
                        help="with --sweep: vary only these settings")
    parser.add_argument("--sizes", type=int, nargs="+", default=None,
                        help="notebook sizes in cells (default 10 50 200; --quick: 50)")
    parser.add_argument("--threads", type=int, default=0, help="0: one per physical core")
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--rss-requests", type=int, default=500)
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["pld", "vars", "rss", "llamacpp"],
                        help="leave these probes out (llamacpp: the llama-bench column)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or ([50] if args.quick else [10, 50, 200])
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the openai client's per-request line
    import perf_probes
    import perf_report

    args.out.mkdir(parents=True, exist_ok=True)
    if args.sweep:
        perf_report.write_sweep(perf_probes.settings_sweep(args), args)
        return
    started = time.perf_counter()
    machine = perf_report.machine(args)
    with tempfile.TemporaryDirectory(prefix="localai-perf-") as workdir:
        run = Run(args, Path(workdir))
        try:
            for n_cells in args.sizes:
                bench_notebook(run, n_cells, 2 if args.quick else 4)
            probes = {
                "pld": lambda: perf_probes.prompt_lookup(
                    run, 50 if 50 in args.sizes else args.sizes[0]),
                "vars": lambda: perf_probes.context_1000_vars(run),
                "rss": lambda: perf_probes.server_rss_growth(run, args.rss_requests),
            }
            for name, probe in probes.items():
                if name in args.skip:
                    continue
                try:
                    probe()
                except (RuntimeError, OSError, KeyError, ValueError, TimeoutError) as error:
                    # The contenders' rows are already measured: report the probe's failure
                    # with them rather than losing the run.
                    log.exception("probe %s failed", name)
                    run.extra[f"{name}_error"] = f"{type(error).__name__}: {error}"
        finally:
            run.close()
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    machine["duration_s"] = round(time.perf_counter() - started, 1)
    ratios = perf_report.ratios(run)
    perf_report.write(run, machine, ratios, args)
    print(json.dumps(ratios, indent=2))


if __name__ == "__main__":
    main()
