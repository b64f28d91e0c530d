"""The user's data re-typed exactly as the notebook holds it: named, and dropped so the
answer works on the live object; a copy that differs in any way stays made-up data."""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.literal_copy import rebuilds
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _live() -> dict:
    return {"np": np, "pd": pd,
            "scores": np.array([[55.0, 18.0], [80.0, 12.0]]),
            "sales": pd.DataFrame({"region": ["N", "S", "N"], "revenue": [120, 90, 30]}),
            "laps": [61.2, 59.8], "prices": pd.Series([3, 4])}


@pytest.mark.parametrize(("name", "literal", "same"), [
    ("scores", "np.array([[55.0, 18.0], [80.0, 12.0]])", True),
    ("scores", "np.array([[55, 18], [80, 12]])", True),                # same numbers
    ("scores", "np.array([[55.0, 18.0], [80.0, 13.0]])", False),
    ("scores", "np.array([55.0, 18.0, 80.0, 12.0])", False),           # another shape
    ("sales", "pd.DataFrame({'region': ['N', 'S', 'N'], 'revenue': [120, 90, 30]})", True),
    ("sales", "pd.DataFrame({'revenue': [120, 90, 30], 'region': ['N', 'S', 'N']})", False),
    ("sales", "pd.DataFrame({'region': ['N', 'S', 'N'], 'revenue': ['120', '90', '30']})", False),
    ("laps", "[61.2, 59.8]", True),
    ("laps", "[61.2, 59.8, 60.0]", False),
    ("laps", "(61.2, 59.8)", False),
    ("prices", "pd.Series([3, 4])", True),
    ("prices", "pd.Series([3, 4], name='p')", False),
    ("scores", "np.array(make_scores())", False),                        # not a literal
])
def test_rebuilds(name: str, literal: str, same: bool) -> None:
    node = ast.parse(literal, mode="eval").body
    assert rebuilds(_live()[name], node) is same


def test_an_exact_copy_is_named_and_dropped() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nimport pandas as pd\n\nsales = pd.DataFrame({'region': "
                        "['N', 'S', 'N'], 'revenue': [120, 90, 30]})\n"
                        "by_region = sales.groupby('region')['revenue'].sum()\n```")
    request = TaskRequest(task="generate", retries=1,
                          prompt="Total revenue per region of sales, as by_region.")
    view = KernelNamespace(namespace)
    copy = "sales = pd.DataFrame({'region': ['N', 'S', 'N'], 'revenue': [120, 90, 30]})"
    assert {i.kind for i in check_code(copy, namespace=view)} == {"copies_data"}
    reply = run_task(engine, request, namespace=view)
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    assert "pd.DataFrame" not in reply.code
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["by_region"].to_dict() == {"N": 150, "S": 90}


def test_a_copy_that_differs_stays_made_up_data() -> None:
    view = KernelNamespace(_live())
    code = "laps = [61, 60]\nbest = min(laps)"
    assert {i.kind for i in check_code(code, namespace=view)} == {"rebinds"}


@pytest.mark.parametrize("code", [
    "laps = []\nfor k in range(3):\n    laps.append(k)",        # empty: an accumulator
    "laps = [61.2, 59.8]\nlaps.append(60.1)",                    # a reset the code relies on
    "laps = [61.2, 59.8]\nlaps[0] = 0.0",
])
def test_a_reset_of_a_container_is_not_dropped(code: str) -> None:
    namespace = _live()
    namespace["laps"] = [] if code.startswith("laps = []") else namespace["laps"]
    view = KernelNamespace(namespace)
    assert "copies_data" not in {i.kind for i in check_code(code, namespace=view)}
