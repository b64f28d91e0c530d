"""Which evaluation tasks' prompts a prompt-layout change touches, without the model.

    python benchmarks/prompt_layout_diff.py --against COMMIT [--tasks-dir DIR ...]

Each task's setup (and failing cell) runs in an in-process IPython shell; its context is
collected as `%%ai` collects it; the messages are built with this tree's `core/prompt.py`
and with COMMIT's. A task whose messages are the same both ways gets the same greedy
answer both ways, so its evaluation result cannot change; only the tasks listed need an
evaluation before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval_tasks import TASKS_DIR, load_tasks
from IPython.core.interactiveshell import InteractiveShell

from jupyter_localai.core import prompt as current
from jupyter_localai.core.task_request import TaskRequest, task_text
from jupyter_localai.kernel.context.collect import collect_context

ROOT = Path(__file__).resolve().parents[1]


def prompt_module_at(commit: str, folder: Path) -> ModuleType:
    """`core/prompt.py` as it was at `commit`, importable beside the current one."""
    source = subprocess.run(
        ["git", "show", f"{commit}:jupyter_localai/core/prompt.py"], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout
    path = folder / "prompt_then.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("jupyter_localai.core.prompt_then", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def changed_tasks(tasks_dir: Path, then: ModuleType, shell: InteractiveShell) -> tuple[int, list[str]]:
    tasks = load_tasks(tasks_dir)
    changed = []
    for task in tasks:
        shell.reset(new_session=True)
        cells = [*task.setup, *([task.failing_cell] if task.kind == "fix" else [])]
        with contextlib.redirect_stdout(io.StringIO()):  # outputs and tracebacks
            for cell in cells:
                if cell:
                    shell.run_cell(cell, store_history=True)
        context = collect_context(shell, task.request or task.kind)
        text = task_text(TaskRequest(task.kind, task.request, context=context, max_tokens=512))
        now = current.build_messages(text, context, current.PromptBudget(8192, 512))
        before = then.build_messages(text, context, then.PromptBudget(8192, 512))
        if now != before:
            changed.append(task.id)
    return len(tasks), changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit before the change")
    parser.add_argument("--tasks-dir", type=Path, action="append", default=[])
    args = parser.parse_args()
    folders = args.tasks_dir or [TASKS_DIR, TASKS_DIR.parent / "tasks_holdout",
                                 TASKS_DIR.parent / "tasks_holdout2"]
    shell = InteractiveShell.instance()
    with tempfile.TemporaryDirectory() as folder:
        then = prompt_module_at(args.against, Path(folder))
        for tasks_dir in folders:
            total, changed = changed_tasks(tasks_dir, then, shell)
            sys.stdout.write(f"{tasks_dir.name}: {len(changed)} of {total} prompts differ"
                             f"{': ' + ', '.join(changed) if changed else ''}\n")


if __name__ == "__main__":
    main()
