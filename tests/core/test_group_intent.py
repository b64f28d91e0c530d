"""Per-group requests answered with whole-column running operations: named and grouped by
the column the request names; the rewritten code computes per group; other code is left
alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.group_intent import asked_group_words, with_groups
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _live() -> dict:
    laps = pd.DataFrame({"rider_id": [7, 7, 7, 9, 9], "lap": [1, 2, 3, 1, 2],
                         "km": [2.0, 3.0, 1.0, 4.0, 5.0]})
    return {"np": np, "pd": pd, "laps": laps}


@pytest.mark.parametrize(("text", "words"), [
    ("the running distance of each rider's laps", ["rider"]),
    ("rank the laps per rider, within each team", ["rider", "team"]),
    ("cumulative km for every riders' laps", ["riders"]),
    ("sort by km", []),
])
def test_asked_group_words(text: str, words: list[str]) -> None:
    assert asked_group_words(text) == words


@pytest.mark.parametrize(("code", "text", "column", "expected"), [
    ("laps['total'] = laps['km'].cumsum()",
     "Add total to laps: the running distance of each rider over their laps.", "total",
     [2.0, 5.0, 6.0, 4.0, 9.0]),
    ("laps['gain'] = laps['km'].diff()",
     "Add gain: the change in km from the previous lap, per rider.", "gain",
     [np.nan, 1.0, -2.0, np.nan, 1.0]),
])
def test_a_whole_column_operation_asked_per_group_is_grouped(code, text, column, expected):
    namespace = _live()
    view = KernelNamespace(namespace)
    issues = check_code(code, namespace=view, request_text=text)
    assert {issue.kind for issue in issues} == {"group"}, issues
    rewritten, notes = with_groups(code, view, text)
    assert notes and "groupby('rider_id')" in rewritten
    assert check_code(rewritten, namespace=view, request_text=text) == []
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert np.allclose(namespace["laps"][column], expected, equal_nan=True), rewritten


@pytest.mark.parametrize(("code", "text"), [
    ("laps['total'] = laps.groupby('rider_id')['km'].cumsum()", "running km of each rider"),
    ("laps['total'] = laps['km'].cumsum()", "the running km over all laps"),
    ("laps['total'] = laps['km'].cumsum()", "running km of each team"),  # no such column
    ("laps['r'] = laps['km'].rank()", "rank each rider's laps by km, per lap"),  # two columns
])
def test_left_alone(code: str, text: str) -> None:
    view = KernelNamespace(_live())
    assert with_groups(code, view, text) == (code, [])
    assert check_code(code, namespace=view, request_text=text) == []


def test_a_window_operation_is_named_but_not_rewritten() -> None:
    view = KernelNamespace(_live())
    code = "laps['avg'] = laps['km'].rolling(2).mean()"
    text = "the 2-lap moving average of km for each rider"
    assert any(issue.kind == "group" and "group by 'rider_id'" in issue.message
               for issue in check_code(code, namespace=view, request_text=text))
    assert with_groups(code, view, text) == (code, [])


def test_run_task_offers_the_grouping_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nlaps['total'] = laps['km'].cumsum()\n```")
    request = TaskRequest(task="generate", retries=1,
                          prompt="Add a column total to laps with each rider's running km.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["laps"]["total"].tolist() == [2.0, 5.0, 6.0, 4.0, 9.0]
