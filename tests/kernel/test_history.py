"""Cell history and errors from a real in-process IPython shell, with Python's hints."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

from jupyter_localai.kernel.context.history import (
    HistoryRecorder,
    cell_history,
    cell_numbers,
    cell_output_text,
    cell_sources,
    find_recorder,
    is_own_magic,
    last_error,
)
from jupyter_localai.kernel.fix.error_info import MAX_MESSAGE_CHARS, MAX_TRACEBACK_CHARS
from jupyter_localai.kernel.fix.suggest import names_assigned, names_read

FRAME = "import pandas as pd\ndf = pd.DataFrame({'price': [1.5, 2.0], 'qty': [3, 4]})"


def test_cells_carry_outputs_and_the_errors_they_raised(run_cells: Any) -> None:
    shell = run_cells(FRAME, "df", "print('hello'); 1 + 1", "df.shapee", "x = 1")
    cells = cell_history(shell)
    assert [c.number for c in cells] == [1, 2, 3, 4, 5]
    by_number = {c.number: c for c in cells}
    assert "price" in by_number[2].output and "qty" in by_number[2].output
    assert "hello" in by_number[3].output and "2" in by_number[3].output
    assert by_number[4].error.startswith("AttributeError:")
    assert "Did you mean: 'shape'?" in by_number[4].error
    assert by_number[5].error == "" and by_number[1].error == ""


def test_own_magic_cells_are_skipped(run_cells: Any) -> None:
    shell = run_cells("a = 1", "%%ai\nplot a", "%ai explain", "b = 2")
    assert [c.source for c in cell_history(shell)] == ["a = 1", "b = 2"]
    assert is_own_magic("get_ipython().run_cell_magic('ai', '', 'x')")
    assert not is_own_magic("%aimless = 1") and not is_own_magic("said = 2")


def test_a_300_cell_session_is_bounded(run_cells: Any) -> None:
    shell = run_cells(*[f"value_{i} = {i} * 2\nvalue_{i}" for i in range(300)])
    started = time.process_time()
    cells = cell_history(shell, max_cells=40, max_chars_per_cell=100)
    assert time.process_time() - started < 0.5
    assert len(cells) == 40
    assert [c.number for c in cells] == list(range(261, 301))
    assert cells[-1].source == "value_299 = 299 * 2\nvalue_299" and cells[-1].output == "598"


def test_long_cells_keep_their_head_and_tail(run_cells: Any) -> None:
    source = "first_line = 1\n" + "\n".join(f"filler_{i} = {i}" for i in range(500)) + "\nlast = 2"
    shell = run_cells(source)
    (cell,) = cell_history(shell, max_chars_per_cell=300)
    assert len(cell.source) <= 300
    assert cell.source.startswith("first_line = 1") and cell.source.endswith("last = 2")
    assert "characters omitted" in cell.source


def test_attribute_error_suggests_the_attribute(run_cells: Any) -> None:
    error = last_error(run_cells(FRAME, "rows = df.shapee[0]"))
    assert error is not None
    assert error.exc_type == "AttributeError"
    assert "shapee" in error.message
    assert error.suggestions[0] == "Did you mean: 'shape'?"
    assert error.source == "rows = df.shapee[0]"
    assert error.cell_number == 2
    assert "\x1b" not in error.traceback and "In[2]" in error.traceback
    assert "interactiveshell.py" not in error.traceback


def test_attribute_error_on_a_module(run_cells: Any) -> None:
    error = last_error(run_cells(FRAME, "pd.DataFrom({})"))
    assert error.suggestions[0] == "Did you mean: 'DataFrame'?"


def test_name_error_suggests_a_close_name_or_a_forgotten_import(run_cells: Any) -> None:
    shell = run_cells("revenue_total = 10", "print(revenue_totl)")
    assert last_error(shell).suggestions == ["Did you mean: 'revenue_total'?"]
    shell = run_cells("lenn([1])")
    assert last_error(shell).suggestions[0] == "Did you mean: 'len'?"
    shell = run_cells("frame = pd.DataFrame()")
    assert any("import pandas as pd" in s for s in last_error(shell).suggestions)


def test_a_name_error_never_suggests_ipythons_own_history_names(run_cells: Any) -> None:
    """`ii` is closest to IPython's `_ii` (the input two cells back); the user meant `i`."""
    shell = run_cells("i = [2, 3]", "x = 1", "total = sum(ii)")
    assert last_error(shell).suggestions == ["Did you mean: 'i'?"]


def test_name_error_inside_a_function_uses_its_locals(run_cells: Any) -> None:
    shell = run_cells("def total(items):\n    subtotal = sum(items)\n    return subtotl\n",
                      "total([1, 2])")  # fmt: skip
    assert last_error(shell).suggestions == ["Did you mean: 'subtotal'?"]


