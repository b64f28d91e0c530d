"""The evaluation table: model x kind x with/without `--verify`, from the runs' JSON files.

Each `eval_tasks.py` run writes `results/eval_<label>.json`; this collects those runs into
one Markdown table (`results/eval_table.md`) with pass rates, median time per task and the
gain `--verify` brings on fix tasks, beside the issue's targets.

    python benchmarks/eval_table.py [--results benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGETS = {"qwen2.5-coder-0.5b": 0.70, "qwen2.5-coder-1.5b": 0.85}
VERIFY_GAIN_TARGET = 0.10


def load_runs(results: Path) -> list[dict[str, Any]]:
    """Every full run (not `--limit`/`--task` samples), newest file per model and option."""
    runs = []
    for path in sorted(results.glob("eval_*.json")):
        data = json.loads(path.read_text())
        meta = data.get("meta", {})
        options = meta.get("options", "")
        if "--limit" in options or "--task" in options or "--oracle" in options:
            continue
        runs.append({"file": path.name, "meta": meta, "summary": data["summary"],
                     "verify": "--verify" in options})
    return runs


def _rate(block: dict[str, Any] | None) -> str:
    if not block or not block.get("tasks"):
        return "-"
    return f"{block['passed']}/{block['tasks']} ({100 * block['pass_rate']:.0f}%)"


def _rows(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| model | kind | verify | passed | median s/task | median first token s | run |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for run in sorted(runs, key=lambda r: (r["meta"].get("model", ""), r["verify"])):
        for kind in ("fix", "generate", "overall"):
            block = run["summary"].get(kind)
            if not block or not block.get("tasks"):
                continue
            lines.append(
                f"| {run['meta'].get('model')} | {kind} | {'yes' if run['verify'] else 'no'} "
                f"| {_rate(block)} | {block.get('median_task_s') or '-'} "
                f"| {block.get('median_ttft_s') or '-'} | `{run['file']}` "
                f"({run['meta'].get('started') or run['meta'].get('date')}, "
                f"{run['meta'].get('commit')}) |"
            )
    return lines


def _verify_gains(runs: list[dict[str, Any]]) -> list[str]:
    """Per model: points `--verify` adds on fix tasks, and the most it could have added."""
    by_model: dict[str, dict[bool, dict[str, Any]]] = {}
    for run in runs:
        by_model.setdefault(run["meta"].get("model", "?"), {})[run["verify"]] = run["summary"]
    lines = []
    for model, summaries in sorted(by_model.items()):
        plain, verified = summaries.get(False), summaries.get(True)
        if not (plain and verified and plain.get("fix", {}).get("tasks")
                and verified["fix"]["tasks"]):
            continue
        gain = verified["fix"]["pass_rate"] - plain["fix"]["pass_rate"]
        headroom = 1.0 - plain["fix"]["pass_rate"]
        verdict = "met" if gain >= VERIFY_GAIN_TARGET else "missed"
        if gain < VERIFY_GAIN_TARGET and headroom < VERIFY_GAIN_TARGET:
            verdict += (f" (without verify {plain['fix']['passed']}/{plain['fix']['tasks']} "
                        f"already pass: at most {100 * headroom:+.0f} was possible)")
        lines.append(f"- {model}: `--verify` on fix tasks {100 * gain:+.0f} points "
                     f"(target +{100 * VERIFY_GAIN_TARGET:.0f}): {verdict}.")
    return lines


def table(runs: list[dict[str, Any]], holdout: list[dict[str, Any]] | None = None) -> str:
    lines = [
        "# Evaluation: model x kind x verify",
        "",
        "A task passes only if its answer runs in a fresh kernel after the task's setup and",
        "the task's check holds (`benchmarks/eval_tasks.py`). `--verify` applies to fix tasks:",
        "each candidate runs in a forked copy of the kernel before it is shown.",
        "",
        *_rows(runs),
    ]
    lines += ["", "## Against the targets", ""]
    by_model: dict[str, dict[bool, dict[str, Any]]] = {}
    for run in runs:
        by_model.setdefault(run["meta"].get("model", "?"), {})[run["verify"]] = run["summary"]
    for model, summaries in sorted(by_model.items()):
        plain = summaries.get(False)
        target = TARGETS.get(model)
        if plain and target is not None and plain["overall"].get("tasks"):
            rate = plain["overall"]["pass_rate"]
            verdict = "met" if rate >= target else f"missed by {100 * (target - rate):.0f} points"
            lines.append(f"- {model}: {100 * rate:.0f}% overall without verify "
                         f"(target {100 * target:.0f}%): {verdict}.")
    lines += _verify_gains(runs)
    if holdout:
        lines += [
            "",
            "## Held-out tasks (`benchmarks/tasks_holdout/`)",
            "",
            "Written after the checks and hints by someone who had not read them or the",
            "suite's tasks: whether the improvements carry over to work nobody tuned for.",
            "",
            *_rows(holdout),
            "",
            *_verify_gains(holdout),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    holdout_dir = args.results / "tasks_holdout"
    holdout = load_runs(holdout_dir) if holdout_dir.is_dir() else []
    text = table(load_runs(args.results), holdout)
    (args.results / "eval_table.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
