"""Missing values the request keeps, filled by the answer: named, and the statements that
only fill are dropped; a request that asks no such thing, or asks to fill, is left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.fill_intent import keeps_missing, with_fills_dropped
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

ASKED = "Add gap to laps: km minus the previous lap's km, with NaN for the first lap."


def _live() -> dict:
    return {"pd": pd, "np": np, "laps": pd.DataFrame({"km": [2.0, 3.5, 3.0]})}


@pytest.mark.parametrize(("text", "keeps"), [
    (ASKED, True),
    ("the first value should be NaN", True),
    ("leave the gaps as missing", True),
    ("drop the rows where km is NaN", False),
    ("fill NaN for missing km with 0; NaN where unknown", False),  # it asks for a fill
    ("rows with NaN in km", False),
])
def test_keeps_missing(text: str, keeps: bool) -> None:
    assert keeps_missing(text) == keeps


@pytest.mark.parametrize("fill", [
    "laps['gap'] = laps['gap'].fillna(0)",
    "laps['gap'].fillna(0, inplace=True)",
])
def test_a_fill_of_kept_missing_values_is_named_and_dropped(fill: str) -> None:
    namespace = _live()
    code = f"laps['gap'] = laps['km'].diff()\n{fill}\n"
    view = KernelNamespace(namespace)
    kinds = {i.kind for i in check_code(code, namespace=view, request_text=ASKED)}
    assert "fill" in kinds
    rewritten, notes = with_fills_dropped(code, ASKED)
    assert notes and "fillna" not in rewritten
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert namespace["laps"]["gap"].isna().tolist() == [True, False, False]


def test_a_fill_inside_another_expression_is_named_but_kept() -> None:
    code = "laps['gap'] = laps['km'].diff().fillna(0)\n"
    assert "fill" in {i.kind for i in check_code(code, request_text=ASKED)}
    assert with_fills_dropped(code, ASKED) == (code, [])


def test_a_fill_the_request_does_not_forbid_is_left_alone() -> None:
    code = "laps['gap'] = laps['km'].diff().fillna(0)\n"
    text = "Add gap: km minus the previous lap's km, 0 for the first lap."
    assert "fill" not in {i.kind for i in check_code(code, request_text=text)}
    assert with_fills_dropped(code, text) == (code, [])


def test_run_task_drops_the_fill_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nlaps['gap'] = laps['km'].diff()\n"
                        "laps['gap'] = laps['gap'].fillna(0)\n```")
    request = TaskRequest(task="generate", retries=1, prompt=ASKED)
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["laps"]["gap"].isna().tolist() == [True, False, False]
