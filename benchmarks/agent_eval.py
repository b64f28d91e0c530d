"""Agent mode against one-shot `%%ai` on fixed multi-step goals (issue 23).

Each goal of `agent_goals/` is a small notebook (setup cells), a goal in plain words and a
check (asserts). Per goal and mode, a fresh kernel runs the setup cells, then asks:

- agent: `%%ai agent GOAL`; every step that ran in the copy is accepted (new cells are
  appended, an edit replaces the cell it names);
- one-shot: `%%ai GOAL` (generate, rehearsed in the copy by default); its code is appended.

The resulting notebook is then run from the top in another fresh kernel without the
extension (cells that raise are passed over, as "run all" with errors allowed would
leave them), and the check runs last. "completed" means the check passed. Times are wall
seconds of the ask (agent: plan + every attempt; one-shot: the whole answer with its
retries) on this machine, shared with other work (the load is recorded).

    python benchmarks/agent_eval.py [--model qwen2.5-coder-1.5b] [--only ID ...] [--budget-s S]

`--budget-s` starts no new ask after S seconds, so a shared machine can run the evaluation
in locked chunks that end cleanly; the next call resumes where the JSON stops.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from eval_kernel import KernelSession, fresh_kernel, kernel_env

HERE = Path(__file__).resolve().parent
GOALS = HERE / "agent_goals"
RESULTS = HERE / "results"
ASK_TIMEOUT_S = 1800.0
CELL_TIMEOUT_S = 120.0
MAX_TOKENS = 256
# `--table` keeps everything from this heading on (the reading of the figures, by hand).
HAND_WRITTEN = "## What the figures say (written by hand)"


def load_goals(only: list[str]) -> list[dict[str, Any]]:
    goals = [json.loads(path.read_text()) for path in sorted(GOALS.glob("*.json"))]
    return [goal for goal in goals if not only or goal["id"] in only]


def _json_of(session: KernelSession, expression: str) -> Any:
    result = session.run(f"import json as _j; print(_j.dumps({expression}))", CELL_TIMEOUT_S)
    if not result.ok:
        raise RuntimeError(f"{result.ename}: {result.evalue}")
    return json.loads(result.output.strip().splitlines()[-1])


def _setup(session: KernelSession, goal: dict[str, Any]) -> dict[int, int]:
    """Load the extension (In[1]), run the setup cells (In[2], ...): {In number: index}."""
    session.run("%load_ext jupyter_localai", CELL_TIMEOUT_S)
    for cell in goal["setup"]:
        session.run(cell, CELL_TIMEOUT_S)  # a failing setup cell is part of some goals
    return {index + 2: index for index in range(len(goal["setup"]))}


def ask_agent(session: KernelSession, goal: dict[str, Any], model: str | None) -> dict[str, Any]:
    counts = _setup(session, goal)
    option = f" --model {model}" if model else ""
    started = time.perf_counter()
    asked = session.run(f"%%ai agent --max-tokens {MAX_TOKENS}{option}\n{goal['goal']}",
                        ASK_TIMEOUT_S)
    seconds = time.perf_counter() - started
    shown = session.run("%ai agent show", CELL_TIMEOUT_S)
    try:
        state = json.loads(shown.output)
    except json.JSONDecodeError:
        return {"error": f"no agent run: {asked.ename} {asked.evalue} {asked.output[-500:]}",
                "seconds": seconds, "cells": list(goal["setup"])}
    cells = list(goal["setup"])
    appended: list[str] = []
    for step in state["steps"]:
        if step["status"] != "ran":
            continue
        target = step["target"]
        if target is not None and target["execution_count"] in counts:
            cells[counts[target["execution_count"]]] = step["code"]
        else:
            appended.append(step["code"])
    return {"status": state["status"], "message": state["message"], "plan": state["plan"],
            "steps_planned": len(state["plan"]),
            "steps_ran": sum(step["status"] == "ran" for step in state["steps"]),
            "attempts": sum(len(step["attempts"]) for step in state["steps"]),
            "edits": sum(step["kind"] == "edit" and step["status"] == "ran"
                         for step in state["steps"]),
            "seconds": seconds, "model_s": state["timings"]["model_s"],
            "copy_s": state["timings"]["copy_s"], "model": state["model"],
            "cells": cells + appended, "steps": state["steps"]}


def ask_one_shot(session: KernelSession, goal: dict[str, Any], model: str | None) -> dict[str, Any]:
    _setup(session, goal)
    option = f" --model {model}" if model else ""
    started = time.perf_counter()
    asked = session.run(f"%%ai --max-tokens {MAX_TOKENS}{option}\n{goal['goal']}", ASK_TIMEOUT_S)
    seconds = time.perf_counter() - started
    reply = _json_of(session, "(lambda r: r and {'code': r.code, 'verified': r.verified, "
                              "'attempts': r.attempts, 'model': r.model})"
                              "(__import__('jupyter_localai').last_reply())")
    if not reply:
        return {"error": f"no reply: {asked.ename} {asked.evalue}", "seconds": seconds,
                "cells": list(goal["setup"])}
    return {"attempts": reply["attempts"], "verified": reply["verified"],
            "model": reply["model"], "seconds": seconds,
            "cells": [*goal["setup"], reply["code"]], "code": reply["code"]}


def check(cells: list[str], goal: dict[str, Any]) -> tuple[bool, str]:
    """Run the notebook from the top in a fresh kernel, then the goal's check."""
    with fresh_kernel(kernel_env(None, None)) as session:
        for cell in cells:
            result = session.run(cell, CELL_TIMEOUT_S)
            if result.timed_out:
                return False, "a cell did not finish"
        verdict = session.run(goal["check"], CELL_TIMEOUT_S)
    return verdict.ok, "" if verdict.ok else f"{verdict.ename}: {verdict.evalue}"[:300]


