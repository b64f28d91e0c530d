"""A grid of Axes used as one Axes (`kernel/fix/rules/axes_rules.py`): `axes[i]` of a 2-D
grid becomes `axes.flat[i]` everywhere the statement uses it; a grid with no index to
rewrite gets the advice only; private names are never suggested for a public one."""

from __future__ import annotations

import os
from typing import Any

import matplotlib
import numpy as np
import pytest

from jupyter_localai.kernel.fix.hints import Hint, error_hints
from jupyter_localai.kernel.fix.suggest import suggestions

os.environ.setdefault("MPLBACKEND", "Agg")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen

CITIES = ["Lyon", "Graz", "Porto", "Turku", "Brno", "Cork"]


def failure(source: str) -> tuple[BaseException, dict[str, Any]]:
    ns: dict[str, Any] = {"plt": plt, "np": np, "cities": CITIES}
    try:
        exec(compile(source, "<cell>", "exec"), ns)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return exc, ns
    raise AssertionError(f"{source!r} did not raise")


@pytest.fixture(autouse=True)
def closed_figures() -> Any:
    yield
    plt.close("all")


def test_every_use_in_the_loop_counts_the_grid_in_reading_order() -> None:
    source = ("fig, panels = plt.subplots(2, 3)\nfor k, city in enumerate(cities):\n"
              "    panels[k].bar([1, 2], [k, k + 1])\n    panels[k].set_title(city)")
    exc, ns = failure(source)
    [hint] = [h for h in error_hints(exc, source, ns) if isinstance(h, Hint) and h.edit]
    assert "2 x 3 grid" in hint
    old, new = hint.edit
    assert new.count("panels.flat[k]") == 2 and "panels[k]" not in new
    ns = {"plt": plt, "np": np, "cities": CITIES}
    exec(compile(source.replace(old, new), "<cell>", "exec"), ns)  # noqa: S102
    assert [ax.get_title() for ax in ns["panels"].flat] == CITIES


def test_a_grid_without_an_index_gets_advice_and_no_edit() -> None:
    source = "fig, panels = plt.subplots(1, 3)\npanels.plot([1, 2])"
    exc, ns = failure(source)
    hints = error_hints(exc, source, ns)
    assert any("array of 3 Axes" in h for h in hints)
    assert not any(isinstance(h, Hint) and h.edit for h in hints)


def test_an_array_of_numbers_is_not_taken_for_a_grid() -> None:
    source = "values = np.arange(4.0)\nvalues.hist()"
    exc, ns = failure(source)
    assert not any("Axes" in h for h in error_hints(exc, source, ns))


def test_a_missing_public_attribute_is_never_offered_a_dunder() -> None:
    source = "fig, panels = plt.subplots(2, 2)\npanels[0].hist([1, 2, 3])"
    exc, ns = failure(source)
    assert not any("'_" in s for s in suggestions(exc, source, ns))


# Tick labels where tick positions go (`tick_labels_rule`), on a Series of this file's own.
RAINFALL = "import pandas as pd\nrain = pd.Series([41, 12, 30], index=['Jan', 'Feb', 'Mar'])\n"


@pytest.mark.parametrize("call, kept", [
    ("rain.plot(kind='bar', title='Rain', yticks=rain.index)", "rain.plot(kind='bar', title='Rain')"),
    ("rain.plot(yticks=rain.index, kind='bar')", "rain.plot(kind='bar')"),
])
def test_tick_labels_given_as_positions_are_dropped(call: str, kept: str) -> None:
    source = RAINFALL + f"{call}\nplt.ylabel('mm')"
    exc, ns = failure(source)
    [hint] = [h for h in error_hints(exc, source, ns) if isinstance(h, Hint) and h.edit]
    assert hint.edit == (call, kept)
    plt.close("all")
    exec(compile(source.replace(*hint.edit), "<cell>", "exec"), ns)  # noqa: S102
    [axes] = plt.gcf().axes
    assert [round(bar.get_height()) for bar in axes.patches] == [41, 12, 30]
    assert [label.get_text() for label in axes.get_xticklabels()] == ["Jan", "Feb", "Mar"]


def test_two_tick_keywords_get_no_edit() -> None:
    source = RAINFALL + "rain.plot.bar(xticks=['a', 'b'], yticks=rain.index)"
    exc, ns = failure(source)
    assert not [h for h in error_hints(exc, source, ns) if isinstance(h, Hint) and h.edit]
