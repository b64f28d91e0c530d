"""The inline completion prompt: a stable, redacted notebook part, then the cell's text."""

from __future__ import annotations

import ast
from dataclasses import replace

from jupyter_localai.core.completion_prompt import (
    CURRENT_CELL_HEADER,
    completion_context,
    completion_prompt,
)
from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.prompt import estimate_tokens

KEY = "sk-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"


def notebook(n_cells: int = 3) -> NotebookContext:
    cells = [CellRecord(i, f"step_{i} = {i} * 2\nprint(step_{i})", output=str(i * 2))
             for i in range(1, n_cells + 1)]  # fmt: skip
    return NotebookContext(
        cells=cells,
        variables=[
            VariableSummary("sales", "DataFrame",
                            "DataFrame, 5000 rows x 3 columns\ncolumns: region (str), "
                            "units (int64), price (float64)", relevance=1.0),
            VariableSummary("rate", "float", "float: 0.25"),
        ],
        imports=["pandas as pd"],
    )


def test_the_context_is_python_cells_then_the_cell_header_and_no_variables():
    text = completion_context(notebook())
    assert text.endswith(CURRENT_CELL_HEADER)
    ast.parse(text)  # cells as code, everything else as comments: one valid Python file
    assert "step_3 = 3 * 2" in text and "sales" not in text


def test_variables_the_cell_names_get_a_hint_line_above_the_cursor():
    prompt = completion_prompt(notebook(), "total = sales[", "")
    hint, typed = prompt.prefix.split("\n", 1)
    assert typed == "total = sales["
    assert hint == ("# sales: DataFrame, 5000 rows x 3 columns: 'region' (str), "
                    "'units' (int64), 'price' (float64)")
    ast.parse(prompt.context + hint + "\n")
    both = completion_prompt(notebook(), "x = rate * ", "\nprint(sales)", hint_types=None).prefix
    assert both.splitlines()[:2] == ["# rate: float: 0.25", hint]
    # Names that are only attributes, or not live, get nothing (with no frame hinted for a
    # cell that names none, `unnamed_hints=0`); nor does the baseline.
    assert completion_prompt(notebook(), "x = df.sales + ratex", "",
                             unnamed_hints=0).prefix == "x = df.sales + ratex"
    bare = completion_prompt(notebook(), "total = sales[", "", with_variables=False)
    assert bare.prefix == "total = sales[" and bare.context == prompt.context


def test_hints_leave_out_sample_values_and_names_the_cell_binds_itself():
    context = notebook()
    context.variables += [
        VariableSummary("x", "ndarray", "ndarray shape (10,), dtype int64; first: [0, 1, 2]"),
        VariableSummary("items", "list", "list, 3 items of int: [1, 2, 3]"),
    ]
    hints = completion_prompt(context, "y = x + len(items) + ", "",
                              hint_types=None).prefix.splitlines()
    assert hints[:2] == ["# x: ndarray shape (10,), dtype int64", "# items: list, 3 items of int"]
    # `x` is bound by the cell before the cursor: the kernel's `x` is an older object.
    rebound = completion_prompt(context, "x = [1, 2]\nprint(x[", "", unnamed_hints=0,
                                hint_types=None).prefix
    assert rebound == "x = [1, 2]\nprint(x["


def test_hints_stay_the_same_while_the_user_types_within_a_line():
    first = completion_prompt(notebook(), "total = sales[", "").prefix
    later = completion_prompt(notebook(), "total = sales['units'].su", "").prefix
    assert later.startswith(first)


def test_the_context_does_not_change_while_the_user_types_or_with_what_a_request_picked():
    context = notebook()
    picked = replace(
        context,
        related_cells=[CellRecord(99, "unrelated = 1")],
        variables=[replace(v, mentioned=True) for v in context.variables],
    )
    first = completion_prompt(context, "x = sa", "")
    later = completion_prompt(picked, "x = sales[", "]")
    assert first.context == later.context
    assert "unrelated" not in later.context


