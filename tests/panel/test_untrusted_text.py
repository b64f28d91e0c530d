"""Model text is untrusted: hostile HTML in a reply never runs in the page.

A real `jupyter lab` whose engine (`hostile_engine.py`) answers with an `<img onerror>`, a
`<script>`, a code answer holding ``` and a model name with a tag; Chromium runs the
notebook's `%%ai` cells (streamed, then final output, then again after a reload, when the
saved, signed notebook is trusted) and asks the side panel. Every handler that runs
records itself in `window.__pwned`, which must stay empty. The bundle's text/markdown
fallback (what nbconvert, VS Code, or a JupyterLab without this extension shows) is
rendered as trusted through JupyterLab's own Markdown renderer, and must not run either.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_engine import CODE_MARKER, HOSTILE_CODE, MARKDOWN_MARKER
from lab_helpers import Lab, running_lab, screenshot, write_notebook
from test_panel import (
    LAST_ANSWER,
    PANEL,
    ask,
    command,
    open_notebook,
    open_panel,
    run_all_and_wait,
    wait_answer_finished,
)

HERE = Path(__file__).resolve().parent
NOTEBOOK = "hostile.ipynb"
CELLS = [
    "%load_ext jupyter_localai",
    f"%%ai -f markdown\n{MARKDOWN_MARKER}: summarise the data",
    f"%%ai\n{CODE_MARKER}: set doc",
]
# An image with a bad src fails to load within milliseconds on loopback; this is ample.
HANDLER_GRACE_S = 2.0
# A link the model wrote runs script on a click; the sanitizer must have dropped its href.
JAVASCRIPT_LINK = 'a[href^="javascript:" i]'


@pytest.fixture(scope="module")
def hostile_lab(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[Lab]:
    pythonpath = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    with running_lab(
        tmp_path_factory.mktemp("hostile-lab"),
        extra_args=["--LocalAIExtension.engine_factory=hostile_engine.make"],
        extra_env={"PYTHONPATH": pythonpath},
    ) as lab:
        yield lab


def assert_nothing_ran(page: Any, where: str) -> None:
    """No hostile handler ran in the page (their labels say which would have)."""
    time.sleep(HANDLER_GRACE_S)
    ran = page.evaluate("() => window.__pwned || []")
    assert ran == [], f"model text ran as script {where}: {ran}"


def watch_streaming(page: Any) -> None:
    """Note when an answer is on screen while it streams (the cursor ▌ after its text)."""
    page.evaluate(
        """() => {
            window.__streamed = false;
            const notebook = document.querySelector('.jp-Notebook');
            new MutationObserver(() => {
                for (const out of notebook.querySelectorAll('.jp-OutputArea-output')) {
                    if (out.textContent.includes('▌') && out.textContent.includes('Sure')) {
                        window.__streamed = true;
                    }
                }
            }).observe(notebook, {subtree: true, childList: true, characterData: true});
        }"""
    )


def render_fallback_trusted(page: Any, cell: int) -> dict[str, Any]:
    """Render a cell's text/markdown fallback as trusted, as a frontend without the
    extension renders an output of a cell the user ran; return what it shows."""
    return page.evaluate(
        """async (index) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const outputs = notebook.widgets[index].model.toJSON().outputs;
            const bundle = outputs.find(o => o.data && o.data['text/markdown']);
            const renderer = notebook.rendermime.createRenderer('text/markdown');
            document.body.appendChild(renderer.node);
            await renderer.renderModel({
                data: {'text/markdown': bundle.data['text/markdown']},
                metadata: {}, trusted: true, setData: () => undefined
            });
            const node = renderer.node;
            return {
                text: node.textContent,
                tags: Array.from(node.querySelectorAll('img, script, a')).map(e => e.outerHTML),
                pre: Array.from(node.querySelectorAll('pre')).map(e => e.textContent),
                strong: Array.from(node.querySelectorAll('strong')).map(e => e.textContent)
            };
        }""",
        cell,
    )


def test_hostile_reply_runs_nothing_in_cell_outputs(page: Any, hostile_lab: Lab) -> None:
    write_notebook(hostile_lab.root / NOTEBOOK, CELLS)
    open_notebook(page, hostile_lab, NOTEBOOK)
    watch_streaming(page)
    run_all_and_wait(page)
    replies = page.locator(".jp-OutputArea .jp-localai-reply")
    replies.nth(1).wait_for(timeout=30_000)
    screenshot(page, "hostile-cell-outputs")
    assert page.evaluate("() => window.__streamed"), "no streamed state was ever on screen"
    assert_nothing_ran(page, "in the live outputs")
    assert page.locator(JAVASCRIPT_LINK).count() == 0
    # Each code block of the code answer holds the whole code, its ``` line and the HTML
    # after it shown as code.
    shown_code = replies.nth(1).locator("pre").all_inner_texts()
    assert shown_code and all(block.strip() == HOSTILE_CODE for block in shown_code)

    prose = render_fallback_trusted(page, 1)
    code = render_fallback_trusted(page, 2)
    assert_nothing_ran(page, "in the text/markdown fallback")
    assert prose["tags"] == [] and code["tags"] == []
    # Still readable: the Markdown formatting renders, the HTML shows as text.
    assert prose["strong"] == ["the summary"]
    assert "<script>(window.__pwned" in prose["text"]
    assert "hostile-model<img src=x onerror=" in prose["text"]
    assert [block.strip() for block in code["pre"]] == [HOSTILE_CODE]

    # Saved (signed, so trusted when opened again) and reopened: still nothing runs.
    command(page, "docmanager:save")
    page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=20_000
    )
    page.reload()
    open_notebook(page, hostile_lab, NOTEBOOK)
    page.locator(".jp-OutputArea .jp-localai-reply").nth(1).wait_for(timeout=30_000)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.model.cells.get(1).trusted")
    assert_nothing_ran(page, "when the notebook was reopened")


def test_hostile_reply_runs_nothing_in_the_panel(page: Any, hostile_lab: Lab) -> None:
    write_notebook(hostile_lab.root / "panel.ipynb", ["x = 1"])
    open_notebook(page, hostile_lab, "panel.ipynb")
    open_panel(page)
    ask(page, "chat", f"{MARKDOWN_MARKER}: hello")
    assert wait_answer_finished(page, 60_000) == "done"
    assert page.locator(LAST_ANSWER).locator("strong").all_inner_texts() == ["the summary"]
    ask(page, "generate", f"{CODE_MARKER}: set doc")
    assert wait_answer_finished(page, 60_000) == "done"
    screenshot(page, "hostile-panel")
    assert_nothing_ran(page, "in the panel")
    assert page.locator(JAVASCRIPT_LINK).count() == 0
    code_blocks = page.locator(LAST_ANSWER).locator(".jp-localai-code pre")
    assert [block.strip() for block in code_blocks.all_inner_texts()] == [HOSTILE_CODE]
    assert page.locator(f"{PANEL} .jp-localai-assistant script").count() == 0
