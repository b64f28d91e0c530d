"""An asked-for value left holding the uncalled function that would compute it
(`core/function_result.py`, judged in the rehearsal); names asked to be functions are not
judged."""

from __future__ import annotations

import functools

from jupyter_localai.core.function_result import asked_values, function_held


def test_names_asked_as_functions_are_not_judged() -> None:
    request = ("Write a function `normalise` that scales a list to 0..1. "
               "Then store the scaled `readings` in scaled.")
    assert asked_values(request, ["normalise", "scaled"]) == ["scaled"]
    assert asked_values("Make a lambda key_of for sorting rows.", ["key_of"]) == []


def test_a_function_held_by_an_asked_value_is_named() -> None:
    def closest_pair(dist: object) -> tuple[int, int]:
        return (0, 1)

    message = function_held("closest_pair", closest_pair)
    assert message is not None and "`closest_pair` holds a function" in message
    assert function_held("closest_pair", closest_pair(None)) is None
    assert function_held("f", lambda: 1) is not None


def test_values_that_are_callable_objects_are_not_functions() -> None:
    assert function_held("total", 3) is None
    assert function_held("kinds", [len, max]) is None
    assert function_held("part", functools.partial(max, 1)) is None  # built by the code
