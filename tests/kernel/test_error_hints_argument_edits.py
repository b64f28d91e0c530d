"""Hint edits for arguments and indexers in the wrong form (`kernel/fix/rules/`): a percent
given to `quantile`, `max` of an empty list, a lone `%` ending a %-format, bytes split with
text, a datetime compared with a date, year and month assembled without a day, several
columns given to `.loc` without a list, a spaced column name bare in `query`, and two
lists of positions meant as a block. Each edit is applied and the cell run again, on data
of this file's own; where the intent is not plain, the hint makes no edit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from support.hint_edits import edited_run, hints_for, no_edit


def test_a_percent_given_to_quantile_becomes_a_fraction() -> None:
    waits = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    source = "p90 = np.quantile(waits, 90)"
    found = hints_for(source, waits=waits)
    assert any("`0.9`" in h for h in found), found
    assert edited_run(source, found, waits=waits)["p90"] == np.quantile(waits, 0.9)
    series = "p90 = pd.Series(waits).quantile(q=90)"
    assert edited_run(series, hints_for(series, waits=waits), waits=waits)["p90"] == 4.6


def test_max_of_an_empty_list_gets_a_default() -> None:
    source = "top = {k: max(v) for k, v in logs.items()}"
    logs = {"a": [3, 9], "b": []}
    found = hints_for(source, logs=logs)
    assert edited_run(source, found, logs=logs)["top"] == {"a": 9, "b": None}
    assert no_edit(hints_for("both = max(xs) + max(ys)", xs=[], ys=[]))  # which one: unsaid


def test_a_lone_percent_at_the_end_of_a_format_is_doubled() -> None:
    source = "label = 'share: %.0f%' % 42.0"
    found = hints_for(source)
    assert edited_run(source, found)["label"] == "share: 42%"


def test_bytes_split_with_text_are_decoded_first() -> None:
    blob = "név,kor\nÁdám,31\n".encode()
    source = "rows = [r.split(',') for r in blob.rstrip().split('\\n')]"
    found = hints_for(source, blob=blob)
    assert any('decode("utf-8")' in h for h in found), found
    assert edited_run(source, found, blob=blob)["rows"] == [["név", "kor"], ["Ádám", "31"]]


def test_a_datetime_compared_with_a_date_compares_its_day() -> None:
    seen = [dt.datetime(2024, 3, 1, 9, 30), dt.datetime(2024, 2, 27, 23, 0)]
    start = dt.date(2024, 3, 1)
    source = "recent = [s for s in seen if s >= start]"
    found = hints_for(source, seen=seen, start=start)
    assert edited_run(source, found, seen=seen, start=start)["recent"] == [seen[0]]


def test_year_and_month_columns_are_dated_on_the_first() -> None:
    sales = pd.DataFrame({"year": [2024, 2024], "month": [1, 2], "units": [5, 7]})
    source = "sales['when'] = pd.to_datetime(sales[['year', 'month']])"
    found = hints_for(source, sales=sales)
    ns = edited_run(source, found, sales=sales.copy())
    assert ns["sales"]["when"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-02-01"]


def test_several_columns_given_to_loc_go_in_one_list() -> None:
    team = pd.DataFrame({"who": ["a", "b"], "pts": [3, 8], "age": [20, 30]})
    source = "picked = team.loc[team['pts'] > 5, 'who', 'age']"
    found = hints_for(source, team=team)
    assert edited_run(source, found, team=team)["picked"].to_dict("list") == {
        "who": ["b"], "age": [30]}


def test_a_spaced_column_name_in_query_gets_backticks() -> None:
    stock = pd.DataFrame({"item": ["pen", "ink"], "shelf life": [400, 90]})
    source = "short = stock.query('shelf life < 100')"
    found = hints_for(source, stock=stock)
    assert edited_run(source, found, stock=stock)["short"]["item"].tolist() == ["ink"]


def test_two_lists_of_positions_select_the_block() -> None:
    grid = np.arange(12).reshape(3, 4)
    source = "block = grid[[0, 2], [1, 2, 3]]"
    found = hints_for(source, grid=grid)
    assert edited_run(source, found, grid=grid)["block"].tolist() == [[1, 2, 3], [9, 10, 11]]


def test_rows_of_three_fields_given_to_dict_get_advice_only() -> None:
    found = hints_for("lookup = dict(rows)", rows=[("a", "x", 1), ("b", "y", 2)])
    assert any("{r[0]: r[2] for r in rows}" in h for h in found), found
    assert no_edit(found)
