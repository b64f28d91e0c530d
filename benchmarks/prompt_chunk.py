"""Prompt speed by the worker's batch size (`worker/batch_plan.py` PROMPT_CHUNK), paired.

    python benchmarks/prompt_chunk.py [--chunks 64 128 256 512] [--rounds 5] [--cells 50]

This CPU's speed drifts by 10-20% over minutes, so a figure from one run compared with a
figure from another says little. This loads the worker's model object (`LoadedModel`) and
raw llama-cpp-python (`Llama.eval`, 512-token batches) in one process and evaluates the same
notebook prompt (the synthetic notebook of `--cells` cells as one user turn) from an empty
cache with each, alternating, `--rounds` times; it prints the medians and each batch size's
ratio to raw as JSON. Run it under the CPU lock, alone.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf_notebooks import notebook_cells
from perf_sides import RawModel

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.batch_plan import BatchPlan
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

QUESTION = "Which column of `daily` has missing values?"


def messages(cells: int, question: str = QUESTION) -> list[dict[str, str]]:
    """The synthetic notebook of `cells` cells as one user turn, then `question`."""
    notebook = "\n\n".join(notebook_cells(cells))
    return [{"role": "system", "content": "You are a coding assistant in a Jupyter notebook."},
            {"role": "user", "content": f"Here is my notebook:\n{notebook}"},
            {"role": "assistant", "content": "I have read the notebook."},
            {"role": "user", "content": question}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    path = str(resolve_model(DEFAULT_MODEL).path)
    model = LoadedModel({"model_path": path, "n_ctx": 8192, "n_threads": args.threads},
                        LlamaLog(io.StringIO()))
    raw = RawModel(path, n_ctx=8192, n_threads=args.threads)
    prompt, _ = model.prompt_tokens(messages(args.cells))
    plan = model.plan
    rates: dict[str, list[float]] = {}

    def timed(name: str, evaluate: Callable[[], object]) -> None:
        started = time.perf_counter()
        evaluate()
        rates.setdefault(name, []).append(len(prompt) / (time.perf_counter() - started))

    for _ in range(args.rounds):
        raw.reset()
        timed("raw_512", lambda: raw.llm.eval(prompt))
        for chunk in args.chunks:
            model.plan = BatchPlan(plan.turn_header, chunk, answer_header=plan.answer_header)
            model.invalidate()
            timed(f"worker_{chunk}", lambda: model.evaluate_prompt(prompt, lambda: False))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(json.dumps({
        "prompt_tokens": len(prompt), "rounds": args.rounds,
        "median_tok_s": {name: round(value, 1) for name, value in medians.items()},
        "over_raw": {name: round(value / medians["raw_512"], 3) for name, value in medians.items()},
        "all_tok_s": {name: [round(v, 1) for v in values] for name, values in rates.items()},
    }, indent=1))


if __name__ == "__main__":
    main()
