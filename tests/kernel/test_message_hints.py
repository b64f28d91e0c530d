"""The replacement a library's message names (`kernel/fix/rules/message_rules.py`): the
literal the message names becomes the replacement, and nothing is guessed otherwise."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jupyter_localai.kernel.fix.hints import Hint, error_hints

HOURS = pd.Series([1.0, 2.0, 4.0, 8.0], index=pd.date_range("2030-05-01", periods=4, freq="30min"))
DAYS = pd.Series(range(400), index=pd.date_range("2031-01-01", periods=400))


def failed(source: str, **values: Any) -> tuple[BaseException, dict[str, Any]]:
    ns: dict[str, Any] = {"pd": pd, **values}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return exc, ns
    raise AssertionError(f"{source!r} did not raise")


def edits(source: str, **values: Any) -> list[tuple[str, str]]:
    exc, ns = failed(source, **values)
    return [h.edit for h in error_hints(exc, source, ns) if isinstance(h, Hint) and h.edit]


@pytest.mark.parametrize("source, edit, values", [
    # "'Y' is no longer supported for offsets. Please use 'YE' instead."
    ("yearly = days.resample('Y').max()", ("'Y'", "'YE'"), {"days": DAYS}),
    # "Invalid frequency: H. ... Did you mean h?"
    ('hourly = hours.resample("H").sum()', ('"H"', '"h"'), {"hours": HOURS}),
])
def test_the_named_replacement_is_applied_and_the_cell_runs(
        source: str, edit: tuple[str, str], values: dict[str, Any]) -> None:
    assert edits(source, **values) == [edit]
    ns: dict[str, Any] = {"pd": pd, **values}
    exec(compile(source.replace(*edit), "<cell>", "exec"), ns)  # noqa: S102


def test_the_same_literal_elsewhere_in_the_cell_is_left_alone() -> None:
    source = "label = 'Y'\nyearly = days.resample('Y').max()"
    [edit] = edits(source, days=DAYS)
    assert source.count(edit[0]) == 1
    assert source.replace(*edit) == "label = 'Y'\nyearly = days.resample('YE').max()"


@pytest.mark.parametrize("source", [
    "both = days.resample('Y').max() + days.resample('Y').min()",  # which one is meant
    "yearly = days.resample(f'Y').max()",  # not a plain literal
    "rule = 'Y'\nyearly = days.resample(rule).max()",  # the value is not on the line
])
def test_no_edit_where_the_literal_is_not_plain_and_alone(source: str) -> None:
    assert edits(source, days=DAYS) == []


def test_a_message_without_a_replacement_gives_no_edit() -> None:
    assert edits("yearly = days.resample('fortnight').max()", days=DAYS) == []
