"""Hint edits for mistakes in the form of values and calls (`kernel/fix/rules/`): a zone set
on dates that have one, csv rows read by header name, None among numbers given to `isnan`,
a namedtuple field set in place, `&` written before the comparisons it joins, values given
one by one where a method takes a list, a text column split into several columns, a regex
match missing in some texts, tick labels without positions, `pd.cut` label counts, and a part
of each text taken where some text lacks the separator, and arrays stacked from a generator;
each edit is applied and the cell run again, on data of this file's own."""

from __future__ import annotations

import csv
import os
import re
from collections import namedtuple
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

from jupyter_localai.kernel.fix.hints import Hint, error_hints

os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen


def namespace(**values: Any) -> dict[str, Any]:
    return {"pd": pd, "np": np, "plt": plt, "re": re, "csv": csv, **values}


def hints_for(source: str, **values: Any) -> list[str]:
    ns = namespace(**values)
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return error_hints(exc, source, ns)
    raise AssertionError(f"{source!r} did not raise")


def edited(hints: list[str]) -> Hint:
    return next(h for h in hints if isinstance(h, Hint) and h.edit)


def edited_run(source: str, hint: Hint, **values: Any) -> dict[str, Any]:
    old, new = hint.edit
    assert source.count(old) == 1, (old, source)
    ns = namespace(**values)
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def no_edit(hints: list[str]) -> bool:
    return not any(isinstance(h, Hint) and h.edit for h in hints)


@pytest.fixture(autouse=True)
def closed_figures() -> Any:
    yield
    plt.close("all")


# A zone set on dates that already have one ---------------------------------------------------

FLIGHTS = pd.DataFrame({"landed": pd.to_datetime(["2025-07-01 10:00", "2025-12-01 23:30"],
                                                 utc=True)})


def test_tz_localize_on_aware_dates_becomes_tz_convert() -> None:
    source = 'flights["local"] = flights["landed"].dt.tz_localize("Asia/Tokyo")'
    hint = edited(hints_for(source, flights=FLIGHTS.copy()))
    assert hint.edit == ('flights["landed"].dt.tz_localize', 'flights["landed"].dt.tz_convert')
    hours = edited_run(source, hint, flights=FLIGHTS.copy())["flights"]["local"].dt.hour
    assert hours.tolist() == [19, 8]


def test_tz_convert_on_naive_dates_gets_advice_only() -> None:
    naive = pd.DataFrame({"t": pd.to_datetime(["2025-01-01 08:00"])})
    hints = hints_for('naive["t"].dt.tz_convert("UTC")', naive=naive)
    assert no_edit(hints) and "tz_localize('UTC')" in hints[0]


# csv rows read by header name ------------------------------------------------------------------


def test_csv_reader_rows_read_by_header_become_dict_reader(tmp_path: Path) -> None:
    path = tmp_path / "rides.csv"
    path.write_text("rider,km\nIda,12.5\nOle,7\n", encoding="utf-8")
    source = ("with open(path, newline='') as handle:\n"
              "    km = [float(r['km']) for r in csv.reader(handle)]\n")
    hint = edited(hints_for(source, path=path))
    assert hint.edit == ("csv.reader", "csv.DictReader") and "'km'" in hint
    assert edited_run(source, hint, path=path)["km"] == [12.5, 7.0]


def test_a_list_indexed_by_a_name_it_does_not_hold_gets_no_reader_edit() -> None:
    source = "total = [row['km'] for row in rows]"
    assert no_edit(hints_for(source, rows=[["Ida", "12.5"]]))


# None among numbers given to isnan -------------------------------------------------------------

DEPTHS = [3.5, None, 4.25, None]


def test_an_array_made_in_the_cell_is_made_as_floats() -> None:
    source = "depth = np.array(depths)\nknown = depth[~np.isnan(depth)]\ngaps = np.isnan(depth).sum()"
    hint = edited(hints_for(source, depths=DEPTHS))
    assert hint.edit == ("np.array(depths)", "np.array(depths, dtype=float)")
    ns = edited_run(source, hint, depths=DEPTHS)
    assert ns["known"].tolist() == [3.5, 4.25] and ns["gaps"] == 2


def test_a_live_object_series_is_converted_in_the_call() -> None:
    series = pd.Series(DEPTHS, dtype=object)
    hint = edited(hints_for("gaps = np.isnan(s).sum()", s=series))
    assert edited_run("gaps = np.isnan(s).sum()", hint, s=series)["gaps"] == 2


