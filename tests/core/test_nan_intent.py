"""Missing values asked to be left out, and numpy reductions that keep them
(`core/nan_intent.py`): named by the checks and replaced by their NaN-ignoring twins."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.nan_intent import with_nan_reductions
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

NAN = float("nan")
LEVELS = np.array([[2.0, NAN, 5.0], [NAN, 1.0, 0.5]])
ASK = ("`levels` has one row per tank; NaN marks a missing level. Store in top_slot the "
       "column of each tank's highest level and in avg_level each tank's mean, ignoring "
       "the missing values.")


def test_plain_reductions_are_named_and_become_their_twins() -> None:
    code = "top_slot = np.argmax(levels, axis=1)\navg_level = np.mean(levels, axis=1)"
    issues = check_code(code, namespace=KernelNamespace({"np": np, "levels": LEVELS}),
                        required_names=["top_slot", "avg_level"], request_text=ASK)
    assert [i.kind for i in issues] == ["nan_reduction", "nan_reduction"]
    rewritten, notes = with_nan_reductions(code, ASK)
    assert rewritten == ("top_slot = np.nanargmax(levels, axis=1)\n"
                         "avg_level = np.nanmean(levels, axis=1)")
    assert len(notes) == 2
    namespace = {"np": np, "levels": LEVELS}
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert namespace["top_slot"].tolist() == [2, 1]
    assert namespace["avg_level"].tolist() == [3.5, 0.75]


@pytest.mark.parametrize(("code", "request_text"), [
    ("m = np.mean(levels)", "Store the mean level in m."),  # nothing said of missing values
    ("m = levels.mean()", ASK),  # a method: pandas' skip NaN already; numpy's is the model's
    ("m = np.average(levels, weights=w)", ASK),  # no twin takes weights
    ("m = np.nanmean(levels)", ASK),  # already the twin
])
def test_nothing_to_replace(code: str, request_text: str) -> None:
    assert with_nan_reductions(code, request_text) == (code, [])


@pytest.mark.parametrize("request_text", [
    "Average each column, skipping NaNs.", "Sum the readings, ignoring missing values.",
    "Use a NaN-aware maximum.", "Take the median without the gaps.",
])
def test_the_ways_a_request_asks_to_leave_missing_values_out(request_text: str) -> None:
    assert with_nan_reductions("x = np.median(a)", request_text)[1]


def test_run_task_rewrites_instead_of_retrying() -> None:
    engine = FakeEngine("```python\ntop_slot = np.argmax(levels, axis=1)\n"
                        "avg_level = np.nanmean(levels, axis=1)\n```")
    request = TaskRequest("generate", ASK)
    reply = run_task(engine, request, namespace=KernelNamespace({"np": np, "levels": LEVELS}))
    assert "np.nanargmax(levels, axis=1)" in reply.code and reply.attempts == 1
