"""Prompt layout: within budget, stable prefix first, oldest cells dropped in blocks."""

from __future__ import annotations

import pytest

from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.prompt import (
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
