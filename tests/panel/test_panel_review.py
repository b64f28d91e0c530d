"""Fix where the error is, review before replace, `@` variables, keyboard use, and
conversations per server, in a real JupyterLab driven by Chromium.

The engine is scripted (`recording_engine.py`: it records every prompt and answers with
`reply.txt`), so each test knows what the model was asked and what it proposed; the server,
kernels, renderers and the panel are real. `test_error_button_fix_with_the_real_model` asks
the real embedded model.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.jupyter_process import free_port, pythonpath_with_tests
from support.lab_helpers import Lab, docs_screenshot, running_lab, screenshot, write_notebook
from support.panel_page import (
    LAST_ANSWER,
    PANEL,
    ask,
    cell_sources,
    command,
    kernel_stdout,
    open_notebook,
    open_panel,
    run_all_and_wait,
    wait_answer_finished,
)
from support.recording_engine import PROMPTS_FILE, RECORD_DIR_ENV, REPLY_FILE

FAILING = ["values = [3, 1, 2]", "total = sum(valuez)"]
FIXED = "total = sum(values)"
REVIEW = f"{PANEL} .jp-localai-review"


def scripted_lab_args(record: Path) -> dict[str, Any]:
    record.mkdir(parents=True, exist_ok=True)
    return {
        "extra_args": ["--LocalAIExtension.engine_factory=support.recording_engine.make"],
        "extra_env": {
            RECORD_DIR_ENV: str(record),
            "PYTHONPATH": pythonpath_with_tests(os.environ),
        },
    }


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("record")


@pytest.fixture(scope="module")
def scripted_lab(tmp_path_factory: pytest.TempPathFactory, record: Path) -> Iterator[Lab]:
    with running_lab(tmp_path_factory.mktemp("lab"), **scripted_lab_args(record)) as lab:
        yield lab


def set_reply(record: Path, text: str) -> None:
    (record / REPLY_FILE).write_text(text)


def prompts(record: Path) -> list[dict[str, Any]]:
    path = record / PROMPTS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def prompt_text(request: dict[str, Any]) -> str:
    """Everything the engine was given, as one string (the messages' contents)."""
    return json.dumps(request)


def execution_counts(page: Any) -> list[Any]:
    return page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets"
        ".map(c => c.model.type === 'code' ? c.model.executionCount : null)"
    )


def assert_kernel_lacks(page: Any, name: str) -> None:
    """Nothing the answer proposed has run: the name it would define is not in the kernel."""
    assert kernel_stdout(page, f"print({name!r} in globals())").strip() == "False"


# --- the error output button and the diff --------------------------------------------------


def test_error_button_asks_for_a_fix_and_the_diff_is_accepted_then_undone(
    page: Any, scripted_lab: Lab, record: Path
) -> None:
    set_reply(record, f"Use the list defined above.\n\n```python\n{FIXED}\n```")
    write_notebook(scripted_lab.root / "failing.ipynb", FAILING)
    open_notebook(page, scripted_lab, "failing.ipynb")
    run_all_and_wait(page)
    counts = execution_counts(page)

    # The button sits under the error output (JupyterLab's own traceback is still there).
    output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output")
    output.locator(".jp-RenderedText").filter(has_text="NameError").wait_for()
    button = output.get_by_role("button", name="Fix with Local AI")
    button.wait_for()
    assert page.locator(".jp-Cell").nth(0).locator(".jp-localai-fix-output").count() == 0
    docs_screenshot(page.locator(".jp-Cell").nth(1), "panel-error-button")

    asked_before = len(prompts(record))
    button.click()
    page.wait_for_selector(f"{PANEL} .jp-localai-assistant", timeout=20_000)
    assert wait_answer_finished(page, 60_000) == "done"
    assert "sum(valuez)" in page.locator(f"{PANEL} .jp-localai-user").last.inner_text()
    assert (
        page.locator(LAST_ANSWER).locator(".jp-localai-code pre").first.inner_text().strip()
        == FIXED
    )
    # The model was asked about that cell with its traceback.
    asked = prompts(record)[asked_before:]
    assert len(asked) == 1
    assert "NameError" in prompt_text(asked[0]) and "valuez" in prompt_text(asked[0])

    # The fix is offered as a diff of the cell; the cell is unchanged until Accept.
    review = page.locator(REVIEW)
    review.wait_for()
    assert "cell 2 of failing.ipynb" in review.inner_text()
    deleted = review.locator('.jp-localai-diff-line[data-kind="del"]').all_inner_texts()
    added = review.locator('.jp-localai-diff-line[data-kind="add"]').all_inner_texts()
    assert [t for t in deleted if "sum(valuez)" in t] and [t for t in added if FIXED in t]
    assert cell_sources(page)[1] == FAILING[1]
    docs_screenshot(page.locator(PANEL), "panel-diff")

    review.get_by_role("button", name="Accept").click()
    page.wait_for_function(
        "(fixed) => window.jupyterapp.shell.currentWidget.content.widgets[1]"
        ".model.sharedModel.getSource() === fixed",
        arg=FIXED,
    )
    assert page.locator(REVIEW).count() == 0
    # Nothing ran: the execution counts are the ones of the user's run, `total` is undefined.
    assert execution_counts(page) == counts
    assert_kernel_lacks(page, "total")

    # Ctrl-Z in the cell gives the old source back in one step.
    page.locator(".jp-Cell").nth(1).locator(".cm-content").click()
    page.keyboard.press("Control+z")
    page.wait_for_function(
        "(old) => window.jupyterapp.shell.currentWidget.content.widgets[1]"
        ".model.sharedModel.getSource() === old",
        arg=FAILING[1],
        timeout=5_000,
    )
    assert cell_sources(page) == FAILING


