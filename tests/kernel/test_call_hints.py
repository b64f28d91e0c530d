"""Signatures of the calls on the failing line: right calls, live objects, no user code run."""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_localai.core.prompt import format_error
from jupyter_localai.kernel.context.collect import collect_context
from jupyter_localai.kernel.fix.call_hints import call_signatures


def raised(source: str, namespace: dict[str, Any]) -> BaseException:
    try:
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - a notebook cell
    except Exception as exc:  # noqa: BLE001 - the test wants whatever the cell raises
        return exc
    raise AssertionError(f"{source!r} did not raise")


def test_a_library_call_shows_its_parameters_without_annotations() -> None:
    namespace: dict[str, Any] = {"pd": pd, "df": pd.DataFrame({"a": [1], "b": [2]})}
    source = "total = df['a'].sum()\ndf = df.drop('a')"
    (signature,) = call_signatures(raised(source, namespace), source, namespace)
    assert signature.startswith("df.drop(labels=None, *, axis=0")
    assert "columns=None" in signature and "IndexLabel" not in signature


def test_only_the_line_that_raised_counts_and_trivial_builtins_are_left_out() -> None:
    def convert(value, *, base=10):
        return int(value, base)

    namespace: dict[str, Any] = {"convert": convert}
    source = "print(len('abc'))\nnumbers = [convert(v) for v in ['1', 'x']]"
    assert call_signatures(raised(source, namespace), source, namespace) == [
        "convert(value, *, base=10)"]


def test_properties_are_never_evaluated_to_find_a_method() -> None:
    touched: list[str] = []

    class Lazy:
        @property
        def loaded(self) -> Any:
            touched.append("loaded")
            return pd.DataFrame()

        def load(self, path: str, retries: int = 3) -> None:
            raise ValueError(path)

    namespace: dict[str, Any] = {"lazy": Lazy()}
    source = "lazy.load('x')\n"
    assert call_signatures(raised(source, namespace), source, namespace) == [
        "lazy.load(path, retries=3)"]
    source = "lazy.loaded.merge(1)\n"
    error = raised(source, namespace)
    touched.clear()
    assert call_signatures(error, source, namespace) == []
    assert touched == []


def test_name_and_attribute_errors_have_no_signatures() -> None:
    namespace: dict[str, Any] = {"pd": pd}
    for source in ("pd.read_csvv('x')", "undefined_function(1)"):
        assert call_signatures(raised(source, namespace), source, namespace) == []


def test_the_fix_prompt_shows_them_from_a_real_shell(run_cells: Any) -> None:
    shell = run_cells(
        "import pandas as pd",
        "dates = pd.Series(['2024-01-05', '05/01/2024'])",
        "parsed = pd.to_datetime(dates, format='%Y-%m-%d')",
    )
    error = collect_context(shell, "").last_error
    assert error is not None and error.exc_type == "ValueError"
    assert error.signatures and error.signatures[0].startswith("pd.to_datetime(arg, errors=")
    assert "- pd.to_datetime(arg, errors=" in format_error(error)
