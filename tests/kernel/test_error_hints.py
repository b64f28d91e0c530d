"""Computed error hints: real errors from real cells, hints that state facts about them."""

from __future__ import annotations

import copy
import datetime
import importlib
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.kernel.fix.hints import (
    MAX_HINT_CHARS,
    MAX_HINTS,
    Hint,
    error_hints,
    hint_edits,
)
from jupyter_localai.kernel.fix.rules import Rule


def raised(source: str, namespace: dict[str, Any]) -> BaseException:
    try:
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return exc
    raise AssertionError(f"{source!r} did not raise")


def hints(source: str, **values: Any) -> list[str]:
    """Run `source` as a cell (pandas, numpy and datetime imported) and hint its error."""
    namespace: dict[str, Any] = {"pd": pd, "np": np, "datetime": datetime.datetime, **values}
    found = error_hints(raised(source, namespace), source, namespace)
    assert len(found) <= MAX_HINTS and all(len(hint) <= MAX_HINT_CHARS for hint in found)
    return found


def only(found: list[str]) -> str:
    assert len(found) == 1, found
    return found[0]


# Rule 1: attributes of another type, removed pandas methods


def test_a_str_method_on_an_int_says_to_convert_first() -> None:
    hint = only(hints("n = 7\ncode = n.zfill(3)"))
    assert "method of str, not int" in hint and "`str(n).zfill(3)`" in hint


def test_a_str_method_on_a_series_points_to_the_str_accessor() -> None:
    assert "`s.str.lower()`" in only(hints("s = pd.Series(['A', 'b'])\ns.lower()"))
    numbers = only(hints("s = pd.Series([7, 42])\ns.zfill(3)"))
    assert "`s.astype(str).str.zfill(3)`" in numbers


def test_a_date_attribute_on_a_series_points_to_the_dt_accessor() -> None:
    dates = pd.Series(pd.to_datetime(["2024-01-05"]))
    assert "`s.dt.year`" in only(hints("s.year", s=dates))
    assert "`pd.to_datetime(s).dt.year`" in only(hints("s.year", s=pd.Series(["2024-01-05"])))


def test_a_series_method_on_a_dataframe_selects_a_real_column() -> None:
    hint = only(hints("df.lower()", df=pd.DataFrame({"age": [30], "name": ["Ann"]})))
    assert "`df['name'].str.lower()`" in hint  # the text column, not the first one


def test_list_and_dict_mistakes() -> None:
    assert "`np.array(xs).mean()`" in only(hints("xs.mean()", xs=[1, 2]))
    assert "`[v.upper() for v in xs]`" in only(hints("xs.upper()", xs=["a"]))
    assert "`d[key] = value`" in only(hints("d.append(1)", d={}))
    assert "np.append(a, values)" in only(hints("a.append(2)", a=np.array([1])))


def test_a_string_used_as_a_date_gets_its_parse_format() -> None:
    hint = only(hints("t.year", t="2024-07-04"))
    assert "`datetime.strptime(t, '%Y-%m-%d').year`" in hint


def test_str_accessor_on_a_single_value_inside_apply() -> None:
    df = pd.DataFrame({"a": ["x"]})
    hint = only(hints("df['a'].apply(lambda v: v.str.upper())", df=df))
    assert "single value" in hint and "drop `.str`" in hint


def test_the_type_object_message_names_the_owner() -> None:
    assert "method of str" in only(hints("int.zfill(5, 3)"))


@pytest.mark.skipif(hasattr(pd.DataFrame, "append"), reason="this pandas still has append")
def test_removed_pandas_methods_name_their_replacement() -> None:
    df = pd.DataFrame({"a": [1]})
    hint = only(hints("df = df.append({'a': 2}, ignore_index=True)", df=df))
    assert "removed in pandas 2.0" in hint and "pd.concat([df, pd.DataFrame([row])]" in hint
    assert "`df.items()`" in only(hints("for k, v in df.iteritems():\n    pass", df=df))
    assert "pd.Series([value])" in only(hints("s.append(s)", s=pd.Series([1])))


def test_an_attribute_typo_is_left_to_the_did_you_mean_hints() -> None:
    assert hints("df.colums", df=pd.DataFrame({"a": [1]})) == []
    assert hints("x = None\nx.foo") == []


