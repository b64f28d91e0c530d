"""Decode speed by KV cache layout (context size, sequence count), paired in short bursts.

    python benchmarks/decode_layout.py [--depth 1549] [--rounds 30] [--burst 16]
        [--layouts 2304:1 2048:1 8192:1 8192:5 8448:5]

A question for issue 22's decode gap: does the worker's context (8,192 cells, five KV
sequences over one unified cache, `worker/llama_model.py`) decode slower than llama-bench's
(one sequence, a cache just as long as the run)? Attention without flash attention reads
the V cache transposed, one row per embedding dimension whose stride is the cache's size,
so the size alone might matter. Each layout (`n_ctx:n_seq`) is a llama-cpp-python context
made as the worker makes its own (`n_seq_max` and `kv_unified` on a new context for more
than one sequence), all resident at once on one mmapped model; each evaluates the same
`--depth` prompt tokens, then the layouts take turns decoding `--burst` tokens, the order
reversed every round, so each ratio to the first layout compares runs seconds apart.
Prints JSON: per layout the median tokens/s and the mean ratio to the first layout with
its standard error. Run it alone, under the CPU lock.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from llama_cpp import Llama
from llama_cpp._internals import LlamaContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores


def make_context(path: str, n_ctx: int, n_seq: int, threads: int) -> Llama:
    """A context as the worker makes it: one sequence, or `n_seq` over a unified cache."""
    llm = Llama(path, n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, n_batch=512,
                flash_attn=False, verbose=False)
    if n_seq > 1:
        llm.context_params.n_seq_max = n_seq
        llm.context_params.kv_unified = True
        old = llm._ctx
        llm._ctx = LlamaContext(model=llm._model, params=llm.context_params, verbose=False)
        old.close()
    return llm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depth", type=int, default=1549)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--burst", type=int, default=16)
    parser.add_argument("--layouts", nargs="+", default=["2304:1", "2048:1", "8192:1",
                                                         "8192:5", "8448:5"])
    args = parser.parse_args()
    layouts = [tuple(int(part) for part in text.split(":")) for text in args.layouts]
    path, threads = str(resolve_model(DEFAULT_MODEL).path), physical_cores()
    contexts = {layout: make_context(path, *layout, threads) for layout in layouts}
    prompt = [(i * 7919) % 30000 + 100 for i in range(args.depth)]  # fixed, vocabulary ids
    for llm in contexts.values():
        llm.eval(prompt)
    rates: dict[tuple[int, ...], list[float]] = {layout: [] for layout in layouts}
    for number in range(args.rounds):
        for layout in layouts if number % 2 == 0 else layouts[::-1]:
            started = time.perf_counter()
            for i in range(args.burst):
                contexts[layout].eval([(i * 31 + number) % 30000 + 100])
            rates[layout].append(args.burst / (time.perf_counter() - started))
    first = rates[layouts[0]]
    report = {"depth": args.depth, "rounds": args.rounds, "burst": args.burst,
              "threads": threads, "layouts": {}}
    for layout, values in rates.items():
        ratios = [value / base for value, base in zip(values, first, strict=True)]
        report["layouts"][f"{layout[0]}:{layout[1]}"] = {
            "median_tok_s": round(statistics.median(values), 2),
            "ratio_to_first_mean": round(statistics.mean(ratios), 3),
            "ratio_to_first_sem": round(statistics.stdev(ratios) / len(ratios) ** 0.5, 3),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
