"""Hint edits computed from the exception and the live objects (issue 19): each edit is
applied and the cell run again, on data of this file's own (not the evaluation tasks')."""

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


def edited_run(source: str, hint: str, **values: Any) -> dict[str, Any]:
    assert isinstance(hint, Hint) and hint.edit, hint
    old, new = hint.edit
    assert source.count(old) == 1, (old, source)
    ns: dict[str, Any] = {"pd": pd, "np": np, **values}
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def test_a_dict_entry_updated_before_it_exists_starts_at_zero() -> None:
    source = "totals = {}\nfor city, amount in sales:\n    totals[city] += amount\n"
    sales = [("Oslo", 2.5), ("Rome", 1.0), ("Oslo", 0.5)]
    [hint] = hints_for(source, sales=sales)
    assert "totals.get(city, 0) + amount" in hint
    assert edited_run(source, hint, sales=sales)["totals"] == {"Oslo": 3.0, "Rome": 1.0}


def test_a_text_accumulator_starts_empty() -> None:
    source = "log = {}\nlog['warn'] += 'x'\n"
    [hint] = hints_for(source)
    assert edited_run(source, hint)["log"] == {"warn": "x"}


def test_a_merge_key_is_paired_with_the_column_holding_its_values() -> None:
    """Spelling says `customer` (names), the values say `cid`."""
    orders = pd.DataFrame({"customer_id": [7, 9, 7], "total": [3, 4, 5]})
    customers = pd.DataFrame({"customer": ["Ann", "Bo"], "cid": [7, 9]})
    source = "joined = orders.merge(customers, on='customer_id')"
    hints = hints_for(source, orders=orders, customers=customers)
    hint = next(h for h in hints if isinstance(h, Hint) and h.edit)
    assert "right_on='cid'" in hint
    joined = edited_run(source, hint, orders=orders, customers=customers)["joined"]
    assert list(joined["customer"]) == ["Ann", "Bo", "Ann"]


def test_dates_of_a_column_get_the_one_format_all_its_values_parse_with() -> None:
    visits = pd.DataFrame({"day": ["31.01.2025", "02.02.2025", "14.02.2025"]})
    source = "visits['day'] = pd.to_datetime(visits['day'], format='ISO8601')"
    [hint] = hints_for(source, visits=visits.copy())
    assert "'%d.%m.%Y'" in hint
    ns = edited_run(source, hint, visits=visits.copy())
    assert [d.month for d in ns["visits"]["day"]] == [1, 2, 2]


def test_an_ambiguous_column_of_dates_gets_no_edit() -> None:
    visits = pd.DataFrame({"day": ["01/02/2025", "03/04/2025", "banana"]})
    hints = hints_for("pd.to_datetime(visits['day'], format='ISO8601')", visits=visits)
    assert not any(isinstance(h, Hint) and h.edit for h in hints)


def test_a_label_lost_to_a_filter_is_read_by_position() -> None:
    scores = pd.DataFrame({"team": ["x", "y", "z", "w"], "pts": [3, 9, 7, 1]})
    source = "best = scores[scores['pts'] > 5].sort_values('pts', ascending=False)\ntop = best.loc[0, 'team']"
    hints = hints_for(source, scores=scores)
    hint = next(h for h in hints if isinstance(h, Hint) and h.edit)
    assert edited_run(source, hint, scores=scores)["top"] == "y"


def test_a_label_that_is_no_position_gets_no_position_edit() -> None:
    s = pd.Series([1, 2], index=[5, 6])
    hints = hints_for("v = s.loc[9]", s=s)
    assert not any(isinstance(h, Hint) and h.edit for h in hints)


def test_int_with_missing_values_becomes_the_nullable_int() -> None:
    rooms = pd.DataFrame({"beds": [2.0, np.nan, 1.0]})
    source = "rooms['beds'] = rooms['beds'].astype(int)  # int beds"
    hints = hints_for(source, rooms=rooms.copy())
    hint = next(h for h in hints if isinstance(h, Hint) and h.edit)
    ns = edited_run(source, hint, rooms=rooms.copy())
    assert str(ns["rooms"]["beds"].dtype) == "Int64" and ns["rooms"]["beds"].isna().sum() == 1


def test_a_live_frame_read_again_from_a_missing_file_is_used_as_it_is() -> None:
    trips = pd.DataFrame({"km": [3.5, 12.0]})
    source = "trips = pd.read_csv('trips_2024.csv')\ntotal_km = trips['km'].sum()"
    [hint] = hints_for(source, trips=trips)
    assert edited_run(source, hint, trips=trips)["total_km"] == 15.5


def test_a_new_name_read_from_a_missing_file_gets_no_edit() -> None:
    hints = hints_for("fresh = pd.read_csv('nowhere_at_all.csv')")
    assert not any(isinstance(h, Hint) and h.edit for h in hints)


def test_and_between_row_conditions_of_a_filter_becomes_element_wise() -> None:
    crew = pd.DataFrame({"role": ["pilot", "cook", "pilot"], "hours": [900, 1200, 300]})
    source = "senior = crew[crew['role'] == 'pilot' and crew['hours'] > 500]"
    hint = next(h for h in hints_for(source, crew=crew) if isinstance(h, Hint) and h.edit)
    assert edited_run(source, hint, crew=crew)["senior"].index.tolist() == [0]
    source = "if crew['hours'] > 500 and crew['role'] == 'cook':\n    flag = 1"
    assert not any(isinstance(h, Hint) and h.edit for h in hints_for(source, crew=crew))


def test_text_methods_on_an_integer_column_convert_it_first() -> None:
    parts = pd.DataFrame({"part": [42, 7, 1300]})
    source = "parts['label'] = parts['part'].str.zfill(5)"
    hints = hints_for(source, parts=parts.copy())
    [hint] = [h for h in hints if isinstance(h, Hint) and h.edit]
    assert not any("Did you mean" in h for h in hints)
    assert edited_run(source, hint, parts=parts.copy())["parts"]["label"].tolist() == [
        "00042", "00007", "01300"]
    floats = pd.DataFrame({"part": [4.2, None]})
    assert not any(isinstance(h, Hint) and h.edit
                   for h in hints_for("floats['part'].str.len()", floats=floats))


def test_nan_put_into_an_integer_array_makes_it_float_first() -> None:
    depth = np.array([12, -1, 30, -1])
    source = "depth[depth < 0] = np.nan\nmean_depth = np.nanmean(depth)"
    [hint] = hints_for(source, depth=depth.copy())
    assert edited_run(source, hint, depth=depth.copy())["mean_depth"] == 21.0


def test_a_merge_key_held_as_text_on_one_side_is_read_as_numbers() -> None:
    visits = pd.DataFrame({"pet_id": [3, 5, 3], "fee": [40, 25, 60]})
    pets = pd.DataFrame({"pet_id": ["3", "5", "8"], "pet": ["Rex", "Tom", "Kiwi"]})
    source = "billed = visits.merge(pets, on='pet_id', how='left')"
    [hint] = hints_for(source, visits=visits, pets=pets)
    assert edited_run(source, hint, visits=visits, pets=pets)["billed"]["pet"].tolist() == [
        "Rex", "Tom", "Rex"]
    coded = pd.DataFrame({"pet_id": ["3", "P5"], "pet": ["Rex", "Tom"]})
    [hint] = hints_for(source.replace("pets", "coded"), visits=visits, coded=coded)
    assert isinstance(hint, Hint) and hint.edit is None  # 'P5' reads as no number
