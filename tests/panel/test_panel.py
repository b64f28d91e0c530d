"""The Local AI panel and the answer renderer, in a real JupyterLab driven by Chromium.

The model tests use the real embedded model: they ask for code, watch the answer grow
while it streams, insert it into the notebook and run it there.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

import pytest
from support.lab_helpers import Lab, running_lab, screenshot, write_notebook
from support.panel_page import (
    LAST_ANSWER,
    PANEL,
    RENDERED_REPLY,
    ask,
    cell_outputs,
    cell_sources,
    command,
    kernel_stdout,
    open_notebook,
    open_panel,
    record_answer_growth,
    run_all_and_wait,
    wait_answer_finished,
    wait_cells_ran,
)

DATAFRAME_CELL = (
    "import pandas as pd\n"
    'df = pd.DataFrame({"city": ["Oslo", "Lima", "Pune", "Kyiv"], '
    '"temp": [4.5, 19.0, 27.5, 8.0]})\n'
    "df"
)
KERNEL_CONTEXT = importlib.util.find_spec("jupyter_localai.kernel.context") is not None


# --- the answer renderer (no model needed) -----------------------------------------------


def test_reply_renderer_inserts_replaces_and_copies(page: Any, lab: Lab) -> None:
    bundle = {
        "application/vnd.jupyter-localai.reply+json": {
            "task": "generate",
            "code": "total = sum(range(10))\nprint(total)",
            "text": "Adds up the numbers below ten.",
            "model": "qwen2.5-coder-0.5b",
            "warnings": ["reads no variables"],
            "verified": True,
        },
        "text/markdown": "```python\ntotal = sum(range(10))\n```",
        "text/plain": "total = sum(range(10))",
    }
    write_notebook(
        lab.root / "renderer.ipynb",
        [f"from IPython.display import display\ndisplay({bundle!r}, raw=True)", "x = 1"],
    )
    open_notebook(page, lab, "renderer.ipynb")
    run_all_and_wait(page)
    reply = page.locator(RENDERED_REPLY)
    reply.wait_for()
    # Rendered by our renderer (not the Markdown fallback): prose, highlighted code, buttons.
    assert "Adds up the numbers below ten." in reply.inner_text()
    assert reply.locator("pre").inner_text().strip() == "total = sum(range(10))\nprint(total)"
    assert reply.locator("pre span").count() > 0, "the code is not syntax highlighted"
    assert "reads no variables" in reply.inner_text()
    screenshot(page, "renderer")

    reply.get_by_role("button", name="Insert below").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.length === 3"
    )
    sources = cell_sources(page)
    assert sources[1] == "total = sum(range(10))\nprint(total)"
    assert sources[2] == "x = 1", "the code went below the answer's cell, before the next one"

    reply.get_by_role("button", name="Copy").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == "total = sum(range(10))\nprint(total)"

    # Replace shows the diff in the panel first; the cell changes on Accept.
    reply.get_by_role("button", name="Replace cell").click()
    review = page.locator(f"{PANEL} .jp-localai-review")
    review.wait_for()
    assert cell_sources(page)[0].startswith("from IPython.display import display")
    review.get_by_role("button", name="Accept").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets[0]"
        ".model.sharedModel.getSource().startsWith('total')"
    )
    assert cell_sources(page)[0] == "total = sum(range(10))\nprint(total)"


# --- without the server extension ---------------------------------------------------------


def test_missing_server_extension_is_a_readable_message(
    page: Any, tmp_path: Path, chromium: str
) -> None:
    with running_lab(tmp_path, localai_enabled=False) as bare:
        write_notebook(bare.root / "plain.ipynb", ["1 + 1"])
        open_notebook(page, bare, "plain.ipynb")
        open_panel(page)
        status = page.locator(f"{PANEL} .jp-localai-status")
        status.filter(has_text="404").wait_for(timeout=20_000)
        assert "server extension is not running" in status.inner_text()
        ask(page, "chat", "hello?")
        assert wait_answer_finished(page, 30_000) == "error"
        note = page.locator(LAST_ANSWER).locator(".jp-localai-note").inner_text()
        assert "404" in note and "jupyter_localai" in note
        screenshot(page, "no-server-extension")


# --- with the real model ------------------------------------------------------------------


@pytest.mark.model
def test_ask_streams_then_code_is_inserted_and_runs(page: Any, lab: Lab) -> None:
    write_notebook(lab.root / "analysis.ipynb", [DATAFRAME_CELL])
    open_notebook(page, lab, "analysis.ipynb")
    run_all_and_wait(page)
    open_panel(page)
    page.locator(f"{PANEL} .jp-localai-status[data-state]").wait_for(timeout=20_000)

    # Context chips: the notebook's cells, and the kernel's variables when available.
    chips = page.locator(f"{PANEL} .jp-localai-chip")
    chips.filter(has_text="1 cell").wait_for(timeout=20_000)
    if KERNEL_CONTEXT:
        chips.filter(has_text="df: DataFrame").wait_for(timeout=20_000)
    else:
        page.locator(f"{PANEL} .jp-localai-context-note").wait_for()
    screenshot(page, "panel-open")

    record_answer_growth(page)
    ask(page, "generate", "Compute the mean of the temp column of df and assign it to mean_temp.")
    page.locator(f"{PANEL} .jp-localai-stop").wait_for(timeout=5_000)
    page.wait_for_function(
        "() => (window.__growth || []).some(g => g.state === 'streaming' && g.n > 20)",
        timeout=120_000,
        polling=50,
    )
    screenshot(page, "answer-streaming")
    assert wait_answer_finished(page) == "done"
    screenshot(page, "answer-done")

    growth = page.evaluate("() => window.__growth")
    streaming = [g for g in growth if g["state"] == "streaming"]
    lengths = sorted({g["n"] for g in streaming})
    assert len(lengths) >= 3, f"the answer did not grow while streaming: {lengths}"
    assert streaming[-1]["t"] - streaming[0]["t"] > 50, "the answer arrived all at once"

    answer = page.locator(LAST_ANSWER)
    code = answer.locator(".jp-localai-code pre").first.inner_text().strip()
    assert "mean_temp" in code
    answer.locator(".jp-localai-insert").first.click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.length === 2"
    )
    assert cell_sources(page)[1].strip() == code
    # Inserted, not run: the new cell has no execution count until the user runs it.
    assert (
        page.evaluate(
            "() => window.jupyterapp.shell.currentWidget.content.widgets[1].model.executionCount"
        )
        is None
    )

    command(page, "notebook:run-cell")
    wait_cells_ran(page)
    errors = [o for o in cell_outputs(page, 1) if o["output_type"] == "error"]
    assert not errors, errors
    check = kernel_stdout(page, "print(abs(mean_temp - df['temp'].mean()) < 1e-9)")
    assert check.strip() == "True", check
    screenshot(page, "code-inserted-and-run")


@pytest.mark.model
def test_stop_keeps_partial_answer_and_conversation_survives_reload(page: Any, lab: Lab) -> None:
    write_notebook(lab.root / "stop.ipynb", [DATAFRAME_CELL])
    open_notebook(page, lab, "stop.ipynb")
    open_panel(page)
    ask(page, "chat", "Describe, in a long essay, the history of the pandas library.")
    page.wait_for_function(
        """() => {
            const a = document.querySelectorAll('.jp-localai-panel .jp-localai-assistant');
            const last = a[a.length - 1];
            return last && last.querySelector('.jp-localai-markdown') &&
                last.querySelector('.jp-localai-markdown').textContent.length > 40;
        }""",
        timeout=120_000,
        polling=50,
    )
    page.locator(f"{PANEL} .jp-localai-stop").click()
    assert wait_answer_finished(page, 15_000) == "stopped"
    answer = page.locator(LAST_ANSWER)
    assert "Stopped" in answer.locator(".jp-localai-note").inner_text()
    # textContent (waited on above) counts text inner_text leaves out, so the wait asks for
    # well more than the 10 characters the stopped answer must keep.
    partial = answer.locator(".jp-localai-markdown").first.inner_text()
    assert len(partial) > 10
    page.locator(f"{PANEL} .jp-localai-send").wait_for()
    screenshot(page, "stopped")

    page.reload()
    open_notebook(page, lab, "stop.ipynb")
    open_panel(page)
    restored = page.locator(f"{PANEL} .jp-localai-message")
    restored.nth(1).wait_for(timeout=10_000)
    assert restored.count() == 2
    assert "history of the pandas library" in restored.nth(0).inner_text()
    assert page.locator(LAST_ANSWER).get_attribute("data-state") == "stopped"
    assert page.locator(LAST_ANSWER).locator(".jp-localai-markdown").first.inner_text() == partial
    time.sleep(0.2)
    screenshot(page, "after-reload")


@pytest.mark.model
def test_explain_cell_from_the_context_menu(page: Any, lab: Lab) -> None:
    write_notebook(lab.root / "explain.ipynb", ["squares = [n * n for n in range(5)]\nsquares"])
    open_notebook(page, lab, "explain.ipynb")
    run_all_and_wait(page)
    page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click(button="right")
    page.locator(".lm-Menu-item", has_text="Explain cell with Local AI").click()
    page.wait_for_selector(f"{PANEL} .jp-localai-assistant", timeout=20_000)
    question = page.locator(f"{PANEL} .jp-localai-user").last.inner_text()
    assert "squares = [n * n for n in range(5)]" in question
    assert wait_answer_finished(page) == "done"
    explanation = page.locator(LAST_ANSWER).inner_text()
    assert len(explanation.split()) >= 5
    screenshot(page, "explain-cell")


@pytest.mark.model
def test_verified_fix_runs_candidates_in_a_copy_of_the_kernel(page: Any, lab: Lab) -> None:
    failing = 'df["temp_f"] = df["temperature"] * 9 / 5 + 32'
    write_notebook(lab.root / "verify.ipynb", [DATAFRAME_CELL, failing])
    open_notebook(page, lab, "verify.ipynb")
    run_all_and_wait(page)
    assert any(o["output_type"] == "error" for o in cell_outputs(page, 1))
    state = "print(sorted(k for k in globals() if not k.startswith('_')), list(df.columns))"
    before = kernel_stdout(page, state)
    assert "temp_f" not in before

    open_panel(page)
    page.select_option(f"{PANEL} .jp-localai-task-picker", "fix")
    toggle = page.locator(f"{PANEL} .jp-localai-verify")
    assert "files" in toggle.get_attribute("title")  # the side-effect caveat
    toggle.locator("input").check()
    page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").nth(1).click(button="right")
    page.locator(".lm-Menu-item", has_text="Fix cell with Local AI").click()
    page.wait_for_selector(f"{PANEL} .jp-localai-assistant", timeout=20_000)
    assert "fix · verify" in page.locator(f"{PANEL} .jp-localai-task").last.inner_text().lower()
    assert wait_answer_finished(page, 480_000) == "done"

    verdict = page.locator(LAST_ANSWER).locator(".jp-localai-verified")
    screenshot(page, "verified-fix")
    if verdict.get_attribute("data-verified") == "true":
        assert "verified: ran in a copy of the kernel" in verdict.inner_text()
        code = page.locator(LAST_ANSWER).locator(".jp-localai-code pre").first.inner_text()
        assert "temp_f" in code
    else:
        assert "no candidate ran" in verdict.inner_text()
    # The candidates ran in forked copies: the kernel's own variables are as they were.
    assert kernel_stdout(page, state) == before
