"""Date strings read through `.dt`: parsed where they are read, only where the live
column holds text and the code does not assign it; the rewritten code runs."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.context import ErrorInfo, NotebookContext
from jupyter_localai.core.repairs import repaired
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.core.text_dates import pandas_name, with_dates_parsed
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace


def _live() -> dict:
    return {"pd": pd,
            "stays": pd.DataFrame({"arrived": ["2024-03-04", "2024-03-09"], "nights": [2, 5],
                                   "left": pd.to_datetime(["2024-03-06", "2024-03-14"])}),
            "stamps": pd.Series(["2024-01-31", "2024-02-29"])}


@pytest.mark.parametrize(("code", "read"), [
    ("names = stays['arrived'].dt.day_name()", lambda ns: list(ns["names"]) == ["Monday", "Saturday"]),
    ("stays['month'] = stays['arrived'].dt.month", lambda ns: list(ns["stays"]["month"]) == [3, 3]),
    ("ends = stamps.dt.is_month_end", lambda ns: list(ns["ends"]) == [True, True]),
    ("per_month = stays.groupby(stays['arrived'].dt.strftime('%Y-%m'))['nights'].sum()",
     lambda ns: ns["per_month"].to_dict() == {"2024-03": 7}),
])
def test_text_read_as_dates_is_parsed_and_runs(code: str, read) -> None:
    namespace = _live()
    repair = repaired(code, KernelNamespace(namespace))
    assert repair is not None and "pd.to_datetime(" in repair.code, code
    assert any("it holds text" in note for note in repair.notes)
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert read(namespace), repair.code


@pytest.mark.parametrize("code", [
    "days = stays['left'].dt.day",                       # already datetime
    "stays['arrived'] = pd.to_datetime(stays['arrived'])\nd = stays['arrived'].dt.day",
    "n = stays['nights'].dt.day",                        # numbers: not text, left to the model
    "d = stays['gone'].dt.day",                          # no such column
    "d = other['arrived'].dt.day",                       # no such variable
])
def test_nothing_to_parse(code: str) -> None:
    assert with_dates_parsed(code, KernelNamespace(_live())) == (code, [])


def test_pandas_under_another_name_and_none_bound() -> None:
    namespace = _live()
    namespace["pandas"] = namespace.pop("pd")
    code, notes = with_dates_parsed("w = stamps.dt.weekday", KernelNamespace(namespace))
    assert code == "w = pandas.to_datetime(stamps).dt.weekday" and notes
    del namespace["pandas"]
    assert pandas_name(KernelNamespace(namespace)) is None
    assert with_dates_parsed("w = stamps.dt.weekday", KernelNamespace(namespace))[1] == []


def test_run_task_offers_the_parsed_dates_instead_of_retrying() -> None:
    namespace = _live()
    engine = FakeEngine("```python\nstays['weekday'] = stays['arrived'].dt.day_name()\n```")
    request = TaskRequest(task="generate", retries=1, prompt="Add the weekday of each arrival.")
    reply = run_task(engine, request, namespace=KernelNamespace(namespace))
    assert reply.attempts == 1 and "Rewritten:" in reply.text and not reply.warnings
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert list(namespace["stays"]["weekday"]) == ["Monday", "Saturday"]


def _copy_of(namespace: dict):
    """A verifier that runs code in a copy of `namespace`: None when it ran, else the error."""
    def verify(code: str) -> str | None:
        copy = {name: value.copy() if isinstance(value, pd.DataFrame) else value
                for name, value in namespace.items()}
        try:
            exec(code, copy)  # noqa: S102 - the fake copy of the notebook runs code on purpose
        except Exception as error:  # noqa: BLE001 - any failure is the copy's answer
            return f"{type(error).__name__}: {error}"
        return None
    return verify


def test_a_fix_handed_back_unchanged_gets_the_failing_cell_repaired() -> None:
    # The 0.5B handed `.dt` on date strings back unchanged five times, told it raised.
    namespace = _live()
    failing = "stays['weekday'] = stays['arrived'].dt.day_name()"
    context = NotebookContext(last_error=ErrorInfo(
        failing, "AttributeError", "Can only use .dt accessor with datetimelike values"))
    engine = FakeEngine(f"```python\n{failing}\n```")
    reply = run_task(engine, TaskRequest(task="fix", context=context, retries=2),
                     namespace=KernelNamespace(namespace), verifier=_copy_of(namespace))
    assert reply.verified is True and reply.attempts == 1, reply
    assert "pd.to_datetime(stays['arrived'])" in reply.code
    exec(reply.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert list(namespace["stays"]["weekday"]) == ["Monday", "Saturday"]
