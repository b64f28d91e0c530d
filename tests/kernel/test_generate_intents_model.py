"""Generate answers on the real embedded model, each in a fresh kernel (a new notebook), for
requests whose usual wrong answers run and count the wrong thing: an age as a year
difference (`core/age_intent.py`), a long table where one column per category was asked
(`core/wide_table_intent.py`), every day where business days were asked
(`core/weekday_intent.py`). Each kept answer must compute what was asked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel, kept_answer

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
