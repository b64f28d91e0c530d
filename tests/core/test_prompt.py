"""Prompt layout: within budget, stable prefix first, oldest cells dropped in blocks."""

from __future__ import annotations

import pytest

from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.prompt import (
    RELATED_MAX_TOKENS,
    SYSTEM_PROMPT,
    PromptBudget,
    build_messages,
    estimate_tokens,
)
from jupyter_localai.errors import ContextOverflowError


def notebook(cells: int, variables: int = 20) -> NotebookContext:
    return NotebookContext(
        cells=[CellRecord(i, f"x{i} = compute({i})\nprint(x{i})", output=str(i)) for i in
               range(1, cells + 1)],
        variables=[VariableSummary(f"v{i}", "int", f"int = {i}") for i in range(variables)],
        imports=["pd = pandas"],
    )


def prompt_text(messages: list[dict[str, str]]) -> str:
    return "".join(m["content"] for m in messages)


def test_system_prompt_is_first_and_the_same_for_every_task() -> None:
    budget = PromptBudget(n_ctx=4096, max_tokens=256)
    first = build_messages("Explain it", notebook(3), budget)
    second = build_messages("Fix it", notebook(5), budget)
    assert first[0] == second[0] == {"role": "system", "content": SYSTEM_PROMPT}


def test_300_cells_fit_the_context() -> None:
    budget = PromptBudget(n_ctx=2048, max_tokens=256, context_tokens=4000)
    messages = build_messages("Write code", notebook(300), budget)
    assert estimate_tokens(prompt_text(messages)) <= budget.prompt_tokens
    assert "# In[300]" in messages[1]["content"]  # newest kept, in the notebook turn
    assert "# In[1]:" not in prompt_text(messages)  # oldest dropped


def test_huge_cell_does_not_blow_the_budget() -> None:
    context = NotebookContext(cells=[CellRecord(1, "x = 1\n" * 200_000)])
    budget = PromptBudget(n_ctx=2048, max_tokens=256)
    messages = build_messages("Explain", context, budget)
    assert estimate_tokens(prompt_text(messages)) <= budget.prompt_tokens


def test_adding_a_cell_keeps_the_prefix() -> None:
    """Consecutive requests on a growing notebook share everything up to the new cell."""
    budget = PromptBudget(n_ctx=8192, max_tokens=256, context_tokens=600)
    before = build_messages("q", notebook(41), budget)[1]["content"]
    after = build_messages("q", notebook(42), budget)[1]["content"]
    cells_before = before.split("Imported modules")[0].rstrip()
    assert after.startswith(cells_before)


def test_questions_on_one_notebook_differ_only_after_the_variables() -> None:
    """Older cells picked for a question go after the stable part, so a follow-up question
    reuses everything up to and including the variables."""
    budget = PromptBudget(n_ctx=8192, max_tokens=256)
    first, second = notebook(20), notebook(20)
    first.related_cells = [CellRecord(2, "sales = load()")]
    second.related_cells = [CellRecord(5, "costs = load()")]
    a = prompt_text(build_messages("plot sales", first, budget))
    b = prompt_text(build_messages("sum costs", second, budget))
    shared = len(a[: next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)])
    assert a.index("Live variables now:") < a.index("Earlier cells related") < a.index("plot")
    assert shared >= a.index("Earlier cells related")
    assert "sales = load()" in a and "costs = load()" in b


def test_a_named_variable_without_room_in_the_stable_part_is_listed_at_the_end() -> None:
    budget = PromptBudget(n_ctx=4096, max_tokens=256, context_tokens=400)
    asked, other = notebook(4, variables=200), notebook(4, variables=200)
    for variable in asked.variables:
        variable.mentioned = variable.name == "v150"
    a = prompt_text(build_messages("plot v150", asked, budget))
    b = prompt_text(build_messages("plot v3", other, budget))
    stable = a[: a.index("Variables the request names:")]
    assert "- v150:" not in stable and "- v150:" in a[len(stable):]
    assert b.startswith(stable.rstrip())  # the stable part did not change with the question


def test_the_notebook_is_its_own_answered_turn_and_the_request_comes_last() -> None:
    """A small model shown notebook and request in one turn tends to write the notebook back;
    as an answered turn of its own it stays context, and its prefix is shared by all."""
    budget = PromptBudget(n_ctx=8192, max_tokens=256)
    first = build_messages("plot x3", notebook(5), budget)
    second = build_messages("sum x4", notebook(5), budget)
    assert [m["role"] for m in first] == ["system", "user", "assistant", "user"]
    assert first[:3] == second[:3] and "# In[5]:" in first[1]["content"]
    assert first[-1]["content"].endswith("plot x3") and "# In[" not in first[-1]["content"]
    assert build_messages("hi", None, budget)[1:] == [{"role": "user", "content": "hi"}]


