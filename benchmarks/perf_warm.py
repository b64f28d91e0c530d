"""Always-warm benchmark: prefill as cells run, a KV state per notebook, warm after a restart.

Measures the targets of the "Always warm" issue on the real worker engine with prompts
built exactly as the assistant builds them (`core.prompt`), from the synthetic notebooks of
`perf_notebooks.py` (the recent cells in the block-aligned window `collect_context` keeps,
plus the variables): time to first token (as the caller sees it, IPC included) cold, raw
warm (same notebook, prefix in the cache), after 5 new cells and a 10 s pause with and
without prefill, switching back after answering in 2 other notebooks, after an edit of a
cell in the middle of the window (the prefix before the edit is reused; what follows it is
recomputed), after a worker restart, and how much a CPU-bound cell in this process slows
while the worker prefills (with and without the kernel's pause on `pre_run_cell`).

    python benchmarks/perf_warm.py [--model NAME] [--threads N] [--pause 10]

Writes benchmarks/results/perf_warm.md, .json and .png (`--render` redraws the last run).
The machine's load average is recorded with the figures: on a shared, loaded CPU they are
noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from perf_notebooks import VARIABLES, notebook_cells

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.engine import Completion, GenerationRequest, PrefillRequest
from jupyter_localai.core.prompt import PromptBudget, build_messages
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.kernel.context.collect import recent_window
from jupyter_localai.models import resolve_model

RESULTS = Path(__file__).resolve().parent / "results"
MAX_TOKENS = 16
WINDOW = 12  # the fewest recent cells `collect_context` keeps by default
QUESTIONS = (
    "Which region has the highest revenue?",
    "Plot monthly revenue as a line chart.",
    "How many customers are in each segment?",
)
TARGETS = {
    "new_cells_ttft_s": 1.0,
    "switch_back_ratio": 1.2,
    "restart_ratio": 2.0,
    "cpu_cell_slowdown": 0.10,
}


def context(name: str, n_cells: int) -> NotebookContext:
    """Notebook `name` after `n_cells` cells ran: its last cells and its variables."""
    cells = notebook_cells(n_cells)
    window = recent_window(list(range(1, len(cells) + 1)), WINDOW)
    return NotebookContext(
        cells=[CellRecord(n, f"# notebook {name}\n{cells[n - 1]}") for n in window],
        variables=[
            VariableSummary(var, "object", f"{var} of notebook {name} (summary)", relevance=0.5)
            for var in VARIABLES
        ],
        imports=["numpy as np", "pandas as pd"],
    )


class Bench:
    def __init__(self, engine: WorkerEngine) -> None:
        self.engine = engine
        self.budget = PromptBudget(engine.n_ctx(), MAX_TOKENS, 1536)

    def ask(self, ctx: NotebookContext, question: str, session: str | None) -> Completion:
        messages = build_messages(question, ctx, self.budget)
        request = GenerationRequest(messages=messages, max_tokens=MAX_TOKENS, session_id=session)
        return self.engine.generate(request).result()

    def prefill(self, ctx: NotebookContext, session: str) -> None:
        self.engine.prefill(
            PrefillRequest(ctx, session, self.budget.max_tokens, self.budget.context_tokens)
        )


def cpu_cell(seconds_hint: float = 1.5) -> float:
    """A CPU-bound cell (pure Python), timed; sized to take about `seconds_hint` idle."""
    started = time.perf_counter()
    total = 0
    for i in range(int(9_000_000 * seconds_hint)):
        total += i * i % 7
    return time.perf_counter() - started


def ttft(completion: Completion) -> float:
    return round(completion.ttft_s, 3)


def run(model: str, threads: int, pause_s: float, kv_dir: Path) -> dict[str, Any]:
    path = str(resolve_model(model).path)
    make = lambda: WorkerEngine(path, n_ctx=8192, n_threads=threads, kv_dir=str(kv_dir))
    engine = make()
    engine.start()
    bench = Bench(engine)
    out: dict[str, Any] = {}
    a50 = context("A", 50)

    engine.reset_cache()
    cold = bench.ask(a50, QUESTIONS[0], None)
    out["prompt_tokens"] = cold.prompt_tokens
    out["cold_ttft_s"] = ttft(cold)
    bench.ask(a50, QUESTIONS[1], "A")
    warm = bench.ask(a50, QUESTIONS[2], "A")
    out["warm_ttft_s"] = ttft(warm)

    # 5 new cells, a pause, then the question: with and without prefill.
    for label, session, use_prefill in (("prefill", "N", True), ("no_prefill", "M", False)):
        bench.ask(context(session, 45), QUESTIONS[0], session)
        grown = context(session, 50)
        started = time.perf_counter()
        if use_prefill:
            bench.prefill(grown, session)
        done_before = engine.ping()["warm"]["prefills_done"]
        time.sleep(pause_s)
        out[f"new_cells_{label}_prefill_finished_in_pause"] = (
            engine.ping()["warm"]["prefills_done"] > done_before
        )
        answer = bench.ask(grown, QUESTIONS[1], session)
        out[f"new_cells_{label}_ttft_s"] = ttft(answer)
        out[f"new_cells_{label}_cached"] = answer.cached_tokens
        out[f"new_cells_{label}_prompt"] = answer.prompt_tokens
        out[f"new_cells_{label}_wall_s"] = round(time.perf_counter() - started, 2)
    out["new_cells_ttft_s"] = out["new_cells_prefill_ttft_s"]

    # Switching back to A after answering in B and C, against the same questions asked on
    # A while its prefix is live (a different question each time: a repeated prompt would
    # be reused whole).
    bench.ask(a50, QUESTIONS[0], "A")
    same = [bench.ask(a50, question, "A") for question in QUESTIONS[1:]]
    back = []
    for question in QUESTIONS[1:]:
        bench.ask(context("B", 50), QUESTIONS[0], "B")
        bench.ask(context("C", 50), QUESTIONS[0], "C")
        back.append(bench.ask(a50, question, "A"))
    same_s = statistics.median(c.ttft_s for c in same)
    back_s = statistics.median(c.ttft_s for c in back)
    out["same_notebook_warm_ttft_s"] = round(same_s, 3)
    out["switch_back_ttft_s"] = round(back_s, 3)
    out["switch_back_ratio"] = round(back_s / same_s, 2)

    # An edit of a cell in the middle of A's window: the prefix before it is reused. Asked
    # as another session, so A's saved state (the restart scenario's) stays A's.
    edited = context("A", 50)
    middle = edited.cells[len(edited.cells) // 2]
    middle.source += "\n# edited: a second look at this step"
    edit = bench.ask(edited, QUESTIONS[1], "A-edited")
    out["edit_middle_ttft_s"] = ttft(edit)
    out["edit_middle_cached"] = edit.cached_tokens
    out["edit_middle_prompt"] = edit.prompt_tokens
    out["edit_middle_vs_cold"] = round(edit.ttft_s / cold.ttft_s, 2)
    out["warm_stats_before_restart"] = engine.ping()["warm"]
    engine.close()

    # A restarted worker finds A's state on disk.
    engine = make()
    engine.start()
    bench = Bench(engine)
    restarted = bench.ask(a50, QUESTIONS[0], "A")
    again = bench.ask(a50, QUESTIONS[1], "A")
    out["restart_ttft_s"] = ttft(restarted)
    out["restart_cached"] = restarted.cached_tokens
    out["restart_warm_ttft_s"] = ttft(again)
    out["restart_ratio"] = round(restarted.ttft_s / again.ttft_s, 2)

    # A CPU-bound cell in this process, idle worker vs a worker prefilling a cold notebook.
    idle = statistics.median(cpu_cell() for _ in range(3))
    engine.reset_cache()
    bench.prefill(context("P", 50), "P")
    time.sleep(0.3)
    busy = cpu_cell()
    engine.reset_cache()
    bench.prefill(context("Q", 50), "Q")
    time.sleep(0.3)
    engine.pause_prefill("Q")  # what the kernel's pre_run_cell hook sends
    paused = cpu_cell()
    out["cpu_cell_idle_s"] = round(idle, 3)
    out["cpu_cell_during_prefill_s"] = round(busy, 3)
    out["cpu_cell_paused_prefill_s"] = round(paused, 3)
    out["cpu_cell_slowdown_unpaused"] = round(busy / idle - 1, 3)
    out["cpu_cell_slowdown"] = round(paused / idle - 1, 3)
    out["warm_stats"] = engine.ping()["warm"]
    engine.close()
    return out


def verdicts(out: dict[str, Any]) -> dict[str, bool]:
    return {
        "new_cells_ttft_s": out["new_cells_ttft_s"] <= TARGETS["new_cells_ttft_s"],
        "switch_back_ratio": out["switch_back_ratio"] <= TARGETS["switch_back_ratio"],
        "restart_ratio": out["restart_ratio"] <= TARGETS["restart_ratio"],
        "cpu_cell_slowdown": out["cpu_cell_slowdown"] <= TARGETS["cpu_cell_slowdown"],
    }


def report(result: dict[str, Any]) -> str:
    out, met = result["figures"], result["met"]
    rows = [
        ("cold (prefix not cached)", f"{out['cold_ttft_s']:.3f} s", ""),
        ("raw warm (same notebook, prefix cached)", f"{out['warm_ttft_s']:.3f} s", ""),
        ("5 new cells + pause, with prefill", (f"{out['new_cells_prefill_ttft_s']:.3f} s "
         f"({out['new_cells_prefill_cached']} of {out['new_cells_prefill_prompt']} tokens cached)"),
         f"<= {TARGETS['new_cells_ttft_s']} s: {'met' if met['new_cells_ttft_s'] else 'NOT met'}"),
        ("(prefill finished within the pause)",
         str(out["new_cells_prefill_prefill_finished_in_pause"]), ""),
        ("5 new cells + pause, without prefill", (f"{out['new_cells_no_prefill_ttft_s']:.3f} s "
         f"({out['new_cells_no_prefill_cached']} of {out['new_cells_no_prefill_prompt']} cached)"),
         ""),
        ("switch back after 2 other notebooks", (f"{out['switch_back_ttft_s']:.3f} s "
         f"({out['switch_back_ratio']}x same-notebook warm {out['same_notebook_warm_ttft_s']} s)"),
         f"<= {TARGETS['switch_back_ratio']}x: {'met' if met['switch_back_ratio'] else 'NOT met'}"),
        ("edit of a cell in the middle of the window", (f"{out['edit_middle_ttft_s']:.3f} s "
         f"({out['edit_middle_cached']} of {out['edit_middle_prompt']} tokens reused: the prefix "
         f"before the edit; {out['edit_middle_vs_cold']}x cold)"), ""),
        ("first question after a worker restart", (f"{out['restart_ttft_s']:.3f} s "
         f"({out['restart_ratio']}x warm {out['restart_warm_ttft_s']} s; "
         f"{out['restart_cached']} tokens restored from disk)"),
         f"<= {TARGETS['restart_ratio']}x: {'met' if met['restart_ratio'] else 'NOT met'}"),
        ("CPU-bound cell while prefill runs (paused by pre_run_cell)",
         (f"{out['cpu_cell_paused_prefill_s']:.3f} s vs idle {out['cpu_cell_idle_s']:.3f} s "
         f"(+{100 * out['cpu_cell_slowdown']:.0f}%)"),
         (f"<= +{100 * TARGETS['cpu_cell_slowdown']:.0f}%: "
         f"{'met' if met['cpu_cell_slowdown'] else 'NOT met'}")),
        ("CPU-bound cell while prefill runs (not paused)",
         f"{out['cpu_cell_during_prefill_s']:.3f} s (+{100 * out['cpu_cell_slowdown_unpaused']:.0f}%)",
         ""),
    ]
    lines = [
        f"# Always warm: {result['model']}",
        "",
        (f"{result['when']}; {result['machine']}; {result['threads']} threads; prompt "
        f"{out['prompt_tokens']} tokens; answers {MAX_TOKENS} tokens; pause {result['pause_s']} s."),
        f"Load average at start / end: {result['load_start']} / {result['load_end']}"
        + (" (shared machine under load: figures are noisy)" if max(
            result["load_start"][0], result["load_end"][0]) >= 1.5 else ""),
        "",
        "| scenario | time to first token | target |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
        f"Prefill and saved states (worker status): `{json.dumps(out['warm_stats'])}`",
        "",
    ]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    """Time to first token per scenario, against cold and raw warm (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = result["figures"]
    bars = [
        ("cold", out["cold_ttft_s"]),
        ("raw warm", out["warm_ttft_s"]),
        ("5 new cells,\nprefilled", out["new_cells_prefill_ttft_s"]),
        ("5 new cells,\nno prefill", out["new_cells_no_prefill_ttft_s"]),
        ("switch back", out["switch_back_ttft_s"]),
        ("edit mid-\nwindow", out["edit_middle_ttft_s"]),
        ("after\nrestart", out["restart_ttft_s"]),
    ]
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.bar([name for name, _ in bars], [value for _, value in bars], color="#4c72b0")
    axes.axhline(TARGETS["new_cells_ttft_s"], color="#c44e52", linestyle="--",
                 label="target for 5 new cells (1 s)")
    axes.set_yscale("log")
    axes.set_ylabel("time to first token, s (log)")
    axes.set_title(f"Always warm: {result['model']}, {out['prompt_tokens']}-token prompt")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL, help="registry name or GGUF path")
    parser.add_argument("--threads", type=int, default=0, help="0: one per physical core")
    parser.add_argument("--pause", type=float, default=10.0, help="seconds before the question")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the .md from the last .json")
    args = parser.parse_args(argv)
    if args.render:
        result = json.loads((args.out / "perf_warm.json").read_text())
        (args.out / "perf_warm.md").write_text(report(result))
        plot(result, args.out / "perf_warm.png")
        return
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="localai-kv-") as kv_dir:
        figures = run(args.model, args.threads, args.pause, Path(kv_dir))
    result = {
        "model": args.model,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
        "threads": args.threads or "physical cores",
        "pause_s": args.pause,
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "figures": figures,
        "targets": TARGETS,
    }
    result["met"] = verdicts(figures)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "perf_warm.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "perf_warm.md").write_text(report(result))
    plot(result, args.out / "perf_warm.png")
    print(report(result))


if __name__ == "__main__":
    main()