def test_text_among_the_values_gets_no_float_edit() -> None:
    assert no_edit(hints_for("np.isnan(np.array(['n/a', None, 2.0]))"))


# A namedtuple field set in place ----------------------------------------------------------------

Part = namedtuple("Part", ["code", "stock"])


def parts() -> list[Part]:
    return [Part("bolt", 40), Part("nut", 0), Part("gear", 3)]


def test_a_field_set_in_a_loop_replaces_the_list_entry() -> None:
    source = "for part in stock:\n    if part.stock == 0:\n        part.stock = 25\n"
    hint = edited(hints_for(source, stock=parts()))
    assert "enumerate(stock)" in hint.edit[1] and "part._replace(stock=25)" in hint.edit[1]
    assert [p.stock for p in edited_run(source, hint, stock=parts())["stock"]] == [40, 25, 3]


def test_a_field_added_to_through_an_index_replaces_that_entry() -> None:
    source = "stock[2].stock += 10"
    hint = edited(hints_for(source, stock=parts()))
    assert hint.edit[1] == "stock[2] = stock[2]._replace(stock=stock[2].stock + 10)"
    assert edited_run(source, hint, stock=parts())["stock"][2] == Part("gear", 13)


# `&` before the comparisons it joins -----------------------------------------------------------

SPEEDS = np.array([12.0, 48.5, 73.0, 95.5, 30.0])


def test_and_between_comparisons_of_floats_is_parenthesized() -> None:
    source = "legal = speeds[speeds >= 30 & speeds <= 80]"
    hint = edited(hints_for(source, speeds=SPEEDS))
    assert hint.edit[1] == "(speeds >= 30) & (speeds <= 80)"
    assert edited_run(source, hint, speeds=SPEEDS)["legal"].tolist() == [48.5, 73.0, 30.0]


def test_or_between_comparisons_of_ints_is_parenthesized() -> None:
    counts = pd.Series([1, 5, 9, 14])
    source = "odd_ones = counts[counts < 2 | counts > 10]"
    hint = edited(hints_for(source, counts=counts))
    assert edited_run(source, hint, counts=counts)["odd_ones"].tolist() == [1, 14]


# Values given one by one where a method takes a list -------------------------------------------

HIVES = pd.DataFrame({"apiary": ["east", "west", "north", "east"], "kg": [21.0, 18.5, 9.0, 30.0]})


def test_isin_given_two_values_gets_a_list() -> None:
    source = 'near = hives[hives["apiary"].isin("east", "north")]'
    hint = edited(hints_for(source, hives=HIVES))
    assert hint.edit[1] == 'hives["apiary"].isin(["east", "north"])'
    assert edited_run(source, hint, hives=HIVES)["near"]["kg"].tolist() == [21.0, 9.0, 30.0]


def test_drop_given_two_columns_keeps_its_keyword() -> None:
    source = 'slim = hives.drop("apiary", "kg", axis=1)'
    hint = edited(hints_for(source, hives=HIVES))
    assert hint.edit[1] == 'hives.drop(["apiary", "kg"], axis=1)'
    assert edited_run(source, hint, hives=HIVES)["slim"].shape == (4, 0)


def test_a_method_whose_one_parameter_is_not_a_collection_gets_no_list() -> None:
    assert no_edit(hints_for("hives.dropna('apiary', 'kg')", hives=HIVES))


# A text column split into several columns -----------------------------------------------------


def test_a_split_into_two_columns_expands_and_keeps_the_rest_in_the_last() -> None:
    rivers = pd.DataFrame({"place": ["Rhine Basel", "Danube Vienna Austria", "Po Turin"]})
    source = 'rivers[["river", "city"]] = rivers["place"].str.split(" ")'
    hint = edited(hints_for(source, rivers=rivers.copy()))
    assert hint.edit[1] == 'rivers["place"].str.split(" ", expand=True, n=1)'
    done = edited_run(source, hint, rivers=rivers.copy())["rivers"]
    assert done["city"].tolist() == ["Basel", "Vienna Austria", "Turin"]


# A regex match missing in some texts ------------------------------------------------------------

LINES = ["build 41 ok", "skipped", "build 7 failed"]


def test_a_match_read_in_a_comprehension_gives_none_where_there_is_none() -> None:
    source = r"builds = [int(re.search(r'build (\d+)', t).group(1)) for t in lines]"
    hint = edited(hints_for(source, lines=LINES))
    assert edited_run(source, hint, lines=LINES)["builds"] == [41, None, 7]