# Rule 2: KeyError on DataFrames and Series


def test_a_single_column_with_separators_means_the_wrong_separator() -> None:
    df = pd.DataFrame({"city;temp;rain": ["Oslo;3;1"]})
    hint = only(hints("df['temp'].mean()", df=df))
    assert "sep=';'" in hint and "'city;temp;rain'" in hint
    tabs = pd.DataFrame({"a\tb": [1]})
    assert "sep='\\t'" in only(hints("tabs['b']", tabs=tabs))


def test_an_int_key_on_labels_points_to_iloc() -> None:
    s = pd.Series([1, 2], index=["x", "y"])
    hint = only(hints("s[0]", s=s))
    assert "`s.iloc[0]`" in hint and "'x', 'y'" in hint
    df = pd.DataFrame({"a": [1]}, index=["r1"])
    column = only(hints("df[0]", df=df))
    assert "column named 0" in column and "`df.iloc[0]`" in column
    assert "`df.iloc[0]`" in only(hints("df.loc[0]", df=df))


def test_a_missing_column_of_a_normal_frame_gives_no_separator_hint() -> None:
    df = pd.DataFrame({"a": [1], "b": [2]})
    assert hints("df['c']", df=df) == []
    assert hints("s[5]", s=pd.Series([1, 2])) == []  # an int index: the key is a label


# Rule 3: strings that are not numbers


def test_thousands_separators_are_removed_first() -> None:
    hint = only(hints("x = '1,204'\nvalue = float(x)"))
    assert "thousands separator" in hint and "`float(x.replace(',', ''))`" in hint
    series = only(hints("df['n'].astype(float)", df=pd.DataFrame({"n": ["1,204"]})))
    assert "df['n'].str.replace(',', '')" in series and "thousands=','" in series


def test_currency_percent_and_units() -> None:
    money = only(hints("s.astype(float)", s=pd.Series(["$1,204.50"])))
    assert "'$'" in money and "regex=True" in money
    assert "divide by 100" in only(hints("float(p)", p="12%"))
    assert "removesuffix('kg')" in only(hints("float(w)", w="12kg"))
    assert "decimal mark" in only(hints("float(d)", d="3,5"))


def test_a_column_of_decimal_comma_numbers_is_converted_with_the_comma_as_the_point() -> None:
    """`1.050,00` and `4,20` read only one way; `'3,5'` alone (a pair?) keeps no edit."""
    cost = pd.Series(["4,20", "1.050,00", "7,75"])
    source = "cost = cost.astype(float)"
    assert run_fixed(source, cost=cost.copy())["cost"].tolist() == [4.2, 1050.0, 7.75]
    source = "total = pd.to_numeric(cost).sum()"
    assert run_fixed(source, cost=cost.copy())["total"] == pytest.approx(1061.95)
    assert hint_edits(hints("cost.astype(float)", cost=pd.Series(["4,20", "n/a"]))) == []
    # Every value a thousands separator could read: the existing cleaning, not this one.
    assert run_fixed(source, cost=pd.Series(["1,250", "2,500"]))["total"] == 3750


def test_missing_value_tokens_become_nan() -> None:
    hint = only(hints("pd.to_numeric(s)", s=pd.Series(["1", "n/a"])))
    assert "errors='coerce'" in hint and "'n/a'" in hint


def test_int_of_a_decimal_string_goes_through_float() -> None:
    assert "`int(float(x))`" in only(hints("int(x)", x="3.5"))


# Rule 4: dates


def test_a_date_that_does_not_match_gets_the_format_it_does_match() -> None:
    hint = only(hints("d = datetime.strptime(text, '%d-%m-%Y')", text="2024-07-04"))
    assert "'%Y-%m-%d'" in hint and "datetime.strptime(text, '%Y-%m-%d')" in hint
    pandas = only(hints("pd.to_datetime(s, format='%Y-%m-%d')", s=pd.Series(["03/15/2024"])))
    assert "format='%m/%d/%Y'" in pandas


def test_ambiguous_day_and_month_lists_both_formats() -> None:
    hint = only(hints("datetime.strptime(text, '%Y-%m-%d')", text="04/07/2024"))
    assert "'%d/%m/%Y'" in hint and "'%m/%d/%Y'" in hint and "ambiguous" in hint