def test_replace_cell_shows_a_diff_and_reject_leaves_the_cell(
    page: Any, scripted_lab: Lab, record: Path
) -> None:
    set_reply(record, "```python\nvalues = sorted([3, 1, 2])\n```")
    write_notebook(scripted_lab.root / "reject.ipynb", FAILING)
    open_notebook(page, scripted_lab, "reject.ipynb")
    page.locator(".jp-Cell").nth(0).locator(".jp-InputPrompt").click()  # cell 1 active
    open_panel(page)
    ask(page, "generate", "Sort the values.")
    assert wait_answer_finished(page, 60_000) == "done"
    page.locator(LAST_ANSWER).locator(".jp-localai-replace").first.click()
    review = page.locator(REVIEW)
    review.wait_for()
    assert "cell 1 of reject.ipynb" in review.inner_text()
    assert cell_sources(page) == FAILING, "Replace cell changed the cell before Accept"
    review.get_by_role("button", name="Reject").click()
    assert page.locator(REVIEW).count() == 0
    time.sleep(0.3)
    assert cell_sources(page) == FAILING


def test_error_button_honours_verify(page: Any, scripted_lab: Lab, record: Path) -> None:
    set_reply(record, f"```python\n{FIXED}\n```")
    write_notebook(scripted_lab.root / "verify_button.ipynb", FAILING)
    open_notebook(page, scripted_lab, "verify_button.ipynb")
    run_all_and_wait(page)
    open_panel(page)
    page.select_option(f"{PANEL} .jp-localai-task-picker", "fix")
    page.locator(f"{PANEL} .jp-localai-verify input").check()
    page.locator(".jp-Cell").nth(1).get_by_role("button", name="Fix with Local AI").click()
    page.wait_for_selector(f"{PANEL} .jp-localai-assistant", timeout=20_000)
    assert "fix · verify" in page.locator(f"{PANEL} .jp-localai-task").last.inner_text().lower()
    assert wait_answer_finished(page, 240_000) == "done"
    verdict = page.locator(LAST_ANSWER).locator(".jp-localai-verified")
    assert verdict.get_attribute("data-verified") == "true"
    # Verified in a forked copy: the notebook's own kernel still has no `total`.
    assert_kernel_lacks(page, "total")
    page.locator(REVIEW).wait_for()


# --- @ variables ------------------------------------------------------------------------------