def test_key_error_suggests_a_column_or_a_key(run_cells: Any) -> None:
    shell = run_cells(FRAME, "df['prise'].sum()")
    error = last_error(shell)
    assert error.exc_type == "KeyError"
    assert error.suggestions == ["Did you mean: 'price'?"]
    shell = run_cells("config = {'learning_rate': 0.1}", "config['learning_rat']")
    assert last_error(shell).suggestions == ["Did you mean: 'learning_rate'?"]
    shell = run_cells(FRAME, "df[['price', 'qtty']]")
    assert last_error(shell).suggestions == ["Did you mean: 'qty'?"]


def test_module_not_found_has_no_suggestion(run_cells: Any) -> None:
    error = last_error(run_cells("import pandsa"))
    assert error.exc_type == "ModuleNotFoundError" and error.suggestions == []


def test_syntax_error_is_captured_with_its_position(run_cells: Any) -> None:
    error = last_error(run_cells("x = 1", "def broken(:\n    pass"))
    assert error.exc_type == "SyntaxError"
    assert error.cell_number == 2
    assert "line 1" in error.message and "offset" in error.message
    assert "def broken(:" in error.traceback and "^" in error.traceback
    assert error.source.startswith("def broken(:")


def test_deep_tracebacks_and_long_messages_are_bounded(run_cells: Any) -> None:
    shell = run_cells(
        "def down(n):\n    if n == 300:\n        raise ValueError('y' * 100_000)\n"
        "    return down(n + 1)\n",
        "down(0)",
    )
    error = last_error(shell)
    assert error.exc_type == "ValueError"
    assert len(error.traceback) <= MAX_TRACEBACK_CHARS
    assert len(error.message) <= MAX_MESSAGE_CHARS
    assert "down(n + 1)" in error.traceback


def test_secrets_in_sources_outputs_and_tracebacks_are_redacted(run_cells: Any) -> None:
    token = "ghp_" + "Zq8" * 12
    shell = run_cells(
        f"service_token = '{token}'",
        "print(service_token)",
        "raise ValueError('rejected credential ' + service_token)",
    )
    text = repr(cell_history(shell)) + repr(last_error(shell))
    assert token not in text
    assert "<redacted>" in text


def test_recorder_is_found_and_unregistered(ipython_shell: Any) -> None:
    recorder = HistoryRecorder()
    recorder.register(ipython_shell)
    assert find_recorder(ipython_shell) is recorder
    ipython_shell.run_cell("1 / 0", store_history=True)
    assert recorder.last_error.exc_type == "ZeroDivisionError"
    recorder.unregister(ipython_shell)
    assert find_recorder(ipython_shell) is None
    ipython_shell.run_cell("undefined_name", store_history=True)
    assert recorder.last_error.exc_type == "ZeroDivisionError"


def test_silent_runs_are_not_recorded(run_cells: Any) -> None:
    shell = run_cells("1 / 0")
    shell.run_cell("undefined_name", store_history=False)
    assert last_error(shell).exc_type == "ZeroDivisionError"


def test_without_a_recorder_the_last_shown_error_is_used(ipython_shell: Any) -> None:
    ipython_shell.run_cell("values = [1, 2]", store_history=True)
    ipython_shell.run_cell("values.appendd(3)", store_history=True)
    assert sys.last_value is not None
    error = last_error(ipython_shell)
    assert error.exc_type == "AttributeError"
    assert error.cell_number == 2 and error.source == "values.appendd(3)"
    assert error.suggestions == ["Did you mean: 'append'?"]


def test_cell_output_text_gives_output_or_error(run_cells: Any) -> None:
    shell = run_cells("print('total is', 42)", "int('x')")
    assert "total is 42" in cell_output_text(shell, 1)
    assert cell_output_text(shell, 2).startswith("ValueError:")


@pytest.mark.parametrize(
    ("source", "read", "assigned"),
    [
        ("y = f(x) + z.attr", {"f", "x", "z"}, {"y"}),
        ("import numpy as np\nfrom os import path", set(), {"np", "path"}),
        ("def g(a):\n    return a + b", {"a", "b"}, {"g"}),
        ("%time y = x", {"time", "y", "x"}, set()),  # magics: identifiers as a fallback
    ],
)
def test_names_read_and_assigned(source: str, read: set[str], assigned: set[str]) -> None:
    assert names_read(source) == read
    assert names_assigned(source) == assigned


def test_loading_the_extension_is_not_a_cell_worth_showing(run_cells: Any) -> None:
    shell = run_cells("a = 1", "%load_ext jupyter_localai", "%load_ext autoreload\nb = 2")
    sources = [cell_sources(shell)[n] for n in cell_numbers(shell)]
    assert sources == ["a = 1", "%load_ext autoreload\nb = 2"]