def test_a_time_after_the_date_extends_the_format() -> None:
    hint = only(hints("datetime.strptime(text, '%Y-%m-%d')", text="2024-07-04 10:30"))
    assert "'%Y-%m-%d %H:%M'" in hint
    pandas = only(
        hints("pd.to_datetime(s, format='%Y-%m-%d')", s=pd.Series(["2024-07-04 10:30:00"]))
    )
    assert "'%Y-%m-%d %H:%M:%S'" in pandas


def test_a_value_in_no_known_format_gives_no_date_hint() -> None:
    assert hints("datetime.strptime(text, '%Y')", text="soon") == []


# Rules 5-7: pivot, zero division, axes


def test_pivot_with_duplicates_suggests_pivot_table_with_the_same_arguments() -> None:
    df = pd.DataFrame({"day": [1, 1], "shop": ["a", "a"], "sales": [3, 4]})
    hint = only(hints("df.pivot(index='day', columns='shop', values='sales')", df=df))
    assert "df.pivot_table(index='day', columns='shop', values='sales', aggfunc='sum')" in hint


def test_zero_division_names_the_zero_denominator() -> None:
    hint = only(hints("total, count = 10, 0\navg = total / count"))
    assert "`count` is 0" in hint and "`total / count if count else 0`" in hint
    assert "`xs` is empty" in only(hints("avg = sum(xs) / len(xs)", xs=[]))


def test_zero_division_in_a_pandas_cell_notes_that_series_do_not_raise() -> None:
    df = pd.DataFrame({"a": [1, 2]})
    hint = only(hints("big = len(df[df['a'] > 5])\nshare = int(df['a'].sum()) / big", df=df))
    assert "`big` is 0" in hint and "inf/NaN" in hint


def test_axis_out_of_bounds_lists_the_valid_axes() -> None:
    hint = only(hints("np.zeros((2, 3)).sum(axis=2)"))
    assert "0 to 1" in hint and "one value per column" in hint
    assert "only axis is 0" in only(hints("np.zeros(3).mean(axis=1)"))
    assert "'columns'" in only(hints("df.sum(axis=2)", df=pd.DataFrame({"a": [1]})))


# Rule 8: arithmetic on strings


def test_subtracting_date_strings_says_to_parse_them_with_their_format() -> None:
    found = hints("days = end - start", start="2024-01-05", end="2024-02-01")
    assert any("`datetime.strptime(end, '%Y-%m-%d')`" in hint for hint in found)
    df = pd.DataFrame({"s": ["03/15/2024"], "e": ["04/20/2024"]})
    columns = hints("df['e'] - df['s']", df=df)
    assert any("pd.to_datetime(df['e'], format='%m/%d/%Y')" in hint for hint in columns)


def test_subtracting_number_strings_says_to_convert_them() -> None:
    found = hints("c = a - b", a="3", b="4.5")
    assert any("`float(a)`" in hint for hint in found)


def test_concatenating_str_and_int_suggests_str_or_an_f_string() -> None:
    hint = only(hints("msg = 'total: ' + n", n=3))
    assert "`str(n)`" in hint and "f-string" in hint


def test_arithmetic_without_strings_gives_no_string_hint() -> None:
    assert hints("x = [1] - 1") == []
    assert hints("x = t - 'a'", t=Tripwire()) == []  # a user type: nothing known about it


# Rule 9: results of in-place methods


def test_assigning_the_result_of_sort_explains_in_place_methods() -> None:
    hint = only(hints("ys = xs.sort()\nfirst = ys[0]", xs=[3, 1]))
    assert "`ys = xs.sort()`" in hint and "returns None" in hint and "sorted(xs)" in hint


@pytest.mark.filterwarnings("ignore:The inplace keyword")
def test_inplace_true_returns_none() -> None:
    df = pd.DataFrame({"a": [1.0, None]})
    hint = only(hints("df = df.dropna(inplace=True)\ndf.head()", df=df))
    assert "inplace=True" in hint and "returns None" in hint
    chained = only(hints("df.dropna(inplace=True).head()", df=pd.DataFrame({"a": [1.0]})))
    assert "`df.dropna(inplace=True)` returns None" in chained


