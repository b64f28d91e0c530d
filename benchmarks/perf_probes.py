"""The benchmark's single-purpose probes: prompt-lookup decoding, context building for
1,000 variables, the server's memory over 500 requests, and the llama.cpp settings sweep."""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

import psutil
from perf_kernel import BenchKernel
from perf_notebooks import (
    COLD_QUESTION,
    DECODE_QUESTION,
    WARM_QUESTIONS,
    many_variables_cells,
    notebook_cells,
)
from perf_sides import RawModel, Timed, tree_rss

from jupyter_localai.core.prompt import SYSTEM_PROMPT
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

if TYPE_CHECKING:
    from perf import Run

log = logging.getLogger("perf")
PLD_N_CTX = 4096  # logits for every position: n_ctx x vocab floats (2.5 GB at 4096)


def _fix_after_warm_prefix(raw: RawModel, warm: list[dict[str, str]],
                           fix: list[dict[str, str]], max_tokens: int) -> tuple[Timed, Timed]:
    """The fix as the worker meets it (context prefix already cached), then once more with
    the whole prompt cached (decoding alone)."""
    raw.reset()
    raw.run(warm, 1)
    first = raw.run(fix, max_tokens)
    return first, raw.run(fix, max_tokens)


def prompt_lookup(run: Run, n_cells: int, max_tokens: int = 160) -> None:
    """Does llama-cpp-python's prompt-lookup decoding speed up fixes at identical output?"""
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    fix = run.extra["fix_messages"][n_cells][0]
    warm = run.extra["decode_messages"][n_cells]
    results: dict[str, Any] = {}
    variants: list[tuple[str, Any]] = [("off", None)] + [
        (f"lookup_{k}", LlamaPromptLookupDecoding(num_pred_tokens=k)) for k in (4, 10)]
    for name, draft in variants:
        raw = RawModel(run.path, n_ctx=PLD_N_CTX, n_threads=run.threads, draft=draft)
        try:
            first, again = _fix_after_warm_prefix(raw, warm, fix, max_tokens)
        finally:
            raw.llm.close()
        results[name] = {"total_s": round(first.total_s, 3), "ttft_s": round(first.ttft_s, 3),
                         "decode_s": round(again.total_s - again.ttft_s, 3),
                         "tokens": first.tokens, "text": first.text}
        log.info("prompt lookup %-9s fix %.2f s (ttft %.2f s), decode %.2f s, %d tokens",
                 name, first.total_s, first.ttft_s, again.total_s - again.ttft_s, first.tokens)
    base = results["off"]
    for values in results.values():
        values["same_output"] = values["text"] == base["text"]
        values["speedup"] = round(base["total_s"] / values["total_s"], 3)
    run.extra["prompt_lookup"] = {"notebook": n_cells, **results}


def context_1000_vars(run: Run, repeats: int = 7) -> None:
    """collect_context in a kernel holding 1,000 variables, one a 10-million-row DataFrame."""
    kernel = BenchKernel(run.path, cache_dir=run.workdir / "kernel-cache-vars")
    try:
        for cell in many_variables_cells():
            result = kernel.execute(cell, timeout=900)
            if result.error:
                raise RuntimeError(f"setup failed: {result.error}")
        times = kernel.time_context("plot big['x'] against big['id']", repeats)
    finally:
        kernel.close()
    run.extra["context_1000_vars"] = {"first_ms": round(1000 * times[0], 2),
                                      "median_ms": round(1000 * statistics.median(times), 2),
                                      "max_ms": round(1000 * max(times), 2)}
    log.info("collect_context, 1,000 variables: %s", run.extra["context_1000_vars"])


def kv_cache_bytes(raw: RawModel, n_ctx: int) -> int:
    """f16 K and V for every layer and position of the context window."""
    meta = raw.llm.metadata
    arch = meta["general.architecture"]
    layers = int(meta[f"{arch}.block_count"])
    heads = int(meta[f"{arch}.attention.head_count"])
    kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
    head_dim = int(meta[f"{arch}.embedding_length"]) // heads
    return 2 * layers * n_ctx * kv_heads * head_dim * 2


