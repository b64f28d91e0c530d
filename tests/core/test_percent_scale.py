"""A change asked for in percent and answered with `pct_change`'s fractions: named and
scaled by 100; code that scales, or a request that asks no percent, is left alone."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.percent_scale import with_percent_scale
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

ASKED = "Add growth to prices: the change from the previous row in percent (10 to 11 is 10.0)."


def _live() -> dict:
    return {"pd": pd, "prices": pd.DataFrame({"shop": ["a", "a", "b"], "p": [10.0, 11.0, 4.0]})}


@pytest.mark.parametrize("code", [
    "prices['growth'] = prices['p'].pct_change()",
    "prices = prices.assign(growth=prices['p'].pct_change())",
])
def test_fractions_where_percent_was_asked_are_scaled(code: str) -> None:
    namespace = _live()
    view = KernelNamespace(namespace)
    assert {i.kind for i in check_code(code, namespace=view, request_text=ASKED)} == {"percent"}
    rewritten, notes = with_percent_scale(code, ASKED)
    assert notes and check_code(rewritten, namespace=view, request_text=ASKED) == []
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert round(float(namespace["prices"]["growth"][1]), 6) == 10.0


@pytest.mark.parametrize(("code", "text"), [
    ("prices['growth'] = prices['p'].pct_change() * 100", ASKED),
    ("prices['growth'] = prices['p'].pct_change().mul(100).round(1)", ASKED),
    ("prices['growth'] = prices['p'].pct_change()", "Add growth: the relative change, 0.1 for +10%."),
])
def test_left_alone(code: str, text: str) -> None:
    assert with_percent_scale(code, text) == (code, [])
    assert "percent" not in {i.kind for i in check_code(code, request_text=text)}


def test_a_chained_call_is_named_but_not_rewritten() -> None:
    code = "prices['growth'] = prices['p'].pct_change().round(3)"
    assert "percent" in {i.kind for i in check_code(code, request_text=ASKED)}
    assert with_percent_scale(code, ASKED) == (code, [])


def test_run_task_offers_the_percent_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nprices['growth'] = prices['p'].pct_change()\n```")
    request = TaskRequest(task="generate", retries=1, prompt=ASKED)
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert round(float(namespace["prices"]["growth"][1]), 6) == 10.0
