"""The magic's decode rate beside llama-bench's, paired, with nothing else resident.

    python benchmarks/magic_decode_paired.py [--rounds 4] [--cells 10]

`perf.py` measures the magic's decode with the other contenders loaded beside it (raw
llama-cpp-python in the benchmark process, the peer's server, our Jupyter server with its
worker) and an RSS sampler running. This runs only a kernel with the extension (its own
worker) on the benchmark's synthetic notebook, and llama-bench: the decode ask
(`perf.DECODE_QUESTION`, `perf.DECODE_TOKENS` tokens, the engine client's rate as in
`perf.py`), each ask between two llama-bench decode runs at its depth, so each ratio
compares runs seconds apart. It also records what the kernel and this process used while
each answer ran (% of one core): the receiving side's share of the two cores. Writes
`results/magic_decode_paired.json`. Run it alone, under the CPU lock.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import DECODE_TOKENS, engine_figures, magic_ask
from perf_kernel import BenchKernel
from perf_llamacpp import build, run_llama_bench
from perf_notebooks import DECODE_QUESTION, notebook_cells
from perf_sides import CpuDuring, wait_until_idle

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

RESULTS = Path(__file__).resolve().parent / "results"
ASK = f"--max-tokens {DECODE_TOKENS} --retries 0"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS / "magic_decode_paired.json")
    args = parser.parse_args()
    path = str(resolve_model(DEFAULT_MODEL).path)
    threads = physical_cores()
    binary = build()
    with tempfile.TemporaryDirectory() as cache:
        kernel = BenchKernel(path, cache_dir=Path(cache))
        try:
            for cell in notebook_cells(args.cells):
                if (error := kernel.execute(cell).error):
                    raise RuntimeError(f"notebook cell failed: {error}")
            kernel.start_assistant()
            _, reply = magic_ask(kernel, DECODE_QUESTION, ASK)  # the prompt, warm from now on
            depth = int(reply["timings"]["prompt_tokens"])

            def bench() -> float:
                wait_until_idle([kernel.pid])
                return run_llama_bench(binary, path, threads=threads, n_prompt=16,
                                       n_gen=DECODE_TOKENS, depth=depth, reps=1).decode_tok_s

            benches, magic, others = [bench()], [], []
            for _ in range(args.rounds):
                wait_until_idle([kernel.pid])
                with CpuDuring([], [kernel.pid, os.getpid()]) as during:
                    _, reply = magic_ask(kernel, DECODE_QUESTION, ASK)
                magic.append(engine_figures(reply)["engine_decode_tok_s"])
                others.append(during.used)
                benches.append(bench())
        finally:
            kernel.close()
    ratios = [rate / ((benches[i] + benches[i + 1]) / 2) for i, rate in enumerate(magic)]
    report = {
        "cells": args.cells, "depth": depth, "decoded": DECODE_TOKENS, "threads": threads,
        "magic_decode_tok_s": magic, "llamacpp_decode_tok_s": [round(b, 2) for b in benches],
        "ratios": [round(r, 3) for r in ratios],
        "magic_decode_vs_llamacpp": round(statistics.median(ratios), 3),
        "kernel_and_benchmark_cpu_pct_during": others,
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
