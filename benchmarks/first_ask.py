"""The first question of a session, after `%load_ext jupyter_localai` and running the
notebook top to bottom: warm on load (the default) against off, in fresh kernels.

    python benchmarks/first_ask.py [--cells 50] [--pause 10] [--model NAME]
        [--notebooks example_notebooks/quickstart.ipynb ...]

For the synthetic notebook of `--cells` cells (`perf_notebooks.py`) and each given .ipynb:
a fresh kernel (its own model cache: nothing saved by another run is warm), `%load_ext`
as the first cell, every code cell (those that need a server, a GPU or input are skipped:
they fail on their own and are counted), a pause of `--pause` seconds (the user reading, then
typing), then one `%%ai` question. Time to first token is when the first streamed update of
the answer reaches the client (as in `perf.py`). With warm on load the kernel's worker is
measured before the question: its resident memory and the CPU seconds it spent loading the
model and prefilling (what `%load_ext` costs the machine).

Writes benchmarks/results/first_ask.json and .md, and `first_ask_after_load_ttft_s` (the
synthetic notebook, warm on load) into benchmarks/results/ratios.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complete_notebooks import code_cells
from perf_kernel import BenchKernel
from perf_notebooks import COLD_QUESTION, notebook_cells

from jupyter_localai.config import DEFAULT_MODEL, WARM_ON_LOAD_ENV
from jupyter_localai.models import resolve_model

log = logging.getLogger("first_ask")
RESULTS = Path(__file__).resolve().parent / "results"
ASK_TOKENS = 48
WORKER = ("get_ipython().magics_manager.registry['LocalAIMagics'].assistant"
          "._engines['worker'].status()['pid']")


def first_ask(model_path: str, cells: list[str], cwd: Path, warm: bool, pause: float,
              workdir: Path) -> dict[str, Any]:
    """One fresh kernel: load, run `cells`, pause, ask; the figures of that first ask."""
    kernel = BenchKernel(model_path, cache_dir=workdir / f"cache-{time.monotonic_ns()}",
                         cwd=cwd, extra_env={WARM_ON_LOAD_ENV: "1" if warm else "0"})
    try:
        started = time.perf_counter()
        if kernel.execute("%load_ext jupyter_localai").error:
            raise RuntimeError("the extension did not load")
        failed = sum(bool(kernel.execute(cell, timeout=120).error) for cell in cells)
        ran_s = time.perf_counter() - started
        # The worker's pid now (a silent cell), not just before the question: a cell pauses
        # the prefill, and the question must find the model as the pause left it.
        pid = kernel.probe(WORKER) if warm else None
        time.sleep(pause)
        worker: dict[str, Any] = {}
        if pid is not None:
            process = psutil.Process(int(pid))
            cpu = process.cpu_times()
            worker = {"worker_rss_mib": round(process.memory_info().rss / 2**20),
                      "worker_cpu_s": round(cpu.user + cpu.system, 2)}
        cell = kernel.execute(f"%%ai --max-tokens {ASK_TOKENS} --retries 0\n{COLD_QUESTION}")
        if cell.error:
            raise RuntimeError(f"the question failed: {cell.error}")
        timings = kernel.last_reply()["timings"]
        return {"warm_on_load": warm, "cells": len(cells), "cells_failed": failed,
                "run_s": round(ran_s, 2), "ttft_s": round(cell.first_update - cell.started, 3),
                "ask_s": round(cell.ended - cell.started, 3),
                "prompt_tokens": timings["prompt_tokens"],
                "cached_tokens": timings["cached_tokens"], **worker}
    finally:
        kernel.close()


def report(result: dict[str, Any]) -> str:
    lines = [
        "# The first question after `%load_ext` (issue 22, item 2)", "",
        (f"`{result['command']}`; model {result['model']}, {result['machine']}; pause "
         f"{result['pause_s']} s after the last cell; {result['when']}; load average before / "
         f"after {result['load_before']} / {result['load_after']}."), "",
        ("| notebook | warm on load | cells (failed) | TTFT (s) | ask (s) | cached / prompt tokens "
        "| worker RSS before the ask | worker CPU s (load + prefill) |"),
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['notebook']} | {'on' if row['warm_on_load'] else 'off'} | {row['cells']} "
            f"({row['cells_failed']}) | {row['ttft_s']} | {row['ask_s']} | "
            f"{row['cached_tokens']} / {row['prompt_tokens']} | "
            f"{str(row.get('worker_rss_mib', '')) + ' MiB' if 'worker_rss_mib' in row else ''} | "
            f"{row.get('worker_cpu_s', '')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=50)
    parser.add_argument("--pause", type=float, default=10.0)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--notebooks", nargs="*", type=Path,
                        default=sorted((Path(__file__).resolve().parents[1] /
                                        "example_notebooks").glob("quickstart.ipynb")))
    parser.add_argument("--out", type=Path, default=RESULTS / "first_ask.json")
    args = parser.parse_args(argv)
    model_path = str(resolve_model(args.model).path)
    load_before = [round(x, 2) for x in os.getloadavg()]
    cases: list[tuple[str, list[str], Path]] = [
        (f"synthetic, {args.cells} cells", notebook_cells(args.cells), Path.cwd())]
    for path in args.notebooks:
        cells = [c for c in code_cells(path) if "jupyter_localai" not in c and "%%ai" not in c
                 and not c.lstrip().startswith("%ai")]
        cases.append((path.name, cells, path.parent))
    rows = []
    with tempfile.TemporaryDirectory(prefix="localai-first-") as workdir:
        for name, cells, cwd in cases:
            for warm in (True, False):
                log.info("%s, warm on load %s", name, warm)
                rows.append({"notebook": name, **first_ask(model_path, cells, cwd, warm,
                                                           args.pause, Path(workdir))})
                log.info("%s", rows[-1])
    result = {"model": args.model, "pause_s": args.pause, "rows": rows,
              "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
              "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "command": " ".join(["python", "benchmarks/first_ask.py", *(argv or sys.argv[1:])]),
              "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()]}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(report(result))
    ratios_path = RESULTS / "ratios.json"
    ratios = json.loads(ratios_path.read_text()) if ratios_path.exists() else {}
    synthetic = next(r for r in rows if r["warm_on_load"])
    cold = next(r for r in rows if not r["warm_on_load"])
    ratios["first_ask_after_load_ttft_s"] = synthetic["ttft_s"]
    ratios["first_ask_after_load_ttft_s_without_warm_on_load"] = cold["ttft_s"]
    ratios_path.write_text(json.dumps(ratios, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