def test_a_match_read_in_a_lambda_gives_none_where_there_is_none() -> None:
    frame = pd.DataFrame({"log": LINES})
    source = r"frame['n'] = frame['log'].map(lambda t: re.search(r'(\d+)', t).group(1))"
    hint = edited(hints_for(source, frame=frame.copy()))
    found = edited_run(source, hint, frame=frame.copy())["frame"]["n"]
    assert found[0] == "41" and pd.isna(found[1]) and found[2] == "7"


def test_a_match_read_in_a_plain_loop_gets_advice_only() -> None:
    source = "for t in lines:\n    print(re.search(r'build (\\d+)', t).group(1))"
    hints = hints_for(source, lines=LINES)
    assert no_edit(hints) and "is None for a text without a match" in hints[0]


# Tick labels without positions, and pd.cut label counts -----------------------------------------


def test_tick_labels_alone_get_their_positions() -> None:
    source = "plt.bar(range(3), [4, 9, 2])\nplt.xticks(labels=['red', 'green', 'blue'])"
    hint = edited(hints_for(source))
    assert hint.edit[1] == "plt.xticks(range(3), labels=['red', 'green', 'blue'])"
    edited_run(source, hint)
    assert [t.get_text() for t in plt.gca().get_xticklabels()] == ["red", "green", "blue"]


def test_tick_labels_go_where_the_bars_were_drawn() -> None:
    source = "plt.bar(seasons, [4, 9])\nplt.xticks(labels=['wet', 'dry'])"
    hint = edited(hints_for(source, seasons=[2019, 2020]))
    assert hint.edit[1].startswith("plt.xticks(seasons, ")
    edited_run(source, hint, seasons=[2019, 2020])
    assert plt.gca().get_xticks().tolist() == [2019, 2020]


def test_tick_labels_of_text_categories_take_their_own_places() -> None:
    source = "plt.bar(['n', 's'], [4, 9])\nplt.xticks(labels=['north', 'south'])"
    hint = edited(hints_for(source))
    assert hint.edit[1] == "plt.xticks(range(len(['north', 'south'])), labels=['north', 'south'])"


def test_cut_with_a_label_short_shows_the_unlabelled_bin() -> None:
    source = "grades = pd.cut(scores, bins=[0, 50, 75, 100], labels=['low', 'mid'])"
    hints = hints_for(source, scores=pd.Series([10, 60, 90]))
    assert no_edit(hints)
    assert "3 bins" in hints[0] and "(75, 100] -> (no label)" in hints[0]


# A part taken from texts that lack the separator ---------------------------------------------

SENDERS = ["ops@north.example", "unknown", "Desk@South.example"]


def test_a_set_of_parts_skips_the_texts_without_the_separator() -> None:
    source = "hosts = sorted({s.split('@')[1].lower() for s in senders})"
    hint = edited(hints_for(source, senders=SENDERS))
    assert edited_run(source, hint, senders=SENDERS)["hosts"] == ["north.example", "south.example"]


def test_a_list_of_parts_keeps_one_entry_per_text() -> None:
    source = "hosts = [s.split('@')[1] for s in senders]"
    hint = edited(hints_for(source, senders=SENDERS))
    assert edited_run(source, hint, senders=SENDERS)["hosts"] == ["north.example", None,
                                                                  "South.example"]


def test_a_part_taken_in_a_plain_loop_gets_advice_only() -> None:
    hints = hints_for("for s in senders:\n    print(s.split('@')[1])", senders=SENDERS)
    assert no_edit(hints) and "'@' in s" in hints[0]


# Arrays to stack given as a generator ------------------------------------------------------------


def test_arrays_stacked_from_a_generator_are_stacked_from_a_list() -> None:
    source = "grid = np.column_stack(np.full(2, k) for k in range(3))"
    hint = edited(hints_for(source))
    assert hint.edit[1] == "np.column_stack([np.full(2, k) for k in range(3)])"
    assert edited_run(source, hint)["grid"].shape == (2, 3)


def test_a_concatenation_from_a_generator_keeps_its_axis() -> None:
    source = "flat = np.concatenate((np.arange(k) for k in (1, 2)), axis=0)"
    hint = edited(hints_for(source))
    assert edited_run(source, hint)["flat"].tolist() == [0, 0, 1]
