"""The side panel when the llama-cpp-python build cannot run on this CPU.

A real `jupyter lab` whose model worker dies of a real SIGILL at the first answer
(`JUPYTER_LOCALAI_TEST_SIGILL=generate`, as an AMX build does): the answer's error and the
panel's status line both name the cause, and the status line the whole command that
rebuilds the library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.lab_helpers import running_lab, screenshot, write_notebook
from support.panel_page import (
    LAST_ANSWER,
    PANEL,
    ask,
    open_notebook,
    open_panel,
    wait_answer_finished,
)

from jupyter_localai.llama_build import reinstall_command
from jupyter_localai.worker.faults import SIGILL_ENV


@pytest.mark.model
def test_panel_names_the_unsupported_build_and_the_rebuild_command(
    page: Any, tmp_path: Path, chromium: str, default_model_path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SIGILL_ENV, "generate")  # the lab, and so its worker, inherit it
    command = reinstall_command()
    with running_lab(tmp_path) as lab:
        write_notebook(lab.root / "plain.ipynb", ["1 + 1"])
        open_notebook(page, lab, "plain.ipynb")
        open_panel(page)
        ask(page, "chat", "Say hi.")
        assert wait_answer_finished(page, 120_000) == "error"
        note = page.locator(LAST_ANSWER).locator(".jp-localai-note").inner_text()
        # The panel keeps 500 characters of a server's error (api.ts): the cause fits, the
        # whole command is on the status line below.
        assert "SIGILL" in note and "cannot run" in note and "Rebuild it for this CPU" in note

        status = page.locator(f"{PANEL} .jp-localai-status")
        status.filter(has_text="SIGILL").wait_for(timeout=20_000)  # polled every second
        shown = status.inner_text()
        assert "Model failed" in shown and "cannot run" in shown and command in shown
        screenshot(page, "unsupported-build")
