"""A result asked of each item that comes out empty while the data has items
(`core/empty_result.py`, judged in the rehearsal); requests that filter are not judged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.empty_result import asked_for_each, empty_result


def test_the_names_of_a_request_that_asks_something_of_each_item() -> None:
    assert asked_for_each("Format each code as AA-000 and store them, in the same order, "
                          "in a list tidy_codes.") == ["tidy_codes"]


@pytest.mark.parametrize("request_text", [
    "Keep only the codes that start with A, in a list a_codes.",  # a filter may find none
    "Put the duplicates of each code in a list repeated.",
    "Store the number of codes in n_codes.",  # nothing of each item
])
def test_requests_that_filter_or_ask_nothing_of_each_item(request_text: str) -> None:
    assert asked_for_each(request_text) == []


def test_an_empty_list_from_data_with_items_is_named_with_its_source() -> None:
    code = "tidy_codes = [c.upper() for c in codes if len(c) == 9]"
    namespace = {"codes": ["ab-001", "cd-002"], "tidy_codes": []}
    message = empty_result(code, namespace, ["tidy_codes"])
    assert message is not None and "`tidy_codes` came out empty" in message
    assert "`codes` has 2 items" in message


@pytest.mark.parametrize("value", [pd.Series(dtype=float), pd.DataFrame(), np.array([]), {}])
def test_every_empty_container_counts(value: object) -> None:
    namespace = {"rows": pd.DataFrame({"a": [1, 2]}), "out": value}
    assert empty_result("out = rows.head(0)", namespace, ["out"]) is not None


def test_results_with_items_or_data_without_them_are_not_judged() -> None:
    assert empty_result("out = [c for c in codes]", {"codes": ["x"], "out": ["X"]},
                        ["out"]) is None
    assert empty_result("out = [c for c in codes]", {"codes": [], "out": []}, ["out"]) is None
    assert empty_result("out = 0", {"codes": ["x"], "out": 0}, ["out"]) is None
