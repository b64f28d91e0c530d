"""Exact edits for plain-Python mistakes (`kernel/fix/rules/python_rules.py`): two loop
variables over a dict, a float where a position goes, dicts ordered without a key. Each edit
is applied and the cell run again; a case where the rewrite does not follow gets none."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_localai.kernel.fix.hints import Hint, error_hints


def hints_for(source: str, **values: Any) -> list[str]:
    ns: dict[str, Any] = {"pd": pd, "np": np, **values}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return error_hints(exc, source, ns)
    raise AssertionError(f"{source!r} did not raise")


def edit_of(hints: list[str]) -> tuple[str, str]:
    edits = [h.edit for h in hints if isinstance(h, Hint) and h.edit]
    assert len(edits) == 1, hints
    return edits[0]


def edited_run(source: str, hints: list[str], **values: Any) -> dict[str, Any]:
    old, new = edit_of(hints)
    assert source.count(old) == 1, (old, source)
    ns: dict[str, Any] = {"pd": pd, "np": np, **values}
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def no_edits(hints: list[str]) -> bool:
    return not any(isinstance(h, Hint) and h.edit for h in hints)


# Two loop variables over a dict

def test_a_loop_over_a_dict_with_two_names_gets_its_pairs() -> None:
    stock = {"bolts": 40, "nuts": 75}
    source = "doubled = {}\nfor part, count in stock:\n    doubled[part] = count * 2\n"
    hints = hints_for(source, stock=stock)
    assert ".items()" in hints[0]
    assert edited_run(source, hints, stock=stock)["doubled"] == {"bolts": 80, "nuts": 150}


def test_a_comprehension_over_a_dict_gets_its_pairs() -> None:
    rates = {"eur": 1.1, "gbp": 1.3}
    source = "labels = [f'{code}={rate}' for code, rate in rates]\n"
    hints = hints_for(source, rates=rates)
    assert edited_run(source, hints, rates=rates)["labels"] == ["eur=1.1", "gbp=1.3"]


def test_a_list_of_triples_unpacked_into_two_gets_no_edit() -> None:
    rows = [(1, 2, 3), (4, 5, 6)]
    assert no_edits(hints_for("for a, b in rows:\n    pass\n", rows=rows))


# A float where a position goes

def test_a_split_point_made_as_a_float_becomes_an_int_where_it_is_made() -> None:
    samples = list(range(10))
    source = ("cut = len(samples) * 0.8\n"
              "train, held = samples[:cut], samples[cut:]\n")
    hints = hints_for(source, samples=samples)
    ns = edited_run(source, hints, samples=samples)
    assert (ns["train"], ns["held"]) == (list(range(8)), [8, 9])


def test_a_halved_length_as_an_index_becomes_an_int() -> None:
    heights = [150, 162, 171, 180, 191]
    source = "middle = heights[len(heights) / 2]\n"
    assert edited_run(source, hints_for(source, heights=heights), heights=heights)["middle"] == 171


def test_a_float_bound_assigned_twice_gets_no_edit() -> None:
    xs = list(range(6))
    source = "k = 2\nk = k * 1.5\nhead = xs[:k]\n"
    assert no_edits(hints_for(source, xs=xs))


# Dicts ordered without a key

def test_records_sorted_without_a_key_are_ordered_by_their_one_number_field() -> None:
    runners = [{"bib": "A7", "minutes": 41.5}, {"bib": "C2", "minutes": 38.0},
               {"bib": "B4", "minutes": 44.25}]
    source = "order = sorted(runners, reverse=True)\nslowest = order[0]['bib']\n"
    hints = hints_for(source, runners=runners)
    assert "key=lambda row: row['minutes']" in hints[0]
    assert edited_run(source, hints, runners=runners)["slowest"] == "B4"


def test_records_sorted_in_place_and_the_maximum_get_the_key_too() -> None:
    boxes = [{"label": "x", "kg": 3}, {"label": "y", "kg": 9}]
    ns = edited_run("boxes.sort()\n", hints_for("boxes.sort()\n", boxes=boxes), boxes=boxes)
    assert [b["label"] for b in ns["boxes"]] == ["x", "y"]
    source = "heaviest = max(boxes)['label']\n"
    assert edited_run(source, hints_for(source, boxes=boxes), boxes=boxes)["heaviest"] == "y"


def test_records_with_two_number_fields_get_no_edit_but_both_are_named() -> None:
    games = [{"home": 2, "away": 1}, {"home": 0, "away": 3}]
    hints = hints_for("ranked = sorted(games)\n", games=games)
    assert no_edits(hints) and "`away`" in hints[0] and "`home`" in hints[0]


# A merge's shared columns read under suffixes it did not give (`combine_rules.py`)

def test_suffixes_the_cell_reads_are_passed_to_the_merge_side_by_side() -> None:
    sales_2023 = pd.DataFrame({"shop": ["n", "s"], "revenue": [10, 20]})
    sales_2024 = pd.DataFrame({"shop": ["s", "n"], "revenue": [26, 11]})
    source = ("both = sales_2023.merge(sales_2024, on='shop')\n"
              "both['growth'] = both['revenue_2024'] - both['revenue_2023']\n")
    hints = hints_for(source, sales_2023=sales_2023, sales_2024=sales_2024)
    ns = edited_run(source, hints, sales_2023=sales_2023, sales_2024=sales_2024)
    assert ns["both"].set_index("shop")["growth"].to_dict() == {"n": 1, "s": 6}


def test_suffixes_that_name_neither_frame_get_no_edit() -> None:
    a = pd.DataFrame({"k": [1], "v": [2]})
    b = pd.DataFrame({"k": [1], "v": [3]})
    source = "m = a.merge(b, on='k')\nd = m['v_old'] - m['v_new']\n"
    hints = hints_for(source, a=a, b=b)
    assert no_edits(hints) and any("'v_x'" in h for h in hints)


def test_of_two_number_fields_the_one_the_cell_names_orders_the_records() -> None:
    games = [{"team": "ox", "goals": 3, "played": 9}, {"team": "elk", "goals": 7, "played": 8},
             {"team": "yak", "goals": 5, "played": 10}]
    source = "# most goals first\ntable = sorted(games, reverse=True)\nleader = table[0]['team']\n"
    hints = hints_for(source, games=games)
    assert edited_run(source, hints, games=games)["leader"] == "elk"


def test_a_field_read_for_display_does_not_choose_the_order() -> None:
    games = [{"team": "ox", "goals": 3, "played": 9}, {"team": "elk", "goals": 7, "played": 8}]
    source = "table = sorted(games)\nshown = [g['played'] for g in table]\n"
    assert no_edits(hints_for(source, games=games))


# A sum or a mean over strings of numbers


def test_a_sum_of_integer_strings_converts_each_to_int() -> None:
    readings = ["3", "4", "5"]
    source = "total = sum(readings)\n"
    hints = hints_for(source, readings=readings)
    ran = edited_run(source, hints, readings=readings)
    assert ran["total"] == 12 and type(ran["total"]) is int


def test_a_sum_of_decimal_strings_with_a_start_converts_each_to_float() -> None:
    prices = pd.Series(["1.5", "2.25", "3"])
    source = "grand = 10 + sum(prices, start=0)\n"
    hints = hints_for(source, prices=prices)
    assert edited_run(source, hints, prices=prices)["grand"] == 16.75


def test_a_sum_of_strings_that_are_not_all_numbers_gets_no_edit() -> None:
    readings = ["3", "four", "5"]
    hints = hints_for("total = sum(readings)\n", readings=readings)
    assert hints and no_edits(hints)


def test_a_statistics_mean_and_a_numpy_mean_of_number_strings_convert_each() -> None:
    import statistics

    readings = ["3", "4.5", "6"]
    for source, name in [("average = statistics.mean(readings)\n", "average"),
                         ("centre = np.mean(readings, axis=0)\n", "centre")]:
        hints = hints_for(source, readings=readings, statistics=statistics)
        assert edited_run(source, hints, readings=readings,
                          statistics=statistics)[name] == 4.5, source


def test_a_function_the_notebook_named_sum_is_not_taken_for_the_builtin() -> None:
    def sum(values: list[str]) -> str:
        return values[0] + 1  # type: ignore[operator]

    hints = hints_for("total = sum(readings)\n", readings=["3", "4"], sum=sum)
    assert no_edits(hints)


# Arithmetic on text columns: each text side converted


def test_two_text_timestamp_columns_are_parsed_before_subtracting() -> None:
    trips = pd.DataFrame({"out": ["2024-02-28 21:10", "2024-03-01 08:00"],
                          "back": ["2024-02-29 01:40", "2024-03-01 09:30"]})
    source = "trips['minutes'] = (trips['back'] - trips['out']).dt.total_seconds() / 60\n"
    hints = hints_for(source, trips=trips)
    ran = edited_run(source, hints, trips=trips)
    assert ran["trips"]["minutes"].tolist() == [270.0, 90.0]


def test_a_number_minus_a_text_column_converts_the_column() -> None:
    stock = pd.DataFrame({"sold": ["3", "12"]})
    source = "stock['left'] = 20 - stock['sold']\n"
    hints = hints_for(source, stock=stock)
    assert edited_run(source, hints, stock=stock)["stock"]["left"].tolist() == [17, 8]


def test_text_dates_whose_day_and_month_are_ambiguous_get_no_edit() -> None:
    visits = pd.DataFrame({"a": ["03/04/2024", "05/06/2024"], "b": ["04/04/2024", "06/06/2024"]})
    hints = hints_for("gap = visits['b'] - visits['a']\n", visits=visits)
    assert hints and no_edits(hints)
