"""Summaries and the Markdown page of an evaluation run (pass rates per kind, per-task rows)."""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eval_tasks import TaskResult

KINDS = ("fix", "generate")


def summarize(results: list[TaskResult]) -> dict[str, Any]:
    """Pass rates per kind and overall, median times."""
    def block(rows: list[TaskResult]) -> dict[str, Any]:
        ask = [r.ask_s for r in rows if r.ask_s is not None]
        ttft = [r.ttft_s for r in rows if r.ttft_s is not None]
        failures: dict[str, int] = {}
        classes: dict[str, int] = {}
        for r in rows:
            if not r.passed:
                failures[r.failure] = failures.get(r.failure, 0) + 1
                label = getattr(r, "failure_class", "") or "unclassified"
                classes[label] = classes.get(label, 0) + 1
        return {
            "tasks": len(rows),
            "passed": sum(r.passed for r in rows),
            "pass_rate": round(sum(r.passed for r in rows) / len(rows), 3) if rows else None,
            "median_task_s": round(statistics.median(r.task_s for r in rows), 2) if rows else None,
            "median_ask_s": round(statistics.median(ask), 2) if ask else None,
            "median_ttft_s": round(statistics.median(ttft), 3) if ttft else None,
            "failures": failures,
            "classes": classes,
        }

    summary = {kind: block([r for r in results if r.kind == kind]) for kind in KINDS}
    summary["overall"] = block(results)
    return summary


def _cell(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.{digits}f}"


def markdown_report(meta: dict[str, Any], summary: dict[str, Any],
                    results: list[TaskResult]) -> str:
    """A Markdown page: the run's settings, pass rates per kind, one row per task."""
    lines = [f"# Evaluation: {meta['model']}", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items() if key != "model"]
    lines += ["", "| kind | passed | pass rate | median s/task | median ask s | median ttft s |",
              "|---|---|---|---|---|---|"]
    for kind in (*KINDS, "overall"):
        s = summary[kind]
        rate = "-" if s["pass_rate"] is None else f"{s['pass_rate']:.0%}"
        lines.append(f"| {kind} | {s['passed']}/{s['tasks']} | {rate} | {_cell(s['median_task_s'])} "
                     f"| {_cell(s['median_ask_s'])} | {_cell(s['median_ttft_s'])} |")
    failures = summary["overall"]["failures"]
    if failures:
        lines += ["", "Failures: " + ", ".join(f"{k} {v}" for k, v in sorted(failures.items()))]
    classes = summary["overall"].get("classes")
    if classes:
        lines += ["", "Failure classes (eval_taxonomy.py): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(classes.items()))]
    lines += ["", "| task | kind | area | pass | failure | class | detail | ask s | ttft s | tokens |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        detail = re.sub(r"\s+", " ", r.error)[:90].replace("|", "\\|")
        lines.append(f"| {r.id} | {r.kind} | {r.area} | {'yes' if r.passed else 'no'} "
                     f"| {r.failure} | {getattr(r, 'failure_class', '')} | {detail} "
                     f"| {_cell(r.ask_s)} | {_cell(r.ttft_s, 2)} | {_cell(r.tokens)} |")
    return "\n".join(lines) + "\n"


