"""A loop over positions that reads past the end (`kernel/fix/rules/range_rules.py`): the
range stops the offset earlier, confirmed by the live values; other index errors get no
edit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jupyter_localai.kernel.fix.hints import Hint, error_hints

LAPS = [61.2, 59.8, 60.4, 58.9]


def edits(source: str, **values: Any) -> list[tuple[str, str]]:
    ns: dict[str, Any] = dict(values)
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return [h.edit for h in error_hints(exc, source, ns) if isinstance(h, Hint) and h.edit]
    raise AssertionError(f"{source!r} did not raise")


def run(source: str, **values: Any) -> dict[str, Any]:
    ns: dict[str, Any] = dict(values)
    exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102
    return ns


@pytest.mark.parametrize("source, edit", [
    ("gains = []\nfor n in range(len(laps)):\n    gains.append(laps[n] - laps[n + 1])",
     ("range(len(laps))", "range(len(laps) - 1)")),
    ("gains = [laps[n] - laps[1 + n] for n in range(0, len(laps))]",
     ("range(0, len(laps))", "range(0, len(laps) - 1)")),
    ("gains = [laps[n] for n in range(len(laps) + 1)]",
     ("range(len(laps) + 1)", "range(len(laps))")),
])
def test_the_range_stops_where_the_last_read_fits(source: str, edit: tuple[str, str]) -> None:
    assert edits(source, laps=LAPS) == [edit]
    gains = run(source.replace(*edit), laps=LAPS)["gains"]
    assert len(gains) in (len(LAPS) - 1, len(LAPS))


def test_an_array_and_an_offset_of_two() -> None:
    source = "spans = [marks[p + 2] - marks[p] for p in range(len(marks))]"
    marks = np.array([0, 4, 9, 15, 22])
    [edit] = edits(source, marks=marks)
    assert run(source.replace(*edit), marks=marks)["spans"] == [9, 11, 13]


def test_the_inner_loop_of_two_alike_is_told_apart() -> None:
    source = ("pairs = []\nfor a in range(len(laps)):\n    for b in range(len(laps)):\n"
              "        pairs.append(laps[b + 1])")
    [edit] = edits(source, laps=LAPS)
    assert edit == ("for b in range(len(laps))", "for b in range(len(laps) - 1)")


@pytest.mark.parametrize("source, values", [
    # Another sequence than the one the range measures: which one is short is not known.
    ("for n in range(len(laps)):\n    x = other[n + 1]", {"laps": LAPS, "other": [1, 2]}),
    # A fixed index, not the loop's.
    ("for n in range(len(laps)):\n    x = laps[9]", {"laps": LAPS}),
    # The loop reads within the range's length: the range is not at fault.
    ("for n in range(len(laps)):\n    x = short[n]", {"laps": LAPS, "short": [1]}),
])
def test_no_edit_when_the_range_is_not_what_overruns(source: str, values: dict[str, Any]) -> None:
    assert edits(source, **values) == []
