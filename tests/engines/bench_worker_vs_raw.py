"""Benchmark: WorkerEngine against raw llama-cpp-python in this process, same model and threads.

    python tests/engines/bench_worker_vs_raw.py [--rounds 5] [--tokens 64] [--model PATH]

Rounds alternate (raw, worker, raw, worker, ...) so a shared, busy CPU affects both sides
alike; medians are reported. Measures model load time, cold and warm time to first token
(warm: the same notebook-sized system prompt, a different question) and decode speed.
Not a pytest test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from typing import Any

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

NOTEBOOK = "\n".join(
    f"In [{i}]: df{i} = pd.read_csv('data_{i}.csv')\nOut[{i}]: DataFrame with columns "
    f"'id', 'name', 'value_{i}', 'date' ({100 * i} rows)"
    for i in range(1, 16)
)
SYSTEM = {"role": "system", "content": "You are a careful pandas assistant.\n" + NOTEBOOK}
LONG_ANSWER = "Write a Python module with ten small, documented utility functions for strings."


def messages(question: str) -> list[dict[str, str]]:
    return [SYSTEM, {"role": "user", "content": question}]


def timed_stream(pieces: Iterator[str], started: float) -> dict[str, float]:
    """Time to first piece, and decode rate over the pieces after the first."""
    first = last = 0.0
    count = 0
    for _ in pieces:
        last = time.perf_counter()
        first = first or last
        count += 1
    return {"ttft_s": first - started, "pieces": count, "decode_s": last - first}


def raw_stream(llm: Any, question: str, max_tokens: int) -> Iterator[str]:
    for chunk in llm.create_chat_completion(
        messages(question), max_tokens=max_tokens, temperature=0.0, seed=0, stream=True
    ):
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            yield text


def measure_raw(llm: Any, tokens: int) -> dict[str, float]:
    llm.reset()
    cold = timed_stream(raw_stream(llm, "How many rows does df3 have?", 8), time.perf_counter())
    warm = timed_stream(raw_stream(llm, "Which columns does df7 have?", 8), time.perf_counter())
    started = time.perf_counter()
    decode = timed_stream(raw_stream(llm, LONG_ANSWER, tokens), started)
    return _summary(cold, warm, decode)


def measure_worker(engine: WorkerEngine, tokens: int) -> dict[str, float]:
    engine.reset_cache()

    def run(question: str, max_tokens: int) -> dict[str, float]:
        started = time.perf_counter()
        generation = engine.generate(
            GenerationRequest(messages=messages(question), max_tokens=max_tokens)
        )
        return timed_stream(iter(generation), started)

    cold = run("How many rows does df3 have?", 8)
    warm = run("Which columns does df7 have?", 8)
    decode = run(LONG_ANSWER, tokens)
    return _summary(cold, warm, decode)


def _summary(
    cold: dict[str, float], warm: dict[str, float], decode: dict[str, float]
) -> dict[str, float]:
    return {
        "cold_ttft_s": cold["ttft_s"],
        "warm_ttft_s": warm["ttft_s"],
        "decode_tok_s": (decode["pieces"] - 1) / decode["decode_s"],
        "decode_pieces": decode["pieces"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--n-ctx", type=int, default=4096)
    args = parser.parse_args()
    path = str(resolve_model(args.model).path)
    threads = physical_cores()

    from llama_cpp import Llama  # the benchmark's own baseline; the package never does this

    started = time.perf_counter()
    llm = Llama(
        path,
        n_ctx=args.n_ctx,
        n_threads=threads,
        n_threads_batch=threads,
        n_batch=512,
        flash_attn=False,  # as the worker's default
        verbose=False,
    )
    raw_load_s = time.perf_counter() - started
    engine = WorkerEngine(path, n_ctx=args.n_ctx, n_threads=threads)
    started = time.perf_counter()
    engine.start()
    worker_start_s = time.perf_counter() - started

    rows: dict[str, list[dict[str, float]]] = {"raw": [], "worker": []}
    for _ in range(args.rounds):
        rows["raw"].append(measure_raw(llm, args.tokens))
        rows["worker"].append(measure_worker(engine, args.tokens))
    engine.close()

    report: dict[str, Any] = {
        "model": path,
        "n_threads": threads,
        "raw_load_s": round(raw_load_s, 3),
        "worker_start_s (spawn + load)": round(worker_start_s, 3),
        "worker_load_s (inside worker)": round(engine.status()["load_time_s"], 3),
    }
    for side, results in rows.items():
        for key in results[0]:
            report[f"{side}_{key}_median"] = round(statistics.median(r[key] for r in results), 4)
    report["warm_ttft_overhead_ms"] = round(
        1000 * (report["worker_warm_ttft_s_median"] - report["raw_warm_ttft_s_median"]), 2
    )
    report["decode_ratio_worker_vs_raw"] = round(
        report["worker_decode_tok_s_median"] / report["raw_decode_tok_s_median"], 3
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
