"""Checks and repairs for answers that run but draw or group the wrong thing: weekly
frequencies that end the weeks on another day than the request's (`core/week_anchor_intent.py`),
upright bars where a horizontal bar chart was asked, or bars asked in order drawn in the
data's order (`core/bar_direction_intent.py`), and a
wide table left with NaN where the request asks for 0 (`core/wide_table_intent.py`).
Repaired code is run on data of this file's own; requests that do not ask for these leave
the code alone."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.bar_direction_intent import with_horizontal_bars
from jupyter_localai.core.checks import check_code
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.core.week_anchor_intent import asked_week_end, with_week_anchors
from jupyter_localai.core.wide_table_intent import with_wide_tables
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.context.namespace import KernelNamespace

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen


def kinds(code: str, request: str) -> set[str]:
    return {issue.kind for issue in check_code(code, request_text=request)}


def run(code: str, **values: object) -> dict[str, object]:
    namespace = {"pd": pd, "np": np, "plt": plt, **values}
    exec(compile(code, "<answer>", "exec"), namespace)  # noqa: S102 - the answer under test
    return namespace


# The day weeks end on ------------------------------------------------------------------------

@pytest.mark.parametrize(("request_text", "end"), [
    ("Sum the steps per week, weeks running Monday to Sunday.", 6),
    ("weekly visits, Sunday-to-Saturday weeks", 5),
    ("count orders for weeks ending on Friday", 4),
    ("weekly means, with weeks starting on Wednesday", 1),
    ("weeks that begin each Sunday", 5),
])
def test_the_day_the_requests_weeks_end_on(request_text: str, end: int) -> None:
    assert asked_week_end(request_text) == end


@pytest.mark.parametrize("request_text", [
    "Sum the steps per week.",
    "count the working days, Monday to Friday, in each week",  # not a whole week
    "compare Monday to Sunday sales",  # two days, no week
])
def test_requests_that_name_no_week_end(request_text: str) -> None:
    assert asked_week_end(request_text) is None


STEPS = pd.Series(np.arange(1, 15, dtype=float),
                  index=pd.date_range("2025-03-05", periods=14, freq="D"))  # a Wednesday on
WEEK_REQUEST = "Total `steps` per week, weeks running Monday to Sunday, as a Series `per_week`."


def test_weeks_ending_on_the_day_after_the_asked_one_are_rewritten() -> None:
    code = "per_week = steps.resample('W-MON').sum()"
    assert "week_anchor" in kinds(code, WEEK_REQUEST)
    rewritten, notes = with_week_anchors(code, WEEK_REQUEST)
    assert notes and "'W-SUN'" in rewritten
    per_week = run(rewritten, steps=STEPS)["per_week"]
    # Wed 5 - Sun 9 March, 10 - 16 March, Mon 17 - Tue 18 March.
    assert per_week.tolist() == [15.0, 63.0, 27.0]
    assert [d.day_name() for d in per_week.index] == ["Sunday"] * 3


def test_weekly_frequencies_that_end_on_the_asked_day_are_left_alone() -> None:
    for code in ("per_week = steps.resample('W').sum()",
                 "per_week = steps.groupby(pd.Grouper(freq='W-SUN')).sum()"):
        assert "week_anchor" not in kinds(code, WEEK_REQUEST), code
        assert with_week_anchors(code, WEEK_REQUEST) == (code, [])


def test_a_grouper_ending_weeks_on_sunday_is_moved_where_weeks_end_on_saturday() -> None:
    request = "Total the steps per week, for weeks starting on Sunday."
    rewritten, notes = with_week_anchors("w = steps.groupby(pd.Grouper(freq='W')).sum()", request)
    assert notes and "freq='W-SAT'" in rewritten
    assert run(rewritten, steps=STEPS)["w"].index[0].day_name() == "Saturday"


def test_no_week_end_asked_leaves_weekly_code_alone() -> None:
    code = "per_week = steps.resample('W-MON').sum()"
    assert "week_anchor" not in kinds(code, "Total `steps` per week as `per_week`.")


# Horizontal bars ----------------------------------------------------------------------------

BAR_REQUEST = "Draw a horizontal bar chart of `stock` (item -> units), one bar per item."
STOCK = {"bolts": 120, "nuts": 80, "washers": 45}


@pytest.fixture(autouse=True)
def closed_figures() -> object:
    yield
    plt.close("all")


def test_upright_bars_are_drawn_lying_where_horizontal_ones_were_asked() -> None:
    code = "fig, ax = plt.subplots()\nax.bar(x=list(stock), height=list(stock.values()), width=0.6)"
    assert "bar_direction" in kinds(code, BAR_REQUEST)
    rewritten, notes = with_horizontal_bars(code, BAR_REQUEST)
    assert notes
    ax = run(rewritten, stock=STOCK)["ax"]
    assert sorted(p.get_width() for p in ax.patches) == [45, 80, 120]
    assert {round(p.get_height(), 6) for p in ax.patches} == {0.6}
    assert [t.get_text() for t in ax.get_yticklabels()] == list(STOCK)


def test_a_pandas_bar_plot_becomes_barh() -> None:
    code = "ax = pd.Series(stock).plot(kind='bar')"
    rewritten, _ = with_horizontal_bars(code, BAR_REQUEST)
    assert rewritten == "ax = pd.Series(stock).plot(kind='barh')"
    ax = run(rewritten, stock=STOCK)["ax"]
    assert sorted(p.get_width() for p in ax.patches) == [45, 80, 120]


def test_bars_are_left_upright_where_no_direction_was_asked_or_barh_is_drawn() -> None:
    code = "plt.bar(list(stock), list(stock.values()))"
    assert "bar_direction" not in kinds(code, "Draw a bar chart of `stock`.")
    both = "plt.barh(list(stock), list(stock.values()))\nplt.bar([0], [1])"
    assert "bar_direction" not in kinds(both, BAR_REQUEST)


def test_bars_asked_in_order_and_drawn_unsorted_are_named() -> None:
    request = "Draw a bar chart of `stock`, sorted so the biggest bar comes first."
    unsorted = "plt.bar(list(stock), list(stock.values()))"
    assert "bar_order" in kinds(unsorted, request)
    ranked = ("ranked = sorted(stock.items(), key=lambda kv: kv[1], reverse=True)\n"
              "plt.bar([k for k, _ in ranked], [v for _, v in ranked])")
    assert "bar_order" not in kinds(ranked, request)
    assert "bar_order" not in kinds("pd.Series(stock).sort_values().plot.barh()", request)
    assert "bar_order" not in kinds(unsorted, "Draw a bar chart of `stock`.")


def test_a_rewrite_that_mends_part_of_an_answer_is_kept_and_the_rest_is_asked_for() -> None:
    # Upright and unsorted: the rewrite draws the bars lying; the order is the model's to
    # sort, and the retry starts from the rewritten answer.
    request_text = "Draw a horizontal bar chart of `stock`, sorted so the biggest bar is on top."
    engine = FakeEngine("```python\nplt.bar(list(stock), list(stock.values()))\n```")
    reply = run_task(engine, TaskRequest(task="generate", retries=0, prompt=request_text),
                     namespace=KernelNamespace({"plt": plt, "stock": STOCK}))
    assert "plt.barh(" in reply.code and "Rewritten:" in reply.text
    assert len(reply.warnings) == 1 and "in order" in reply.warnings[0]


# 0 where a pair has no rows -------------------------------------------------------------------

LOANS = pd.DataFrame({"branch": ["North", "North", "South"], "genre": ["crime", "poetry", "crime"],
                      "loans": [4, 2, 7]})
ZERO_REQUEST = ("Make a table `by_genre` of `loans` with one row per branch and one column per "
                "genre, holding the total loans; use 0 where a branch lent nothing in a genre.")


@pytest.mark.parametrize("code", [
    "by_genre = loans.pivot_table(index='branch', columns='genre', values='loans', aggfunc='sum')",
    "by_genre = loans.pivot_table(index='branch', columns='genre', values='loans')",
    "by_genre = loans.groupby(['branch', 'genre'])['loans'].sum().unstack()",
])
def test_missing_pairs_are_filled_with_zero_where_the_request_asks(code: str) -> None:
    assert "wide_table" in kinds(code, ZERO_REQUEST)
    rewritten, notes = with_wide_tables(code, ZERO_REQUEST)
    assert notes and "fill_value=0" in rewritten
    by_genre = run(rewritten, loans=LOANS)["by_genre"]
    assert by_genre.loc["South", "poetry"] == 0 and by_genre.loc["North", "crime"] == 4


def test_a_table_filled_another_way_or_not_asked_for_zero_is_left_alone() -> None:
    filled = ("by_genre = loans.pivot_table(index='branch', columns='genre', values='loans', "
              "aggfunc='sum').fillna(0)")
    assert with_wide_tables(filled, ZERO_REQUEST) == (filled, [])
    plain = "by_genre = loans.groupby(['branch', 'genre'])['loans'].sum().unstack()"
    request = "Make a table `by_genre` with one column per genre, holding the total loans."
    assert "fill_value" not in with_wide_tables(plain, request)[0]
