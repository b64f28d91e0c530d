"""The marks of checked chat code blocks, in a real JupyterLab driven by Chromium.

The first test renders a magic's answer bundle (no model): a block that failed its checks
shows the reason beside it, and its "Insert below anyway" still inserts it. The second asks
the panel's chat on the real model with a notebook whose cell failed on a missing column:
every code block offered names only existing columns, or carries the failed mark naming the
one it lacks.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.column_oracle import missing_columns
from support.lab_helpers import Lab, screenshot, write_notebook
from support.panel_page import (
    LAST_ANSWER,
    PANEL,
    RENDERED_REPLY,
    ask,
    cell_sources,
    open_notebook,
    open_panel,
    run_all_and_wait,
    wait_answer_finished,
)

MISSING = "df['total'] = df['price'] * df['quantity']"
RIGHT = "df['total'] = df['price'] * df['qty']"
REASON = "`df` has no column or key 'quantity'. Did you mean `'qty'`? It has: 'price', 'qty'."
SETUP = "import pandas as pd\ndf = pd.DataFrame({'price': [2.5, 4.0, 1.25], 'qty': [3, 1, 8]})"


def _check(index: int, code: str, issues: list[str]) -> dict[str, Any]:
    return {"index": index, "language": "python", "code": code, "checked": True,
            "issues": issues, "quoted": False, "note": ""}


def test_a_magic_answer_marks_the_block_that_failed(page: Any, lab: Lab) -> None:
    text = f"Either\n```python\n{MISSING}\n```\nor\n```python\n{RIGHT}\n```\n"
    bundle = {
        "application/vnd.jupyter-localai.reply+json": {
            "task": "chat", "code": "", "text": text, "model": "m", "warnings": [],
            "verified": None, "format": "markdown",
            "blocks": [_check(0, MISSING, [REASON]), _check(1, RIGHT, [])],
        },
        "text/markdown": text,
        "text/plain": text,
    }
    write_notebook(lab.root / "marks.ipynb",
                   [f"from IPython.display import display\ndisplay({bundle!r}, raw=True)"])
    open_notebook(page, lab, "marks.ipynb")
    run_all_and_wait(page)
    reply = page.locator(RENDERED_REPLY)
    reply.wait_for()
    failed = reply.locator(".jp-localai-check-failed")
    assert failed.count() == 1 and "'quantity'" in failed.inner_text()
    assert reply.locator(".jp-localai-check-passed").count() == 1
    screenshot(page, "chat-block-marked")
    reply.get_by_role("button", name="Insert below anyway").click()
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget.content.widgets.length === 2")
    assert cell_sources(page)[1] == MISSING


@pytest.mark.model
def test_panel_chat_never_offers_a_missing_column_unmarked(page: Any, lab: Lab) -> None:
    write_notebook(lab.root / "totals.ipynb", [SETUP, "df['total'] = df.price * df.quantity"])
    open_notebook(page, lab, "totals.ipynb")
    run_all_and_wait(page)
    open_panel(page)
    page.locator(f"{PANEL} .jp-localai-chip").filter(has_text="df: DataFrame").wait_for(
        timeout=20_000)
    ask(page, "chat", "add a column total = price x qty")
    assert wait_answer_finished(page, timeout_ms=900_000) == "done"
    screenshot(page, "chat-checked-answer")
    answer = page.locator(LAST_ANSWER)
    blocks = answer.locator(".jp-localai-code")
    assert blocks.count() > 0, answer.inner_text()
    for i in range(blocks.count()):
        block = blocks.nth(i)
        code = block.locator("pre").first.inner_text()
        missing = missing_columns(code, "df", {"price", "qty"})
        badge = block.locator(".jp-localai-check-failed")
        if missing:
            assert badge.count() == 1, f"unmarked missing {missing}:\n{code}"
            assert any(name in badge.inner_text() for name in missing)
            assert block.get_by_role("button", name="Insert below anyway").count() == 1