def server_rss_growth(run: Run, requests: int, max_tokens: int = 4) -> None:
    """RSS of the server and its worker after 10 requests and after `requests`."""
    asks = run.extra["server_asks"][50 if 50 in run.extra["server_asks"] else
                                    next(iter(run.extra["server_asks"]))]
    pid = run.server.process.pid
    samples: dict[int, int] = {}
    started = time.perf_counter()
    question, context = asks[0]  # the same warm prompt: memory, not prompt time, is measured
    for i in range(1, requests + 1):
        run.server.ask({"task": "generate", "prompt": question, "context": context,
                        "max_tokens": max_tokens, "retries": 0})
        if i in (10, requests) or i % 100 == 0:
            samples[i] = tree_rss(pid)
            log.info("server RSS after %d requests: %.1f MB", i, samples[i] / 2**20)
    model_bytes = os.path.getsize(run.path)
    budget = model_bytes + kv_cache_bytes(run.raw, run.args.n_ctx) + 300 * 2**20
    run.extra["server_rss"] = {
        "requests": requests, "seconds": round(time.perf_counter() - started, 1),
        "samples_mb": {n: round(b / 2**20, 1) for n, b in samples.items()},
        "budget_mb": round(budget / 2**20, 1), "model_mb": round(model_bytes / 2**20, 1),
        "growth": round(samples[requests] / samples[10], 4),
        "over_budget": round(samples[requests] / budget, 4),
    }


# --- llama.cpp settings, chosen by measurement --------------------------------------------

def _sweep_prompt(question: str = COLD_QUESTION) -> list[dict[str, str]]:
    notebook = "\n\n".join(f"# In[{i}]:\n{c}" for i, c in enumerate(notebook_cells(50), 1))
    return [{"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{notebook[:6000]}\n\n{question}"}]


def settings_sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Load time, cold prompt tokens/s, a warm follow-up's first token, decode tokens/s and
    RSS, one setting varied at a time (`--sweep-only` picks which settings vary).

    The warm follow-up matters most: on a warm prefix only the question's few dozen tokens
    are evaluated, a small batch, where kernels tuned for big batches can lose.
    """
    path = str(resolve_model(args.model).path)
    cores = physical_cores()
    base = {"n_threads": cores, "n_batch": 512, "flash_attn": False, "use_mmap": True}
    configs = [base]
    configs += [{**base, "n_threads": t} for t in sorted({1, cores, os.cpu_count() or cores,
                                                         cores + 1}) if t != cores]
    configs += [{**base, "n_batch": b} for b in (64, 128, 256, 1024)]
    configs += [{**base, "flash_attn": True}, {**base, "use_mmap": False}]
    # A user's kernel computing on one core while the model answers.
    configs += [{**base, "n_threads": t, "busy_core": True} for t in (1, cores)]
    if args.sweep_only:
        configs = [base] + [c for c in configs[1:] if any(
            c.get(key) != base.get(key) for key in args.sweep_only)]
    prompt = _sweep_prompt()
    follow_up = _sweep_prompt(WARM_QUESTIONS[0])
    decode = [prompt[0], {"role": "user", "content": DECODE_QUESTION}]
    rows = []
    for config in configs:
        settings = {k: v for k, v in config.items() if k != "busy_core"}
        rss_before = psutil.Process().memory_info().rss
        raw = RawModel(path, n_ctx=args.n_ctx, **settings)
        rss = psutil.Process().memory_info().rss - rss_before
        burner = (subprocess.Popen([sys.executable, "-c", "while True: pass"])
                  if config.get("busy_core") else None)
        try:
            colds, warms, decodes = [], [], []
            for _ in range(2):
                raw.reset()
                cold = raw.run(prompt, 1)
                colds.append(cold.prompt_tokens / cold.ttft_s)
                warm = raw.run(follow_up, 1)
                warms.append(warm.ttft_s)
                raw.reset()
                decodes.append(raw.run(decode, 64).decode_tok_s)
        finally:
            raw.llm.close()
            if burner is not None:
                burner.kill()
                burner.wait()
        row = {"busy_core": False, **config, "load_s": round(raw.load_s, 2), "prompt_tokens": cold.prompt_tokens,
               "prompt_tok_s": round(max(colds), 1),
               "warm_tail_tokens": warm.prompt_tokens - warm.cached_tokens,
               "warm_ttft_s": round(min(warms), 3), "decode_tok_s": round(max(decodes), 1),
               "rss_mb": round(rss / 2**20)}
        log.info("%s", row)
        rows.append(row)
    return rows