def test_request_longer_than_context_is_a_clear_error() -> None:
    budget = PromptBudget(n_ctx=512, max_tokens=128)
    with pytest.raises(ContextOverflowError, match="context of 512 tokens"):
        build_messages("word " * 2000, None, budget)


def test_relevant_variables_come_first_when_budget_is_tight() -> None:
    context = notebook(1, variables=200)
    context.variables.append(VariableSummary("sales", "DataFrame", "DataFrame (10, 2)", 10.0))
    budget = PromptBudget(n_ctx=1024, max_tokens=256, context_tokens=300)
    content = prompt_text(build_messages("plot sales", context, budget))
    assert "- sales:" in content
    assert "- v199:" not in content


def test_chat_history_follows_the_context() -> None:
    budget = PromptBudget(n_ctx=4096, max_tokens=256)
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    messages = build_messages("and now?", notebook(2), budget, history)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant",
                                             "user"]
    assert messages[-1]["content"] == "and now?"


def test_an_older_cell_picked_for_the_question_shows_only_a_one_line_output() -> None:
    """The question's part is evaluated afresh for every question: a related cell brings
    its source and its output only if that is one short line (a table of numbers costs a
    token per digit), while the recent cells keep theirs whole."""
    budget = PromptBudget(n_ctx=8192, max_tokens=256)
    table = "\n".join(f"2023-{m:02d}-01    {137707.33 + m:.2f}" for m in range(1, 6))
    context = notebook(20)
    context.cells[-1].output = table
    context.related_cells = [CellRecord(2, "monthly.rolling(3).mean()", output=table),
                             CellRecord(3, "monthly.sum()", error="KeyError: 'revenue'"),
                             CellRecord(4, "monthly.shape", output="(12,)")]
    messages = build_messages("plot monthly", context, budget)
    notebook_turn, question_turn = messages[1]["content"], messages[-1]["content"]
    assert table.replace("\n", "\n#      ") in notebook_turn  # the recent cell's, whole
    related = question_turn[question_turn.index("# In[2]:"):question_turn.index("plot monthly")]
    assert "monthly.rolling(3).mean()" in related and "# Error: KeyError: 'revenue'" in related
    out_lines = [line for line in related.splitlines() if line.startswith("# Out:")]
    assert out_lines == ["# Out: (12,)"]


def test_the_older_cells_picked_for_a_question_are_capped_however_large_the_budget() -> None:
    budget = PromptBudget(n_ctx=32768, max_tokens=256, context_tokens=16000)
    context = notebook(20)
    context.related_cells = [CellRecord(i, f"total_{i} = sales[{i}].sum()", output=str(i))
                             for i in range(100, 140)]
    question_turn = build_messages("plot sales", context, budget)[-1]["content"]
    related = question_turn[question_turn.index("# In[100]:"):question_turn.index("plot sales")]
    assert "# In[101]:" in related
    assert estimate_tokens(related) <= RELATED_MAX_TOKENS + 8


def test_a_named_numeric_variable_goes_to_the_question_without_its_digits() -> None:
    """A variable the request names, listed afresh for the question, keeps its type, shape
    and dtype; a numeric sample (a token per digit) is left out, text samples stay."""
    budget = PromptBudget(n_ctx=4096, max_tokens=256, context_tokens=1600)
    context = notebook(4, variables=200)
    context.variables[:0] = [  # the oldest: no room for them in the stable part
        VariableSummary("monthly", "Series", "Series 'revenue', 12 values, dtype float64; "
                        "first: [160602, 115643.5, -1.2e3]", mentioned=True, relevance=-1),
        VariableSummary("labels", "Series", "Series, 3 values, dtype object; "
                        "first: ['north', 'south']", mentioned=True, relevance=-1),
    ]
    question_turn = build_messages("plot monthly by labels", context, budget)[-1]["content"]
    assert "- monthly: Series 'revenue', 12 values, dtype float64\n" in question_turn
    assert "160602" not in question_turn
    assert "- labels: Series, 3 values, dtype object; first: ['north', 'south']" in question_turn
