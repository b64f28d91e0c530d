"""Which earlier cells `--verify` runs again in its copy before trying a fix."""

from __future__ import annotations

from jupyter_localai.kernel.fix.replay import cells_to_replay, changed_names


def test_changed_names_cover_binding_items_attributes_and_in_place_calls() -> None:
    source = "a = 1\nb['x'] = 2\nc.attr = 3\nd.append(4)\ne.dropna(inplace=True)\nprint(f)"
    assert changed_names(source) == {"a", "b", "c", "d", "e"}


def test_the_latest_earlier_binding_cell_of_each_changed_name() -> None:
    inputs = ["", "df = load()", "xs = [1]", "df = clean(df)", "%ai fix", "xs = xs.append(2)\ndf['t'] = 0"]
    assert cells_to_replay(inputs, 5, inputs[5]) == ["xs = [1]", "df = clean(df)"]


def test_nothing_to_replay_for_a_cell_that_changes_nothing() -> None:
    inputs = ["", "xs = [1]", "print(xs[3])"]
    assert cells_to_replay(inputs, 2, inputs[2]) == []
