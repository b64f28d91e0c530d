"""Inline completion in real Chromium: JupyterLab's own inline completer, Local AI's provider.

A real `jupyter lab` (server, kernel, front end) whose engine is `completion_engine.py`:
its suggestion names the first column of the DataFrame summary it finds in the completion
context, so a ghost naming one of the DataFrame's real columns shows that the kernel's
variables went from the kernel through the front end and the server's prompt. The
provider is turned on in the test's user settings of JupyterLab's "Inline Completer".

- typing `df[` in a new cell shows a ghost suggestion naming a real column; Tab inserts it
  and the cell runs; typing `df.groupby(` shows another, which Esc dismisses; the context
  of each request is the one prefilled after the cells ran (byte for byte);
- a character typed while a suggestion streams cancels that request on the server at once,
  before the debounced newer request is even sent.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.completion_engine import (
    COMPLETIONS_FILE,
    DELAY_ENV,
    ENDS_FILE,
    PREFILLS_FILE,
    RECORD_DIR_ENV,
    read_records,
)
from support.jupyter_process import pythonpath_with_tests
from support.lab_helpers import Lab, running_lab, screenshot, write_notebook
from support.panel_page import cell_outputs, cell_sources, command, open_notebook, run_all_and_wait

PROVIDER = "jupyter-localai:inline-completer"
INLINE_SETTINGS = "@jupyterlab/completer-extension/inline-completer"
NOTEBOOK = "frames.ipynb"
COLUMNS = ("harbour_town", "tonnage_t")
FRAME = (
    "import pandas as pd\n"
    f"df = pd.DataFrame({{'{COLUMNS[0]}': ['Oban', 'Mallaig', 'Oban'], "
    f"'{COLUMNS[1]}': [120, 340, 95]}})"
)
CELLS = [FRAME, "df.shape"]
ACTIVE_CELL = ".jp-Notebook .jp-Cell.jp-mod-active"
GHOST = f'{ACTIVE_CELL} .jp-GhostText[data-provided-by="{PROVIDER}"]'
STREAMING = f"{GHOST} .jp-GhostText-streamingIndicator"
TIMEOUT_MS = 60_000


@contextmanager
def scripted_lab(base: Path, *, delay_s: float, debounce_ms: int) -> Iterator[tuple[Lab, Path]]:
    """A lab whose engine is the scripted completion engine, the provider turned on."""
    record = base / "record"
    record.mkdir()
    settings = {
        INLINE_SETTINGS: {
            "providers": {
                PROVIDER: {"enabled": True, "debouncerDelay": debounce_ms, "timeout": 20_000}
            }
        }
    }
    with running_lab(
        base,
        extra_args=[
            "--LocalAIExtension.engine_factory=support.completion_engine.make",
            "--LocalAI.load_on_start=True",
            "--LocalAI.completion_wait_ms=10000",
        ],
        extra_env={
            RECORD_DIR_ENV: str(record),
            DELAY_ENV: str(delay_s),
            "PYTHONPATH": pythonpath_with_tests(os.environ),
        },
        extra_settings=settings,
    ) as lab:
        write_notebook(lab.root / NOTEBOOK, CELLS)
        yield lab, record


def type_in_new_cell(page: Any, text: str) -> None:
    """Add a code cell at the end, enter it and type `text` key by key, as a user does."""
    page.evaluate(
        "() => { const nb = window.jupyterapp.shell.currentWidget.content;"
        " nb.activeCellIndex = nb.widgets.length - 1; }"
    )
    command(page, "notebook:insert-cell-below")
    command(page, "notebook:enter-edit-mode")
    page.locator(f"{ACTIVE_CELL} .cm-content").click()
    page.keyboard.type(text, delay=40)
    assert cell_sources(page)[-1] == text  # no auto-closed bracket: the cursor is at the end


def finished_ghost(page: Any) -> str:
    """The ghost text once its stream has ended."""
    page.wait_for_selector(GHOST, timeout=TIMEOUT_MS)
    page.wait_for_selector(STREAMING, state="detached", timeout=TIMEOUT_MS)
    return page.locator(GHOST).text_content() or ""


def wait_for_record(folder: Path, name: str, predicate: Any, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [r for r in read_records(folder, name) if predicate(r)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no matching record in {name}: {read_records(folder, name)}")


def test_ghost_names_a_real_column_tab_inserts_esc_dismisses(
    page: Any, tmp_path: Path, chromium: str
) -> None:
    with scripted_lab(tmp_path, delay_s=0.05, debounce_ms=250) as (lab, record):
        open_notebook(page, lab, NOTEBOOK)
        run_all_and_wait(page)

        type_in_new_cell(page, "df[")
        ghost = finished_ghost(page)
        match = re.fullmatch(r"\"(\w+)\"\]", ghost)
        assert match and match.group(1) in COLUMNS, ghost
        screenshot(page, "inline-completion-ghost")

        page.keyboard.press("Tab")
        page.wait_for_selector(GHOST, state="detached", timeout=TIMEOUT_MS)
        assert cell_sources(page)[-1] == f"df[{ghost}"
        page.keyboard.press("Shift+Enter")  # the accepted code runs on the real DataFrame
        page.wait_for_function(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
            ".model.executionCount !== null",
            arg=len(CELLS),
            timeout=TIMEOUT_MS,
        )
        outputs = cell_outputs(page, len(CELLS))
        assert outputs and all(o["output_type"] != "error" for o in outputs), outputs

        type_in_new_cell(page, "df.groupby(")
        ghost = finished_ghost(page)
        match = re.fullmatch(r"\"(\w+)\"\)", ghost)
        assert match and match.group(1) in COLUMNS, ghost
        page.keyboard.press("Escape")
        page.wait_for_selector(GHOST, state="detached", timeout=TIMEOUT_MS)
        assert cell_sources(page)[-1] == "df.groupby("

        # What the engine got: the kernel's DataFrame with its real columns, in the hint line
        # above the cell's text, and each request's stable context exactly as prefilled
        # after the cells ran.
        requests = read_records(record, COMPLETIONS_FILE)
        prefixes = [r["prefix"] for r in requests]
        assert any(p.endswith("\ndf[") for p in prefixes), prefixes
        assert any(p.endswith("\ndf.groupby(") for p in prefixes), prefixes
        prefilled = {p["context"] for p in read_records(record, PREFILLS_FILE)}
        for request in requests:
            assert request["session_id"] == NOTEBOOK
            hint = request["prefix"].split("\n")[0]
            assert hint.startswith("# df: DataFrame"), request["prefix"]
            assert all(repr(column) in hint for column in COLUMNS), hint
            assert request["context"] in prefilled


def test_a_typed_character_cancels_the_suggestion_in_flight(
    page: Any, tmp_path: Path, chromium: str
) -> None:
    debounce_s = 1.0
    with scripted_lab(tmp_path, delay_s=0.5, debounce_ms=int(debounce_s * 1000)) as (
        lab,
        record,
    ):
        open_notebook(page, lab, NOTEBOOK)
        run_all_and_wait(page)
        type_in_new_cell(page, "df[")
        page.wait_for_selector(STREAMING, timeout=TIMEOUT_MS)  # the first piece is shown
        # The prompt's prefix is the hint line of `df`, then the cell's text.
        first = wait_for_record(record, COMPLETIONS_FILE,
                                lambda r: r["prefix"].endswith("\ndf["))[0]

        typed_at = time.time()
        page.keyboard.type("'")  # not what the ghost starts with: the user typed past it

        end = wait_for_record(record, ENDS_FILE, lambda r: r["request_id"] == first["request_id"])[
            0
        ]
        assert end["finish"] == "cancelled", end
        assert len(end["produced"]) < len(first["reply"]), (end, first)
        assert end["cancelled_at"] is not None and end["cancelled_at"] >= typed_at - 0.05
        # The keystroke cancelled it: well before the debounced newer request was sent.
        second = wait_for_record(record, COMPLETIONS_FILE,
                                 lambda r: r["prefix"].endswith("\ndf['"))[0]
        assert end["cancelled_at"] < second["started_at"], (end, second)
        assert end["cancelled_at"] - typed_at < debounce_s, (end, typed_at)

        # The new suggestion fits what was typed; the cancelled one never came back.
        ghost = finished_ghost(page)
        assert re.fullmatch(r"(\w+)'\]", ghost) and ghost[:-2] in COLUMNS, ghost
        page.keyboard.press("Tab")
        assert cell_sources(page)[-1] == f"df['{ghost}"
        screenshot(page, "inline-completion-after-cancel")
