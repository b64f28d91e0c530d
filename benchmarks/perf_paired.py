"""Prompt and decode speed through the worker beside raw llama-cpp-python and llama-bench,
paired.

    python benchmarks/perf_paired.py [--rounds 5] [--cells 30]

This CPU's speed drifts by 10-20% over minutes (llama-bench's own prompt rate ranged
166-219 tokens/s on one day here), so one cold ask against a llama-bench run minutes later
says little. This starts the worker process (`WorkerEngine`, as the kernel's magics and
the server use it) and raw llama-cpp-python in this process, and each round asks the same
notebook prompt cold through the worker and through raw (greedy, up to `--tokens` tokens),
then runs llama-bench on a prompt of the same length and on as many tokens decoded at that
depth (`perf_llamacpp.py`, one repetition), in that order. Prompt: fresh tokens per second
of time to first token; decode: tokens after the first per second after it. It prints JSON
with every figure, the medians and their ratios to llama-bench's medians, and writes
`results/perf_paired.json`. Run it alone, under the CPU lock.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_llamacpp import build, run_llama_bench
from perf_sides import RawModel
from prompt_chunk import messages

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.models import resolve_model

RESULTS = Path(__file__).resolve().parent / "results"
# Asks for a long answer, so that decode is timed over many tokens.
QUESTION = ("Write a function that reports the missing values of every DataFrame in the "
            "notebook, column by column, with a docstring and comments.")


class WorkerRates(NamedTuple):
    """One cold ask through the worker: fresh prompt and decode tokens per second."""

    prompt_tok_s: float
    decode_tok_s: float
    prompt_tokens: int
    completion_tokens: int


def worker_rates(engine: WorkerEngine, prompt: list[dict[str, str]], tokens: int) -> WorkerRates:
    """Prompt and decode tokens per second of one cold ask, from the engine client's
    timings (as the kernel's magics receive the stream)."""
    engine.reset_cache()
    generation = engine.generate(GenerationRequest(messages=prompt, max_tokens=tokens))
    for _piece in generation:
        pass
    done = generation.completion
    assert done is not None
    decode_s = done.total_s - done.ttft_s
    return WorkerRates((done.prompt_tokens - done.cached_tokens) / done.ttft_s,
                       (done.completion_tokens - 1) / decode_s if decode_s > 0 else 0.0,
                       done.prompt_tokens, done.completion_tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", type=int, default=30, help="~1,260 prompt tokens")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=96, help="decoded per ask")
    parser.add_argument("--out", type=Path, default=RESULTS / "perf_paired.json")
    args = parser.parse_args()
    path = str(resolve_model(DEFAULT_MODEL).path)
    prompt = messages(args.cells, QUESTION)
    engine = WorkerEngine(path, n_ctx=8192, n_threads=args.threads)
    engine.start()
    raw = RawModel(path, n_ctx=8192, n_threads=args.threads)
    binary = build()
    sides = ("worker", "raw", "llama_bench")
    rates: dict[str, list[float]] = {f"{side}_{kind}": [] for kind in ("prompt", "decode")
                                     for side in sides}
    n_prompt = 0
    try:
        for _ in range(args.rounds):
            prompt_rate, decode_rate, n_prompt, _ = worker_rates(engine, prompt, args.tokens)
            rates["worker_prompt"].append(prompt_rate)
            rates["worker_decode"].append(decode_rate)
            raw.reset()
            timed = raw.run(prompt, args.tokens)
            rates["raw_prompt"].append((timed.prompt_tokens - timed.cached_tokens) / timed.ttft_s)
            rates["raw_decode"].append(timed.decode_tok_s)
            bench = run_llama_bench(binary, path, threads=args.threads, n_prompt=n_prompt,
                                    n_gen=args.tokens, depth=n_prompt, reps=1)
            rates["llama_bench_prompt"].append(bench.prompt_tok_s)
            rates["llama_bench_decode"].append(bench.decode_tok_s)
    finally:
        engine.close()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    report = {
        "prompt_tokens": n_prompt, "decoded": args.tokens, "rounds": args.rounds,
        "threads": args.threads,
        "median_tok_s": {name: round(value, 1) for name, value in medians.items()},
        "over_llama_bench": {name: round(value / medians["llama_bench_" + name.split("_")[-1]], 3)
                             for name, value in medians.items()},
        # Each round's figure over the same round's llama-bench, then the median: the drift
        # between rounds cancels out of this one.
        "median_of_round_ratios": {
            name: round(statistics.median(
                v / b for v, b in zip(values, rates["llama_bench_" + name.split("_")[-1]])), 3)
            for name, values in rates.items()},
        "all_tok_s": {name: [round(v, 1) for v in values] for name, values in rates.items()},
    }
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
