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
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import DECODE_TOKENS, decode_ask, decode_bench, magic_ask, paired_rates
from perf_kernel import BenchKernel
from perf_llamacpp import build
from perf_notebooks import DECODE_QUESTION, notebook_cells

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
    with tempfile.TemporaryDirectory() as cache:
        kernel = BenchKernel(path, cache_dir=Path(cache))
        try:
            for cell in notebook_cells(args.cells):
                if (error := kernel.execute(cell).error):
                    raise RuntimeError(f"notebook cell failed: {error}")
            kernel.start_assistant()
            _, reply = magic_ask(kernel, DECODE_QUESTION, ASK)  # the prompt, warm from now on
            paired = paired_rates(kernel, decode_bench(build(), path, threads),
                                  decode_ask(kernel), int(reply["timings"]["prompt_tokens"]),
                                  args.rounds, idle=[kernel.pid])
        finally:
            kernel.close()
    report = {"cells": args.cells, "decoded": DECODE_TOKENS, "threads": threads, **paired,
              "magic_decode_vs_llamacpp": round(statistics.median(paired["ratios"]), 3)}
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
