"""Decode speed by how llama.cpp's OpenMP threads wait: the environment's wait policy, and
a second thread that once evaluated on the same model.

    python benchmarks/omp_waits.py [--depth 912] [--rounds 3] [--out results/omp_waits.json]

Two questions from issue 22's decode gap, each measured on the same GGUF and threads:
1. `OMP_WAIT_POLICY` (unset, PASSIVE, ACTIVE) for llama-bench's own decode of 96 tokens
   after `--depth` tokens (`perf_llamacpp.py`'s binary, built on first use). ggml built with
   OpenMP meets at an OpenMP barrier after each graph step; the policy says whether a
   waiting thread spins or sleeps there.
2. llama-cpp-python in one process: 96 greedy tokens after the same depth, with every
   evaluation on the main thread, or with the prompt evaluated by a thread that stays
   alive. libgomp keeps a team of threads per thread that ever started a parallel region;
   once more of them exist than cores, it spins only briefly before sleeping at a barrier.
   The worker drives its model from its main thread only (`worker/main.py`); this says
   what that rule is worth. Each variant runs in a fresh process.

Rounds alternate the variants, so a busy moment costs each alike; medians are reported.
Prints and writes JSON. Run it alone, under the CPU lock.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perf_llamacpp import _common_args, build

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

POLICIES = ("unset", "PASSIVE", "ACTIVE")
THREAD_MODES = ("main", "persistent")
N_GEN = 96


def policy_env(policy: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy != "unset":
        env["OMP_WAIT_POLICY"] = policy
    return env


def llama_bench_decode(binary: Path, model: str, threads: int, depth: int, policy: str) -> float:
    """llama-bench's decode tokens/s under `policy` (one repetition)."""
    args = [*_common_args(model, threads, 1), "-p", "0", "-n", str(N_GEN), "-d", str(depth)]
    done = subprocess.run([str(binary), *args], env=policy_env(policy), check=True,
                          capture_output=True, text=True)
    return float(json.loads(done.stdout)[0]["avg_ts"])


def probe(model: str, threads: int, depth: int, mode: str) -> float:
    """In this process: greedy decode tokens/s after `depth` prompt tokens (see module doc)."""
    import llama_cpp  # the benchmark's own baseline; the package imports it in the worker only
    import numpy as np

    llm = llama_cpp.Llama(model, n_ctx=depth + N_GEN + 64, n_threads=threads,
                          n_threads_batch=threads, n_batch=512, flash_attn=False, verbose=False)
    ctx = llm._ctx.ctx
    prompt = llm.tokenize(("def double(x):\n    return x * 2\n" * 200).encode())[:depth]
    n_vocab = llama_cpp.llama_n_vocab(llama_cpp.llama_model_get_vocab(llm._model.model))

    def evaluate() -> None:
        for start in range(0, len(prompt), 512):
            chunk = prompt[start:start + 512]
            tokens = (llama_cpp.llama_token * len(chunk))(*chunk)
            if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(tokens, len(chunk))):
                raise RuntimeError("llama_decode failed on the prompt")

    release = threading.Event()
    if mode == "persistent":
        evaluated = threading.Event()

        def stay() -> None:
            evaluate()
            evaluated.set()
            release.wait()

        threading.Thread(target=stay, daemon=True).start()
        evaluated.wait()
    else:
        evaluate()
    last = prompt[-1]
    started = time.perf_counter()
    for _ in range(N_GEN):
        token = (llama_cpp.llama_token * 1)(last)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(token, 1)):
            raise RuntimeError("llama_decode failed while decoding")
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
        last = int(logits.argmax())
    rate = N_GEN / (time.perf_counter() - started)
    release.set()
    return rate


def probe_in_fresh_process(model: str, threads: int, depth: int, mode: str) -> float:
    env = policy_env("unset")
    done = subprocess.run(
        [sys.executable, __file__, "--probe", mode, "--model", model, "--threads", str(threads),
         "--depth", str(depth)], check=True, capture_output=True, text=True, env=env)
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=0, help="0: one per physical core")
    parser.add_argument("--depth", type=int, default=912)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--probe", choices=THREAD_MODES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parent / "results" / "omp_waits.json")
    args = parser.parse_args()
    model = str(resolve_model(args.model).path)
    threads = args.threads or physical_cores()
    if args.probe:
        print(probe(model, threads, args.depth, args.probe))
        return
    binary = build()
    bench: dict[str, list[float]] = {p: [] for p in POLICIES}
    inproc: dict[str, list[float]] = {m: [] for m in THREAD_MODES}
    for round_ in range(args.rounds):
        order = POLICIES if round_ % 2 == 0 else POLICIES[::-1]
        for policy in order:
            bench[policy].append(llama_bench_decode(binary, model, threads, args.depth, policy))
        for mode in THREAD_MODES if round_ % 2 == 0 else THREAD_MODES[::-1]:
            inproc[mode].append(probe_in_fresh_process(model, threads, args.depth, mode))
    report = {
        "model": Path(model).name, "threads": threads, "depth": args.depth, "n_gen": N_GEN,
        "rounds": args.rounds,
        "llama_bench_decode_tok_s": {p: [round(x, 2) for x in v] for p, v in bench.items()},
        "llama_bench_median": {p: round(statistics.median(v), 2) for p, v in bench.items()},
        "passive_over_unset": round(statistics.median(bench["PASSIVE"])
                                    / statistics.median(bench["unset"]), 3),
        "in_process_decode_tok_s": {m: [round(x, 2) for x in v] for m, v in inproc.items()},
        "in_process_median": {m: round(statistics.median(v), 2) for m, v in inproc.items()},
        "persistent_over_main": round(statistics.median(inproc["persistent"])
                                      / statistics.median(inproc["main"]), 3),
    }
    text = json.dumps(report, indent=2)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
