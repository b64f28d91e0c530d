"""Generate answers on the real embedded model, each in a fresh kernel (a new notebook), for
requests whose usual wrong answers run and count the wrong thing: an age as a year
difference (`core/age_intent.py`), a long table where one column per category was asked
(`core/wide_table_intent.py`), every day where business days were asked
(`core/weekday_intent.py`), NaN where 0 was asked for empty pairs (`core/wide_table_intent.py`),
weeks ending on another day than asked (`core/week_anchor_intent.py`), and upright bars where a
horizontal bar chart was asked (`core/bar_direction_intent.py`), a mapping keyed by another
field than asked (`core/key_intent.py`, judged in the rehearsal), and tags counted apart by
letter case where case was to be ignored (`core/case_intent.py`). Each kept answer must
compute or draw what was asked.

Two checks and judgements leave the mending to the model, which the 0.5B does not always
manage: bars asked in order (`bar_order`) and a pair of two different things answered with
one thing twice (`core/pair_intent.py`, after `core/function_result.py` has called the
function the model left uncalled). Their tests hold the assistant to its word instead: the
kept answer either meets the request, or the reply is not marked verified and its warnings
say what is still wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.kernel_driver import REPLY, KernelDriver, assistant_kernel, kept_answer

pytestmark = [pytest.mark.model, pytest.mark.timeout(3600)]  # slow when the machine is shared


@pytest.fixture
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path, "import numpy as np\nimport pandas as pd") as driver:
        yield driver


def test_ages_are_counted_in_full_years(kernel: KernelDriver) -> None:
    # A year difference counts a birthday still to come (`core/age_intent.py`).
    assert kernel.execute("import datetime as dt\nsurvey_day = dt.date(2025, 6, 10)\n"
                          "joined = {'Oda': dt.date(1990, 6, 11), 'Per': dt.date(1985, 1, 2)}"
                          ).status == "ok"
    ask = ("How old is each person in `joined` (their birth dates) on "
           "`survey_day`, in full years? Store a dict `member_ages`.")
    code = kept_answer(kernel, ask, max_tokens=160)
    assert kernel.value("member_ages") == {"Oda": 34, "Per": 40}, code


def test_a_table_with_one_column_per_category_holds_totals(kernel: KernelDriver) -> None:
    # A two-key groupby gives one row per pair (`core/wide_table_intent.py`).
    assert kernel.execute("litres = pd.DataFrame({'day': ['Mon', 'Mon', 'Tue', 'Tue', 'Mon'], "
                          "'tank': ['A', 'B', 'A', 'B', 'A'], 'filled': [5, 3, 2, 7, 1]})"
                          ).status == "ok"
    ask = ("Make a table `fill_table` from `litres` with one row per day and one "
           "column per tank, holding the total litres filled.")
    code = kept_answer(kernel, ask, max_tokens=160)
    assert kernel.value("[str(c) for c in fill_table.columns]") == ["A", "B"], code
    table = kernel.value("{str(c): {str(k): float(v) for k, v in fill_table[c].items()} "
                         "for c in fill_table.columns}")
    assert table == {"A": {"Mon": 6.0, "Tue": 2.0}, "B": {"Mon": 3.0, "Tue": 7.0}}, code


def test_business_days_are_counted_without_weekends(kernel: KernelDriver) -> None:
    # Every day counted where weekdays were asked (`core/weekday_intent.py`).
    assert kernel.execute("repairs = pd.DataFrame({'opened': pd.to_datetime(['2025-03-07', "
                          "'2025-03-10']), 'closed': pd.to_datetime(['2025-03-11', "
                          "'2025-03-17'])})").status == "ok"
    ask = ("Add a column `work_days` to `repairs`: the number of business days "
           "(Monday to Friday) from `opened` up to, not including, `closed`.")
    code = kept_answer(kernel, ask, max_tokens=160)
    assert kernel.value("'work_days' in repairs.columns"), code
    assert kernel.value("[int(d) for d in repairs['work_days']]") == [2, 5], code


def test_a_wide_table_holds_zero_where_a_pair_has_no_rows(kernel: KernelDriver) -> None:
    # pivot_table/unstack leave NaN for a pair with no rows (`core/wide_table_intent.py`).
    assert kernel.execute("deliveries = pd.DataFrame({'shop': ['Hill', 'Hill', 'Quay', 'Hill'], "
                          "'fruit': ['fig', 'kiwi', 'fig', 'fig'], 'boxes': [3, 5, 4, 2]})"
                          ).status == "ok"
    ask = ("Pivot `deliveries` into a table `crates` with one row per shop and one column per "
           "fruit, holding the total boxes; use 0 where a shop got none of a fruit.")
    code = kept_answer(kernel, ask, max_tokens=160)
    table = kernel.value("{str(c): {str(k): float(v) for k, v in crates[c].items()} "
                         "for c in crates.columns}")
    assert table == {"fig": {"Hill": 5.0, "Quay": 4.0}, "kiwi": {"Hill": 5.0, "Quay": 0.0}}, code


def test_weeks_end_on_the_day_the_request_says(kernel: KernelDriver) -> None:
    # pandas names weekly frequencies by the day weeks end (`core/week_anchor_intent.py`).
    assert kernel.execute("meter = pd.Series(np.arange(1.0, 15.0), "
                          "index=pd.date_range('2025-03-05', periods=14, freq='D'))").status == "ok"
    ask = ("`meter` holds daily readings indexed by date. Total them per week, with weeks "
           "running Monday to Sunday, and store the weekly totals as a Series `week_totals`.")
    code = kept_answer(kernel, ask, max_tokens=160)
    # Wed 5 - Sun 9 March, Mon 10 - Sun 16 March, Mon 17 - Tue 18 March.
    assert kernel.value("[float(v) for v in week_totals]") == [15.0, 63.0, 27.0], code


def test_a_horizontal_bar_chart_draws_lying_bars(kernel: KernelDriver) -> None:
    # `bar` draws upright bars where `barh` was asked (`core/bar_direction_intent.py`).
    assert kernel.execute("import matplotlib\nmatplotlib.use('Agg')\n"
                          "import matplotlib.pyplot as plt\nplt.close('all')\n"
                          "visits = {'home': 340, 'docs': 125, 'blog': 60}").status == "ok"
    ask = "Draw a horizontal bar chart of the dict `visits` (page -> visits), one bar per page."
    code = kept_answer(kernel, ask, max_tokens=160)
    widths = kernel.value("sorted(round(float(p.get_width()), 6) for a in plt.gcf().axes "
                          "for p in a.patches)")
    assert widths == [60.0, 125.0, 340.0], code


def test_a_mapping_is_keyed_by_the_field_the_request_names(kernel: KernelDriver) -> None:
    # A dict keyed by the counted field where another was asked (`core/key_intent.py`).
    assert kernel.execute("loans = [{'reader': 'ida', 'book': 'Emma'}, "
                          "{'reader': 'lev', 'book': 'Dune'}, {'reader': 'ida', 'book': 'Dune'}, "
                          "{'reader': 'ida', 'book': 'Dune'}]").status == "ok"
    ask = ("Count how many books each reader borrowed in the loans list, as a dict "
           "books_read keyed by reader with the count as value.")
    code = kept_answer(kernel, ask, max_tokens=200)
    assert kernel.value("{str(k): int(v) for k, v in dict(books_read).items()}") == {
        "ida": 3, "lev": 1}, code


def test_tags_that_differ_only_in_case_are_counted_together(kernel: KernelDriver) -> None:
    # Counting tags as written counts `#Running` apart from `#running` (`core/case_intent.py`).
    assert kernel.execute("posts = ['Fun #Running today', 'more #running', "
                          "'#Yoga and #running', 'no tags']").status == "ok"
    ask = ("Count the hashtags in `posts`, treating tags that differ only in case as the same "
           "(use lowercase). Store the counts in a dict `tag_counts`.")
    code = kept_answer(kernel, ask, max_tokens=200)
    counts = kernel.value("{str(k).lstrip('#'): int(v) for k, v in dict(tag_counts).items()}")
    assert counts == {"running": 3, "yoga": 1}, code


def test_bars_asked_in_order_are_drawn_in_order_or_the_reply_says_not(
        kernel: KernelDriver) -> None:
    # Sorting is the model's to write; the check must not let unsorted bars pass silently.
    assert kernel.execute("import matplotlib\nmatplotlib.use('Agg')\n"
                          "import matplotlib.pyplot as plt\nplt.close('all')\n"
                          "sales = {'tea': 120, 'cake': 340, 'soup': 75}").status == "ok"
    ask = ("Draw a horizontal bar chart of the dict `sales` (item -> sales), sorted so the "
           "biggest bar is at the top.")
    code = kept_answer(kernel, ask, max_tokens=200)
    bars = kernel.value("[float(p.get_width()) for p in sorted((p for a in plt.gcf().axes "
                        "for p in a.patches), key=lambda p: p.get_y())]")
    assert sorted(bars) == [75.0, 120.0, 340.0], code  # lying bars, one per item
    warnings = kernel.value(f"{REPLY}.warnings")
    assert bars == [75.0, 120.0, 340.0] or any("in order" in w for w in warnings), (code, warnings)


def test_a_pair_of_two_different_items_is_found_or_the_reply_says_not(
        kernel: KernelDriver) -> None:
    # argmin of a distance matrix lands on its zero diagonal (`core/pair_intent.py`).
    assert kernel.execute("dist = np.array([[0.0, 4.0, 9.0], [4.0, 0.0, 2.5], "
                          "[9.0, 2.5, 0.0]])").status == "ok"
    ask = ("`dist` is a distance matrix between depots. Find closest_pair, a tuple (i, j) of "
           "the two different depots nearest to each other.")
    run = kernel.execute(f"%%ai --max-tokens 200\n{ask}", timeout=1200)
    assert run.status == "ok", run.error
    code, verified = kernel.value(f"{REPLY}.code"), kernel.value(f"{REPLY}.verified")
    if verified:
        assert kernel.execute(code).status == "ok", code
        assert kernel.value("sorted(int(v) for v in closest_pair)") == [1, 2], code
    else:
        warnings = " ".join(kernel.value(f"{REPLY}.warnings"))
        assert "Error" in warnings, (code, warnings)  # what still fails is said
