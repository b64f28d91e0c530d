"""The name scorer weighs typos, abbreviations, initials, case and separators from spelling."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.name_match import clear_match, closest_names, name_score

FRAME_METHODS = [m for m in dir(pd.DataFrame) if not m.startswith("_")]


@pytest.mark.parametrize(
    ("wrong", "columns", "expected"),
    [
        ("quantity", ["order_id", "qty", "price"], "qty"),  # consonant skeleton
        ("amount", ["cust", "amt", "date"], "amt"),
        ("customer_id", ["order_id", "cust_id", "amt"], "cust_id"),  # word prefix
        ("description", ["desc", "dept", "date"], "desc"),
        ("unitPrice", ["Unit Price", "unit_cost", "qty"], "Unit Price"),  # case and separators
        ("unit_price", ["UnitPrice", "unit_cost"], "UnitPrice"),
        ("price_per_unit", ["ppu", "qty", "pid"], "ppu"),  # initials
        ("qty", ["quantity", "price", "region"], "quantity"),  # the other direction
        ("temp", ["temperature", "time", "station"], "temperature"),
        ("avg_price", ["average_price", "price", "region"], "average_price"),
        ("regoin", ["region", "reason", "revenue"], "region"),  # plain typo still works
        ("Region", ["regions", "region"], "region"),  # case only beats a plural
    ],
)
def test_the_meant_column_is_the_clear_match(wrong: str, columns: list[str], expected: str) -> None:
    assert closest_names(wrong, columns) == [expected]
    assert clear_match(wrong, columns) == expected


def test_an_abbreviated_column_outranks_a_similar_method() -> None:
    # difflib alone picks `quantile` for `quantity`.
    assert closest_names("quantity", ["qty", "price", *FRAME_METHODS]) == ["qty"]
    assert name_score("quantity", "qty") > name_score("quantity", "quantile")


def test_method_typos_still_find_the_method() -> None:
    assert closest_names("shapee", FRAME_METHODS) == ["shape"]
    assert closest_names("groupy", FRAME_METHODS) == ["groupby"]


@pytest.mark.parametrize(
    ("wrong", "columns"),
    [
        ("total", ["qty", "price", "region"]),  # nothing alike
        ("qty", ["quantity", "quality"]),  # a tie: not clear which
        ("unit_price", ["Unit Price", "unitPrice"]),
        ("zz", ["zip", "zone"]),
    ],
)
def test_no_clear_match(wrong: str, columns: list[str]) -> None:
    assert clear_match(wrong, columns) is None


def test_unrelated_names_score_low() -> None:
    assert name_score("quantity", "region") < 0.6
    assert name_score("cust", "country") < name_score("cust", "customer")
    assert closest_names("total", ["qty", "price"]) == []
