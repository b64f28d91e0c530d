"""Fixtures of the kernel-side tests: a real in-process IPython shell, reset per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_localai.kernel.context.history import HistoryRecorder


@pytest.fixture
def ipython_shell() -> Iterator[Any]:
    """The process's IPython shell with a fresh namespace and history."""
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    yield shell
    shell.reset(new_session=True)


@pytest.fixture
def recorded_shell(ipython_shell: Any) -> Iterator[Any]:
    """A shell with a registered `HistoryRecorder`, as the extension sets it up."""
    recorder = HistoryRecorder()
    recorder.register(ipython_shell)
    yield ipython_shell
    recorder.unregister(ipython_shell)


@pytest.fixture
def run_cells(recorded_shell: Any) -> Any:
    """Run cells as a notebook would (stored in history, errors shown, never raised)."""

    def run(*cells: str) -> Any:
        for cell in cells:
            recorded_shell.run_cell(cell, store_history=True)
        return recorded_shell

    return run
