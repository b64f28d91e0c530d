"""Driving JupyterLab and the Local AI panel in a Playwright page (the browser tests' helpers).

`page` is a Playwright sync `Page` on a `lab_helpers.Lab`; the JavaScript reaches the app
through `window.jupyterapp` (the lab runs with `--LabApp.expose_app_in_browser`).
"""

from __future__ import annotations

from typing import Any

from support.lab_helpers import Lab

PANEL = ".jp-localai-panel"
LAST_ANSWER = f"{PANEL} .jp-localai-assistant >> nth=-1"
# An answer rendered in a cell's output, once its rendering is done: the renderer awaits the
# Markdown rendering of each part and appends its toolbar last, so the element exists (empty)
# before its text does.
RENDERED_REPLY = ".jp-OutputArea .jp-localai-reply:has(> .jp-localai-code-toolbar)"


def open_notebook(page: Any, lab: Lab, name: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    page.goto(lab.page_url(f"lab/tree/{name}") + "&reset")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        """async (name) => {
            const w = window.jupyterapp.shell.currentWidget;
            if (!w || !w.sessionContext || w.context.path !== name) { return false; }
            await w.context.ready;
            await w.sessionContext.ready;
            const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
            return !!kernel && kernel.status === 'idle';
        }""",
        arg=name,
        timeout=60_000,
        polling=500,
    )


def command(page: Any, name: str, args: dict[str, Any] | None = None) -> None:
    page.evaluate(
        "([name, args]) => window.jupyterapp.commands.execute(name, args)", [name, args or {}]
    )


def run_all_and_wait(page: Any) -> None:
    command(page, "notebook:run-all-cells")
    wait_cells_ran(page)


def wait_cells_ran(page: Any) -> None:
    """Every code cell has an execution count and the kernel is idle again."""
    page.wait_for_function(
        """() => {
            const w = window.jupyterapp.shell.currentWidget;
            const kernel = w.sessionContext.session.kernel;
            const cells = w.content.widgets.filter(c => c.model.type === 'code');
            return kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
        }""",
        timeout=60_000,
        polling=200,
    )


def cell_sources(page: Any) -> list[str]:
    return page.evaluate(
        "() => window.jupyterapp.shell.currentWidget.content.widgets"
        ".map(c => c.model.sharedModel.getSource())"
    )


def cell_outputs(page: Any, index: int) -> list[dict[str, Any]]:
    return page.evaluate(
        "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.toJSON().outputs",
        index,
    )


def kernel_stdout(page: Any, code: str) -> str:
    """Run code silently in the notebook's kernel and return what it printed."""
    return page.evaluate(
        """async (code) => {
            const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            const future = kernel.requestExecute({code, silent: true, store_history: false});
            let out = '';
            future.onIOPub = msg => {
                if (msg.header.msg_type === 'stream') { out += msg.content.text; }
                if (msg.header.msg_type === 'error') { out += msg.content.ename; }
            };
            await future.done;
            return out;
        }""",
        code,
    )


def open_panel(page: Any) -> None:
    """Click the panel's tab in the side bar, as a user would."""
    page.locator('.lm-TabBar-tab[data-id="jupyter-localai-panel"]').click()
    page.wait_for_selector(f"{PANEL} .jp-localai-composer", state="visible")


def record_answer_growth(page: Any) -> None:
    """Log the length of the newest answer each time the DOM changes (with timestamps)."""
    page.evaluate(
        """() => {
            window.__growth = [];
            const list = document.querySelector('.jp-localai-messages');
            const observer = new MutationObserver(() => {
                const answers = list.querySelectorAll('.jp-localai-assistant');
                const last = answers[answers.length - 1];
                if (last) {
                    window.__growth.push({
                        t: performance.now(),
                        n: last.textContent.length,
                        state: last.dataset.state
                    });
                }
            });
            observer.observe(list, {subtree: true, childList: true, characterData: true,
                                    attributes: true});
        }"""
    )


def ask(page: Any, task: str, text: str) -> None:
    page.select_option(f"{PANEL} .jp-localai-task-picker", task)
    page.fill(f"{PANEL} .jp-localai-input", text)
    page.press(f"{PANEL} .jp-localai-input", "Enter")


def wait_answer_finished(page: Any, timeout_ms: int = 240_000) -> str:
    page.wait_for_function(
        """() => {
            const answers = document.querySelectorAll('.jp-localai-panel .jp-localai-assistant');
            const last = answers[answers.length - 1];
            return last && last.dataset.state !== 'streaming';
        }""",
        timeout=timeout_ms,
        polling=100,
    )
    return page.locator(LAST_ANSWER).get_attribute("data-state")
