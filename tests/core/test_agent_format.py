"""The agent's answer formats: numbered plans and tagged cells, as small models write them,
parsed; what breaks the format is refused with feedback the model can act on."""

from __future__ import annotations

import pytest

from jupyter_localai.core.agent_format import (
    AlreadyDone,
    FormatError,
    done_entry,
    fit_plan,
    look_only,
    model_billions,
    parse_cell,
    parse_plan,
    plan_limit,
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
    ("CELL: edit\n```python\nx = 1\n```", {3: "x = 0"}, "needs the cell's number"),
    ("CELL: edit In[3]\n```python\nx = 0\n```", {3: "x = 0  "}, "unchanged"),
])
def test_broken_answers_get_feedback(text: str, known: dict[int, str], feedback: str) -> None:
    with pytest.raises(FormatError, match=feedback):
        parse_cell(text, known)


def test_the_step_request_carries_the_plan_what_ran_and_the_format() -> None:
    done = [done_entry(1, parse_cell("```python\ntotals = 3\ntotals\n```", {}), "3")]
    text = step_instruction("sum and plot", ["Sum", "Plot"], 2, done, failing_cell=4,
                            known_cells={2: "rates = {}", 3: "x = 1", 4: "y = rates['a'] + x"})
    assert "Now do step 2: Plot" in text and "totals = 3" in text and "Output: 3" in text
    assert "```python block" in text and "CELL: edit In[N]" in text
    assert "In[4] fails. It reads `rates`, which In[2] defines, `x`, which In[3] defines." in text
    # No cell failed: no edit is offered (the 0.5B edited healthy cells when it was).
    assert "CELL" not in step_instruction("sum", ["Sum"], 1, [])


def test_the_forms_placeholders_are_not_taken_for_steps_or_code() -> None:
    with pytest.raises(FormatError, match="numbered"):
        parse_plan("1. <what the first cell does, for this goal>\n2. <what the next cell does>")
    with pytest.raises(FormatError, match="only comments"):
        parse_cell("CELL: new\n```python\n# the code of the cell\n```", {})


def test_an_edit_of_a_cell_that_does_not_exist_is_read_from_its_code() -> None:
    known = {2: "prices = {'apple': 1.2}", 3: "cost = prices['banana'] * 3"}
    edit = parse_cell("CELL: edit In[5]\n```python\nprices = {'apple': 1.2, 'banana': 0.5}"
                      "\n```", known)
    assert edit.target == 2 and "In[5] does not exist" in edit.note
    new = parse_cell("CELL: edit In[9]\n```python\ntotal = 4\n```", known)
    assert new.target is None and "new cell" in new.note
    # x[k] = ... keeps x: not an edit of the cell that defines x.
    assert parse_cell("CELL: edit In[7]\n```python\nprices['banana'] = 0.5\n```",
                      known).target is None
    with pytest.raises(AlreadyDone):
        parse_cell("CELL: edit In[8]\n```python\nprices = {'apple': 1.2}\n```", known)


@pytest.mark.parametrize("goal, model, limit", [
    ("Add a column revenue to sales, then set top to its largest value.",
     "qwen2.5-coder-0.5b", 0),
    ("Add a column revenue to sales, then set top to its largest value.",
     "qwen2.5-coder-1.5b", 2),
    ("Load orders.csv. Clean the dates.\nPlot monthly revenue by region.",
     "qwen2.5-coder-0.5b", 2),
    ("Load orders.csv. Clean the dates.\nPlot monthly revenue by region.",
     "qwen2.5-coder-7b", 4),
    ("Make the last cell work: a banana costs 0.5.", "", 2),
])
def test_plans_are_sized_to_the_goal_and_the_model(goal: str, model: str, limit: int) -> None:
    assert plan_limit(goal, model) == limit


def test_model_sizes_and_plan_fitting() -> None:
    assert model_billions("qwen2.5-coder-0.5b") == 0.5
    assert model_billions("Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf") == 1.5
    assert model_billions("my-model") is None
    assert fit_plan(["a", "b", "c", "d"], 2) == ["a; then b", "c; then d"]
    assert fit_plan(["a", "b", "c"], 2) == ["a; then b", "c"]
    assert fit_plan(["a"], 2) == ["a"]
    assert look_only("Load the data") and look_only("show the frame")
    assert not look_only("Convert the readings to floats")


def test_a_one_step_run_asks_for_the_goal_and_names_what_to_assign() -> None:
    goal = "Sum the prices as total."
    text = step_instruction(goal, [goal], 1, [], required=["total"])
    assert "Plan:" not in text and "Write the goal as one notebook cell" in text
    assert "must assign `total`" in text
