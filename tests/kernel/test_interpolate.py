"""Brace-safe `{name}` interpolation: only existing variables, never a format field."""

from __future__ import annotations

import os
import time
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_localai.kernel.context.interpolate import interpolate


class SlowRepr:
    def __repr__(self) -> str:
        time.sleep(10)
        return "slow"


@pytest.fixture
def namespace() -> dict[str, Any]:
    return {
        "x": "XVALUE",
        "y": 7,
        "os": os,
        "a": object(),
        "sales": pd.DataFrame({"price": [1.5, 2.0], "qty": [3, 4]}),
        "api_key": "sk-proj-" + "Q" * 40,
        "note": "call with ghp_" + "k7" * 18,
        "slow": SlowRepr(),
        "_private": "PRIVATE",
        "In": ["", "x = 1"],
    }


@pytest.mark.parametrize(
    "text",
    [
        "{0.__class__}",
        "{os.environ}",
        "{x!r:>{y}}",
        "{a.b}",
        "{ {'a': 1} }",
        "{'a': 1}",
        "{x:>10}",
        "{x!r}",
        "{_private}",
        "{In}",
        "{nope}",
        "{ x }",
        'print(f"{x}")',
        "value = f'{y:.2f} and {x}'",
        "{x",
        "x}",
        "}{x",
        "{{",
        "}}",
        "{{nope}}",
        "{class}",
    ],
)
def test_everything_but_a_variable_token_stays_as_typed(
    text: str, namespace: dict[str, Any]
) -> None:
    assert interpolate(text, namespace) == (text, [])


def test_variable_tokens_are_replaced(namespace: dict[str, Any]) -> None:
    text, names = interpolate("explain {x} with {y} rows, then {sales}", namespace)
    assert names == ["x", "y", "sales"]
    assert text.startswith("explain XVALUE with 7 rows, then sales (")
    assert "DataFrame, 2 rows x 2 columns" in text and "price (float64)" in text


def test_only_top_level_tokens_are_replaced(namespace: dict[str, Any]) -> None:
    assert interpolate("{x} and {x!r:>{y}} and {unbalanced {y}", namespace) == (
        "XVALUE and {x!r:>{y}} and {unbalanced 7",
        ["x", "y"],
    )


def test_double_braces_escape_a_variable(namespace: dict[str, Any]) -> None:
    assert interpolate("literal {{x}} but {x}", namespace) == ("literal {x} but XVALUE", ["x"])


def test_secrets_are_redacted_when_interpolated(namespace: dict[str, Any]) -> None:
    text, names = interpolate("use {api_key} and {note}", namespace)
    assert names == ["api_key", "note"]
    assert "QQQQ" not in text and "k7k7k7" not in text
    assert text.count("<redacted>") == 2


def test_hostile_values_are_bounded(namespace: dict[str, Any]) -> None:
    started = time.monotonic()
    text, _ = interpolate("look at {slow}", namespace, time_limit=0.1)
    assert time.monotonic() - started < 1.0
    assert "<repr timed out>" in text
    long_text, _ = interpolate("{x}", {"x": "z" * 100_000}, max_chars=500)
    assert len(long_text) <= 500


def test_never_calls_format_on_user_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """A namespace whose lookups record every key: only plain identifiers are looked up."""
    looked_up: list[str] = []

    class Recording(dict):
        def __contains__(self, key: object) -> bool:
            looked_up.append(str(key))
            return super().__contains__(key)

    interpolate("{0.__class__} {os.environ} {x!r:>{y}} {x}", Recording(x=1))
    assert looked_up == ["x"]


prompt_text = st.text(
    alphabet=st.sampled_from(list("{}!:.rf'\" \nxyz_0123456789abc[]()")), max_size=60
)


@settings(max_examples=100, deadline=1000)
@given(text=prompt_text)
def test_fuzz_nothing_changes_without_variables(text: str) -> None:
    assert interpolate(text, {"unrelated": 1}) == (text, [])


@settings(max_examples=100, deadline=1000)
@given(text=prompt_text)
def test_fuzz_the_only_change_is_a_token_becoming_its_value(text: str) -> None:
    values = {"x": "\x00x\x00", "y": "\x00y\x00"}  # cannot occur in the generated text
    result, names = interpolate(text, values)
    assert set(names) == {name for name, value in values.items() if value in result}
    restored = result
    for name, value in values.items():
        restored = restored.replace(value, "{" + name + "}")
    if "{{x}}" not in text and "{{y}}" not in text:
        assert restored == text
