"""Per-column (per-row) requests answered with whole-array reductions: named and given the
asked-for axis; the rewritten code computes per column (row); other code is left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.axis_intent import wanted_axis, with_axis_meant
from jupyter_localai.core.checks import check_code
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

GRID = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])


def _live() -> dict:
    return {"np": np, "pd": pd, "grid": GRID.copy(),
            "frame": pd.DataFrame(GRID, columns=["a", "b"])}


@pytest.mark.parametrize(("text", "axis"), [
    ("Scale each column of grid to the range 0-1.", 0),
    ("Center every sensor column on its mean.", 0),
    ("Normalise grid column-wise.", 0),
    ("Divide each row by its total.", 1),
    ("Give the per-row maximum.", 1),
    ("Scale grid to 0-1.", None),
    ("Compare each row with each column.", None),
])
def test_wanted_axis(text: str, axis: int | None) -> None:
    assert wanted_axis(text) == axis


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("scaled = (grid - np.min(grid)) / (np.max(grid) - np.min(grid))",
     "Min-max scale each column of grid to 0-1 as scaled.",
     [[0.0, 0.0], [0.5, 1.0], [1.0, 0.5]]),
    ("scaled = grid / grid.sum()", "Divide each row of grid by its row total, as scaled.",
     [[1 / 11, 10 / 11], [3 / 33, 30 / 33], [5 / 25, 20 / 25]]),
])
def test_whole_array_reduction_gets_the_asked_axis(code: str, text: str, expected) -> None:
    namespace = _live()
    view = KernelNamespace(namespace)
    issues = check_code(code, namespace=view, required_names=["scaled"], request_text=text)
    assert {issue.kind for issue in issues} == {"axis"}, issues
    rewritten, notes = with_axis_meant(code, view, text)
    assert notes and check_code(rewritten, namespace=view, request_text=text) == []
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert np.allclose(namespace["scaled"], expected), rewritten


@pytest.mark.parametrize(("code", "text"), [
    ("scaled = (grid - grid.min()) / (grid.max() - grid.min())", "Scale grid to 0-1."),
    ("scaled = (frame - frame.min()) / (frame.max() - frame.min())", "Scale each column to 0-1."),
    ("share = grid.sum(axis=0) / grid.sum()", "Each column's share of the grand total."),
    ("scaled = (grid - grid.min(axis=0)) / np.ptp(grid, axis=0)", "Scale each column to 0-1."),
])
def test_left_alone(code: str, text: str) -> None:
    view = KernelNamespace(_live())
    assert with_axis_meant(code, view, text) == (code, [])
    assert check_code(code, namespace=view, request_text=text) == []


def test_run_task_offers_the_axis_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nscaled = (grid - np.min(grid)) / "
                        "(np.max(grid) - np.min(grid))\n```")
    request = TaskRequest(task="generate", retries=1,
                          prompt="Min-max scale each column of grid to 0-1 and keep it as scaled.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["scaled"].min(axis=0).tolist() == [0.0, 0.0]
    assert namespace["scaled"].max(axis=0).tolist() == [1.0, 1.0]
