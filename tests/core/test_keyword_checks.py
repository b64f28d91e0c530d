"""A keyword the live callable does not take is caught before the code runs, with the
accepted keywords nearest by spelling; callables taking **kwargs are left alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_localai.core.checks import ContextNamespace, check_code
from jupyter_localai.kernel.context.namespace import KernelNamespace


def scale(values: list[float], factor: float = 1.0, *, offset: float = 0.0) -> list[float]:
    return [v * factor + offset for v in values]


def plot_anything(data: Any, **options: Any) -> None:
    """Takes any keyword."""


@pytest.fixture
def namespace() -> KernelNamespace:
    frame = pd.DataFrame({"region": ["n", "s"], "sales": [1.0, None]})
    return KernelNamespace({"df": frame, "pd": pd, "np": np, "scale": scale,
                            "plot_anything": plot_anything})


def keyword_messages(code: str, namespace: Any) -> list[str]:
    return [i.message for i in check_code(code, namespace=namespace) if i.kind == "keyword"]


@pytest.mark.parametrize(
    ("code", "wrong", "nearest"),
    [
        ("out = df.sort_values(by='sales', ascend=False)", "ascend", "ascending"),  # method
        ("xs = np.linspace(0, 1, number=5)", "number", "num"),  # module function
        ("raw = pd.read_csv('data.csv', seperator=';')", "seperator", "sep"),
        ("t = pd.DataFrame({'a': [1]}, colums=['a'])", "colums", "columns"),  # constructor
        ("s = df['sales'].fillna(valu=0)", "valu", "value"),  # a column's method
        ("t = df.dropna().sort_values('sales', ascendng=True)", "ascendng", "ascending"),
        ("ys = scale([1.0], factr=2)", "factr", "factor"),  # the user's own function
        ("ys = scale([1.0], ofset=2)", "ofset", "offset"),  # keyword-only
    ],
)
def test_a_keyword_the_callable_lacks(namespace: KernelNamespace, code: str, wrong: str,
                                      nearest: str) -> None:
    found = keyword_messages(code, namespace)
    assert len(found) == 1, found
    assert f"no keyword argument `{wrong}`" in found[0]
    assert found[0].split("Nearest it accepts: ")[1].startswith(f"`{nearest}=`")


@pytest.mark.parametrize(
    "code",
    [
        "out = df.sort_values(by='sales', ascending=False)",
        "xs = np.linspace(0, 1, num=5, endpoint=False)",
        "t = pd.DataFrame({'a': [1]}, columns=['a'])",
        "plot_anything(df, colour='red', anything=1)",  # **kwargs: every keyword goes
        "ys = scale([1.0], **{'factr': 2})",  # a splat names no keyword statically
        "helper = dict(a=1)\nunknown_thing(zz=1)",  # not in the namespace
    ],
)
def test_accepted_or_unknowable_keywords_pass(namespace: KernelNamespace, code: str) -> None:
    assert keyword_messages(code, namespace) == []


def test_a_rebound_name_is_not_the_live_object(namespace: KernelNamespace) -> None:
    code = "df = pd.DataFrame({'x': [1]})\nout = df.sort_values(by='x', ascend=True)"
    assert keyword_messages(code, namespace) == []  # df is the reply's own frame by then


def test_no_nearest_lists_what_it_accepts(namespace: KernelNamespace) -> None:
    found = keyword_messages("ys = scale([1.0], zzz=2)", namespace)
    assert found and "It accepts: values, factor, offset." in found[0]


def test_without_a_live_kernel_nothing_is_claimed() -> None:
    context_only = ContextNamespace(["df"], ["pandas as pd"])
    assert keyword_messages("out = df.sort_values(by='a', ascend=False)", context_only) == []
