"""A pair of two different things asked and one thing paired with itself answered
(`core/pair_intent.py`, judged in the rehearsal)."""

from __future__ import annotations

import numpy as np

from jupyter_localai.core.pair_intent import asked_pairs, self_pair


def test_the_names_a_request_asks_to_pair_two_different_things() -> None:
    request = ("Compute sim, the similarity matrix of the rows, and best_pair, a tuple (i, j) "
               "of the two different rows that are most alike. Also make a list labels.")
    assert asked_pairs(request) == ["sim", "best_pair"]
    assert asked_pairs("Make a list labels of the row names.") == []


def test_an_index_paired_with_itself_is_named_with_how_to_leave_the_diagonal_out() -> None:
    sim = np.array([[1.0, 0.2, 0.9], [0.2, 1.0, 0.4], [0.9, 0.4, 1.0]])
    diagonal = np.unravel_index(np.argmax(sim), sim.shape)  # (0, 0): a row with itself
    message = self_pair("best_pair", diagonal)
    assert message is not None and "(0, 0)" in message and "np.fill_diagonal" in message
    off = sim.copy()
    np.fill_diagonal(off, -np.inf)
    assert self_pair("best_pair", np.unravel_index(np.argmax(off), off.shape)) is None


def test_values_that_are_no_pair_of_items_are_not_judged() -> None:
    assert self_pair("sim", np.eye(2)) is None  # rows, not items
    assert self_pair("best_pair", (1, 2, 2)) is None
    assert self_pair("best_pair", (0.5, 0.5)) is None  # two equal scores may be right
    assert self_pair("best_pair", ("Ana", "Bo")) is None
