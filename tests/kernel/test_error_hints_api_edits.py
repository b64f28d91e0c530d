"""Hint edits for library calls used the wrong way (`kernel/fix/rules/`): a format spec on a
whole Series, a tuple of groupby columns, months given to a Timedelta, `append` on a numpy
array and a plot's x range one value short; each edit is applied and the cell run again,
on data of this file's own."""

from __future__ import annotations

import os
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

from jupyter_localai.kernel.fix.hints import Hint, error_hints

os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen


def hints_for(source: str, **values: Any) -> list[str]:
    ns: dict[str, Any] = {"pd": pd, "np": np, "plt": plt, **values}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return error_hints(exc, source, ns)
    raise AssertionError(f"{source!r} did not raise")


def edited_run(source: str, hint: str, **values: Any) -> dict[str, Any]:
    assert isinstance(hint, Hint) and hint.edit, hint
    old, new = hint.edit
    assert source.count(old) == 1, (old, source)
    ns: dict[str, Any] = {"pd": pd, "np": np, "plt": plt, **values}
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def edited(hints: list[str]) -> str:
    return next(h for h in hints if isinstance(h, Hint) and h.edit)


def no_edit(hints: list[str]) -> bool:
    return not any(isinstance(h, Hint) and h.edit for h in hints)


@pytest.fixture(autouse=True)
def closed_figures() -> Any:
    yield
    plt.close("all")


# A format spec on a whole Series -------------------------------------------------------

KILNS = pd.DataFrame({"kiln": ["north", "south"], "temp": [1182.456, 1240.0]})


def test_a_format_of_a_series_formats_each_value() -> None:
    source = 'labels = "{:,.1f} C".format(kilns["temp"])'
    hint = edited(hints_for(source, kilns=KILNS))
    assert hint.edit[1] == 'kilns["temp"].map("{:,.1f} C".format)'
    assert edited_run(source, hint, kilns=KILNS)["labels"].tolist() == ["1,182.5 C", "1,240.0 C"]


def test_a_format_inside_another_call_rewrites_the_format_call_only() -> None:
    source = "shown = list('{:.0f}'.format(kilns.temp))"
    hint = edited(hints_for(source, kilns=KILNS))
    assert hint.edit == ("'{:.0f}'.format(kilns.temp)", "kilns.temp.map('{:.0f}'.format)")
    assert edited_run(source, hint, kilns=KILNS)["shown"] == ["1182", "1240"]


def test_a_format_with_two_values_or_an_f_string_gets_advice_only() -> None:
    source = 'line = "{} {:.1f}".format(kilns["kiln"], kilns["temp"])'
    hints = hints_for(source, kilns=KILNS)
    assert no_edit(hints) and "format each value" in hints[0]
    hints = hints_for('line = f"{kilns.temp:.2f}"', kilns=KILNS)
    assert no_edit(hints) and "kilns.temp.map('{:.2f}'.format)" in hints[0]


# A tuple of columns after groupby --------------------------------------------------------

HIVES = pd.DataFrame({"site": ["a", "b", "a"], "kg": [4.0, 6.5, 3.0], "frames": [8, 10, 9]})


def test_a_tuple_of_groupby_columns_becomes_a_list() -> None:
    source = 'per_site = hives.groupby("site")["kg", "frames"].sum()'
    hint = edited(hints_for(source, hives=HIVES))
    assert hint.edit == ('"kg", "frames"', '["kg", "frames"]')
    per_site = edited_run(source, hint, hives=HIVES)["per_site"]
    assert per_site.loc["a"].tolist() == [7.0, 17]


def test_a_tuple_on_a_grouped_name_becomes_a_list() -> None:
    source = 'g = hives.groupby("site")\nmeans = g[("kg", "frames")].mean()'
    hint = edited(hints_for(source, hives=HIVES))
    assert edited_run(source, hint, hives=HIVES)["means"].loc["b"].tolist() == [6.5, 10.0]


def test_a_tuple_on_a_call_that_is_no_groupby_gets_no_edit() -> None:
    source = 'per_site = hives.pipe(lambda d: d.groupby("site"))["kg", "frames"].sum()'
    assert no_edit(hints_for(source, hives=HIVES))


# Months given to a Timedelta -------------------------------------------------------------

LEASES = pd.DataFrame({"start": pd.to_datetime(["2024-01-31", "2024-11-15"])})


def test_months_of_a_timedelta_become_a_date_offset() -> None:
    source = "leases['renew'] = leases['start'] + pd.Timedelta(months=3, days=1)"
    hint = edited(hints_for(source, leases=LEASES.copy()))
    assert hint.edit[1] == "pd.DateOffset(months=3, days=1)"
    renew = edited_run(source, hint, leases=LEASES.copy())["leases"]["renew"]
    assert renew.dt.strftime("%Y-%m-%d").tolist() == ["2024-05-01", "2025-02-16"]


def test_years_under_another_alias_keep_the_alias() -> None:
    source = "due = day + pandas.Timedelta(years=1)"
    day = pd.Timestamp("2023-03-10")
    hint = edited(hints_for(source, pandas=pd, day=day))
    assert hint.edit[1] == "pandas.DateOffset(years=1)"
    assert edited_run(source, hint, pandas=pd, day=day)["due"] == pd.Timestamp("2024-03-10")