def test_a_none_without_an_in_place_call_gives_no_hint() -> None:
    assert hints("def f():\n    pass\nf()[0]") == []


# Rule 10: not callable


def test_calling_a_container_suggests_square_brackets() -> None:
    assert "`d['a']`" in only(hints("d('a')", d={"a": 1}))
    assert "`df['a']`" in only(hints("df('a')", df=pd.DataFrame({"a": [1]})))


def test_a_shadowed_builtin_is_named() -> None:
    hint = only(hints("sum = 0\ntotal = sum([1, 2])"))
    assert "`sum` is a Python builtin" in hint and "del sum" in hint


@pytest.mark.filterwarnings("ignore::SyntaxWarning")
def test_calling_a_property_or_a_number() -> None:
    df = pd.DataFrame({"a": [1]})
    assert "drop the parentheses, `df.shape`" in only(hints("df.shape()", df=df))
    assert "drop the parentheses, `df.columns`" in only(hints("df.columns()", df=df))
    assert "`2 * (x + 1)`" in only(hints("y = 2(x + 1)", x=1))


# Rules 11-12: ambiguous truth values, unhashable values


def test_and_between_series_is_rewritten_with_ampersand() -> None:
    df = pd.DataFrame({"a": [1, 5], "b": [2, 3]})
    hint = only(hints("df[(df['a'] > 1) and (df['b'] < 5)]", df=df))
    assert "`(df['a'] > 1) & (df['b'] < 5)`" in hint
    chain = only(hints("if 0 < s < 3:\n    pass", s=pd.Series([1, 5])))
    assert "`(0 < s) & (s < 3)`" in chain
    plain = only(hints("if a > 1:\n    pass", a=np.array([1, 2])))
    assert "`.any()`" in plain and "`.all()`" in plain


def test_unhashable_lists_become_tuples() -> None:
    assert "tuple(" in only(hints("d = {[1, 2]: 'x'}"))
    df = pd.DataFrame({"tags": [["a"], ["b"]]})
    hint = only(hints("df.groupby('tags').size()", df=df))
    assert "`df['tags'] = df['tags'].apply(tuple)`" in hint


# Extra rules: NaN to int, index out of range


def test_nan_to_int() -> None:
    hint = only(hints("s.astype(int)", s=pd.Series([1.0, None])))
    assert "'Int64'" in hint and "fillna" in hint
    assert "math.isnan" in only(hints("int(float('nan'))"))


def test_index_out_of_range_gives_the_length() -> None:
    assert "0 to 1" in only(hints("xs[5]", xs=[1, 2]))
    assert "`xs` is empty" in only(hints("xs[0]", xs=[]))
    assert "1 row" in only(hints("df.iloc[5]", df=pd.DataFrame({"a": [1]})))


# Library calls given the wrong arguments: iloc labels, drop axis, merge keys, sequences


def test_labels_given_to_iloc_are_rewritten_for_loc() -> None:
    df = pd.DataFrame({"stock": [3, 4]}, index=["Z-310", "A-1"])
    hint = only(hints("n = df.iloc['Z-310', 'stock']", df=df))
    assert "`df.loc['Z-310', 'stock']`" in hint and "labels of `df`: 'Z-310', 'A-1'" in hint
    assert "`df.loc[df.index[0], 'stock']`" in only(hints("df.iloc[0, 'stock']", df=df))
    assert "`df['stock'].loc['A-1']`" in only(hints("df['stock'].iloc['A-1']", df=df))
    assert "`df.loc[:, 'stock']`" in only(hints("df.iloc['stock']", df=df))
    assert "`df.loc[['Z-310']]`" in only(hints("df.iloc[['Z-310']]", df=df))


def test_dropping_a_column_without_columns_says_so() -> None:
    df = pd.DataFrame({"sku": ["Z-310"], "comments": ["ok"]})
    hint = only(hints("df = df.drop('comments')", df=df))
    assert "`df.drop(columns='comments')`" in hint and "axis=1" in hint
    both = only(hints("df.drop(['comments', 'sku'], errors='raise')", df=df))
    assert "`df.drop(columns=['comments', 'sku'], errors='raise')`" in both
    assert "close column names: 'comments'" in only(hints("df.drop(columns='coments')", df=df))
    assert "its columns: 'sku', 'comments'" in only(hints("df.drop('price')", df=df))
    rows = pd.DataFrame({"a": [1]}, index=["r1"])
    assert "`rows.drop(index='r1')`" in only(hints("rows.drop('r1', axis=1)", rows=rows))


