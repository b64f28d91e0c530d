"""Hint edits for library calls used the wrong way (`kernel/fix/rules/`): a format spec on a
whole Series, a tuple of groupby columns, months given to a Timedelta, `append` on a numpy
array, a plot's x range one value short, numpy numbers given to json, fractions written
into an int column, amounts written as text and weights of dropped rows; each edit is
applied and the cell run again,
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


# A reduction over every column of a frame that has text columns


def test_a_group_mean_over_text_columns_gets_numeric_only() -> None:
    laps = pd.DataFrame({"crew": ["red", "blue", "red"], "driver": ["Ann", "Bo", "Cy"],
                         "seconds": [61.0, 64.0, 59.0]})
    source = "per_crew = laps.groupby('crew').mean()\n"
    hints = hints_for(source, laps=laps)
    per_crew = edited_run(source, edited(hints), laps=laps)["per_crew"]
    assert per_crew["seconds"].to_dict() == {"blue": 64.0, "red": 60.0}


def test_a_reduction_that_already_says_numeric_only_gets_no_edit() -> None:
    laps = pd.DataFrame({"driver": ["Ann", "Bo"], "seconds": [61.0, 64.0]})
    hints = hints_for("average = laps.mean(numeric_only=False)\n", laps=laps)
    assert hints and no_edit(hints)


# A merge whose result's name starts with a side's name


def test_a_text_key_side_is_converted_though_the_result_name_repeats_it() -> None:
    staff = pd.DataFrame({"badge": [7, 8], "name": ["Ivo", "Ula"]})
    shifts = pd.DataFrame({"badge": ["8", "7", "8"], "hours": [6, 8, 4]})
    source = "shifts_named = shifts.merge(staff, on='badge')\n"
    hints = hints_for(source, staff=staff, shifts=shifts)
    merged = edited_run(source, edited(hints), staff=staff, shifts=shifts)["shifts_named"]
    assert sorted(merged["name"]) == ["Ivo", "Ula", "Ula"]


# A naive date compared with timezone-aware dates


def test_a_naive_cutoff_made_in_the_cell_gets_the_zone_where_it_is_made() -> None:
    logins = pd.DataFrame({"at": pd.to_datetime(["2023-11-30T22:00:00+01:00",
                                                 "2023-12-01T09:00:00+01:00"])})
    logins["at"] = logins["at"].dt.tz_convert("Europe/Oslo")
    source = "start = pd.Timestamp('2023-12-01')\nlate = logins[logins['at'] >= start]\n"
    hints = hints_for(source, logins=logins)
    old, new = edited(hints).edit
    assert old == "pd.Timestamp('2023-12-01')" and "tz='Europe/Oslo'" in new
    assert len(edited_run(source, edited(hints), logins=logins)["late"]) == 1


def test_a_naive_cutoff_from_another_cell_is_localized_where_it_is_compared() -> None:
    logins = pd.DataFrame({"at": pd.to_datetime(["2023-11-30T23:00:00Z",
                                                 "2023-12-01T09:00:00Z"])})
    start = pd.Timestamp("2023-12-01")
    source = "late = logins[logins['at'] >= start]\n"
    hints = hints_for(source, logins=logins, start=start)
    assert len(edited_run(source, edited(hints), logins=logins, start=start)["late"]) == 1


# A time-based method on a frame whose dates are a column


def test_resample_on_the_one_datetime_column() -> None:
    rides = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=10, freq="D"),
                          "km": range(10)})
    source = "monthly = rides.resample('MS').sum()\n"
    hints = hints_for(source, rides=rides)
    assert edited_run(source, edited(hints), rides=rides)["monthly"]["km"].tolist() == [45]


def test_resample_with_two_datetime_columns_names_both_without_an_edit() -> None:
    rides = pd.DataFrame({"start": pd.date_range("2024-01-01", periods=3, freq="D"),
                          "end": pd.date_range("2024-01-02", periods=3, freq="D"),
                          "km": [1, 2, 3]})
    hints = hints_for("weekly = rides.resample('W').sum()\n", rides=rides)
    assert "'start', 'end'" in hints[0] and no_edit(hints)


# Drawing calls on the whole array of Axes


def test_one_drawing_per_panel_goes_to_the_panels_in_order() -> None:
    source = ("fig, axes = plt.subplots(1, 3)\n"
              "axes.bar(['a', 'b'], [3, 5])\n"
              "axes.scatter([1, 2], [2, 1])\n"
              "axes.set_title('third')\n")
    hints = hints_for(source)
    assert not any("Series" in hint for hint in hints)  # the Axes have it, not a pandas type
    axes = edited_run(source, edited(hints))["axes"]
    assert len(axes[0].patches) == 2 and len(axes[1].collections) == 1
    assert axes[2].get_title() == "third"


def test_more_drawings_than_panels_get_no_edit() -> None:
    source = "fig, axes = plt.subplots(1, 2)\naxes.plot([1, 2])\naxes.plot([2, 1])\naxes.hist([1])\n"
    hints = hints_for(source)
    assert hints and no_edit(hints)


# An Axes' label given to a drawing call


def test_a_title_given_to_plt_hist_moves_to_plt_title() -> None:
    waits = np.array([3.0, 4.5, 4.0, 7.5, 5.0])
    source = "counts, edges, bars = plt.hist(waits, bins=3, title='Waits')\n"
    hints = hints_for(source, waits=waits)
    ran = edited_run(source, edited(hints), waits=waits)
    assert ran["plt"].gca().get_title() == "Waits" and len(ran["counts"]) == 3


def test_an_xlabel_given_to_an_axes_plot_moves_to_set_xlabel() -> None:
    source = "fig, ax = plt.subplots()\nax.plot([1, 2, 3], xlabel='day')\nax.grid(True)\n"
    hints = hints_for(source)
    assert edited_run(source, edited(hints))["ax"].get_xlabel() == "day"


def test_every_axes_keyword_of_the_drawing_call_moves_in_one_edit() -> None:
    waits = np.array([3.0, 4.5, 4.0, 7.5, 5.0])
    source = "plt.hist(waits, bins=3, title='Waits', xticks=[3, 5, 7], xlim=(2, 8), color='k')\n"
    hints = hints_for(source, waits=waits)
    plt.close("all")  # the failing call drew its bars before it raised
    ax = edited_run(source, edited(hints), waits=waits)["plt"].gca()
    assert ax.get_title() == "Waits" and len(ax.patches) == 3
    assert list(ax.get_xticks()) == [3, 5, 7] and tuple(ax.get_xlim()) == (2, 8)


def test_a_title_given_inside_a_loop_gets_no_edit() -> None:
    source = "fig, ax = plt.subplots()\nfor k in (1, 2):\n    ax.plot([k, k], title=str(k))\n"
    hints = hints_for(source)
    assert "set_title" in hints[0] and no_edit(hints)


# A value its holder cannot take: numpy numbers to json, fractions into an int column


def test_numpy_numbers_given_to_json_are_converted_by_default() -> None:
    import json

    stats = {"visits": np.int64(41), "share": np.float64(0.25), "by_day": np.array([3, 5])}
    source = "text = json.dumps(stats, sort_keys=True)\n"
    hints = hints_for(source, json=json, stats=stats)
    ran = edited_run(source, edited(hints), json=json, stats=stats)
    assert json.loads(ran["text"]) == {"visits": 41, "share": 0.25, "by_day": [3, 5]}


def test_a_type_json_cannot_write_that_is_not_numpy_gets_no_edit() -> None:
    import json

    hints = hints_for("text = json.dumps({'tags': {'a', 'b'}})\n", json=json)
    assert no_edit(hints)


def test_fractions_written_into_an_int_column_make_it_float_first() -> None:
    stock = pd.DataFrame({"shelf": ["a", "b", "a"], "units": [10, 4, 7]})
    source = ("sale = stock['shelf'] == 'a'\n"
              "stock.loc[sale, 'units'] = stock.loc[sale, 'units'] * 0.5\n")
    hints = hints_for(source, stock=stock.copy())
    ran = edited_run(source, edited(hints), stock=stock.copy())
    assert ran["stock"]["units"].tolist() == [5.0, 4.0, 3.5]


def test_a_write_into_an_int_column_inside_a_loop_gets_no_edit() -> None:
    stock = pd.DataFrame({"units": [10, 4]})
    source = "for row in stock.index:\n    stock.loc[row, 'units'] = stock.loc[row, 'units'] / 3\n"
    assert no_edit(hints_for(source, stock=stock.copy()))


def test_a_mean_of_amounts_written_as_text_reads_them_as_numbers_first() -> None:
    bills = pd.DataFrame({"total": ["€1,050.00", "€ 20.50", "€300"]})
    source = "average = bills['total'].mean()\n"
    hints = hints_for(source, bills=bills)
    assert edited_run(source, edited(hints), bills=bills)["average"] == pytest.approx(1370.5 / 3)


@pytest.mark.parametrize("values", [["12%", "30%"], ["12,5", "3,25"], ["$12", "twelve"]])
def test_percents_decimal_commas_and_words_get_no_amounts_edit(values: list[str]) -> None:
    shares = pd.DataFrame({"value": values})
    hints = hints_for("m = shares['value'].mean()\n", shares=shares)
    assert no_edit(hints)


def test_weights_of_rows_dropped_from_the_values_only_are_dropped_too() -> None:
    shops = pd.DataFrame({"score": [2.0, np.nan, 4.0, 5.0], "visits": [10, 99, 30, 60]})
    source = "kept = shops['score'].dropna()\nmean = np.average(kept, weights=shops['visits'])\n"
    hints = hints_for(source, shops=shops)
    ran = edited_run(source, edited(hints), shops=shops)
    assert ran["mean"] == pytest.approx((2 * 10 + 4 * 30 + 5 * 60) / 100)


def test_weights_of_another_length_that_share_no_rows_get_no_edit() -> None:
    source = "mean = np.average(pd.Series([1.0, 2.0]), weights=pd.Series([1, 2, 3], index=[7, 8, 9]))\n"
    assert no_edit(hints_for(source))


# A header line converted with the values ---------------------------------------------------

STOCK_CSV = "depot,crates\nwest,12\neast,7\nwest,3\n"


def test_a_loop_over_a_file_skips_its_header_line(tmp_path: Any) -> None:
    (tmp_path / "stock.csv").write_text(STOCK_CSV)
    source = ("totals = {}\nwith open(path) as handle:\n    for line in handle:\n"
              "        depot, crates = line.strip().split(',')\n"
              "        totals[depot] = totals.get(depot, 0) + int(crates)\n")
    path = str(tmp_path / "stock.csv")
    hints = hints_for(source, path=path)
    assert "header" in edited(hints)
    assert edited_run(source, edited(hints), path=path)["totals"] == {"west": 15, "east": 7}


def test_a_csv_reader_over_a_file_skips_the_header_through_the_file(tmp_path: Any) -> None:
    (tmp_path / "stock.tsv").write_text(STOCK_CSV.replace(",", "\t"))
    source = ("import csv\nwith open(path) as handle:\n"
              "    total = 0.0\n"
              "    for depot, crates in csv.reader(handle, delimiter='\\t'):\n"
              "        total += float(crates)\n")
    path = str(tmp_path / "stock.tsv")
    hints = hints_for(source, path=path)
    assert edited_run(source, edited(hints), path=path)["total"] == 22.0


@pytest.mark.parametrize("iterated", ["lines", "enumerate(lines)", "text.splitlines()"])
def test_a_loop_over_lines_in_memory_starts_at_the_second(iterated: str) -> None:
    name = "pair" if iterated.startswith("enumerate") else "line"
    row = "pair[1]" if name == "pair" else "line"
    source = (f"crates = []\nfor {name} in {iterated}:\n"
              f"    crates.append(float({row}.split(',')[1]))\n")
    values = {"text": STOCK_CSV, "lines": STOCK_CSV.splitlines()}
    hints = hints_for(source, **values)
    assert edited_run(source, edited(hints), **values)["crates"] == [12.0, 7.0, 3.0]


def test_a_word_in_a_later_line_or_in_every_line_gets_no_header_hint() -> None:
    source = "for line in lines:\n    float(line.split(',')[1])\n"
    for lines in (["west,12", "east,none"], ["depot,crates", "west,crates"]):
        assert not any("header" in hint for hint in hints_for(source, lines=lines))


# Round 10's families: corr over text, a list entry never started, text keys, list(range),
# re.match mid-line, per-feature reductions, a drawing taken for its Axes --------------------


def test_corr_over_a_frame_with_a_text_column_takes_numeric_only() -> None:
    pupils = pd.DataFrame({"name": ["Ava", "Bo", "Cy"], "hours": [1, 2, 4], "score": [50, 60, 80]})
    source = "r = pupils.corr()['score']\n"
    hints = hints_for(source, pupils=pupils)
    assert edited_run(source, edited(hints), pupils=pupils)["r"]["hours"] == pytest.approx(
        pupils["hours"].corr(pupils["score"]))


def test_appending_to_an_entry_never_started_starts_it_empty() -> None:
    source = ("groups = {}\nfor word in ['ant', 'bee', 'asp']:\n"
              "    groups[word[0]].append(word)\n")
    hints = hints_for(source)
    assert edited_run(source, edited(hints))["groups"] == {"a": ["ant", "asp"], "b": ["bee"]}


def test_a_set_valued_dict_starts_a_set_and_other_values_get_no_edit() -> None:
    source = "seen['x'].add(3)\n"
    hints = hints_for(source, seen={"y": {1}})
    assert edited_run(source, edited(hints), seen={"y": {1}})["seen"] == {"y": {1}, "x": {3}}
    assert no_edit(hints_for("tally['x'].append(3)\n", tally={"y": 1}))


@pytest.mark.parametrize("keys, looked_up, convert", [({"101": 3.5}, 101, "str"),
                                                      ({7: "seven"}, "7", "int")])
def test_a_key_of_the_other_type_is_converted_where_it_is_looked_up(
        keys: dict, looked_up: object, convert: str) -> None:
    source = "found = [table[k] for k in wanted]\n"
    hints = hints_for(source, table=keys, wanted=[looked_up])
    assert f"{convert}(k)" in edited(hints).edit[1]
    assert edited_run(source, edited(hints), table=keys, wanted=[looked_up])["found"] == list(
        keys.values())


def test_a_list_of_a_range_one_short_gets_the_stop_of_the_y_length() -> None:
    source = "days = list(range(1, 4))\nfig, ax = plt.subplots()\nax.plot(days, rain)\n"
    hints = hints_for(source, rain=[3, 0, 5, 1])
    ran = edited_run(source, edited(hints), rain=[3, 0, 5, 1])
    assert ran["days"] == [1, 2, 3, 4]


def test_re_match_on_a_pattern_further_on_becomes_re_search() -> None:
    import re
    source = "waits = []\nfor line in log:\n    waits.append(int(re.match(r'took (\\d+)ms', line).group(1)))\n"
    log = ["GET /a took 12ms", "GET /b took 30ms"]
    hints = hints_for(source, re=re, log=log)
    assert edited_run(source, edited(hints), re=re, log=log)["waits"] == [12, 30]


def test_re_match_whose_pattern_is_nowhere_in_the_text_gets_no_search_edit() -> None:
    import re
    source = "m = re.match(r'took (\\d+)ms', line)\nn = int(m.group(1))\n"
    assert no_edit(hints_for(source, re=re, line="GET /a failed"))


def test_reductions_per_row_where_the_comment_asks_per_feature_go_per_column() -> None:
    X = np.arange(12.0).reshape(4, 3) ** 2
    source = ("# scale each feature to mean 0\nmeans = X.mean(axis=1)\n"
              "spread = X.std(axis=1)\nZ = (X - means) / spread\n")
    hints = hints_for(source, X=X)
    Z = edited_run(source, edited(hints), X=X)["Z"]
    assert np.allclose(Z.mean(axis=0), 0) and np.allclose(Z.std(axis=0), 1)


def test_a_comment_that_asks_nothing_per_column_keeps_the_per_row_edit() -> None:
    X = np.arange(12.0).reshape(4, 3)
    source = "# centre the data\nmeans = X.mean(axis=1)\nZ = X - means\n"
    assert "[:, None]" in edited(hints_for(source, X=X)).edit[1]


def test_a_drawing_taken_for_its_axes_is_rebound_to_the_axes() -> None:
    counts = pd.Series([5, 3], index=["disk", "cpu"])
    source = "ax = plt.barh(counts.index, counts.values)\nax.set_title('Tickets')\n"
    hints = hints_for(source, counts=counts)
    plt.close("all")
    ax = edited_run(source, edited(hints), counts=counts)["ax"]
    assert ax.get_title() == "Tickets" and len(ax.patches) == 2


# Call forms: shapes, where, rename, a scalar function on a Series, Path + text, bar heights

def test_a_shape_given_as_two_arguments_becomes_one_tuple() -> None:
    source = "grid = np.ones(rows, cols)\ngrid[1, 2] = 5\n"
    hints = hints_for(source, rows=2, cols=3)
    assert edited_run(source, edited(hints), rows=2, cols=3)["grid"].shape == (2, 3)


def test_a_shape_with_a_real_dtype_second_gets_no_shape_edit() -> None:
    assert no_edit(hints_for("a = np.zeros(3, 'not-a-dtype')\n"))


def test_where_without_its_false_value_takes_the_one_the_comment_states() -> None:
    speeds = np.array([12.0, 55.0, 80.0])
    source = "# 'fast' above 50 km/h, otherwise 'slow'\nkind = np.where(speeds > 50, 'fast')\n"
    hints = hints_for(source, speeds=speeds)
    assert list(edited_run(source, edited(hints), speeds=speeds)["kind"]) == ["slow", "fast",
                                                                           "fast"]


def test_where_without_a_stated_false_value_gets_advice_but_no_edit() -> None:
    hints = hints_for("kind = np.where(speeds > 50, 'fast')\n", speeds=np.array([1.0, 60.0]))
    assert no_edit(hints) and any("np.where(speeds > 50, 'fast', <value" in h for h in hints)


def test_rename_with_a_list_as_long_as_the_columns_pairs_them_in_order() -> None:
    frame = pd.DataFrame({"Unit Price ($)": [1.5], "Qty.": [3]})
    source = "frame = frame.rename(columns=['price', 'qty'])\n"
    hints = hints_for(source, frame=frame)
    assert list(edited_run(source, edited(hints), frame=frame)["frame"].columns) == ["price",
                                                                                   "qty"]


def test_rename_with_a_list_of_another_length_gets_no_edit() -> None:
    frame = pd.DataFrame({"a": [1], "b": [2], "c": [3]})
    assert no_edit(hints_for("frame = frame.rename(columns=['x', 'y'])\n", frame=frame))


def _size_label(grams):
    if grams < 100:
        return "small"
    return "large"


def test_a_notebook_function_of_one_value_called_on_a_series_maps_over_it() -> None:
    setup = "def size_label(grams):\n    if grams < 100:\n        return 'small'\n    return 'large'\n"
    parcels = pd.DataFrame({"grams": [40, 250, 99]})
    ns: dict[str, Any] = {"pd": pd, "np": np, "parcels": parcels}
    exec(compile(setup, "<setup>", "exec"), ns)  # noqa: S102 - the notebook's own function
    source = "parcels['label'] = size_label(parcels['grams'])\n"
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102
    except ValueError as exc:
        hints = error_hints(exc, source, ns)
    old, new = edited(hints).edit
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    assert list(ns["parcels"]["label"]) == ["small", "large", "small"]


def test_a_function_from_another_module_on_a_series_gets_no_map_edit() -> None:
    parcels = pd.DataFrame({"grams": [40, 250]})
    hints = hints_for("parcels['label'] = label(parcels['grams'])\n", parcels=parcels,
                      label=_size_label)  # defined here, not in the notebook's namespace
    assert no_edit(hints)


def test_a_path_added_to_text_is_made_text() -> None:
    import pathlib
    folder = pathlib.Path("reports")
    source = "target = folder + '/q1.txt'\n"
    hints = hints_for(source, folder=folder)
    assert edited_run(source, edited(hints), folder=folder)["target"] == "reports/q1.txt"


def test_bar_of_one_series_gets_its_index_and_values() -> None:
    votes = pd.Series([4, 9], index=["yes", "no"])
    source = "plt.barh(votes, color='grey')\n"
    hints = hints_for(source, votes=votes)
    plt.close("all")
    edited_run(source, edited(hints), votes=votes)
    widths = sorted(p.get_width() for p in plt.gca().patches)
    assert widths == [4, 9]


def test_bar_of_a_dict_gets_its_keys_and_values() -> None:
    votes = {"yes": 4, "no": 9}
    source = "plt.bar(votes)\n"
    hints = hints_for(source, votes=votes)
    plt.close("all")
    edited_run(source, edited(hints), votes=votes)
    assert sorted(p.get_height() for p in plt.gca().patches) == [4, 9]


# Text formatting, month steps, tuples in a list --------------------------------------------

def test_a_float_format_on_numeric_text_converts_the_field() -> None:
    weights = ["1.25", "10"]
    source = "labels = [f'{w:.1f} kg' for w in weights]\n"
    hints = hints_for(source, weights=weights)
    assert edited_run(source, edited(hints), weights=weights)["labels"] == ["1.2 kg", "10.0 kg"]


def test_an_int_format_on_numeric_text_converts_with_int() -> None:
    source = "line = f'{count:03d} items'\n"
    hints = hints_for(source, count="7")
    assert edited_run(source, edited(hints), count="7")["line"] == "007 items"


def test_a_float_format_on_text_that_is_no_number_gets_no_edit() -> None:
    assert no_edit(hints_for("line = f'{name:.2f}'\n", name="n/a"))


def test_format_with_a_dict_for_named_fields_passes_its_entries() -> None:
    rows = [{"city": "Oslo", "temp": -3.26}, {"city": "Rome", "temp": 14.0}]
    source = "out = ['{city}: {temp:.1f}C'.format(r) for r in rows]\n"
    hints = hints_for(source, rows=rows)
    assert edited_run(source, edited(hints), rows=rows)["out"] == ["Oslo: -3.3C", "Rome: 14.0C"]


def test_format_with_a_dict_missing_a_field_gets_no_edit() -> None:
    source = "out = '{city}: {rain}'.format(row)\n"
    assert no_edit(hints_for(source, row={"city": "Oslo"}))


def test_a_month_step_into_the_next_year_carries_the_year() -> None:
    from datetime import datetime
    stamps = [datetime(2023, 12, 9, 8), datetime(2024, 2, 1)]
    source = "starts = [datetime(t.year, t.month + 1, 1) for t in stamps]\n"
    hints = hints_for(source, datetime=datetime, stamps=stamps)
    assert edited_run(source, edited(hints), datetime=datetime, stamps=stamps)["starts"] == [
        datetime(2024, 1, 1), datetime(2024, 3, 1)]


def test_a_month_step_back_from_january_carries_the_year_back() -> None:
    from datetime import date
    days = [date(2024, 1, 20), date(2024, 5, 2)]
    source = "before = [date(d.year, d.month - 1, 1) for d in days]\n"
    hints = hints_for(source, date=date, days=days)
    assert edited_run(source, edited(hints), date=date, days=days)["before"] == [
        date(2023, 12, 1), date(2024, 4, 1)]


def test_a_month_out_of_range_without_a_step_gets_no_edit() -> None:
    from datetime import date
    assert no_edit(hints_for("d = date(2024, month, 1)\n", date=date, month=13))


def test_a_write_into_tuples_of_a_list_in_a_loop_replaces_the_entries() -> None:
    seats = [("A1", False), ("A2", True), ("B1", False)]
    source = "for seat in seats:\n    if seat[0].startswith('A'):\n        seat[1] = True\n"
    hints = hints_for(source, seats=list(seats))
    ran = edited_run(source, edited(hints), seats=list(seats))
    assert ran["seats"] == [("A1", True), ("A2", True), ("B1", False)]


def test_an_augmented_write_into_a_listed_tuple_updates_that_entry() -> None:
    source = "scores[1][2] += 5\n"
    scores = [("ann", 1, 10), ("bob", 2, 20)]
    hints = hints_for(source, scores=list(scores))
    ran = edited_run(source, edited(hints), scores=list(scores))
    assert ran["scores"] == [("ann", 1, 10), ("bob", 2, 25)]


def test_a_write_into_a_lone_tuple_gets_no_edit() -> None:
    assert no_edit(hints_for("point[0] = 3\n", point=(1, 2)))
