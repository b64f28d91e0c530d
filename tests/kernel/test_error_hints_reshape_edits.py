"""Hint edits for shapes and forms pandas/numpy no longer take (`kernel/fix/rules/`): a
renaming dict given to `agg`, a row-wise function given to `DataFrame.apply` without `axis=1`,
a reshape whose one wrong dimension numpy can compute, a 1-D array joined to a 2-D one, and
a value of a column used as a column, lists counted or collected where hashable items are
needed; each edit is applied and the cell run again, on data of this file's own. Where the fix is
not the only one the data allows, no edit is offered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.hint_edits import edited_run, hints_for, no_edit

# A renaming dict in agg --------------------------------------------------------------------

TRIPS = pd.DataFrame({"line": ["A", "B", "A", "B", "A"], "minutes": [12, 30, 18, 20, 15]})


def test_a_renaming_dict_on_a_column_becomes_named_aggregation() -> None:
    source = ('per_line = trips.groupby("line")["minutes"]'
              '.agg({"longest": "max", "mean_min": "mean"})\n')
    hints = hints_for(source, trips=TRIPS)
    ns = edited_run(source, hints, trips=TRIPS)
    assert ns["per_line"].to_dict() == {"longest": {"A": 18, "B": 30},
                                        "mean_min": {"A": 15.0, "B": 25.0}}


def test_a_nested_renaming_dict_on_a_frame_names_column_and_function() -> None:
    source = ('per_line = trips.groupby("line")'
              '.agg({"minutes": {"total": "sum", "trips": "count"}})\n')
    hints = hints_for(source, trips=TRIPS)
    ns = edited_run(source, hints, trips=TRIPS)
    assert ns["per_line"].to_dict() == {"total": {"A": 45, "B": 50}, "trips": {"A": 3, "B": 2}}


def test_names_that_are_not_identifiers_are_passed_as_a_mapping() -> None:
    source = 'per_line = trips.groupby("line")["minutes"].agg({"mean minutes": "mean"})\n'
    ns = edited_run(source, hints_for(source, trips=TRIPS), trips=TRIPS)
    assert ns["per_line"].to_dict() == {"mean minutes": {"A": 15.0, "B": 25.0}}


def test_a_dict_mixing_renames_and_plain_functions_gets_no_edit() -> None:
    # Which name the plain "line": "count" should get is the user's to say.
    source = 'trips.groupby("line").agg({"minutes": {"total": "sum"}, "line": "count"})\n'
    hints = hints_for(source, trips=TRIPS)
    assert no_edit(hints), hints


# A row-wise function without axis=1 --------------------------------------------------------

ROOMS = pd.DataFrame({"room": ["a", "b"], "width": [3.0, 4.5], "depth": [2.0, 4.0]})


def test_a_lambda_reading_columns_by_name_gets_axis_1() -> None:
    source = 'rooms["area"] = rooms.apply(lambda r: r["width"] * r["depth"])\n'
    rooms = ROOMS.copy()
    ns = edited_run(source, hints_for(source, rooms=rooms), rooms=ROOMS.copy())
    assert ns["rooms"]["area"].tolist() == [6.0, 18.0]


def test_a_function_of_the_cell_reading_columns_gets_axis_1() -> None:
    source = ("def label(row):\n    return f\"{row['room']}:{row['width']}\"\n"
              "labels = rooms.apply(label)\n")
    ns = edited_run(source, hints_for(source, rooms=ROOMS.copy()), rooms=ROOMS.copy())
    assert ns["labels"].tolist() == ["a:3.0", "b:4.5"]


def test_a_key_that_is_not_a_column_gets_no_axis_edit() -> None:
    source = 'rooms.apply(lambda r: r["height"] * 2)\n'
    hints = hints_for(source, rooms=ROOMS.copy())
    assert not any("axis=1" in str(h) for h in hints), hints


# A reshape with one dimension that does not fit --------------------------------------------

def test_the_one_dimension_that_does_not_divide_the_size_becomes_minus_one() -> None:
    readings = np.arange(10 * 7, dtype=float)  # ten weeks of days, read as nine
    source = "by_week = readings.reshape((9, 7))\n"
    hints = hints_for(source, readings=readings)
    assert "`-1`" in str(hints[0])
    assert edited_run(source, hints, readings=readings)["by_week"].shape == (10, 7)


def test_a_reshape_where_both_dimensions_could_be_computed_gets_no_edit() -> None:
    source = "by_year = readings.reshape(6, 12)\n"  # 60 values: 5 x 12 and 6 x 10 both fit
    hints = hints_for(source, readings=np.arange(60))
    assert hints and no_edit(hints)


def test_a_reshape_where_no_dimension_divides_the_size_gets_no_edit() -> None:
    source = "grid = np.reshape(cells, (5, 5))\n"  # 36 values: 5 divides neither way
    hints = hints_for(source, cells=np.arange(36))
    assert hints and no_edit(hints)


# A 1-D array joined to a 2-D one -------------------------------------------------------------

def test_a_row_joined_to_a_block_is_stacked_as_a_new_row() -> None:
    block, row = np.ones((2, 3)), np.array([7.0, 8.0, 9.0])
    source = "block = np.concatenate((block, row))\n"
    ns = edited_run(source, hints_for(source, block=block, row=row), block=block, row=row)
    assert ns["block"].shape == (3, 3) and ns["block"][-1].tolist() == [7.0, 8.0, 9.0]


def test_a_column_appended_along_axis_1_is_stacked_as_a_new_column() -> None:
    block, column = np.zeros((3, 2)), np.array([1.0, 2.0, 3.0])
    source = "wider = np.append(block, column, axis=1)\n"
    ns = edited_run(source, hints_for(source, block=block, column=column),
                    block=block, column=column)
    assert ns["wider"].shape == (3, 3) and ns["wider"][:, -1].tolist() == [1.0, 2.0, 3.0]


def test_a_row_of_another_length_gets_no_stack_edit() -> None:
    block, row = np.ones((2, 3)), np.array([7.0, 8.0])
    hints = hints_for("np.concatenate([block, row])\n", block=block, row=row)
    assert no_edit(hints)


# A value of a column used as a column ----------------------------------------------------------

CREW = pd.DataFrame({"ship": ["Ark", "Bee", "Ark"], "sailor": ["Ed", "Flo", "Gus"],
                     "hours": [6, 4, 9]})


def test_a_value_used_as_a_column_selects_the_rows_holding_it() -> None:
    source = ("per_ship = {}\nfor ship in crew['ship'].unique():\n"
              "    per_ship[ship] = crew[ship]['hours'].sum()\n")
    ns = edited_run(source, hints_for(source, crew=CREW), crew=CREW)
    assert ns["per_ship"] == {"Ark": 15, "Bee": 4}


def test_the_edit_is_widened_where_the_text_recurs_in_another_name() -> None:
    # `crew[ship]` is also the end of `per_crew[ship]`: the edit takes the whole read.
    source = ("per_crew = {}\nfor ship in crew['ship'].unique():\n"
              "    per_crew[ship] = int(crew[ship]['hours'].sum())\n")
    ns = edited_run(source, hints_for(source, crew=CREW), crew=CREW)
    assert ns["per_crew"] == {"Ark": 15, "Bee": 4}


def test_a_value_held_by_two_columns_gets_advice_without_an_edit() -> None:
    both = pd.DataFrame({"home": ["Ark", "Bee"], "away": ["Bee", "Ark"]})
    hints = hints_for("both['Ark']\n", both=both)
    assert hints and no_edit(hints) and "'home', 'away'" in str(hints[0])


def test_a_key_that_no_column_holds_gets_no_row_selection() -> None:
    hints = hints_for("crew['Zed']\n", crew=CREW)
    assert not any("rows holding it" in str(h) for h in hints), hints


def test_the_items_counted_from_lists_become_tuples() -> None:
    trips = [{"route": ["A", "B"]}, {"route": ["B", "A"]}, {"route": ["A", "B"]}]
    source = ("from collections import Counter\n"
              "route_counts = Counter(t['route'] for t in trips)\nbest = route_counts.most_common(1)")
    found = hints_for(source, trips=trips)
    assert any("`tuple(t['route'])`" in h for h in found), found
    edited = edited_run(source, found, trips=trips)
    assert edited["best"] == [(("A", "B"), 2)]


def test_set_and_dict_comprehensions_hash_their_items_and_keys() -> None:
    rows = [[1, 2], [1, 2], [3]]
    assert edited_run("seen = {r for r in rows}", hints_for("seen = {r for r in rows}",
                                                             rows=rows), rows=rows)["seen"] == {
        (1, 2), (3,)}
    tags = [{"a"}, {"b"}]
    source = "first = {t: i for i, t in enumerate(tags)}"
    assert edited_run(source, hints_for(source, tags=tags), tags=tags)["first"] == {
        frozenset({"a"}): 0, frozenset({"b"}): 1}


def test_two_hashing_comprehensions_on_the_line_get_no_item_edit() -> None:
    rows = [[1, 2], [3]]
    found = hints_for("both = (set(r for r in rows), set(r for r in rows))", rows=rows)
    assert found and no_edit(found)


def test_a_flat_position_unpacked_as_row_and_column_is_unravelled() -> None:
    dist = np.array([[0.0, 4.0, 9.0], [4.0, 7.0, 2.5], [9.0, 2.5, 8.0]])
    source = "i, j = np.argmax(dist)\nfar = (int(i), int(j))"
    found = hints_for(source, dist=dist)
    assert any("np.unravel_index(np.argmax(dist), dist.shape)" in h for h in found), found
    assert edited_run(source, found, dist=dist)["far"] == (0, 2)
    method = "r, c = dist.argmin()"
    assert edited_run(method, hints_for(method, dist=dist), dist=dist)["c"] == 0


def test_a_flat_position_inside_a_function_of_the_cell_is_unravelled() -> None:
    dist = np.array([[5.0, 1.0], [3.0, 4.0]])
    source = ("def nearest(dist):\n    i, j = np.argmin(dist)\n    return (int(i), int(j))\n"
              "pair = nearest(dist)")
    assert edited_run(source, hints_for(source, dist=dist), dist=dist)["pair"] == (0, 1)
