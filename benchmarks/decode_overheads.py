"""Where the worker's decode could lose to llama-bench: per-token costs beside `llama_decode`.

    python benchmarks/decode_overheads.py [--rounds 8] [--depth 1000] [--tokens 96]

llama-bench decodes with a persistent ggml threadpool (`llama_attach_threadpool`, polling
level 50) and never samples; llama-cpp-python attaches no threadpool, so ggml makes and
joins a disposable one for every graph (every token), and the worker picks each token with
llama.cpp's C sampler chain. This measures, on the worker's own `LoadedModel`:

- the CPU cost per token of `llama_sampler_sample` (greedy chain) and of the piece's
  detokenization, beside a numpy argmax over the same logits (the floor for greedy);
- the decode rate of `chat_tokens` after a `--depth`-token prompt with a persistent
  threadpool attached and with none (ggml's disposable one), alternated in one process so
  the CPU's drift over minutes falls on both alike.

Writes `results/decode_overheads.json`. Run it alone, under the CPU lock.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llama_cpp
import llama_cpp.llama_cpp as llama_lib
import numpy as np

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

RESULTS = Path(__file__).resolve().parent / "results"
# Larger than ggml's `struct ggml_threadpool_params` (a 512-entry CPU mask and five
# scalars), which `ggml_threadpool_params_init` fills: no layout is copied here.
PARAMS_BYTES = 4096


class PersistentThreadpool:
    """A ggml CPU threadpool made once, as llama-bench makes it (default parameters)."""

    def __init__(self, n_threads: int) -> None:
        lib = llama_lib._lib
        lib.ggml_threadpool_params_init.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.ggml_threadpool_new.argtypes = [ctypes.c_void_p]
        lib.ggml_threadpool_new.restype = ctypes.c_void_p
        lib.ggml_threadpool_free.argtypes = [ctypes.c_void_p]
        lib.llama_attach_threadpool.argtypes = [ctypes.c_void_p] * 3
        lib.llama_detach_threadpool.argtypes = [ctypes.c_void_p]
        self._lib = lib
        params = ctypes.create_string_buffer(PARAMS_BYTES)
        lib.ggml_threadpool_params_init(params, n_threads)
        self.pool = lib.ggml_threadpool_new(params)
        if not self.pool:
            raise RuntimeError("ggml_threadpool_new failed")

    def attach(self, ctx: Any) -> None:
        self._lib.llama_attach_threadpool(ctx, self.pool, self.pool)

    def detach(self, ctx: Any) -> None:
        self._lib.llama_detach_threadpool(ctx)

    def close(self) -> None:
        self._lib.ggml_threadpool_free(self.pool)


def per_call_ms(call: Callable[[], object], n: int = 300) -> float:
    started = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - started) / n * 1e3


def sampling_costs(model: LoadedModel) -> dict[str, Any]:
    """Per-token milliseconds of the greedy C chain, a numpy argmax, and detokenizing."""
    model.invalidate()
    model.evaluate_prompt(model.tokenize_text("def mean(values):\n    return"), lambda: False)
    ctx, n_vocab = model.llm._ctx.ctx, model.llm.n_vocab()
    sampler = model.sampler(0.0, 0)
    try:
        chain = per_call_ms(lambda: llama_cpp.llama_sampler_sample(sampler.chain, ctx, -1))
        token = int(llama_cpp.llama_sampler_sample(sampler.chain, ctx, -1))
    finally:
        sampler.close()

    def argmax() -> int:
        logits = llama_cpp.llama_get_logits_ith(ctx, -1)
        return int(np.ctypeslib.as_array(logits, shape=(n_vocab,)).argmax())

    return {"greedy_chain_ms": round(chain, 4), "numpy_argmax_ms": round(per_call_ms(argmax), 4),
            "same_token": argmax() == token,
            "detokenize_ms": round(per_call_ms(lambda: model.llm.detokenize([token])), 4)}


def decode_rate(model: LoadedModel, prompt: list[int], tokens: int) -> float:
    """Tokens per second between the first and the last of `tokens` answer tokens."""
    model.invalidate()
    model.evaluate_prompt(list(prompt), lambda: False)
    sampler = model.sampler(0.0, 0)
    source = model.chat_tokens(sampler)
    try:
        first = 0.0
        for count, _token in enumerate(source, start=1):
            if count == 1:
                first = time.perf_counter()
            if count == tokens:
                break
        return (tokens - 1) / (time.perf_counter() - first)
    finally:
        source.close()
        sampler.close()


def threadpool_rates(model: LoadedModel, prompt: list[int], tokens: int,
                     rounds: int) -> dict[str, Any]:
    """Decode rates with a persistent threadpool and with ggml's disposable one, the order
    swapped each round; the ratio per round and its median."""
    pool = PersistentThreadpool(model.n_threads)
    ctx = model.llm._ctx.ctx
    rates: dict[str, list[float]] = {"persistent": [], "disposable": []}
    try:
        for index in range(rounds):
            order = ("persistent", "disposable") if index % 2 == 0 else ("disposable", "persistent")
            for side in order:
                if side == "persistent":
                    pool.attach(ctx)
                else:
                    pool.detach(ctx)
                rates[side].append(round(decode_rate(model, prompt, tokens), 2))
    finally:
        pool.detach(ctx)
        pool.close()
    ratios = [p / d for p, d in zip(rates["persistent"], rates["disposable"], strict=True)]
    return {**rates, "persistent_over_disposable": round(statistics.median(ratios), 3),
            "ratios": [round(r, 3) for r in ratios]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--depth", type=int, default=1000, help="prompt tokens before decoding")
    parser.add_argument("--tokens", type=int, default=96, help="decoded per measurement")
    parser.add_argument("--out", type=Path, default=RESULTS / "decode_overheads.json")
    args = parser.parse_args()
    path = str(resolve_model(DEFAULT_MODEL).path)
    model = LoadedModel({"model_path": path, "n_ctx": 8192}, LlamaLog(io.StringIO()))
    try:
        text = Path(__file__).read_text() * (1 + args.depth // 500)
        prompt = model.tokenize_text(text)[: args.depth]
        report = {"depth": len(prompt), "tokens": args.tokens, "threads": model.n_threads,
                  "sampling": sampling_costs(model),
                  "threadpool": threadpool_rates(model, prompt, args.tokens, args.rounds)}
    finally:
        # Freed now, while the log that llama.cpp writes to on freeing still exists (at
        # exit the collector may clear the log object first).
        model.llm.close()
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