def test_arrays_given_separately_are_put_in_one_sequence() -> None:
    a, b = np.arange(3), np.arange(3)
    assert "`np.concatenate([a, b])`" in only(hints("c = np.concatenate(a, b)", a=a, b=b))
    assert "`np.stack([a, b], axis=1)`" in only(hints("np.stack(a, b, 1)", a=a, b=b))
    assert "`np.vstack([a, b, a])`" in only(hints("np.vstack(a, b, a)", a=a, b=b))
    assert "`hstack([a, b])`" in only(hints("hstack(a, b)", a=a, b=b, hstack=np.hstack))
    df = pd.DataFrame({"x": [1]})
    assert "`pd.concat([df, df], ignore_index=True)`" in only(
        hints("pd.concat(df, df, ignore_index=True)", df=df)
    )


def test_a_merge_key_one_frame_lacks_names_that_frame_and_its_id_column() -> None:
    frames = {
        "orders": pd.DataFrame({"customer_id": [1], "total": [9.5]}),
        "customers": pd.DataFrame({"id": [1], "name": ["Ann"]}),
    }
    hint = only(hints("orders.merge(customers, on='customer_id')", **frames))
    assert "`customers` has no column 'customer_id' (its columns: 'id', 'name')" in hint
    assert "`orders.merge(customers, left_on='customer_id', right_on='id')`" in hint
    flipped = only(hints("pd.merge(customers, orders, on='customer_id', how='left')", **frames))
    assert "left_on='id', right_on='customer_id', how='left'" in flipped
    listed = only(hints("pd.merge(orders, customers, on=['customer_id'])", **frames))
    assert "`customers` has no column" in listed and "left_on" not in listed
    named = only(hints("orders.merge(customers, left_on='customer_id', right_on='cid')", **frames))
    assert "`customers` has no column 'cid'" in named


def test_a_none_from_an_in_place_method_in_an_earlier_cell_is_traced() -> None:
    cells = ["", "prices = [3, 1]", "prices = prices.sort()", "top = prices[0]"]
    hint = only(hints(cells[-1], prices=None, In=cells))
    assert "`prices = prices.sort()` in an earlier cell (In[2])" in hint
    assert "`sort` changes `prices` in place" in hint
    reset = ["", "prices = [3, 1]\nprices = prices.sort()", "prices = None", "top = prices[0]"]
    assert hints(reset[-1], prices=None, In=reset) == []  # the newest assignment decides
    assert hints("top = prices[0]", prices=None) == []  # no `In`: outside IPython


# Safety and limits


class Tripwire:
    """Records every call of its user-defined methods once armed."""

    armed: ClassVar[bool] = False
    calls: ClassVar[list[str]] = []

    def _touch(self, what: str) -> None:
        if Tripwire.armed:
            Tripwire.calls.append(what)

    def __repr__(self) -> str:
        self._touch("repr")
        return "Tripwire()"

    def __str__(self) -> str:
        self._touch("str")
        return "tripwire"

    def __getattr__(self, name: str) -> Any:
        self._touch(f"getattr {name}")
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        self._touch("eq")
        return self is other

    def __hash__(self) -> int:
        self._touch("hash")
        return 1

    def __len__(self) -> int:
        self._touch("len")
        return 0

    def __dir__(self) -> list[str]:
        self._touch("dir")
        return []

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # `isinstance` would read it
        self._touch("__class__")
        return Tripwire


class TripwireError(ValueError):
    def __str__(self) -> str:
        Tripwire.calls.append("exception str")
        return "could not convert string to float: '1,2'"


