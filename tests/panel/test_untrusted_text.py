"""Model text is untrusted: hostile HTML in a reply never runs in the page.

A real `jupyter lab` whose engine (`hostile_engine.py`) answers with an `<img onerror>`, a
`<script>`, a code answer holding ``` and a model name with a tag; Chromium runs the
notebook's `%%ai` cells (streamed, then final output, then again after a reload, when the
saved, signed notebook is trusted) and asks the side panel. Every handler that runs
records itself in `window.__pwned`, which must stay empty. The bundle's text/markdown
fallback (what nbconvert, VS Code, or a JupyterLab without this extension shows) is
rendered as trusted through JupyterLab's own Markdown renderer, and must not run either.

The replies also point images, a video, an audio source and a CSS background at a loopback
HTTP listener the test holds: a browser that loaded any of them would send the URL (and so
any notebook data the model put in it) out of the page, with no script at all. The listener
must see no request, from the cell outputs or from the panel.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support.hostile_engine import (
    CODE_MARKER,
    HOSTILE_CODE,
    LEAK_PORT_ENV,
    MARKDOWN_MARKER,
    SAFE_LINK,
)
from support.jupyter_process import pythonpath_with_tests
from support.lab_helpers import Lab, running_lab, screenshot, write_notebook
from support.panel_page import (
    LAST_ANSWER,
    PANEL,
    RENDERED_REPLY,
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
# What the page shows instead of an image the model pointed at a URL.
BLOCKED = "image not loaded"


class LeakListener:
    """A loopback HTTP server that records the path of every request it receives."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener.paths.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def leak_listener() -> Iterator[LeakListener]:
    listener = LeakListener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def hostile_lab(
    tmp_path_factory: pytest.TempPathFactory, chromium: str, leak_listener: LeakListener
) -> Iterator[Lab]:
    pythonpath = pythonpath_with_tests(os.environ)
    with running_lab(
        tmp_path_factory.mktemp("hostile-lab"),
        extra_args=["--LocalAIExtension.engine_factory=support.hostile_engine.make"],
        extra_env={"PYTHONPATH": pythonpath, LEAK_PORT_ENV: str(leak_listener.port)},
    ) as lab:
        yield lab


def assert_nothing_loaded(listener: LeakListener, where: str) -> None:
    """The page requested nothing the model pointed at (the grace of assert_nothing_ran
    has passed: a loopback load takes milliseconds)."""
    assert listener.paths == [], f"model text made the browser load {listener.paths} {where}"


def assert_links_open_apart(page: Any, scope: str) -> None:
    """The model's link stays clickable, in a new tab, with no opener and no referrer."""
    links = page.locator(f'{scope} a[href="{SAFE_LINK}"]')
    assert links.count() >= 1
    for i in range(links.count()):
        assert links.nth(i).get_attribute("target") == "_blank"
        assert set((links.nth(i).get_attribute("rel") or "").split()) >= {
            "noopener",
            "noreferrer",
        }


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


def test_hostile_reply_runs_nothing_in_cell_outputs(
    page: Any, hostile_lab: Lab, leak_listener: LeakListener
) -> None:
    write_notebook(hostile_lab.root / NOTEBOOK, CELLS)
    open_notebook(page, hostile_lab, NOTEBOOK)
    watch_streaming(page)
    run_all_and_wait(page)
    replies = page.locator(RENDERED_REPLY)
    replies.nth(1).wait_for(timeout=30_000)
    screenshot(page, "hostile-cell-outputs")
    assert page.evaluate("() => window.__streamed"), "no streamed state was ever on screen"
    assert_nothing_ran(page, "in the live outputs")
    assert_nothing_loaded(leak_listener, "in the live outputs")
    assert page.locator(JAVASCRIPT_LINK).count() == 0
    assert BLOCKED in replies.nth(0).inner_text()
    assert_links_open_apart(page, ".jp-OutputArea .jp-localai-reply")
    # The code answer shows its code once, whole (its ``` line and the HTML after it shown
    # as code), with the prose around it.
    shown_code = replies.nth(1).locator("pre").all_inner_texts()
    assert [block.strip() for block in shown_code] == [HOSTILE_CODE]
    assert replies.nth(1).inner_text().startswith("Sure")

    prose = render_fallback_trusted(page, 1)
    code = render_fallback_trusted(page, 2)
    assert_nothing_ran(page, "in the text/markdown fallback")
    assert_nothing_loaded(leak_listener, "in the text/markdown fallback")
    # The URLs the model wrote show as text (JupyterLab links a bare URL: a click is the
    # user's act); no element of the model's HTML is left.
    assert [tag for tag in prose["tags"] if not tag.startswith('<a href="http')] == []
    assert code["tags"] == []
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
    page.locator(RENDERED_REPLY).nth(1).wait_for(timeout=30_000)
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.model.cells.get(1).trusted")
    assert_nothing_ran(page, "when the notebook was reopened")
    assert_nothing_loaded(leak_listener, "when the notebook was reopened")


def test_hostile_reply_runs_nothing_in_the_panel(
    page: Any, hostile_lab: Lab, leak_listener: LeakListener
) -> None:
    write_notebook(hostile_lab.root / "panel.ipynb", ["x = 1"])
    open_notebook(page, hostile_lab, "panel.ipynb")
    open_panel(page)
    ask(page, "chat", f"{MARKDOWN_MARKER}: hello")
    assert wait_answer_finished(page, 60_000) == "done"
    assert page.locator(LAST_ANSWER).locator("strong").all_inner_texts() == ["the summary"]
    assert_nothing_ran(page, "in the panel's prose")
    assert_nothing_loaded(leak_listener, "in the panel")
    assert BLOCKED in page.locator(LAST_ANSWER).inner_text()
    assert_links_open_apart(page, PANEL)
    ask(page, "generate", f"{CODE_MARKER}: set doc")
    assert wait_answer_finished(page, 60_000) == "done"
    screenshot(page, "hostile-panel")
    assert_nothing_ran(page, "in the panel")
    assert_nothing_loaded(leak_listener, "in the panel")
    assert page.locator(JAVASCRIPT_LINK).count() == 0
    code_blocks = page.locator(LAST_ANSWER).locator(".jp-localai-code pre")
    assert [block.strip() for block in code_blocks.all_inner_texts()] == [HOSTILE_CODE]
    assert page.locator(f"{PANEL} .jp-localai-assistant script").count() == 0
