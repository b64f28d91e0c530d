"""Prompt and decode speed of the worker's model object by KV sequence count, beside llama-bench.

    python benchmarks/perf_nseq.py [--n-seq 5 1 5 1] [--tokens 96] [--worker]

The worker's context holds several KV sequences (`worker/sequences.py`: the chat, inline
completions, an answer's extra candidates) over one unified cache. This loads
`LoadedModel` once per entry of `--n-seq` (alternate them: the CPU drifts), evaluates a
~1,900-token notebook prompt from an empty cache three times (the first after a load pays
page faults, so the report takes the best of the other two), decodes `--tokens` tokens
after it through `chat_tokens` (the chat's own path), runs llama-bench on the same
prompt length and decode depth (`perf_llamacpp.py`), and with `--worker` asks the same
prompt through the worker process three times. Prints JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_llamacpp import build, run_llama_bench

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

NOTEBOOK = "\n".join(
    f"In [{i}]: df{i} = pd.read_csv('data_{i}.csv')\nOut[{i}]: DataFrame with columns "
    f"'id', 'name', 'value_{i}', 'date' ({100 * i} rows)"
    for i in range(1, 40)
)
MESSAGES = [
    {"role": "system", "content": "You are a careful pandas assistant.\n" + NOTEBOOK},
    {"role": "user", "content": "Write a Python module with ten small, documented utility "
                                "functions for strings."},
]


def measure(path: str, n_seq: int, threads: int, tokens: int) -> dict[str, float | int]:
    model = LoadedModel({"model_path": path, "n_ctx": 8192, "n_threads": threads,
                         "n_seq": n_seq}, LlamaLog(io.StringIO()))
    try:
        prompt, _ = model.prompt_tokens(MESSAGES)
        rates = []
        for _ in range(3):
            model.invalidate()
            started = time.perf_counter()
            model.evaluate_prompt(prompt, lambda: False)
            rates.append(len(prompt) / (time.perf_counter() - started))
        sampler = model.sampler(0.0, 0)
        stream = model.chat_tokens(sampler)
        first = 0.0
        for count, _token in enumerate(stream, 1):
            first = first or time.perf_counter()
            if count >= tokens:
                break
        decode = (tokens - 1) / (time.perf_counter() - first)
        stream.close()
        sampler.close()
        return {"n_seq": n_seq, "prompt_tokens": len(prompt),
                "prompt_tok_s": round(max(rates[1:]), 1), "first_prompt_tok_s": round(rates[0], 1),
                "decode_tok_s": round(decode, 2)}
    finally:
        del model


def measure_worker(path: str, threads: int, tokens: int, runs: int = 3) -> list[dict[str, float]]:
    """The same prompt through the worker process (`WorkerEngine`), cold each time
    (`perf_paired.worker_rates`)."""
    from perf_paired import worker_rates

    from jupyter_localai.engines.worker_client import WorkerEngine

    engine = WorkerEngine(path, n_ctx=8192, n_threads=threads)
    engine.start()
    out = []
    try:
        for _ in range(runs):
            rates = worker_rates(engine, MESSAGES, tokens)
            out.append({"prompt_tok_s": round(rates.prompt_tok_s, 1),
                        "decode_tok_s": round(rates.decode_tok_s, 2),
                        "tokens": rates.completion_tokens})
    finally:
        engine.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-seq", type=int, nargs="+", default=[5, 1, 5, 1])
    parser.add_argument("--tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help="also through the worker process")
    args = parser.parse_args()
    path = str(resolve_model(DEFAULT_MODEL).path)
    rows = [measure(path, n, args.threads, args.tokens) for n in args.n_seq]
    n_prompt = int(rows[0]["prompt_tokens"])
    c = run_llama_bench(build(), path, threads=args.threads, n_prompt=n_prompt,
                        n_gen=args.tokens, depth=n_prompt, reps=3)
    worker = measure_worker(path, args.threads, args.tokens) if args.worker else []
    print(json.dumps({"rows": rows, "worker": worker, "llama_bench": c.as_dict(),
                      "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
