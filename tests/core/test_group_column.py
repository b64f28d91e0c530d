"""A column set from a per-group aggregation of its own frame (`core/group_column.py`):
named by the checks and computed per row with `transform`."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.group_column import with_group_columns
from jupyter_localai.kernel.context.namespace import KernelNamespace

SHOP = pd.DataFrame({"aisle": ["fruit", "veg", "fruit"], "item": ["fig", "kale", "kiwi"],
                     "sold": [3, 4, 5]})


@pytest.mark.parametrize("code", [
    "shop['aisle_total'] = shop.groupby('aisle')['sold'].sum()",
    "shop['aisle_total'] = shop.groupby('aisle').sum()['sold']",
    "shop['aisle_total'] = shop.groupby(['aisle'])['sold'].agg('sum')",
])
def test_a_per_group_sum_set_as_a_column_becomes_a_transform(code: str) -> None:
    issues = check_code(code, namespace=KernelNamespace({"shop": SHOP}))
    assert [i.kind for i in issues] == ["group_column"]
    rewritten, notes = with_group_columns(code)
    assert ".transform('sum')" in rewritten and len(notes) == 1
    namespace = {"shop": SHOP.copy()}
    exec(rewritten, namespace)  # noqa: S102 - the test runs the rewritten code on purpose
    assert namespace["shop"]["aisle_total"].tolist() == [8, 4, 8]


@pytest.mark.parametrize("code", [
    "totals = shop.groupby('aisle')['sold'].sum()",  # a table of its own, not a column
    "shop['t'] = shop.groupby('aisle')['sold'].transform('sum')",  # per row already
    "shop['t'] = other.groupby('aisle')['sold'].sum()",  # another frame: a lookup is meant
    "shop['t'] = shop.groupby('aisle')['sold'].agg(['sum', 'max'])",  # not one aggregation
    "shop['t'] = shop.groupby('aisle', as_index=False)['sold'].sum()",
])
def test_nothing_to_rewrite(code: str) -> None:
    assert with_group_columns(code) == (code, [])
