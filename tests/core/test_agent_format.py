"""The agent's answer formats: numbered plans and tagged cells, as small models write them,
parsed; what breaks the format is refused with feedback the model can act on."""

from __future__ import annotations

import pytest

from jupyter_localai.core.agent_format import (
    FormatError,
    done_entry,
    parse_cell,
    parse_plan,
    step_instruction,
)


@pytest.mark.parametrize("text, steps", [
    ("1. Load the data\n2. Plot it", ["Load the data", "Plot it"]),
    ("Here is the plan:\n\n1) **Clean** the dates\n2) Sum per month\n\nDone.",
     ["Clean the dates", "Sum per month"]),
    ("Step 1: read\nStep 2: count\n- 3. show", ["read", "count", "show"]),
    ("1. a\n```python\n2. not a step\n```\n2. b", ["a", "b"]),
])
def test_plans_are_read_from_numbered_lines(text: str, steps: list[str]) -> None:
    assert parse_plan(text) == steps


def test_a_plan_without_numbered_steps_is_refused() -> None:
    with pytest.raises(FormatError, match="numbered"):
        parse_plan("Sure! I will load the data and plot it.")


def test_a_long_plan_is_returned_whole_for_the_caller_to_judge() -> None:
    assert len(parse_plan("\n".join(f"{n}. s{n}" for n in range(1, 8)))) == 7


def test_cells_new_untagged_and_edits() -> None:
    assert parse_cell("CELL: new\n```python\nx = 1\n```", {}).target is None
    assert parse_cell("```python\nx = 1\n```\nThis sets x.", {}).code == "x = 1"
    edit = parse_cell("CELL: edit In[3]\n```python\nrates = {'c': 1}\n```", {3: "rates = {}"})
    assert (edit.kind, edit.target, edit.code) == ("edit", 3, "rates = {'c': 1}")
    assert parse_cell("cell: Edit cell 3\n```python\nrates = 2\n```", {3: "rates = 1"}).target == 3


@pytest.mark.parametrize("text, known, feedback", [
    ("CELL: new\nI cannot do that.", {}, "no code"),
    ("CELL: new\n```python\nx = (1\n```", {}, "does not parse"),
    ("CELL: edit In[9]\n```python\nx = 1\n```", {3: "x = 0"}, r"no cell In\[9\]"),
    ("CELL: edit\n```python\nx = 1\n```", {3: "x = 0"}, "needs the cell's number"),
    ("CELL: edit In[3]\n```python\nx = 0\n```", {3: "x = 0  "}, "unchanged"),
])
def test_broken_answers_get_feedback(text: str, known: dict[int, str], feedback: str) -> None:
    with pytest.raises(FormatError, match=feedback):
        parse_cell(text, known)


def test_the_step_request_carries_the_plan_what_ran_and_the_format() -> None:
    done = [done_entry(1, parse_cell("```python\ntotals = 3\ntotals\n```", {}), "3")]
    text = step_instruction("sum and plot", ["Sum", "Plot"], 2, done, failing_cell=4)
    assert "Now do step 2: Plot" in text and "totals = 3" in text and "Output: 3" in text
    assert "CELL: new" in text and "In[4]" in text


def test_the_forms_placeholders_are_not_taken_for_steps_or_code() -> None:
    with pytest.raises(FormatError, match="numbered"):
        parse_plan("1. <what the first cell does, for this goal>\n2. <what the next cell does>")
    with pytest.raises(FormatError, match="only comments"):
        parse_cell("CELL: new\n```python\n# the code of the cell\n```", {})
