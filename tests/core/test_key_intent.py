"""What a request keys its mapping by ("keyed by customer", "mapping team name to player"),
and a dict or Series keyed by something else (`core/key_intent.py`)."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.key_intent import asked_keys, key_mismatch


@pytest.mark.parametrize(("request_text", "expected"), [
    ("Put the result in a dict best_dish keyed by guest name with the dish as value.",
     {"best_dish": "guest"}),
    ("Find each route's slowest bus, as slowest mapping route id to bus number.",
     {"slowest": "route"}),
    ("Count the visits per page into a dict hits keyed on the page.", {"hits": "page"}),
])
def test_what_the_request_keys_its_mapping_by(request_text: str, expected: dict) -> None:
    assert asked_keys(request_text) == expected


@pytest.mark.parametrize("request_text", [
    "Count the visits per page into a dict hits.",  # no field named for the keys
    "Make a dict hits of page visits. Sort the pages keyed by date.",  # another sentence
])
def test_requests_that_say_nothing_of_the_keys(request_text: str) -> None:
    assert asked_keys(request_text) == {}


GUESTS = [{"guest": "ana", "dish": "soup"}, {"guest": "bo", "dish": "pie"},
          {"guest": "ana", "dish": "pie"}]
ROUTES = pd.DataFrame({"route": ["7", "7", "12"], "bus": [301, 302, 410]})


def test_a_dict_keyed_by_the_other_field_is_named_with_the_keys_it_should_have() -> None:
    message = key_mismatch("best_dish", {"soup": 1, "pie": 2}, "guest", {"guests": GUESTS})
    assert message is not None and "'ana', 'bo'" in message and "'guest' of `guests`" in message


def test_a_series_keyed_by_frame_values_passes_and_one_keyed_otherwise_fails() -> None:
    right = pd.Series({"7": 302, "12": 410})
    assert key_mismatch("slowest", right, "route", {"routes": ROUTES}) is None
    wrong = pd.Series({301: "7", 410: "12"})
    message = key_mismatch("slowest", wrong, "route", {"routes": ROUTES})
    assert message is not None and "`routes['route']`" in message


def test_an_empty_mapping_where_the_field_has_values_is_named() -> None:
    message = key_mismatch("best_dish", {}, "guest", {"guests": GUESTS})
    assert message is not None and "is empty" in message and "'ana', 'bo'" in message


def test_keys_that_cannot_be_told_are_not_judged() -> None:
    # Some keys among the values (a subset, or a few extra) pass; no field, or no mapping,
    # is no evidence.
    assert key_mismatch("best_dish", {"ana": "soup", "zed": "?"}, "guest",
                        {"guests": GUESTS}) is None
    assert key_mismatch("best_dish", {"soup": 1}, "table", {"guests": GUESTS}) is None
    assert key_mismatch("best_dish", ["soup"], "guest", {"guests": GUESTS}) is None
