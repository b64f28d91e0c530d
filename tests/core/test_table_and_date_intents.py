"""Checks and repairs for answers that run but count the wrong thing: an age as a year
difference or days over 365 (`core/age_intent.py`), every day where weekdays were asked
(`core/weekday_intent.py`), a division by the maximum where min-max scaling was asked
(`core/scaling_intent.py`), and a long or averaged table where one column per category or
totals were asked (`core/wide_table_intent.py`), written as the pivot the request names
where the answer made none (`core/pivot_request.py`), and a column asked for left as a
variable (`core/column_target.py`). Repaired code is run on data of this file's
own; requests that do not ask for these leave the code alone."""

from __future__ import annotations

import ast
import datetime as dt

import numpy as np
import pandas as pd

from jupyter_localai.core.age_intent import age_messages, with_exact_ages
from jupyter_localai.core.checks import check_code
from jupyter_localai.core.column_target import with_column_written
from jupyter_localai.core.pivot_request import with_asked_pivots
from jupyter_localai.core.scaling_intent import min_max_messages
from jupyter_localai.core.weekday_intent import weekday_messages, with_weekday_counts
from jupyter_localai.core.wide_table_intent import wide_table_messages, with_wide_tables
from jupyter_localai.kernel.context.namespace import KernelNamespace


def kinds(code: str, request: str) -> set[str]:
    return {issue.kind for issue in check_code(code, request_text=request)}


def run(code: str, **values: object) -> dict[str, object]:
    namespace = {"pd": pd, "np": np, **values}
    exec(compile(code, "<answer>", "exec"), namespace)  # noqa: S102 - the answer under test
    return namespace


# Ages in full years ----------------------------------------------------------------------------

AGE_REQUEST = "How old is each rider on `race_day`, in full years? Keep it as a dict `rider_ages`."
BORN = {"Ivo": dt.date(2001, 5, 20), "Lea": dt.date(2001, 5, 21), "Max": dt.date(2004, 2, 29)}
RACE_DAY = dt.date(2025, 5, 20)
EXACT = {"Ivo": 24, "Lea": 23, "Max": 21}


def test_a_year_difference_is_flagged_and_repaired_to_full_years() -> None:
    code = "rider_ages = {r: race_day.year - b.year for r, b in born.items()}"
    assert "age" in kinds(code, AGE_REQUEST)
    repaired, notes = with_exact_ages(code, AGE_REQUEST)
    assert notes and run(repaired, born=BORN, race_day=RACE_DAY)["rider_ages"] == EXACT


def test_days_over_a_year_length_are_repaired_whole() -> None:
    code = ("rider_ages = {}\nfor r, b in born.items():\n"
            "    rider_ages[r] = int((race_day - b).days / 365.25)")
    repaired, notes = with_exact_ages(code, AGE_REQUEST)
    assert "365" not in repaired and len(notes) == 1
    assert run(repaired, born=BORN, race_day=RACE_DAY)["rider_ages"] == EXACT


def test_an_age_left_in_days_is_repaired_to_full_years() -> None:
    code = ("rider_ages = {}\nfor r, b in born.items():\n    gap = race_day - b\n"
            "    rider_ages[r] = gap.days")
    repaired, notes = with_exact_ages(code, AGE_REQUEST)
    assert notes and run(repaired, born=BORN, race_day=RACE_DAY)["rider_ages"] == EXACT
    in_days = "How old is each rider on `race_day`, in days?"
    assert with_exact_ages(code, in_days) == (code, [])


def test_pandas_dates_get_the_message_without_a_rewrite() -> None:
    code = "riders['age'] = (race_day - riders['born']).dt.days // 365"
    assert age_messages(ast.parse(code), code, AGE_REQUEST)
    assert with_exact_ages(code, AGE_REQUEST) == (code, [])


def test_an_exact_count_or_another_request_is_left_alone() -> None:
    exact = ("rider_ages = {r: race_day.year - b.year - ((race_day.month, race_day.day) < "
             "(b.month, b.day)) for r, b in born.items()}")
    assert "age" not in kinds(exact, AGE_REQUEST)
    span = "years_between = end.year - start.year"
    assert "age" not in kinds(span, "How many calendar years lie between start and end?")


# Weekdays ----------------------------------------------------------------------------------------

WEEKDAY_REQUEST = "Add a column `work_days`: the business days from `opened` up to `closed`."


def test_a_plain_day_difference_is_flagged_where_weekdays_were_asked() -> None:
    code = "cases['work_days'] = (cases['closed'] - cases['opened']).dt.days"
    assert weekday_messages(ast.parse(code), WEEKDAY_REQUEST)
    assert "weekdays" in kinds(code, WEEKDAY_REQUEST)


