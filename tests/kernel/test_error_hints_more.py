"""More computed error hints: real failing cells, and the edits checked by re-running them."""

from __future__ import annotations

import datetime
import os
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.kernel.fix.hints import MAX_HINT_CHARS, Hint, error_hints

os.environ.setdefault("MPLBACKEND", "Agg")


def namespace(**values: Any) -> dict[str, Any]:
    return {"pd": pd, "np": np, "datetime": datetime.datetime, **values}


def raised(source: str, ns: dict[str, Any]) -> BaseException:
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return exc
    raise AssertionError(f"{source!r} did not raise")


def hint_for(source: str, **values: Any) -> str:
    """The one hint for the error `source` raises."""
    ns = namespace(**values)
    found = error_hints(raised(source, ns), source, ns)
    assert len(found) == 1, found
    assert len(found[0]) <= MAX_HINT_CHARS
    return found[0]


def fixed(source: str, hint: str, **values: Any) -> dict[str, Any]:
    """Apply the hint's edit and run the cell again in a fresh namespace."""
    assert isinstance(hint, Hint) and hint.edit, hint
    old, new = hint.edit
    assert old in source
    ns = namespace(**values)
    exec(compile(source.replace(old, new, 1), "<cell>", "exec"), ns)  # noqa: S102
    return ns


def test_a_dict_changed_in_its_loop_iterates_over_a_copy() -> None:
    source = "d = {'a': 1, 'b': 0}\nfor k in d:\n    if d[k] == 0:\n        del d[k]"
    hint = hint_for(source)
    assert "copy" in hint and hint.edit == ("for k in d", "for k in list(d)")
    assert fixed(source, hint)["d"] == {"a": 1}


def test_a_set_changed_in_its_loop_over_items_iterates_over_a_copy() -> None:
    source = "s = {1, 2}\nfor x in s:\n    s.add(x * 10)"
    assert fixed(source, hint := hint_for(source))["s"] == {1, 2, 10, 20}
    assert "set" in hint
    source = "d = {'a': 1}\nfor k, v in d.items():\n    d[k + 'x'] = v"
    assert fixed(source, hint_for(source))["d"] == {"a": 1, "ax": 1}


def test_join_of_numbers_maps_str() -> None:
    source = "ids = [3, 14]\nline = ', '.join(ids)"
    hint = hint_for(source)
    assert "item 0" in hint and "int" in hint
    assert fixed(source, hint)["line"] == "3, 14"


def test_a_getter_called_like_pyplot_becomes_its_setter() -> None:
    import matplotlib.pyplot as plt

    source = "fig, ax = plt.subplots()\nax.title('Sales')\nt = ax.get_title()"
    hint = hint_for(source, plt=plt)
    assert "`ax.set_title(...)`" in hint
    assert fixed(source, hint, plt=plt)["t"] == "Sales"
    source = "fig, ax = plt.subplots()\nax.xlabel('km')\nt = ax.get_xlabel()"
    assert fixed(source, hint_for(source, plt=plt), plt=plt)["t"] == "km"
    plt.close("all")


def test_a_row_vector_is_made_a_column() -> None:
    source = "m = np.ones((3, 4))\nv = np.arange(3)\nr = m - v"
    hint = hint_for(source)
    assert "(3, 4)" in hint and "per column" in hint
    assert fixed(source, hint)["r"].tolist()[2] == [-1.0] * 4


@pytest.mark.parametrize("reduction, per_row", [
    ("grid.max(axis=1)", [3, 7, 11]), ("np.mean(grid, axis=1)", [1.5, 5.5, 9.5]),
    ("grid.sum(1)", [6, 22, 38]),
])
def test_a_reduction_per_row_is_made_a_column(reduction: str, per_row: list[float]) -> None:
    """Its shape follows from the array's: (rows,) of a (rows, columns) array."""
    source = f"grid = np.arange(12.0).reshape(3, 4)\nscaled = grid / {reduction}"
    hint = hint_for(source)
    assert hint.edit == (reduction, f"{reduction}[:, None]")
    scaled = fixed(source, hint)["scaled"]
    for row, divisor in enumerate(per_row):
        assert np.allclose(scaled[row], [(4 * row + c) / divisor for c in range(4)])


def test_a_vector_fitting_neither_dimension_gets_no_edit() -> None:
    hint = hint_for("m = np.ones((3, 4))\nv = np.arange(5)\nm * v")
    assert "fits neither" in hint and not getattr(hint, "edit", None)


def test_a_reshape_lists_the_shapes_that_fit() -> None:
    hint = hint_for("a = np.arange(168)\na.reshape(10, 20)")
    assert "168 = " in hint and "7 x 24" in hint and "-1" in hint
    assert not getattr(hint, "edit", None)


def test_an_aware_column_against_a_naive_timestamp_gets_the_zone() -> None:
    df = pd.DataFrame({"t": pd.date_range("2024-02-28", periods=4, tz="UTC")})
    source = "late = df[df['t'] >= pd.Timestamp('2024-03-01')]"
    hint = hint_for(source, df=df)
    assert "tz='UTC'" in hint and "tz_localize(None)" in hint
    assert len(fixed(source, hint, df=df)["late"]) == 2
    source = "late = df[df['t'] >= pd.to_datetime('2024-03-01')]"
    assert len(fixed(source, hint_for(source, df=df), df=df)["late"]) == 2


def test_an_aware_column_against_a_naive_datetime_is_text_only() -> None:
    df = pd.DataFrame({"t": pd.date_range("2024-02-28", periods=4, tz="Europe/Paris")})
    hint = hint_for("df[df.t > datetime(2024, 3, 1)]", df=df)
    assert "Europe/Paris" in hint and not getattr(hint, "edit", None)


