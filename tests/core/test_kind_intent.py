"""The kind a request states for its variable, read next to the name, and whether a value
is of it (pandas, numpy and matplotlib types known by name)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.kind_intent import asked_kinds, kind_mismatch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen


@pytest.mark.parametrize(("request_text", "kinds"), [
    ("Plot the waits. Keep the Axes in a variable `ax`.", {"ax": "Axes"}),
    ("Make a list evens holding the even numbers of nums.", {"evens": "list"}),
    ("Build a DataFrame named by_region from sales.", {"by_region": "DataFrame"}),
    ("Count the words of text into a dict counts.", {"counts": "dict"}),
    ("`lookup` should be a dictionary from code to name.", {"lookup": "dict"}),
    ("Find closest_pair, a tuple (i, j) of the two nearest depots.", {"closest_pair": "tuple"}),
    ("Compute `peak`, a 1-D integer array of the hours.", {"peak": "1-D integer array"}),
    ("Store the averages in a 1-D NumPy array `best3`, in row order.", {"best3": "1-D array"}),
    ("Make a float ratio of a to b.", {"ratio": "number"}),
    # No kind next to the name: nothing is asked of the value's kind.
    ("Set total to the sum of readings.", {}),
    ("Set `top` to the three most common words as a list of (word, count) pairs.", {}),
])
def test_the_kind_next_to_the_asked_name(request_text: str, kinds: dict[str, str]) -> None:
    assert asked_kinds(request_text) == kinds


def test_values_of_the_asked_kind_fit_and_others_are_named() -> None:
    figure, axes = plt.subplots()
    try:
        assert kind_mismatch(axes, "Axes") is None
        assert kind_mismatch(plt.hist([1, 2, 2]), "Axes") == "a tuple"
        assert kind_mismatch(figure, "Figure") is None
    finally:
        plt.close("all")
    assert kind_mismatch(pd.DataFrame({"a": [1]}), "DataFrame") is None
    assert kind_mismatch(pd.Series([1]), "DataFrame") == "a pandas Series"
    assert kind_mismatch(np.float64(2.5), "number") is None
    assert kind_mismatch(np.int64(3), "int") is None
    assert kind_mismatch(True, "int") == "a bool"
    assert kind_mismatch(np.array([1, 2]), "list") == "a numpy ndarray"
    assert kind_mismatch({"a": 1}.keys(), "list") == "a dict_keys"


def test_an_arrays_dimensions_and_elements_are_held_to_what_was_written() -> None:
    assert kind_mismatch(np.zeros((4, 1)), "1-D array") == "a 2-D array of shape (4, 1)"
    assert kind_mismatch(np.zeros(4), "1-D integer array") == "an array of float64"
    assert kind_mismatch(np.arange(4), "1-D integer array") is None
    assert kind_mismatch(np.ones((2, 2)), "2-D float array") is None
    assert kind_mismatch([1, 2], "1-D array") == "a list"