def test_a_timedelta_compared_or_given_singular_fields_gets_no_edit() -> None:
    gap = pd.Timedelta(days=40)
    hints = hints_for("late = gap > pd.Timedelta(months=1)", gap=gap)
    assert no_edit(hints) and "days=90" in hints[0]
    assert no_edit(hints_for("d = pd.Timedelta(month=1)"))
    ns: dict[str, Any] = {"pd": pd}
    exec("d = pd.Timedelta(days=2)", ns)  # noqa: S102 - days never raise: nothing to hint
    assert ns["d"].days == 2


# `append` on a numpy array ---------------------------------------------------------------


def test_append_on_an_array_rebinds_it_to_np_append() -> None:
    source = "depths = np.array([1.5, 2.0])\nfor d in (2.5, 3.25):\n    depths.append(d)\n"
    [hint] = hints_for(source)
    assert "np.append" in hint and hint.edit[1] == "depths = np.append(depths, d)"
    assert edited_run(source, hint)["depths"].tolist() == [1.5, 2.0, 2.5, 3.25]


def test_append_uses_the_alias_numpy_is_bound_to() -> None:
    source = "levels = numpy.zeros(2)\nlevels.append(7)"
    hint = edited(hints_for(source, numpy=np))
    assert edited_run(source, hint, numpy=np)["levels"].tolist() == [0.0, 0.0, 7.0]


def test_append_on_an_attribute_in_a_function_or_without_numpy_name_gets_no_edit() -> None:
    class Log:
        pass

    log = Log()
    log.rows = np.array([1])  # type: ignore[attr-defined]
    assert no_edit(hints_for("log.rows.append(2)", log=log))
    source = "def grow(a):\n    a.append(1)\n\ngrow(depths)"
    assert no_edit(hints_for(source, depths=np.array([1.0])))
    source = "depths.append(4)"
    ns: dict[str, Any] = {"depths": np.array([1.0])}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - no numpy name bound
    except AttributeError as exc:
        hints = error_hints(exc, source, ns)
    assert hints and no_edit(hints)
    assert no_edit(hints_for("grid = np.ones((2, 2))\ngrid.append(3)"))


# A plot's x range of the wrong length -----------------------------------------------------

RAIN = [0.2 * day for day in range(30)]


def test_an_x_range_one_short_gets_the_stop_of_the_y_length() -> None:
    source = "plt.plot(range(1, 30), rain)\nxs = plt.gca().lines[0].get_xdata()"
    hint = edited(hints_for(source, rain=RAIN))
    assert hint.edit == ("30", "31")
    xs = edited_run(source, hint, rain=RAIN)["xs"]
    assert len(xs) == 30 and xs[0] == 1 and xs[-1] == 30
    source = "plt.plot(range(1, 30), rain[:30])"  # `30` twice: the range's own text is edited
    hint = edited(hints_for(source, rain=RAIN))
    assert hint.edit == ("range(1, 30", "range(1, 31")
    edited_run(source, hint, rain=RAIN)


def test_a_named_range_is_edited_where_it_is_assigned() -> None:
    rain = np.array(RAIN[:12])
    source = "months = range(13)\nfig, ax = plt.subplots()\nax.plot(months, rain, 'o-')"
    hint = edited(hints_for(source, rain=rain))
    assert hint.edit == ("13", "12")
    assert list(edited_run(source, hint, rain=rain)["months"]) == list(range(12))


def test_a_range_of_names_or_assigned_twice_gets_the_lengths_only() -> None:
    hints = hints_for("plt.plot(range(first, 30), rain)", rain=RAIN, first=1)
    assert no_edit(hints) and "29" in hints[0] and "30" in hints[0]
    source = "days = range(29)\ndays = range(1, 30)\nplt.plot(days, rain)"
    assert no_edit(hints_for(source, rain=RAIN))


def test_a_formatted_expression_of_a_series_is_formatted_per_value() -> None:
    kilns = pd.DataFrame({"frac": [0.25, 0.5]})
    source = 'kilns["pct"] = "{:.0f}%".format(kilns["frac"] * 100)\n'
    hints = hints_for(source, kilns=kilns)
    ns = edited_run(source, next(h for h in hints if isinstance(h, Hint) and h.edit), kilns=kilns)
    assert list(ns["kilns"]["pct"]) == ["25%", "50%"]


# An accessor read on a single value


def test_dt_on_one_timedelta_is_dropped_for_its_own_attribute() -> None:
    stays = pd.DataFrame({"arrive": pd.to_datetime(["2024-03-01", "2024-03-04"]),
                          "leave": pd.to_datetime(["2024-03-05", "2024-03-06"])})
    source = "nights = (stays['leave'][0] - stays['arrive'][0]).dt.days\n"
    hints = hints_for(source, stays=stays)
    assert edited_run(source, hints[0], stays=stays)["nights"] == 4


def test_str_on_each_string_of_a_loop_is_dropped() -> None:
    names = pd.Series(["ada lovelace", "alan turing"])
    source = "titled = [n.str.title() for n in names]\n"
    hints = hints_for(source, names=names)
    assert edited_run(source, hints[0], names=names)["titled"] == ["Ada Lovelace",
                                                                    "Alan Turing"]


def test_two_dt_reads_on_the_line_get_no_edit() -> None:
    when = pd.Timestamp("2024-03-01")
    hints = hints_for("parts = (when.dt.year, when.dt.month)\n", when=when)
    assert hints and no_edit(hints)