def test_a_business_day_count_or_a_weekday_filter_passes() -> None:
    counted = ("cases['work_days'] = np.busday_count(cases['opened'].values.astype("
               "'datetime64[D]'), cases['closed'].values.astype('datetime64[D]'))")
    filtered = ("cases['work_days'] = [sum(d.weekday() < 5 for d in pd.date_range(a, b)) "
                "for a, b in zip(cases['opened'], cases['closed'])]")
    for code in (counted, filtered):
        assert "weekdays" not in kinds(code, WEEKDAY_REQUEST)
    assert "weekdays" not in kinds("d = (b - a).days", "How many days from a to b?")


CASES = pd.DataFrame({"opened": pd.to_datetime(["2025-04-04", "2025-04-07"]),
                      "closed": pd.to_datetime(["2025-04-08", "2025-04-14"])})


def test_a_day_difference_of_columns_is_repaired_to_a_weekday_count() -> None:
    code = "cases['work_days'] = (cases['closed'] - cases['opened']).dt.days"
    repaired, notes = with_weekday_counts(code, WEEKDAY_REQUEST)
    assert notes and repaired.startswith("import numpy as np\n")
    assert run(repaired, cases=CASES.copy())["cases"]["work_days"].tolist() == [2, 5]


def test_the_weekdays_run_from_the_date_the_request_names_first() -> None:
    # Written backwards, as small models do: the request says from `opened` to `closed`.
    code = "cases['work_days'] = (cases.opened - cases.closed).dt.days"
    repaired, _ = with_weekday_counts(code, WEEKDAY_REQUEST)
    assert run(repaired, cases=CASES.copy())["cases"]["work_days"].tolist() == [2, 5]


def test_days_of_the_week_subtracted_are_repaired_to_a_weekday_count() -> None:
    code = "cases['work_days'] = cases['closed'].dt.dayofweek - cases['opened'].dt.dayofweek"
    assert "weekdays" in kinds(code, WEEKDAY_REQUEST)
    repaired, _ = with_weekday_counts(code, WEEKDAY_REQUEST)
    assert run(repaired, cases=CASES.copy())["cases"]["work_days"].tolist() == [2, 5]


def test_a_day_difference_of_two_dates_is_repaired_too() -> None:
    repaired, _ = with_weekday_counts("n = (due - sent).days", "Working days from sent to due?")
    assert run(repaired, sent=dt.date(2025, 4, 4), due=dt.date(2025, 4, 8))["n"] == 2


# Min-max scaling ----------------------------------------------------------------------------------


def test_a_division_by_the_maximum_is_flagged_where_min_max_was_asked() -> None:
    request = "Rescale each column of `levels` to the 0-1 range and call it `levels01`."
    assert min_max_messages(ast.parse("levels01 = levels / levels.max(axis=0)"), request)
    exact = ("levels01 = (levels - levels.min(axis=0)) / "
             "(levels.max(axis=0) - levels.min(axis=0))")
    assert not min_max_messages(ast.parse(exact), request)


def test_values_kept_between_0_and_1_by_clipping_are_not_min_max() -> None:
    request = "Keep the probabilities `p` between 0 and 1 by clipping."
    assert not min_max_messages(ast.parse("p = p.clip(0, 1)"), request)


# One column per category, and totals ---------------------------------------------------------------

HARVEST = pd.DataFrame({"week": [1, 1, 2, 2, 2], "field": ["east", "west", "east", "west", "east"],
                        "kg": [10, 4, 7, 3, 1]})
TABLE_REQUEST = ("Build `kg_table` from `harvest`: one row per week and one column per field, "
                 "holding the total kg picked.")
WIDE = {"east": {1: 10, 2: 8}, "west": {1: 4, 2: 3}}


def test_a_long_two_key_sum_is_unstacked_by_the_asked_key() -> None:
    code = 'kg_table = harvest.groupby(["week", "field"])["kg"].sum().reset_index()'
    assert "wide_table" in kinds(code, TABLE_REQUEST)
    repaired, notes = with_wide_tables(code, TABLE_REQUEST)
    assert notes and repaired.endswith(".sum().unstack('field')")
    assert run(repaired, harvest=HARVEST)["kg_table"].to_dict() == WIDE


def test_a_pivot_that_averages_is_made_to_sum_where_totals_were_asked() -> None:
    code = 'kg_table = harvest.pivot_table(index="week", columns="field", values="kg")'
    messages = wide_table_messages(ast.parse(code), code, TABLE_REQUEST)
    assert len(messages) == 1 and "aggfunc" in messages[0]
    repaired, _ = with_wide_tables(code, TABLE_REQUEST)
    assert run(repaired, harvest=HARVEST)["kg_table"].to_dict() == WIDE


