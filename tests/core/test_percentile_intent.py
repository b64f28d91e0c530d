"""Percentiles asked for by number and answered with the numbers themselves: named, and
computed from the data they bound; other code is left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.percentile_intent import asked_percentiles, with_percentiles
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

WAITS = np.arange(1.0, 101.0)  # 1 .. 100: percentiles are easy to read


def _live() -> dict:
    return {"np": np, "pd": pd, "waits": WAITS.copy(), "rides": pd.Series(WAITS.copy())}


@pytest.mark.parametrize(("text", "numbers"), [
    ("limit waits to the 10th and 90th percentiles", {10.0, 90.0}),
    ("flag the rides above the 99th percentile", {99.0}),
    ("the 2.5 and 97.5 percentiles of waits", {2.5, 97.5}),
    ("keep the 10 longest waits", set()),
])
def test_asked_percentiles(text: str, numbers: set[float]) -> None:
    assert asked_percentiles(text) == numbers


@pytest.mark.parametrize(("code", "text", "read", "expected"), [
    ("capped = np.clip(waits, 10, 90)",
     "Clip waits to lie between its 10th and 90th percentiles, as capped.",
     lambda ns: (float(ns["capped"].min()), float(ns["capped"].max())),
     (float(np.percentile(WAITS, 10)), float(np.percentile(WAITS, 90)))),
    ("slow = rides[rides > 95]", "The rides above the 95th percentile, as slow.",
     lambda ns: len(ns["slow"]), 5),
    ("mid = rides[rides.between(25, 75)]", "Rides between the 25th and 75th percentiles: mid.",
     lambda ns: len(ns["mid"]), 50),
])
def test_a_percentile_number_used_as_the_value_is_computed(code, text, read, expected) -> None:
    namespace = _live()
    view = KernelNamespace(namespace)
    assert {i.kind for i in check_code(code, namespace=view, request_text=text)} == {"percentile"}
    rewritten, notes = with_percentiles(code, text, "np")
    assert notes and check_code(rewritten, namespace=view, request_text=text) == []
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert read(namespace) == expected, rewritten


@pytest.mark.parametrize(("code", "text"), [
    ("lo, hi = np.percentile(waits, [10, 90])\ncapped = np.clip(waits, lo, hi)",
     "Clip waits to its 10th and 90th percentiles."),
    ("capped = np.clip(waits, 10, 90)", "Clip waits to the range 10 to 90."),
    ("first = rides.head(10)", "the 10th percentile of rides, and the first rows"),
    ("slow = rides[rides > rides.quantile(0.95)]", "rides above the 95th percentile"),
])
def test_left_alone(code: str, text: str) -> None:
    view = KernelNamespace(_live())
    assert with_percentiles(code, text, "np") == (code, [])
    assert "percentile" not in {i.kind for i in check_code(code, namespace=view,
                                                            request_text=text)}


def test_run_task_offers_the_percentiles_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\ncapped = np.clip(waits, 10, 90)\n```")
    request = TaskRequest(task="generate", retries=1,
                          prompt="Clip waits to its 10th and 90th percentiles and keep it as capped.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert float(namespace["capped"].max()) == float(np.percentile(WAITS, 90))


def test_a_percentile_written_as_its_fraction_is_computed_too() -> None:
    namespace = _live()
    code = "capped = np.clip(waits, 0.1, 0.9)"
    text = "Clip waits to its 10th and 90th percentiles, as capped."
    rewritten, notes = with_percentiles(code, text, "np")
    assert notes and rewritten == "capped = np.clip(waits, np.percentile(waits, 10), np.percentile(waits, 90))"
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert float(namespace["capped"].max()) == float(np.percentile(WAITS, 90))
