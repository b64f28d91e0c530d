"""A column filled from a per-group result by index is named, and rewritten to fill by group."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.fill_alignment import misaligned_fills, with_fills_aligned
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _shop() -> pd.DataFrame:
    return pd.DataFrame({"kind": ["pen", "pen", "ink", "ink", "pad"],
                         "cost": [2.0, np.nan, 5.0, np.nan, 1.0]})


def _run(code: str) -> pd.DataFrame:
    scope = {"shop": _shop(), "pd": pd}
    exec(compile(code, "<answer>", "exec"), scope)  # noqa: S102 - the test's own code
    return scope["shop"]


@pytest.mark.parametrize("code", [
    "means = shop.groupby('kind')['cost'].mean()\nshop['cost'] = shop['cost'].fillna(means)",
    "shop['cost'] = shop['cost'].fillna(shop.groupby('kind')['cost'].mean())",
    "shop['cost'] = shop['cost'].fillna(value=shop.groupby(by='kind').cost.agg('mean'))",
])
def test_a_per_group_fill_by_index_fills_nothing_and_is_rewritten_to_fill_by_group(
        code: str) -> None:
    assert _run(code)["cost"].isna().sum() == 2  # as written: nothing lines up
    issues = check_code(code, namespace=KernelNamespace({"shop": _shop(), "pd": pd}))
    assert [issue.kind for issue in issues] == ["fill_alignment"]
    assert "shop['kind'].map(" in issues[0].message
    fixed, done = with_fills_aligned(code)
    assert len(done) == 1 and done[0].key == "kind"
    assert _run(fixed)["cost"].tolist() == [2.0, 2.0, 5.0, 5.0, 1.0]


@pytest.mark.parametrize("code", [
    # already per row
    "shop['cost'] = shop['cost'].fillna(shop.groupby('kind')['cost'].transform('mean'))",
    # one value for every row
    "shop['cost'] = shop['cost'].fillna(shop['cost'].mean())",
    # a frame of groups, not a Series indexed by them
    "m = shop.groupby('kind', as_index=False)['cost'].mean()\nx = shop['cost'].fillna(m)",
    # grouped by two columns: which key is meant is not plain
    "m = shop.groupby(['kind', 'cost'])['cost'].mean()\nx = shop['cost'].fillna(m)",
    # the name is bound twice: which value fills is not plain
    "m = shop.groupby('kind')['cost'].mean()\nm = m.fillna(0)\nx = shop['cost'].fillna(m)",
    # another frame's groups
    "m = other.groupby('kind')['cost'].mean()\nx = shop['cost'].fillna(m)",
])
def test_fills_that_are_not_a_per_group_result_by_index_are_left_alone(code: str) -> None:
    assert misaligned_fills(code, ast.parse(code)) == []


def test_run_task_offers_the_group_fill_instead_of_retrying() -> None:
    answer = ("medians = shop.groupby('kind')['cost'].median()\n"
              "shop['cost'] = shop['cost'].fillna(medians)")
    engine = FakeEngine(f"```python\n{answer}\n```")
    request = TaskRequest(task="generate", retries=2,
                          prompt="fill the missing costs with the median cost of their kind")
    reply = run_task(engine, request, namespace=KernelNamespace({"shop": _shop(), "pd": pd}))
    assert reply.attempts == 1 and reply.warnings == []
    assert "shop['cost'].fillna(shop['kind'].map(medians))" in reply.code
    assert "Rewritten:" in reply.text
    assert _run(reply.code)["cost"].tolist() == [2.0, 2.0, 5.0, 5.0, 1.0]
