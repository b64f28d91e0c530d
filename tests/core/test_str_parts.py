"""`s.str.split('-')[0]` meant per value (issue 19, `core/str_parts.py`): the checks name
it, the repairs rewrite it, the fix hints give the exact edit; on data of this file's own."""

from __future__ import annotations

import pandas as pd
import pytest

from jupyter_localai.core.checks import check_code
from jupyter_localai.core.repairs import repaired
from jupyter_localai.kernel.context.namespace import KernelNamespace
from jupyter_localai.kernel.fix.hints import Hint, error_hints


def _namespace() -> dict:
    return {"pd": pd, "routes": pd.DataFrame({"code": ["OSL-BER-7", "ROM-PAR-12", "LIS-MAD-3"],
                                              "seats": [180, 150, 120]})}


SPLIT_BY_ROW = ("routes['origin'] = routes['code'].str.split('-')[0]\n"
                "routes['flight'] = routes.code.str.rsplit('-', n=1)[-1].astype(int)")


def test_a_row_of_parts_is_named_by_the_checks() -> None:
    issues = check_code(SPLIT_BY_ROW, namespace=KernelNamespace(_namespace()))
    assert [issue.kind for issue in issues] == ["row_of_parts", "row_of_parts"]
    assert "`routes['code'].str.split('-').str[0]`" in issues[0].message


@pytest.mark.parametrize("code", [
    "parts = routes['code'].str.split('-', expand=True)[0]",  # a frame: [0] is its column
    "first = 'OSL-BER'.split('-')[0]",  # a str's split is a list
    "parts = routes['code'].str.split('-').str[0]",
    "row = routes['code'].str.split('-')[key]",  # not a literal: the model may mean the row
])
def test_other_indexing_is_not_a_row_of_parts(code: str) -> None:
    issues = check_code(code, namespace=KernelNamespace({**_namespace(), "key": 1}))
    assert not [issue for issue in issues if issue.kind == "row_of_parts"], issues


def test_the_repair_reads_each_value_and_runs() -> None:
    namespace = _namespace()
    repair = repaired(SPLIT_BY_ROW, KernelNamespace(namespace))
    assert repair is not None and len(repair.notes) == 2
    exec(repair.code, namespace)  # noqa: S102 - the test runs the repaired code on purpose
    assert namespace["routes"]["origin"].tolist() == ["OSL", "ROM", "LIS"]
    assert namespace["routes"]["flight"].tolist() == [7, 12, 3]


def test_nested_rows_of_parts_are_both_rewritten() -> None:
    namespace = {"pd": pd, "pairs": pd.Series(["a:1,b:2", "c:3,d:4"])}
    repair = repaired("firsts = pairs.str.split(',')[0].str.split(':')[1]", KernelNamespace(namespace))
    assert repair is not None
    exec(repair.code, namespace)  # noqa: S102
    assert namespace["firsts"].tolist() == ["1", "3"]


def test_the_fix_hint_rewrites_the_line_that_raised() -> None:
    """Two rows, three parts per value: row 0's list does not fit the column and raises."""
    namespace = {"pd": pd, "routes": _namespace()["routes"].head(2)}
    source = "routes['origin'] = routes['code'].str.split('-')[0]\n"
    try:
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - a notebook cell
    except ValueError as error:
        hints = error_hints(error, source, namespace)
    else:
        raise AssertionError("two rows and three parts must raise")
    [hint] = [h for h in hints if isinstance(h, Hint) and h.edit]
    assert hint.edit == ("routes['code'].str.split('-')[0]", "routes['code'].str.split('-').str[0]")
    exec(compile(source.replace(*hint.edit), "<cell>", "exec"), namespace)  # noqa: S102
    assert namespace["routes"]["origin"].tolist() == ["OSL", "ROM"]