def test_a_table_without_the_asked_columns_is_flagged_where_the_frame_has_that_column() -> None:
    code = 'kg_table = harvest.groupby("week").sum()'
    live = KernelNamespace({"harvest": HARVEST})
    assert "wide_table" in {i.kind for i in check_code(code, namespace=live,
                                                       request_text=TABLE_REQUEST)}
    # Without a frame holding a `field` column, "one column per field" may describe the input.
    assert "wide_table" not in kinds(code, TABLE_REQUEST)
    described = "`levels` has one column per field; give the mean of each row as `row_means`."
    assert "wide_table" not in kinds("row_means = levels.mean(axis=1)", described)


def test_a_mean_pivot_is_kept_where_a_mean_was_asked() -> None:
    mean_request = "One row per week and one column per field, with the mean kg."
    code = 'kg_table = harvest.pivot_table(index="week", columns="field", values="kg")'
    assert with_wide_tables(code, mean_request) == (code, [])
    assert "wide_table" not in kinds(code, mean_request)


# The table the request names, where the answer made none ----------------------------------


def test_the_pivot_the_request_names_replaces_an_answer_without_one() -> None:
    live = KernelNamespace({"harvest": HARVEST})
    code = "kg_table = pd.DataFrame(harvest['kg'].values.reshape(-1, 1))\nprint(kg_table)"
    repaired, notes = with_asked_pivots(code, live, ["kg_table"], TABLE_REQUEST)
    assert notes and "pivot_table(index='week', columns='field', values='kg', aggfunc='sum')" in repaired
    assert run(repaired, harvest=HARVEST)["kg_table"].to_dict() == WIDE


def test_a_table_named_in_the_request_is_taken_as_the_target() -> None:
    live = KernelNamespace({"harvest": HARVEST})
    request = "Make a table named kg_table with one row per week and one column per field holding total kg."
    code = "kg_table = pd.DataFrame({'week': harvest['week'], 'kg': harvest['kg']})"
    repaired, notes = with_asked_pivots(code, live, [], request)
    assert notes and run(repaired, harvest=HARVEST)["kg_table"].to_dict() == WIDE


def test_zero_where_none_is_filled_and_a_mean_is_averaged() -> None:
    live = KernelNamespace({"harvest": HARVEST})
    request = ("`kg_table`: one row per week and one column per field with the mean kg, "
               "0 where a field had none.")
    repaired, _ = with_asked_pivots("kg_table = harvest.copy()", live, ["kg_table"], request)
    assert "aggfunc='mean', fill_value=0" in repaired


def test_a_request_that_does_not_name_every_part_is_left_alone() -> None:
    live = KernelNamespace({"harvest": HARVEST})
    code = "kg_table = harvest.copy()"
    unnamed_values = "Make `kg_table`: one row per week and one column per field, the totals."
    assert with_asked_pivots(code, live, ["kg_table"], unnamed_values) == (code, [])
    reshaped = "kg_table = harvest.groupby(['week', 'field'])['kg'].sum().unstack()"
    assert with_asked_pivots(reshaped, live, ["kg_table"], TABLE_REQUEST) == (reshaped, [])


# A column asked, a variable made -------------------------------------------------------------

COLUMN_REQUEST = "Add a column `kg_per_day` to `harvest`: the kg divided by 7."


def test_a_variable_named_like_the_asked_column_is_written_into_the_frame() -> None:
    code = "kg_per_day = harvest['kg'] / 7\n# Add the column to"
    assert "column_target" in kinds(code, COLUMN_REQUEST)
    repaired, notes = with_column_written(code, COLUMN_REQUEST)
    assert notes and "harvest['kg_per_day'] = kg_per_day" in repaired
    done = run(repaired, harvest=HARVEST.copy())["harvest"]
    assert done["kg_per_day"].round(3).tolist() == [1.429, 0.571, 1.0, 0.429, 0.143]


def test_a_column_written_in_any_usual_way_passes() -> None:
    for code in ("harvest['kg_per_day'] = harvest['kg'] / 7",
                 "harvest = harvest.assign(kg_per_day=harvest['kg'] / 7)",
                 "harvest.insert(1, 'kg_per_day', harvest['kg'] / 7)",
                 "harvest[['kg_per_day']] = harvest[['kg']] / 7",
                 "harvest.loc[:, 'kg_per_day'] = harvest['kg'] / 7"):
        assert "column_target" not in kinds(code, COLUMN_REQUEST), code
    other = "Make a list `heavy` of the weeks whose total is above 10."
    assert "column_target" not in kinds("heavy = [1]", other)