def test_secrets_are_redacted_in_cells_variables_prefix_and_suffix():
    context = notebook()
    context.cells.append(CellRecord(4, f"client = Client(api_key='{KEY}')"))
    context.variables.append(VariableSummary("token", "str", f"str: '{KEY}'"))
    prompt = completion_prompt(context, f"headers = {{'Authorization': '{KEY}", f"{KEY}'}}")
    whole = prompt.context + prompt.prefix + prompt.suffix
    assert KEY not in whole
    assert KEY[:12] not in whole
    assert "<redacted>" in prompt.prefix and "<redacted>" in prompt.suffix


def test_a_long_notebook_fits_the_budget_keeping_the_newest_cells():
    context = notebook(200)
    text = completion_context(context, 600)
    assert estimate_tokens(text) <= 600 + 40
    assert "step_200 = 200 * 2" in text
    assert "step_1 = 1 * 2" not in text


def test_adding_a_cell_keeps_the_start_of_the_context():
    """Cells drop from the start in blocks: one more cell leaves the earlier text in place,
    so the cache keeps the prefix across a cell run."""
    before = completion_context(notebook(20), 800)
    after = completion_context(notebook(21), 800)
    cells_before = before[: before.index("# In[ ]:")]
    assert after.startswith(cells_before.rstrip("\n"))


def test_no_context_is_just_the_cell_header():
    assert completion_context(None) == CURRENT_CELL_HEADER
    prompt = completion_prompt(None, "import ", "")
    assert prompt.context == CURRENT_CELL_HEADER and prompt.prefix == "import "


def test_a_callables_hint_keeps_its_signature_not_its_docstring():
    context = notebook()
    context.variables.append(VariableSummary(
        "show", "function", "function show(*args)  # Display HTML of several objects"))
    hint = completion_prompt(context, "show(", "", hint_types=None).prefix.splitlines()[0]
    assert hint == "# show: function show(*args)"


def test_a_cell_naming_no_live_variable_may_get_the_first_frames_hint():
    prefix = completion_prompt(notebook(), "x = ", "", unnamed_hints=1).prefix
    assert prefix.splitlines()[0].startswith("# sales: DataFrame") and prefix.endswith("x = ")
    assert completion_prompt(notebook(), "x = ", "", unnamed_hints=0).prefix == "x = "
    # Naming a live variable hints that one only.
    named = completion_prompt(notebook(), "x = rate * ", "", unnamed_hints=1,
                              hint_types=None).prefix
    assert named.splitlines()[0] == "# rate: float: 0.25" and "sales" not in named


def test_a_frames_hint_names_its_index_and_the_columns_of_a_wide_frame():
    context = notebook()
    context.variables.append(VariableSummary(
        "bikes", "DataFrame",
        "DataFrame, 310 rows x 30 columns\ncolumns (first 2): Berri 1 (int64), "
        "Date text (str: date text '%Y-%m-%d')\nindex: DatetimeIndex 'Date'\nhead:\n  x"))
    hint = completion_prompt(context, "bikes.", "").prefix.splitlines()[0]
    assert hint == ("# bikes: DataFrame, 310 rows x 30 columns, index DatetimeIndex 'Date': "
                    "'Berri 1' (int64), 'Date text' (str: date text '%Y-%m-%d')")


def test_by_default_a_cell_naming_no_live_variable_gets_no_hint():
    """A fresh `x = ` line usually builds something new: a frame hinted there pulled the
    suggestion to that frame (benchmarks/README.md, inline completion quality)."""
    assert completion_prompt(notebook(), "x = ", "").prefix == "x = "


def test_by_default_only_dataframes_get_a_hint_line():
    """A frame's columns are what the code above may not show; a float's or a Series' line
    gives a small model words to copy (benchmarks/README.md)."""
    prefix = completion_prompt(notebook(), "x = rate * sales", "").prefix
    assert prefix.splitlines()[0].startswith("# sales: DataFrame") and "# rate" not in prefix
    every = completion_prompt(notebook(), "x = rate * sales", "", hint_types=None).prefix
    assert "# rate: float" in every and "# sales: DataFrame" in every
