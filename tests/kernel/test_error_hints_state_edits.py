"""Hint edits for values that are not what the code takes them for (`kernel/fix/rules/`): a
name a function updates (`+=`) and so makes its own local, an integer array given a float
result in place, dates kept as text under `set_index` before `resample`, a notebook
variable quoted as a column. Each edit is applied and the cell run again, on data of this
file's own; where the fix is not plain, no edit is offered."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.hint_edits import edited_run, hints_for, no_edit

from jupyter_localai.core.context import ErrorInfo
from jupyter_localai.core.quickfix import hinted_fixes
from jupyter_localai.kernel.fix.hints import Hint


def test_a_notebook_total_updated_in_a_function_is_declared_global() -> None:
    source = ("points = 0\n\ndef score(word):\n    \"\"\"Count a word.\"\"\"\n"
              "    points += len(word)\n    return word.upper()\n\n"
              "shouted = [score(w) for w in words]")
    found = hints_for(source, words=["ab", "cde"])
    assert any("`global points`" in h for h in found), found
    ns = edited_run(source, found, words=["ab", "cde"])
    assert ns["points"] == 5 and ns["shouted"] == ["AB", "CDE"]
    assert ns["score"].__doc__ == "Count a word."  # the docstring stays first


def test_an_enclosing_functions_counter_is_declared_nonlocal() -> None:
    source = ("def tally(items):\n    seen = 0\n    def bump(x):\n        seen += 1\n"
              "        return x\n    kept = [bump(i) for i in items]\n    return seen\n"
              "n = tally(['a', 'b', 'c'])")
    found = hints_for(source)
    assert any("`nonlocal seen`" in h for h in found), found
    assert edited_run(source, found)["n"] == 3


def test_a_function_that_also_assigns_the_name_gets_no_declaration() -> None:
    source = ("total = 0\ndef add(x):\n    total += x\n    total = total * 2\n    return total\n"
              "add(1)")
    assert no_edit(hints_for(source))


def test_an_integer_array_is_made_float_before_a_fractional_result_in_place() -> None:
    marks = np.array([[3, 4], [5, 8]])
    source = "# centre each column\nmarks -= marks.mean(axis=0)\nmarks //= 1"
    found = hints_for(source, marks=marks)
    assert any("`marks = marks.astype(float)`" in h for h in found), found
    assert edited_run(source, found, marks=marks)["marks"].tolist() == [[-1.0, -2.0], [1.0, 2.0]]
    column = "marks[:, 0] /= 2"
    assert edited_run(column, hints_for(column, marks=marks), marks=marks)["marks"][:, 0].tolist() == [
        1.5, 2.5]


def test_dates_kept_as_text_are_parsed_before_resampling() -> None:
    log = pd.DataFrame({"at": ["2025-01-01 08:00", "2025-01-01 20:00", "2025-01-03 09:30"],
                        "mm": [1.0, 2.0, 4.0]})
    source = "rain = log.set_index('at').resample('D')['mm'].sum()"
    found = hints_for(source, log=log)
    assert any("holds dates as text" in h for h in found), found
    ns = edited_run(source, found, log=log)
    assert ns["rain"].tolist() == [3.0, 0.0, 4.0]
    assert log["at"].dtype == object or str(log["at"].dtype).startswith("str")  # left as it was


def test_text_that_is_no_date_gets_no_parse() -> None:
    log = pd.DataFrame({"at": ["dawn", "dusk"], "mm": [1.0, 2.0]})
    assert no_edit(hints_for("rain = log.set_index('at').resample('D')['mm'].sum()", log=log))


def test_a_notebook_variable_quoted_as_a_column_is_read_as_the_variable() -> None:
    staff = pd.DataFrame({"who": ["ann", "bo"], "hired": pd.to_datetime(["2019-03-01",
                                                                         "2021-07-15"])})
    cutoff = pd.Timestamp("2024-01-01")
    source = "staff['years'] = staff['hired'].dt.year - staff['cutoff'].dt.year"
    found = hints_for(source, staff=staff, cutoff=cutoff)
    assert any("variable of the notebook" in h for h in found), found
    assert edited_run(source, found, staff=staff.copy(), cutoff=cutoff)["staff"][
        "years"].tolist() == [-5, -3]
    scale = 2.0
    plain = "staff['double'] = staff['factor'] * 1"
    ns = edited_run(plain, hints_for(plain, staff=staff.copy(), factor=scale),
                    staff=staff.copy(), factor=scale)
    assert ns["staff"]["double"].tolist() == [2.0, 2.0]


def test_a_key_that_names_no_variable_gets_no_variable_edit() -> None:
    staff = pd.DataFrame({"who": ["ann"]})
    assert not any("variable of the notebook" in h
                   for h in hints_for("x = staff['cutoff']", staff=staff))


def test_every_place_a_variable_is_quoted_as_a_column_is_edited() -> None:
    staff = pd.DataFrame({"hired": pd.to_datetime(["2019-03-01", "2021-07-15"])})
    cutoff = pd.Timestamp("2024-06-01")
    source = ("staff['years'] = staff['cutoff'].dt.year - staff['hired'].dt.year - "
              "(staff['cutoff'].dt.month < staff['hired'].dt.month)")
    found = hints_for(source, staff=staff, cutoff=cutoff)
    edits = [h.edit for h in found if isinstance(h, Hint) and h.edit]
    error = ErrorInfo(source, "KeyError", "'cutoff'", edits=edits)
    fixed = hinted_fixes(error, source)[0].code
    assert "staff['cutoff']" not in fixed
    ns = {"pd": pd, "staff": staff.copy(), "cutoff": cutoff}
    exec(fixed, ns)  # noqa: S102 - the edited cell
    assert ns["staff"]["years"].tolist() == [5, 2]
