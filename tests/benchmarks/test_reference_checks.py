"""The assistant's static checks do not fault a correct answer: every evaluation task's
reference solution, checked against the task's own live setup exactly as a generate answer
(with the request) or a fix (with the failing cell) is, raises no issue.

A check that names a right answer makes the assistant retry or rewrite it; the request
intent checks (per column, per group, percentiles, percent, a chart's parts) read the
request's words, so this is where a too-eager one shows first.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import eval_tasks as ev
import matplotlib
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.kernel.context.namespace import KernelNamespace

matplotlib.use("Agg")
import matplotlib.pyplot as plt

BENCH_DIR = Path(ev.__file__).resolve().parent
ALL_TASKS = [task for folder in sorted(BENCH_DIR.glob("tasks*")) if folder.is_dir()
             for task in ev.load_tasks(folder)]


def _live_setup(task: ev.Task, workdir: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    before = os.getcwd()
    os.chdir(workdir)
    try:
        for number, cell in enumerate(task.setup):
            exec(compile(cell, f"<{task.id} setup {number}>", "exec"), namespace)  # noqa: S102
    finally:
        os.chdir(before)
    return namespace


@pytest.mark.parametrize("task", ALL_TASKS, ids=lambda t: t.id)
def test_the_reference_answer_passes_every_check(task: ev.Task) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        view = KernelNamespace(_live_setup(task, workdir))
        if task.kind == "generate":
            issues = check_code(task.reference, namespace=view, request_text=task.request)
        else:
            issues = check_code(task.reference, namespace=view, failing_source=task.failing_cell)
    plt.close("all")
    assert issues == [], [(issue.kind, issue.message) for issue in issues]


def test_every_task_folder_is_read() -> None:
    assert len(ALL_TASKS) >= 250 and {t.kind for t in ALL_TASKS} == {"fix", "generate"}