def test_at_completes_kernel_variables_and_sends_their_summary(
    page: Any, scripted_lab: Lab, record: Path
) -> None:
    set_reply(record, "```python\nprint(sales_by_city)\n```")
    write_notebook(
        scripted_lab.root / "mention.ipynb",
        ['sales_by_city = {"Oslo": 3, "Lima": 5}\nsales_total = 8\nother = "x"'],
    )
    open_notebook(page, scripted_lab, "mention.ipynb")
    run_all_and_wait(page)
    open_panel(page)
    page.locator(f"{PANEL} .jp-localai-chip", has_text="sales_total").wait_for(timeout=20_000)

    box = page.get_by_role("combobox", name="Question for the local model")
    box.click()
    box.type("Plot @sal")
    listbox = page.get_by_role("listbox", name="The kernel's variables")
    listbox.wait_for()
    names = listbox.get_by_role("option").evaluate_all("els => els.map(e => e.dataset.name)")
    assert sorted(names) == ["sales_by_city", "sales_total"], names
    assert box.get_attribute("aria-expanded") == "true"
    docs_screenshot(page.locator(PANEL), "panel-at-completion")

    # Keyboard: the second option, chosen with Enter.
    first = box.get_attribute("aria-activedescendant")
    box.press("ArrowDown")
    second = box.get_attribute("aria-activedescendant")
    assert first != second
    chosen = page.locator(f"#{second}").get_attribute("data-name")
    box.press("Enter")
    assert box.input_value() == f"Plot @{chosen} "
    assert box.get_attribute("aria-expanded") == "false"
    chip = page.locator(f"{PANEL} .jp-localai-chip-mention")
    assert chip.get_attribute("data-name") == chosen
    summary = chip.get_attribute("title")
    assert summary

    asked_before = len(prompts(record))
    box.type("by city")
    box.press("Enter")
    assert wait_answer_finished(page, 60_000) == "done"
    asked = prompts(record)[asked_before:]
    assert len(asked) == 1
    text = prompt_text(asked[0])
    assert f"The variables this question names:\\n- {chosen}" in text
    assert json.dumps(summary)[1:-1] in text
    assert f"@{chosen}" not in text
    # The conversation shows what the user typed; the chip is used up.
    assert f"Plot @{chosen} by city" in page.locator(f"{PANEL} .jp-localai-user").last.inner_text()
    assert chip.count() == 0


# --- keyboard only, screen-reader attributes, workspace state ----------------------------------