@pytest.mark.parametrize(
    "source",
    [
        "t - '2024-01-01'",
        "t.lower()",
        "t(1)",
        "d[t]",
        "raise ValueError(t)",
        "raise TripwireError()",
        "x = t + 1",
        "s[0]",
        "df.groupby('a').size()\n{[1]: 2}",
        "xs = [t]\nxs[3]",
        "ys = t.sort()\nys[0]",
        "if t2 > 1:\n    pass",
    ],
)
def test_user_objects_are_never_called(source: str) -> None:
    t = Tripwire()
    namespace: dict[str, Any] = {
        "pd": pd, "t": t, "d": {}, "TripwireError": TripwireError,
        "s": pd.Series([1], index=[t]), "df": pd.DataFrame({"a": [t]}),
        "t2": pd.Series([t, t]),
    }  # fmt: skip
    exc = raised(source, namespace)
    Tripwire.calls.clear()
    Tripwire.armed = True
    try:
        error_hints(exc, source, namespace)
    finally:
        Tripwire.armed = False
    assert Tripwire.calls == []


@pytest.mark.parametrize(
    "source", ["u.iloc['x']", "u.drop('x')", "v.drop('x')", "v.drop('x', axis=1)",
               "v.merge(v, on='x')", "u.merge(u, on='x')"]
)  # fmt: skip
def test_the_call_rules_never_touch_user_labels(source: str) -> None:
    t = Tripwire()
    namespace: dict[str, Any] = {
        "u": pd.DataFrame({"a": [1]}, index=[t]), "v": pd.DataFrame({t: [1], "x1": [2]}),
    }  # fmt: skip
    exc = raised(source, namespace)
    Tripwire.calls.clear()
    Tripwire.armed = True
    try:
        error_hints(exc, source, namespace)
    finally:
        Tripwire.armed = False
    assert Tripwire.calls == []


def test_unrelated_errors_and_odd_input_give_no_hints() -> None:
    assert hints("raise ValueError('boom')") == []
    assert hints("raise RuntimeError('unsupported operand type(s) for -: str and str')") == []
    assert error_hints(ValueError("could not convert string to float: 'x'"), "%%time\n(", {}) == []
    assert error_hints(KeyboardInterrupt(), "", {}) == []


def test_hints_are_limited_in_number_and_length() -> None:
    df = pd.DataFrame({"a": ["2024-01-05"] * 3, "b": ["2024-02-05"] * 3, "c": ["x"] * 3})
    found = hints("(df['b'] - df['a']) - (df['c'] - df['b'])", df=df)
    assert 1 <= len(found) <= MAX_HINTS


# Edits: the rewrite a hint states, applied to the cell, makes it run


def the_edit(source: str, **values: Any) -> tuple[str, str]:
    """The one edit the hints of the failing `source` give; its `old` is text of the cell."""
    edits = hint_edits(hints(source, **copy.deepcopy(values)))
    assert len(edits) == 1, edits
    assert edits[0][0] in source
    return edits[0]


def run_fixed(source: str, **values: Any) -> dict[str, Any]:
    """Apply the edit to the failing cell and run it on fresh values: its namespace after."""
    old, new = the_edit(source, **values)
    namespace: dict[str, Any] = {"pd": pd, "np": np, "datetime": datetime.datetime}
    namespace.update(copy.deepcopy(values))
    exec(compile(source.replace(old, new, 1), "<cell>", "exec"), namespace)  # noqa: S102
    return namespace


def test_a_date_format_edit_swaps_the_literal_keeping_its_quotes() -> None:
    cell = "d = datetime.strptime(text, '%d-%m-%Y')"
    assert the_edit(cell, text="2024-07-04") == ("'%d-%m-%Y'", "'%Y-%m-%d'")
    assert run_fixed(cell, text="2024-07-04")["d"].month == 7
    pandas = 'd = pd.to_datetime(s, format="%Y-%m-%d")'
    s = pd.Series(["03/15/2024", "11/02/2024"])
    assert the_edit(pandas, s=s) == ('"%Y-%m-%d"', '"%m/%d/%Y"')
    assert run_fixed(pandas, s=s)["d"].dt.month.tolist() == [3, 11]
    variable = "fmt = r'%Y-%m-%d'\nd = pd.to_datetime(s, format=fmt)"  # the one assignment
    assert run_fixed(variable, s=s)["d"].dt.day.tolist() == [15, 2]


def test_a_time_after_the_date_extends_the_format_literal() -> None:
    cell = "d = datetime.strptime(text, '%Y-%m-%d')"
    assert run_fixed(cell, text="2024-07-04 10:30")["d"].hour == 10


