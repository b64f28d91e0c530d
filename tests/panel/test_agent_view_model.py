"""The panel's Agent task on the real embedded model (issue 23), in a real JupyterLab driven
by Chromium: the goal runs in the notebook's kernel, every step in a forked copy of it.

What the 0.5B model writes is not fixed, so the test asserts properties: the run ends, a
plan shows, the first step ran in the copy and shows its cell; the live kernel gets none of
the names the steps bound until the user accepts; Accept inserts the step's code exactly,
below the active cell, not run; Reject changes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any

import nbformat
import pytest
from support.lab_helpers import Lab, screenshot
from support.panel_page import (
    PANEL,
    cell_sources,
    kernel_stdout,
    open_notebook,
    open_panel,
    run_all_and_wait,
)

SETUP = ("import pandas as pd\nsales = pd.DataFrame({'region': ['north', 'south', 'east'], "
         "'units': [5, 7, 3], 'price': [2.0, 1.5, 4.0]})")
GOAL = "Add a column revenue to sales, equal to units times price."


def globals_now(page: Any) -> set[str]:
    printed = kernel_stdout(
        page, "print(__import__('json').dumps([k for k in globals() if not k.startswith('_')]))"
    )
    return set(json.loads(printed.strip()))


@pytest.mark.timeout(1500)  # the run's own budget is 900 s; the shared CPU is slow
def test_agent_task_on_the_real_model(page: Any, lab: Lab) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SETUP)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, lab.root / "agent_model.ipynb")
    open_notebook(page, lab, "agent_model.ipynb")
    run_all_and_wait(page)
    before = globals_now(page)

    open_panel(page)
    page.select_option(f"{PANEL} .jp-localai-task-picker", "agent")
    page.fill(f"{PANEL} .jp-localai-input", GOAL)
    page.press(f"{PANEL} .jp-localai-input", "Enter")
    view = page.locator(f"{PANEL} .jp-localai-agent")
    view.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => { const v = document.querySelector('.jp-localai-panel .jp-localai-agent');"
        " return v && v.dataset.status !== 'running'; }",
        timeout=1_200_000, polling=500)
    screenshot(page, "agent-view-model")
    error = page.locator(f"{PANEL} .jp-localai-agent-error-note")
    assert error.count() == 0, error.inner_text()
    assert view.locator(".jp-localai-agent-plan li").count() >= 1, view.inner_text()
    assert view.get_attribute("data-status") in ("done", "failed", "too_big", "stopped")
    # The run touched nothing: the live kernel has the same names as before it.
    assert globals_now(page) == before
    columns = "print(list(sales.columns))"
    assert kernel_stdout(page, columns).strip() == "['region', 'units', 'price']"
    first = view.locator('.jp-localai-agent-step[data-status="ran"]').first
    if first.count() == 0:
        # Said, not hidden: the small model wrote no step that ran (its wording is not
        # fixed); the view, the kernel call and the untouched kernel were still checked.
        pytest.xfail("the 0.5B model wrote no step that ran in the copy: " + view.inner_text())
    code = first.locator(".jp-localai-agent-code").inner_text()
    compile(code, "<step>", "exec")  # the offered cell is Python

    steps = view.locator('.jp-localai-agent-step[data-status="ran"]')
    if steps.count() > 1:
        steps.nth(steps.count() - 1).locator(".jp-localai-agent-reject").click()
        time.sleep(0.3)
        assert cell_sources(page) == [SETUP]
    first.locator(".jp-localai-agent-accept").click()
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length"
                           " === 2")
    assert cell_sources(page) == [SETUP, code]
    counts = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets"
                           ".map(c => c.model.executionCount)")
    assert counts == [1, None]
    assert globals_now(page) == before
    assert kernel_stdout(page, columns).strip() == "['region', 'units', 'price']"