def test_keyboard_only_ask_with_live_region_and_labels(
    page: Any, scripted_lab: Lab, record: Path
) -> None:
    set_reply(record, " ".join(["word"] * 60))
    write_notebook(scripted_lab.root / "keys.ipynb", ["x = 1"])
    open_notebook(page, scripted_lab, "keys.ipynb")
    page.locator(".jp-Cell").nth(0).locator(".jp-InputPrompt").click()
    # The cell toolbar (declared in the settings schema) has the fix button.
    page.locator('.jp-cell-toolbar [data-command="localai:fix-cell"]').wait_for()

    # The default shortcut opens the panel with the caret in the question.
    page.keyboard.press("Alt+Shift+L")
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.classList.contains('jp-localai-input')",
        timeout=10_000,
    )
    log = page.locator(f"{PANEL} .jp-localai-messages")
    assert log.get_attribute("role") == "log"
    assert log.get_attribute("aria-live") == "polite"
    assert log.get_attribute("aria-busy") == "false"
    assert log.get_attribute("aria-label")
    # Every control has an accessible name.
    page.get_by_role("combobox", name="Question for the local model").wait_for()
    page.get_by_label("Task").wait_for()
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll(
              '.jp-localai-panel textarea, .jp-localai-panel select, .jp-localai-panel input')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map(e => e.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    page.evaluate(
        """() => {
            window.__busy = [];
            const log = document.querySelector('.jp-localai-messages');
            new MutationObserver(() => window.__busy.push(log.getAttribute('aria-busy')))
                .observe(log, {attributes: true, attributeFilter: ['aria-busy']});
        }"""
    )
    page.keyboard.type("What does this notebook do?")
    page.keyboard.press("Enter")
    assert wait_answer_finished(page, 60_000) == "done"
    page.wait_for_function("() => window.__busy.includes('false')")
    assert page.evaluate("() => window.__busy")[:1] == ["true"]
    assert log.get_attribute("aria-busy") == "false"

    # Tab reaches the task picker.
    page.keyboard.press("Tab")
    assert page.evaluate(
        "() => document.activeElement.classList.contains('jp-localai-task-picker')"
    )

    # From the notebook, the default shortcut explains the active cell.
    page.locator(".jp-Cell").nth(0).locator(".jp-InputPrompt").click()
    page.keyboard.press("Alt+Shift+E")
    page.locator(f"{PANEL} .jp-localai-user", has_text="Explain this cell").wait_for()
    assert wait_answer_finished(page, 60_000) == "done"


def test_task_and_verify_are_kept_with_the_workspace(
    page: Any, tmp_path: Path, chromium: str
) -> None:
    with running_lab(tmp_path, **scripted_lab_args(tmp_path / "record")) as lab:
        write_notebook(lab.root / "state.ipynb", ["x = 1"])
        open_notebook(page, lab, "state.ipynb")
        open_panel(page)
        page.select_option(f"{PANEL} .jp-localai-task-picker", "fix")
        page.locator(f"{PANEL} .jp-localai-verify input").check()
        workspaces = tmp_path / "workspaces"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            saved = [p.read_text() for p in workspaces.glob("*")] if workspaces.exists() else []
            if any('"verify": true' in t or '"verify":true' in t for t in saved):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the panel's state never reached the workspace")
        page.goto(lab.page_url("lab/tree/state.ipynb"))  # no reset: the workspace is read
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # The restored layout may have the panel open already: activate, never toggle.
        command(page, "localai:open-panel")
        page.wait_for_selector(f"{PANEL} .jp-localai-composer", state="visible")
        picker = page.locator(f"{PANEL} .jp-localai-task-picker")
        page.wait_for_function(
            "() => document.querySelector('.jp-localai-task-picker').value === 'fix'",
            timeout=10_000,
        )
        assert picker.input_value() == "fix"
        assert page.locator(f"{PANEL} .jp-localai-verify input").is_checked()


# --- one origin, two servers -------------------------------------------------------------------


def test_two_base_urls_on_one_origin_keep_separate_conversations(
    page: Any, tmp_path: Path, chromium: str
) -> None:
    """Two servers at different base URLs on one host and port, one after the other (as
    JupyterHub serves users on one origin): the same notebook path on each keeps its own
    conversation in the browser's one localStorage."""
    port = free_port()
    args = scripted_lab_args(tmp_path / "record")

    def session(base_url: str, question: str | None, expected: list[str]) -> None:
        with running_lab(tmp_path / base_url, port=port, base_url=base_url, **args) as lab:
            assert lab.url.endswith(f":{port}/{base_url}")
            write_notebook(lab.root / "same.ipynb", ["x = 1"])
            open_notebook(page, lab, "same.ipynb")
            open_panel(page)
            time.sleep(1.0)  # the stored conversation, if any, is shown on opening
            shown = page.locator(f"{PANEL} .jp-localai-user").all_inner_texts()
            assert shown == expected, (base_url, shown)
            if question:
                ask(page, "chat", question)
                assert wait_answer_finished(page, 60_000) == "done"

    session("alice", "question asked on alice", [])
    session("bob", "question asked on bob", [])
    session("alice", None, ["question asked on alice"])
    session("bob", None, ["question asked on bob"])
    origins = page.evaluate("() => location.origin")
    assert origins == f"http://127.0.0.1:{port}"
    screenshot(page, "two-base-urls")


# --- with the real model ------------------------------------------------------------------------


@pytest.mark.model
def test_error_button_fix_with_the_real_model(page: Any, lab: Lab) -> None:
    write_notebook(lab.root / "real_fix.ipynb", FAILING)
    open_notebook(page, lab, "real_fix.ipynb")
    run_all_and_wait(page)
    page.locator(".jp-Cell").nth(1).get_by_role("button", name="Fix with Local AI").click()
    page.wait_for_selector(f"{PANEL} .jp-localai-assistant", timeout=20_000)
    assert wait_answer_finished(page, 480_000) == "done"
    code = page.locator(LAST_ANSWER).locator(".jp-localai-code pre").first.inner_text()
    compile(code, "<fix>", "exec")
    assert "values" in code and "valuez" not in code, code
    review = page.locator(REVIEW)
    review.wait_for()
    assert [
        t
        for t in review.locator('.jp-localai-diff-line[data-kind="del"]').all_inner_texts()
        if "valuez" in t
    ]
    assert cell_sources(page) == FAILING