def test_a_str_method_on_an_int_edit_converts_the_receiver() -> None:
    cell = "codes = [ z.zfill( 5 ) for z in zips ]"  # `old` as written, not re-unparsed
    assert the_edit(cell, zips=[501, 2134]) == ("z.zfill( 5 )", "str(z).zfill( 5 )")
    assert run_fixed(cell, zips=[501, 2134])["codes"] == ["00501", "02134"]
    assert run_fixed("code = (a + b).zfill(4)", a=1, b=2)["code"] == "0003"


def test_series_edits_go_through_the_accessor_its_dtype_needs() -> None:
    assert run_fixed("low = s.lower()", s=pd.Series(["A", "b"]))["low"].tolist() == ["a", "b"]
    padded = run_fixed("p = s.zfill(3)", s=pd.Series([7, 42]))["p"]
    assert padded.tolist() == ["007", "042"]
    dates = pd.Series(pd.to_datetime(["2024-01-05"]))
    assert run_fixed("y = s.year", s=dates)["y"].tolist() == [2024]
    text = pd.Series(["03/15/2024", "12/01/2023"])
    assert run_fixed("y = s.year", s=text)["y"].tolist() == [2024, 2023]


def test_separator_and_currency_edits_clean_the_converted_value() -> None:
    assert the_edit("total = int(p)", p="1,204") == ("int(p)", "int(p.replace(',', ''))")
    assert run_fixed("total = int(p)", p="1,204")["total"] == 1204
    assert run_fixed("v = float(price)", price="$1,204.50")["v"] == 1204.5
    df = pd.DataFrame({"n": ["1,204", "3"]})
    assert run_fixed("v = df['n'].astype(float)", df=df)["v"].sum() == 1207
    money = pd.DataFrame({"n": ["$1,204.50", "3"]})
    assert run_fixed("v = pd.to_numeric(money['n'])", money=money)["v"].sum() == 1207.5


def test_a_repeated_conversion_still_gets_its_edit() -> None:
    cell = "total = int(p) + int(p)"
    old, new = the_edit(cell, p="1,204")
    assert (old, cell.count(old)) == ("int(p)", 2)
    namespace: dict[str, Any] = {"p": "1,204"}
    exec(cell.replace(old, new), namespace)  # noqa: S102 - the caller's choice: every one
    assert namespace["total"] == 2408


def test_a_missing_value_token_edit_uses_the_name_pandas_is_bound_to() -> None:
    listings = pd.DataFrame({"price": ["12.5", "n/a"]})
    cell = "v = listings['price'].astype(float)"
    assert run_fixed(cell, listings=listings)["v"].isna().tolist() == [False, True]
    namespace: dict[str, Any] = {"pandas": pd, "listings": listings}
    found = error_hints(raised(cell, namespace), cell, namespace)
    assert hint_edits(found) == [
        ("listings['price'].astype(float)", "pandas.to_numeric(listings['price'], errors='coerce')")
    ]
    bare: dict[str, Any] = {"listings": listings}
    found = error_hints(raised(cell, bare), cell, bare)
    assert "errors='coerce'" in only(found) and hint_edits(found) == []  # no name for pandas


def test_iloc_drop_and_sequence_edits_run() -> None:
    df = pd.DataFrame({"stock": [3, 4]}, index=["Z-310", "A-1"])
    assert run_fixed("n = df.iloc['Z-310', 'stock']", df=df)["n"] == 3
    assert run_fixed("n = df.iloc[1, 'stock']", df=df)["n"] == 4
    notes = pd.DataFrame({"sku": ["Z-310"], "comments": ["ok"]})
    cell = 'notes = notes.drop( "comments" )'
    assert the_edit(cell, notes=notes)[0] == 'notes.drop( "comments" )'
    assert list(run_fixed(cell, notes=notes)["notes"].columns) == ["sku"]
    a, b = np.arange(3), np.arange(4)
    assert len(run_fixed("c = np.concatenate(a, b)", a=a, b=b)["c"]) == 7
    assert run_fixed("c = np.stack(a, a, 1)", a=a)["c"].shape == (3, 2)


