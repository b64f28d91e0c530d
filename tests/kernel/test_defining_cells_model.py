"""The cell that defined a variable long ago, on the real embedded model: collected from a
real IPython shell's history into the prompt's stable part (the notebook turn every request
on it shares), and an ask about the variable answers with code that uses it and runs."""

from __future__ import annotations

import ast
from typing import Any

import pytest
from support.logged_engine import LoggedEngine

from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.kernel.context.collect import collect_context
from jupyter_localai.kernel.context.namespace import KernelNamespace

pytestmark = pytest.mark.model

DEFINING = "prices = {'apple': 1.2, 'pear': 0.8, 'plum': 2.5, 'fig': 1.9}"
UNUSED = "unused_old = 'kept out'"  # as old, but no recent cell reads it
FILLER = [f"step_{i} = {i} * 2" for i in range(30)]
RECENT = [f"basket_{i} = sum(prices.values()) + {i}" for i in range(4)]
QUESTION = "find the fruit with the highest price in prices and store its name in priciest"


def names_read(code: str) -> set[str]:
    return {node.id for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def test_an_old_defining_cell_reaches_the_stable_prompt_and_the_answer_uses_it(
    run_cells: Any, worker_engine: Any,
) -> None:
    shell = run_cells(DEFINING, UNUSED, *FILLER, *RECENT)
    context = collect_context(shell, QUESTION)  # as `%%ai` collects it
    assert DEFINING not in [cell.source for cell in context.cells]  # too old for the window
    assert [cell.source for cell in context.defining_cells] == [DEFINING]

    engine = LoggedEngine(worker_engine)
    request = TaskRequest("generate", QUESTION, context=context, max_tokens=128, retries=0,
                          temperature=0.0, seed=0)
    reply = run_task(engine, request, namespace=KernelNamespace(shell.user_ns))
    messages = engine.requests[0].messages
    notebook_turn, question_turn = messages[1]["content"], messages[-1]["content"]
    assert DEFINING in notebook_turn and DEFINING not in question_turn
    assert UNUSED not in notebook_turn + question_turn  # its value is summarized, not its cell

    assert reply.warnings == [], reply.text
    assert "prices" in names_read(reply.code), reply.code
    ran = shell.run_cell(reply.code, store_history=True)
    assert ran.success, reply.code
    prices = shell.user_ns["prices"]
    assert prices[shell.user_ns["priciest"]] == max(prices.values())
