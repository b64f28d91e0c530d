"""One-task runs merge into the file one whole run would write, and only if they are one run."""

from __future__ import annotations

import json
from pathlib import Path

import eval_merge
import eval_table
import pytest
from eval_tasks import load_tasks

ROUND = "tasks_holdout2"
TASKS = load_tasks(Path(eval_merge.BENCH_DIR) / ROUND)


def _part(task_id: str, passed: bool, commit: str = "abc1234", error: str = "") -> dict:
    task = next(t for t in TASKS if t.id == task_id)
    meta = {"model": "m", "started": f"2026-12-02 0{len(task_id) % 10}:00", "commit": commit,
            "tasks": ROUND, "options": "(defaults: temperature 0, seed 0)",
            "tasks run": "1 of 1"}
    row = {"id": task.id, "kind": task.kind, "area": task.area, "passed": passed,
           "failure": "" if passed else "answer_raised", "error": error,
           "task_s": 1.0, "code": task.reference if passed else "x = undefined_name"}
    return {"meta": meta, "summary": {}, "results": [row]}


def test_all_parts_make_a_full_run_the_table_counts(tmp_path):
    parts = [_part(t.id, passed=i % 3 == 0) for i, t in enumerate(reversed(TASKS))]
    meta, results, planned = eval_merge.merge(parts, {"load": "1.2"})
    out = tmp_path / ROUND / "merged.json"
    summary = eval_merge.write_results(out, meta, results, planned)
    assert [r.id for r in results] == [t.id for t in TASKS]  # the folder's order
    assert json.loads(out.read_text())["meta"]["tasks run"] == f"{len(TASKS)} of {len(TASKS)}"
    assert summary["overall"]["passed"] == sum(i % 3 == 0 for i in range(len(TASKS)))
    assert all(r.failure_class for r in results if not r.passed)  # classified again
    runs = eval_table.load_runs(out.parent, "merged.json")
    assert len(runs) == 1 and runs[0]["meta"]["load"] == "1.2"


def test_missing_tasks_leave_the_run_out_of_the_table(tmp_path):
    meta, results, planned = eval_merge.merge([_part(TASKS[0].id, True)])
    out = tmp_path / "part.json"
    eval_merge.write_results(out, meta, results, planned)
    assert eval_table.load_runs(tmp_path, "part.json") == []


@pytest.mark.parametrize("second", [
    {"commit": "def5678"},  # another code
    {"repeat": True},  # the same task twice
])
def test_parts_of_different_runs_are_refused(second):
    first = _part(TASKS[0].id, True)
    other = _part(TASKS[0].id if second.get("repeat") else TASKS[1].id, True,
                  commit=second.get("commit", "abc1234"))
    with pytest.raises(eval_merge.MergeError):
        eval_merge.merge([first, other])


def test_machine_paths_are_cut_to_their_last_component():
    home = "/" + "root"  # built, so that this file names no machine path itself
    error = f"FileNotFoundError: '/tmp/abc/data.csv' (see {home}/.cache/x/model.gguf)"
    assert eval_merge.redact_paths(error) == (
        "FileNotFoundError: '<path>/data.csv' (see <path>/model.gguf)")
    assert eval_merge.redact_paths("a/tmp/b and ~/x") == "a/tmp/b and ~/x"


def test_the_table_shows_a_merged_round_without_its_seen_tasks_and_keeps_its_reading(tmp_path):
    parts = [_part(t.id, passed=t.id in eval_table.SEEN_SINCE[ROUND]) for t in TASKS]
    meta, results, planned = eval_merge.merge(parts)
    eval_merge.write_results(tmp_path / ROUND / "now.json", meta, results, planned)
    (tmp_path / ROUND / eval_table.READING_FILE).write_text("Hand-written reading.\n")
    eval_table.main(["--results", str(tmp_path)])
    page = (tmp_path / "eval_table.md").read_text()
    seen = len(eval_table.SEEN_SINCE[ROUND])
    assert f"| m | overall | no | {seen}/{len(TASKS)} " in page
    assert f"without the {seen} tasks hinted after being seen" in page
    assert f"0/{len(TASKS) - seen} (0%); those {seen}: {seen}/{seen}." in page
    assert "Hand-written reading." in page