def run_goal(goal: dict[str, Any], mode: str, model: str | None) -> dict[str, Any]:
    ask = ask_agent if mode == "agent" else ask_one_shot
    with fresh_kernel(kernel_env(None, None)) as session:
        row = ask(session, goal, model)
    row["completed"], row["check_error"] = check(row["cells"], goal)
    return {"id": goal["id"], "mode": mode, **row}


def load_average() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def _mark(row: dict[str, Any] | None) -> str:
    if row is None:
        return "not run"
    return "yes" if row["completed"] else "no"


def write_table() -> Path:
    """results/agent_eval.md from every results/agent_eval_<model>.json."""
    lines = ["# Agent mode vs one-shot `%%ai` (issue 23)", "",
             ("Written by `benchmarks/agent_eval.py --table` from `agent_eval_<model>.json`. "
             "Goals and checks: `benchmarks/agent_goals/` (fixed before any agent run). "
             "Completed = the goal's check passed after the notebook (setup cells, then the "
             "accepted agent cells or the one-shot cell) ran from the top in a fresh kernel. "
             "Time = wall seconds of the ask on a 2-core machine shared with other engineers' "
             "work (asks run under a lock that keeps heavy runs apart; load averages before "
             "and after each ask are in the JSON)."), ""]
    for path in sorted(RESULTS.glob("agent_eval_*.json")):
        data = json.loads(path.read_text())
        rows = data["rows"]
        by = {(row["id"], row["mode"]): row for row in rows}
        ids = sorted({row["id"] for row in rows})
        agent = [by[(i, "agent")] for i in ids if (i, "agent") in by]
        one = [by[(i, "one_shot")] for i in ids if (i, "one_shot") in by]
        loads = [float(row["load_before"].split()[0]) for row in rows
                 if row.get("load_before", "?") != "?"]
        lines += [f"## {data['model']}", "",
                  (f"Agent completed {sum(r['completed'] for r in agent)}/{len(agent)}, "
                  f"one-shot completed {sum(r['completed'] for r in one)}/{len(one)}. "
                  f"Agent: mean steps planned "
                  f"{_mean([r.get('steps_planned', 0) for r in agent]):.1f}, ran "
                  f"{_mean([r.get('steps_ran', 0) for r in agent]):.1f}, attempts "
                  f"{_mean([r.get('attempts', 0) for r in agent]):.1f}; median time agent "
                  f"{_median([r['seconds'] for r in agent]):.0f} s, one-shot "
                  f"{_median([r['seconds'] for r in one]):.0f} s. 1-minute load average "
                  f"when asks started: {min(loads, default=0):.0f}-{max(loads, default=0):.0f} "
                  f"on {data.get('cpus', '?')} CPUs."), "",
                  ("| goal | agent done | agent status | steps ran/planned | attempts | agent s "
                  "| one-shot done | one-shot attempts | one-shot s |"),
                  "|---|---|---|---|---|---|---|---|---|"]
        for goal in ids:
            a, o = by.get((goal, "agent")), by.get((goal, "one_shot"))
            lines.append(
                f"| {goal} | {_mark(a)} | {a.get('status', a.get('error', '')) if a else ''} "
                f"| {a.get('steps_ran', 0) if a else ''}/{a.get('steps_planned', 0) if a else ''} "
                f"| {a.get('attempts', '') if a else ''} | {a['seconds']:.0f} |" if a else
                f"| {goal} | not run | | | | |")
            lines[-1] += (f" {_mark(o)} | {o.get('attempts', '')} | {o['seconds']:.0f} |" if o
                          else " not run | | |")
        failures = [f"- {r['id']} ({r['mode']}): {r['check_error'] or r.get('message') or ''}"
                    for r in rows if not r["completed"]]
        if failures:
            lines += ["", "Why the checks failed:", "", *failures]
        lines.append("")
    out = RESULTS / "agent_eval.md"
    kept = out.read_text().partition(HAND_WRITTEN)[2] if out.exists() else ""
    out.write_text("\n".join(lines) + "\n" + (HAND_WRITTEN + kept if kept else ""))
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="e.g. qwen2.5-coder-1.5b (default: "
                                                       "the embedded 0.5B)")
    parser.add_argument("--only", nargs="*", default=[], help="goal ids")
    parser.add_argument("--modes", nargs="*", default=["agent", "one_shot"])
    parser.add_argument("--table", action="store_true", help="only write agent_eval.md")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no new ask after this many seconds (resume later)")
    args = parser.parse_args()
    if args.table:
        print(write_table())
        return 0
    name = args.model or "qwen2.5-coder-0.5b"
    out = RESULTS / f"agent_eval_{name}.json"
    rows: list[dict[str, Any]] = json.loads(out.read_text())["rows"] if out.exists() else []
    done = {(row["id"], row["mode"]) for row in rows}
    started = time.monotonic()
    for goal in load_goals(args.only):
        for mode in args.modes:
            if (goal["id"], mode) in done:
                continue
            if args.budget_s is not None and time.monotonic() - started > args.budget_s:
                print(f"budget of {args.budget_s:.0f} s spent; rerun to resume", flush=True)
                return 0
            load_before = load_average()
            row = run_goal(goal, mode, args.model)
            row["load_before"], row["load_after"] = load_before, load_average()
            rows.append(row)
            print(f"{goal['id']:32} {mode:9} completed={row['completed']} "
                  f"{row['seconds']:.0f} s {row.get('status', '')}", flush=True)
            out.write_text(json.dumps({"model": name, "cpus": os.cpu_count(), "rows": rows},
                                      indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
