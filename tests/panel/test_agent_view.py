"""The agent view in a real JupyterLab driven by Chromium (issue 23).

Two ways in: a `%%ai agent` cell's output (a notebook holding the run's bundle, made by the
kernel side's own `AgentRun.to_json()`), and the panel's "Agent" task, which runs the goal
in the notebook's real kernel (plan, steps rehearsed in a real forked copy) with a scripted
engine behind the server (`support/agent_engine.py`: the plan and each cell, in order).
Each checks that the plan and the steps' output in the copy show, that Accept inserts a
cell without running it (the kernel does not get its variables, execution counts stay),
that an accepted edit is one undo step, and that Reject leaves the notebook as it was.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from support.agent_engine import script_left, write_script
from support.jupyter_process import pythonpath_with_tests
from support.lab_helpers import Lab, running_lab, screenshot
from support.panel_page import (
    PANEL,
    cell_sources,
    kernel_stdout,
    open_notebook,
    open_panel,
    run_all_and_wait,
)
from support.recording_engine import RECORD_DIR_ENV

from jupyter_localai.kernel.agent.state import AGENT_MIME, AgentRun, AgentStep, Attempt

HOSTILE = '<img src=x onerror="window.__agentXss=1"> **not bold**'
SOURCES = ["values = [3, 1, 2]", "total = sum(valuez)", "%%ai agent\nsum the values and show them"]


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("record")


@pytest.fixture(scope="module")
def agent_lab(tmp_path_factory: pytest.TempPathFactory, record: Path) -> Iterator[Lab]:
    with running_lab(
        tmp_path_factory.mktemp("lab"),
        extra_args=["--LocalAIExtension.engine_factory=support.agent_engine.make"],
        extra_env={RECORD_DIR_ENV: str(record), "PYTHONPATH": pythonpath_with_tests(os.environ)},
    ) as lab:
        yield lab


def recorded_run() -> dict[str, Any]:
    """A finished run as the kernel writes it: a new cell, an edit of In[2], a figure."""
    run = AgentRun(goal="sum the values and show them", model="scripted", status="done",
                   plan=["Fix the name in In[2]", HOSTILE, "Plot the values"],
                   seconds=4.0, model_seconds=3.0, copy_seconds=1.0, step_timeout_s=30.0)
    edit = AgentStep(1, "Fix the name in In[2]", status="ran", code="total = sum(values)",
                     target=2, target_source="total = sum(valuez)", seconds=0.5,
                     attempts=[Attempt("total = sum(valuez)", "NameError: name 'valuez' "
                                       "is not defined"), Attempt("total = sum(values)")])
    new = AgentStep(2, HOSTILE, status="ran", code="shown = sorted(values)\nprint(shown)",
                    output="[1, 2, 3]\n", seconds=0.4, attempts=[Attempt("...")])
    plot = AgentStep(3, "Plot the values", status="ran",
                     code="import matplotlib.pyplot as plt\nplt.plot(values)",
                     figures=["line chart: 1 line"], seconds=0.6)
    run.steps = [edit, new, plot]
    return run.to_json()


def write_agent_notebook(path: Path) -> None:
    """Cells as the user ran them (In[1], In[2] failing, In[3] the agent cell)."""
    notebook = nbformat.v4.new_notebook()
    cells = [nbformat.v4.new_code_cell(source, execution_count=n)
             for n, source in enumerate(SOURCES, 1)]
    cells[1].outputs = [nbformat.v4.new_output(
        "error", ename="NameError", evalue="name 'valuez' is not defined", traceback=[])]
    run = recorded_run()
    cells[2].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "agent run", AGENT_MIME: run})]
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, path)


def shared(page: Any, expression: str) -> Any:
    return page.evaluate(
        f"() => {{ const nb = window.jupyterapp.shell.currentWidget.content; return {expression}; }}"
    )


def execution_counts(page: Any) -> list[Any]:
    return shared(page, "nb.widgets.map(c => c.model.type === 'code' ? c.model.executionCount "
                        ": null)")


def kernel_has(page: Any, name: str) -> bool:
    return kernel_stdout(page, f"print({name!r} in globals())").strip() == "True"


def test_cell_output_view_accept_edit_and_new_reject(page: Any, agent_lab: Lab) -> None:
    write_agent_notebook(agent_lab.root / "agent_output.ipynb")
    open_notebook(page, agent_lab, "agent_output.ipynb")
    view = page.locator(".jp-Cell").nth(2).locator(".jp-localai-agent")
    view.wait_for(timeout=30_000)

    # The plan, each step's cell, the diff of the edit, the output and figure in the copy.
    plan = view.locator(".jp-localai-agent-plan li").all_inner_texts()
    assert plan == ["Fix the name in In[2]", HOSTILE, "Plot the values"]
    steps = view.locator(".jp-localai-agent-step")
    assert steps.count() == 3
    first = steps.nth(0)
    assert "edit of In[2]" in first.inner_text()
    assert [t for t in first.locator('.jp-localai-diff-line[data-kind="del"]').all_inner_texts()
            if "sum(valuez)" in t]
    assert [t for t in first.locator('.jp-localai-diff-line[data-kind="add"]').all_inner_texts()
            if "sum(values)" in t]
    assert "2 attempts" in first.inner_text()
    second = steps.nth(1)
    assert second.locator(".jp-localai-agent-code").inner_text() == (
        "shown = sorted(values)\nprint(shown)")
    assert second.locator(".jp-localai-agent-output").inner_text().strip() == "[1, 2, 3]"
    assert "line chart: 1 line" in steps.nth(2).locator(".jp-localai-agent-figures").inner_text()
    # Model text is text: the hostile title shows literally, no element was made of it.
    assert HOSTILE in second.locator(".jp-localai-agent-title").inner_text()
    assert view.locator("img").count() == 0 and view.locator("strong", has_text="not bold").count() == 0
    assert page.evaluate("() => window.__agentXss === undefined")
    screenshot(page, "agent-view-output")

    counts = execution_counts(page)
    # Reject: nothing changes.
    second.locator(".jp-localai-agent-reject").click()
    assert second.get_attribute("data-decision") == "rejected"
    time.sleep(0.3)
    assert cell_sources(page) == SOURCES
    assert second.locator(".jp-localai-agent-accept").count() == 0

    # Accept the edit: In[2] is replaced in one undo step, nothing runs.
    first.locator(".jp-localai-agent-accept").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets[1]"
                           ".model.sharedModel.getSource() === 'total = sum(values)'")
    assert first.get_attribute("data-decision") == "accepted"
    assert cell_sources(page)[0] == SOURCES[0] and cell_sources(page)[2] == SOURCES[2]
    assert execution_counts(page) == counts

    # Accept step 3: a new cell right below the agent cell, not run; the skipped step warned.
    steps.nth(2).locator(".jp-localai-agent-accept").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length"
                           " === 4")
    assert cell_sources(page)[3] == "import matplotlib.pyplot as plt\nplt.plot(values)"
    assert execution_counts(page) == [*counts, None]
    assert shared(page, "nb.widgets[3].model.outputs.length") == 0
    assert "step 2" in view.locator(".jp-localai-agent-note").inner_text()
    # Nothing reached the kernel (it never ran a cell of this notebook).
    assert not kernel_has(page, "values") and not kernel_has(page, "plt")

    # The edit is one undo step of its cell.
    shared(page, "nb.widgets[1].model.sharedModel.undo()")
    assert cell_sources(page)[1] == SOURCES[1]


def test_panel_agent_task_runs_in_a_copy_and_accept_inserts(
    page: Any, agent_lab: Lab, record: Path
) -> None:
    nbformat.write(_plain_notebook(["numbers = [4, 5, 6]"]), agent_lab.root / "agent_panel.ipynb")
    open_notebook(page, agent_lab, "agent_panel.ipynb")
    run_all_and_wait(page)
    counts = execution_counts(page)
    write_script(record, [
        "1. Double the numbers\n2. Sum the doubled numbers",
        "CELL: new\n```python\ndoubled = [n * 2 for n in numbers]\nprint(doubled)\n```",
        "CELL: new\n```python\ntotal = sum(doubled)\nprint(total)\n```",
    ])
    open_panel(page)
    page.select_option(f"{PANEL} .jp-localai-task-picker", "agent")
    # Two sentences: a one-sentence goal on the configured 0.5B model is one step with no
    # planning call (core/agent_format.plan_limit); this run shows a plan of two steps.
    page.fill(f"{PANEL} .jp-localai-input", "Double the numbers. Then sum them.")
    page.press(f"{PANEL} .jp-localai-input", "Enter")
    view = page.locator(f"{PANEL} .jp-localai-agent")
    view.wait_for(timeout=20_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('.jp-localai-panel .jp-localai-agent');"
        " return v && v.dataset.status !== 'running'; }",
        timeout=240_000, polling=200)
    error = page.locator(f"{PANEL} .jp-localai-agent-error-note")
    assert error.count() == 0, error.inner_text()
    assert view.get_attribute("data-status") == "done", view.inner_text()
    assert script_left(record) == []
    assert view.locator(".jp-localai-agent-plan li").all_inner_texts() == [
        "Double the numbers", "Sum the doubled numbers"]
    steps = view.locator(".jp-localai-agent-step")
    # The outputs are what the cells printed in the copy of the kernel.
    assert steps.nth(0).locator(".jp-localai-agent-output").inner_text().strip() == "[8, 10, 12]"
    assert steps.nth(1).locator(".jp-localai-agent-output").inner_text().strip() == "30"
    screenshot(page, "agent-view-panel")
    # The live kernel was not touched by the run.
    assert not kernel_has(page, "doubled") and not kernel_has(page, "total")
    assert execution_counts(page) == counts

    steps.nth(1).locator(".jp-localai-agent-reject").click()
    time.sleep(0.3)
    assert cell_sources(page) == ["numbers = [4, 5, 6]"]

    steps.nth(0).locator(".jp-localai-agent-accept").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length"
                           " === 2")
    assert cell_sources(page) == ["numbers = [4, 5, 6]",
                                  "doubled = [n * 2 for n in numbers]\nprint(doubled)"]
    assert execution_counts(page) == [*counts, None]
    assert not kernel_has(page, "doubled")


def test_kernel_entry_refuses_a_missing_goal_in_words(page: Any, agent_lab: Lab) -> None:
    nbformat.write(_plain_notebook(["x = 1"]), agent_lab.root / "agent_entry.ipynb")
    open_notebook(page, agent_lab, "agent_entry.ipynb")
    entry = '__import__("jupyter_localai.kernel.agent.panel", fromlist=["_"]).run_json'
    for body in ('{"goal": "   "}', "not json", "[1, 2]"):
        printed = kernel_stdout(page, f"{entry}(get_ipython(), {body!r})")
        event = json.loads(printed.strip().splitlines()[-1])
        assert event["type"] == "error" and event["message"], printed
    assert "needs a goal" in kernel_stdout(page, f"{entry}(get_ipython(), '{{}}')")
    assert kernel_stdout(page, "print(1 + 1)").strip() == "2"  # the kernel is still up


def _plain_notebook(sources: list[str]) -> Any:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    return notebook