def test_days_added_to_dates_become_a_timedelta() -> None:
    df = pd.DataFrame({"start": pd.to_datetime(["2024-01-01"]), "days": [3], "n": [2]})
    source = "end = df['start'] + df['days']"
    hint = hint_for(source, df=df)
    assert "to_timedelta" in hint
    end = fixed(source, hint, df=df)["end"]
    assert end.iloc[0] == pd.Timestamp("2024-01-04")
    other = hint_for("df['start'] + df['n']", df=df)
    assert "to_timedelta" in other and not getattr(other, "edit", None)


@pytest.mark.parametrize("call", ["cumsum()", "sum()", "groupby('who').cumsum()"])
def test_a_whole_frame_reduction_selects_the_numeric_columns(call: str) -> None:
    df = pd.DataFrame(
        {"who": ["a", "b"], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "km": [1, 2]}
    )
    hint = hint_for(f"df.{call}", df=df)
    assert "['km']" in hint and "not numeric" in hint


def test_a_loop_over_len_loops_over_range() -> None:
    source = "xs = [4, 5]\ntotal = 0\nfor i in len(xs):\n    total += i"
    assert fixed(source, hint_for(source))["total"] == 1
    source = "xs = [4, 5]\nsquares = [i * i for i in len(xs)]"
    assert fixed(source, hint_for(source))["squares"] == [0, 1]


def test_a_list_of_dicts_indexed_by_name_says_pick_a_row() -> None:
    hint = hint_for("rows = [{'km': 3}, {'km': 4}]\nrows['km']")
    assert "list of 2 dicts" in hint and "rows[0]['km']" in hint


def test_a_str_indexed_by_name_says_what_it_is() -> None:
    hint = hint_for("d = {'a': {'km': 3}}\nfor row in d:\n    row['km']")
    assert "`row` is a str" in hint and ".items()" in hint


def test_item_assignment_into_a_str_builds_a_new_one() -> None:
    hint = hint_for("s = 'cat'\ns[0] = 'b'")
    assert "s = s[:0] + new + s[0 + 1:]" in hint and "replace" in hint


def test_a_list_times_a_float_says_to_scale_each_item() -> None:
    hint = hint_for("prices = [1.0, 2.5]\nprices * 1.2")
    assert "[x * 1.2 for x in prices]" in hint and "np.array(prices)" in hint


@pytest.mark.parametrize(
    "source",
    [
        "int('x')",
        "{}['k']",
        "raise RuntimeError('boom')",
        "[1][3]",
        "np.ones(3).reshape(3, 1, 1, 1, 1)[9]",
    ],
)
def test_unrelated_errors_get_no_hint(source: str) -> None:
    ns = namespace()
    assert error_hints(raised(source, ns), source, ns) == []


class Hostile:
    """A user object that records any inspection made once the cell has raised."""

    armed = False
    touched: ClassVar[list[str]] = []

    def _touch(self, what: str) -> None:
        if type(self).armed:
            type(self).touched.append(what)

    def __getattribute__(self, name: str) -> Any:
        Hostile._touch(self, name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        Hostile._touch(self, "repr")
        return "<hostile>"

    def __call__(self, *args: Any) -> Any:
        Hostile._touch(self, "call")
        raise TypeError("'Hostile' object is not callable")

    def __iter__(self) -> Any:
        Hostile._touch(self, "iter")
        raise RuntimeError("dictionary changed size during iteration")

    def __mul__(self, other: Any) -> Any:
        Hostile._touch(self, "mul")
        raise ValueError("operands could not be broadcast together with shapes (3,4) (3,) ")

    def __len__(self) -> int:
        Hostile._touch(self, "len")
        return 2


@pytest.mark.parametrize(
    "source",
    [
        "h.title('x')",
        "h.xlabel('x')",
        "for k in h: pass",
        "h * np.arange(3)",
        "', '.join(h)",
        "h['a']",
        "h[0] = 'b'",
        "for i in len(h): pass",
        "h * 1.5",
    ],
)
def test_a_hostile_object_is_never_touched(source: str) -> None:
    ns = namespace(h=Hostile())
    exc = raised(source, ns)
    Hostile.armed, Hostile.touched = True, []
    try:
        error_hints(exc, source, ns)
    finally:
        Hostile.armed = False
    assert Hostile.touched == []


RECORDS = np.array([("Alice", 25, 55.0), ("Bob", 45, 85.5)],
                   dtype=[("name", "U10"), ("age", "i4"), ("weight", "f8")])


@pytest.mark.parametrize("source", ["print(data.mean())", "m = np.sum(data)", "data * 2"])
def test_arithmetic_on_whole_records_names_the_fields(source: str) -> None:
    hint = hint_for(source, data=RECORDS)
    assert "'name', 'age', 'weight'" in hint and "`data['age']`" in hint
    ns = namespace(data=RECORDS)  # the field the hint names runs
    exec(compile(source.replace("data", "data['age']"), "<cell>", "exec"), ns)  # noqa: S102


@pytest.mark.parametrize(("source", "result"), [
    ("m = data.mean()", {"age": 35.0, "weight": 70.25}), ("m = np.sum(data)", {"age": 70, "weight": 140.5})])
def test_a_reduction_of_whole_records_is_rewritten_per_numeric_field(
        source: str, result: dict[str, float]) -> None:
    assert fixed(source, hint_for(source, data=RECORDS), data=RECORDS)["m"] == result


def test_records_in_arithmetic_get_no_edit() -> None:
    assert not isinstance(hint_for("data * 2", data=RECORDS), Hint)  # which field: the user's


def test_a_plain_array_type_error_gets_no_records_hint() -> None:
    ns = namespace(x=np.zeros(3))
    assert not any("records" in h for h in error_hints(raised("x + 'a'", ns), "x + 'a'", ns))