def test_a_merge_edit_names_each_side_when_one_key_column_fits() -> None:
    frames = {
        "orders": pd.DataFrame({"customer_id": [1, 2], "total": [9.5, 3.0]}),
        "customers": pd.DataFrame({"id": [2, 1], "name": ["Bo", "Ann"]}),
    }
    merged = run_fixed("m = orders.merge(customers, on='customer_id')", **frames)["m"]
    assert merged.sort_values("total")["name"].tolist() == ["Bo", "Ann"]
    two = {**frames, "customers": pd.DataFrame({"customer": [1], "customers_id": [1]})}
    found = hints("m = orders.merge(customers, on='customer_id')", **two)
    assert "left_on" in only(found) and hint_edits(found) == []  # two close names: a choice


@pytest.mark.skipif(hasattr(pd.DataFrame, "append"), reason="this pandas still has append")
def test_removed_append_edit_becomes_concat() -> None:
    df = pd.DataFrame({"a": [1]})
    cell = "df = df.append({'a': 2}, ignore_index=True)"
    concat = "pd.concat([df, pd.DataFrame([{'a': 2}])], ignore_index=True)"
    assert the_edit(cell, df=df) == ("df.append({'a': 2}, ignore_index=True)", concat)
    assert run_fixed(cell, df=df)["df"]["a"].tolist() == [1, 2]
    assert len(run_fixed("df = df.append(other)", df=df, other=df)["df"]) == 2
    assert run_fixed("s = s.append(s)", s=pd.Series([1]))["s"].tolist() == [1, 1]
    assert hint_edits(hints("df = df.append([1, 2])", df=df)) == []  # neither a row nor a frame


def test_hints_that_leave_a_choice_have_no_edit() -> None:
    df = pd.DataFrame({"day": [1, 1], "shop": ["a", "a"], "sales": [3, 4]})
    cases = [
        hints("df.pivot(index='day', columns='shop', values='sales')", df=df),  # aggfunc
        hints("total, count = 10, 0\navg = total / count"),  # skip or 0
        hints("np.zeros((2, 3)).sum(axis=2)"),  # which axis
        hints("days = end - start", start="2024-01-05", end="2024-02-01"),
        hints("datetime.strptime(text, '%Y-%m-%d')", text="04/07/2024"),  # day or month
        hints("float(d)", d="3,5"),  # decimal comma
        hints("float(p)", p="12%"),  # divide by 100 or not
        hints("x.zfill(5)", x=2.5),  # a float's text
        hints("df.lower()", df=pd.DataFrame({"age": [30], "name": ["Ann"]})),  # which column
    ]
    for found in cases:
        assert found and hint_edits(found) == []
        assert all(getattr(hint, "edit", None) is None for hint in found)


def test_a_hint_is_a_str_and_hint_edits_drops_repeats() -> None:
    hint = Hint("use `b`", edit=("a", "b"))
    assert isinstance(hint, str) and hint == "use `b`" and Hint("plain").edit is None
    found = [hint, "plain", Hint("again", edit=("a", "b")), Hint("other", edit=("c", "d"))]
    assert hint_edits(found) == [("a", "b"), ("c", "d")]


def test_a_truncated_hint_keeps_its_whole_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    package = importlib.import_module("jupyter_localai.kernel.fix.hints")
    edit = ("x", "y" * (MAX_HINT_CHARS + 50))
    long_hint = Rule((ValueError,), lambda f: [Hint("z" * 1000, edit=edit)])
    monkeypatch.setattr(package, "_RULES", [long_hint])
    found = error_hints(ValueError("v"), "x", {})
    assert len(only(found)) == MAX_HINT_CHARS and found[0].endswith("...")
    assert hint_edits(found) == [edit]


def test_assigned_append_gives_the_call_alone_as_edit() -> None:
    from jupyter_localai.kernel.fix.hints import hint_edits

    source = "lap_times = lap_times.append(60.8)\nbest = min(lap_times)"
    namespace: dict = {"lap_times": [62.4, 61.9]}
    try:
        exec(source, namespace)  # noqa: S102 - raises the real TypeError
    except TypeError as error:
        edits = hint_edits(error_hints(error, source, namespace))
    assert edits == [("lap_times = lap_times.append(60.8)", "lap_times.append(60.8)")]
    fixed = {"lap_times": [62.4, 61.9]}
    exec(source.replace(*edits[0], 1), fixed)  # noqa: S102 - the edit must make it run
    assert fixed["best"] == 60.8
