"""The agent loop's logic on a scripted engine and a real IPython shell with a real copy:
the plan, a failed attempt fed back with its error, state built step on step in the copy,
an edit of an earlier cell checked against the failing cell, and the honest stops (a plan
too big, a step that never runs). The real model's runs are in test_agent_model.py."""

from __future__ import annotations

from typing import Any

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel.agent.runner import AgentOptions, AgentRunner
from jupyter_localai.kernel.context.collect import collect_context
from jupyter_localai.kernel.context.history import cell_sources
from jupyter_localai.kernel.context.namespace import KernelNamespace


def scripted(*replies: str, model: str = "fake") -> tuple[FakeEngine, list[GenerationRequest]]:
    seen: list[GenerationRequest] = []
    queue = list(replies)

    def reply(request: GenerationRequest) -> str:
        seen.append(request)
        return queue.pop(0)

    return FakeEngine(reply, model=model), seen


def runner(shell: Any, engine: FakeEngine, goal: str, **options: Any) -> AgentRunner:
    sources = cell_sources(shell)
    known = {n: s for n, s in enumerate(sources) if n and s.strip()}
    return AgentRunner(engine, shell, goal, collect_context(shell, goal),
                       KernelNamespace(shell.user_ns), known,
                       AgentOptions(step_timeout_s=20, **options))


def test_two_steps_build_on_each_other_and_a_failure_is_fed_back(run_cells: Any) -> None:
    shell = run_cells("prices = [3, 4, 5]")
    engine, seen = scripted(
        "1. Double the prices\n2. Sum them",
        "CELL: new\n```python\ndoubled = [p * 2 for p in prices]\ndoubled\n```",
        "CELL: new\n```python\ntotal = sum(doubld)\n```",
        "CELL: new\n```python\ntotal = sum(doubled) + len(prices[10])\n```",
        "CELL: new\n```python\ntotal = sum(doubled)\nprint(total)\n```")
    run = runner(shell, engine, "double the prices and sum them").run()
    assert run.status == "done", run.message
    assert [s.status for s in run.steps] == ["ran", "ran"]
    assert run.steps[0].output == "[6, 8, 10]"
    assert run.steps[1].output == "24"
    # The undefined name was caught by the checks, the IndexError in the copy; both fed back.
    problems = [a.problem for a in run.steps[1].attempts]
    assert "doubld" in problems[0] and "IndexError" in problems[1] and problems[2] == ""
    assert "doubld" in seen[3].messages[-1]["content"]
    assert "IndexError" in seen[4].messages[-1]["content"]
    # Step 2's request showed step 1's cell and output.
    assert "doubled = [p * 2" in seen[2].messages[-1]["content"] and "[6, 8, 10]" in \
        seen[2].messages[-1]["content"]
    assert "doubled" not in shell.user_ns and "total" not in shell.user_ns


def test_an_edit_of_the_earlier_cause_is_checked_by_the_failing_cell(run_cells: Any) -> None:
    shell = run_cells("rates = {'a': 1, 'b': 2}", "value = rates['c'] * 10")
    cause = min(n for n, s in enumerate(cell_sources(shell)) if s.startswith("rates"))
    engine, _ = scripted(
        "1. Fix the cause",
        "CELL: new\n```python\nvalue = 0\n```\n",  # runs, but the goal's check is the user's
    )
    run = runner(shell, engine, "make the last cell work").run()
    assert run.steps[0].kind == "new"
    engine, _ = scripted(
        "1. Add the missing key where rates is defined",
        f"CELL: edit In[{cause}]\n```python\nrates = {{'a': 1, 'b': 2}}\n```",
        f"CELL: edit In[{cause}]\n```python\nrates = {{'a': 1, 'b': 2, 'd': 4}}\n```",
        f"CELL: edit In[{cause}]\n```python\nrates = {{'a': 1, 'b': 2, 'c': 3}}\n```")
    run = runner(shell, engine, "make the last cell work").run()
    step = run.steps[0]
    assert run.status == "done" and step.kind == "edit" and step.target == cause
    assert "unchanged" in step.attempts[0].problem
    assert "still fails" in step.attempts[1].problem and "KeyError" in step.attempts[1].problem
    assert "+rates = {'a': 1, 'b': 2, 'c': 3}" in step.diff()
    assert run.to_json()["steps"][0]["target"]["execution_count"] == cause
    assert "value" not in shell.user_ns


def test_a_plan_too_big_and_a_step_that_never_runs_are_said(run_cells: Any) -> None:
    shell = run_cells("x = 1")
    engine, _ = scripted("\n".join(f"{n}. step {n}" for n in range(1, 7)))
    run = runner(shell, engine, "Load the data. Clean it. Plot it. Write a report.").run()
    assert run.status == "too_big" and "6 steps" in run.message and not run.steps
    engine, _ = scripted("1. Divide", *["CELL: new\n```python\ny = x / 0\n```"] * 3)
    run = runner(shell, engine, "divide").run()
    assert run.status == "failed" and "after 3 attempts" in run.message
    assert run.steps[0].status == "failed" and "ZeroDivisionError" in run.steps[0].error


def test_an_endless_step_is_stopped_and_revised(run_cells: Any) -> None:
    shell = run_cells("n = 3")
    engine, seen = scripted("1. Count", "```python\nwhile True:\n    n += 1\n```",
                            "```python\nm = n + 1\n```")
    run = AgentRunner(engine, shell, "count", collect_context(shell, "count"),
                      KernelNamespace(shell.user_ns), {},
                      AgentOptions(step_timeout_s=2)).run()
    assert run.status == "done"
    assert "did not finish within its budget of 2 s" in run.steps[0].attempts[0].problem
    assert "no endless loop" in seen[-1].messages[-1]["content"]
    assert shell.user_ns["n"] == 3


def test_an_engine_failure_ends_the_run_with_what_ran(run_cells: Any) -> None:
    from jupyter_localai.errors import WorkerCrashedError

    shell = run_cells("n = 3")
    replies = iter(["1. Add one\n2. Double", "```python\nm = n + 1\n```"])

    def reply(request: GenerationRequest) -> str:
        text = next(replies, None)
        if text is None:
            raise WorkerCrashedError("the worker died")
        return text

    run = runner(shell, FakeEngine(reply), "add one, then double").run()
    assert run.status == "stopped" and "the worker died" in run.message
    assert [s.status for s in run.steps] == ["ran", "pending"]


def test_a_step_an_existing_cell_already_does_is_skipped(run_cells: Any) -> None:
    shell = run_cells("import math", "prices = [3, 4, 5]")
    engine, _ = scripted("1. Read the prices\n2. Sum them",
                         "CELL: new\n```python\nprices = [3, 4, 5]\n```",
                         "```python\ntotal = sum(prices)\n```")
    run = runner(shell, engine, "sum the prices").run()
    assert run.status == "done", run.message
    assert [s.status for s in run.steps] == ["skipped", "ran"]
    assert "already does this step" in run.steps[0].output and run.steps[0].code == ""
    assert [s.index for s in run.ran_steps()] == [2]


def test_a_one_sentence_goal_on_a_small_model_is_one_step_without_a_plan(
        run_cells: Any) -> None:
    shell = run_cells("readings = ['2.5', 'n/a', '3.5']")
    goal = "Convert readings to floats, skipping 'n/a', then set avg to their mean."
    engine, seen = scripted(
        "```python\nvalues = [float(r) for r in readings if r != 'n/a']\n```",
        "```python\nvalues = [float(r) for r in readings if r != 'n/a']\n"
        "avg = sum(values) / len(values)\n```", model="qwen2.5-coder-0.5b")
    run = runner(shell, engine, goal).run()
    assert run.status == "done", run.message
    assert run.plan == [goal] and len(run.steps) == 1
    assert "Plan" not in seen[0].messages[-1]["content"]  # no planning call: a cell first
    # The goal asks for avg: a cell that never assigns it is sent back, not kept.
    assert "`avg`" in run.steps[0].attempts[0].problem and run.steps[0].output == ""
    assert len(seen) == 2 and "avg" not in shell.user_ns


def test_a_long_plan_of_a_one_sentence_goal_is_merged(run_cells: Any) -> None:
    shell = run_cells("n = 3")
    engine, seen = scripted("1. Read n\n2. Add one\n3. Double it\n4. Show it",
                            "```python\nm = n + 1\n```", "```python\nk = m * 2\nk\n```",
                            model="qwen2.5-coder-1.5b")
    run = runner(shell, engine, "add one to n, then double it as k").run()
    assert run.status == "done", run.message
    assert run.plan == ["Read n; then Add one", "Double it; then Show it"]
    assert "1 to 2 steps" in seen[0].messages[-1]["content"]


def test_a_handed_back_cell_does_not_do_a_step_that_changes_data(run_cells: Any) -> None:
    shell = run_cells("prices = [3, 4, 5]")
    engine, seen = scripted("1. Double the prices\n2. Sum them as total",
                            "CELL: new\n```python\nprices = [3, 4, 5]\n```",
                            "```python\ndoubled = [p * 2 for p in prices]\n```",
                            "```python\ntotal = sum(doubled)\n```")
    run = runner(shell, engine, "double the prices and sum them as total").run()
    assert run.status == "done", run.message
    assert [s.status for s in run.steps] == ["ran", "ran"]
    assert "does not do this step" in run.steps[0].attempts[0].problem
    assert "CELL: new" in seen[2].messages[-1]["content"]
    # Even a step that looks only at data is not skipped when it is the last one.
    engine, _ = scripted("1. Show the prices", "```python\nprices = [3, 4, 5]\n```",
                         "```python\nprices\n```")
    run = runner(shell, engine, "show the prices").run()
    assert [s.status for s in run.steps] == ["ran"] and run.steps[0].output == "[3, 4, 5]"


def test_an_edit_of_a_cell_that_does_not_exist_is_recovered(run_cells: Any) -> None:
    shell = run_cells("rates = {'a': 1, 'b': 2}", "value = rates['c'] * 10")
    cause = min(n for n, s in enumerate(cell_sources(shell)) if s.startswith("rates"))
    engine, seen = scripted("1. Add c to rates",
                            "CELL: edit In[42]\n```python\nrates = {'a': 1, 'b': 2, 'c': 3}\n```")
    run = runner(shell, engine, "make the last cell work").run()
    step = run.steps[0]
    assert run.status == "done" and step.target == cause and len(seen) == 2
    assert "In[42] does not exist" in run.to_json()["steps"][0]["note"]


def test_a_call_the_time_budget_cannot_fit_is_not_started(run_cells: Any) -> None:
    shell = run_cells("n = 3")
    seen: list[GenerationRequest] = []

    def slow(request: GenerationRequest) -> str:
        seen.append(request)
        __import__("time").sleep(0.4)
        return "1. Add one\n2. Double" if len(seen) == 1 else "```python\nm = n + 1\n```"

    run = runner(shell, FakeEngine(slow), "add one, then double", time_budget_s=1.0).run()
    # Calls take 0.4 s: the plan and step 1 fit in 1 s, a third would end at ~1.2 s.
    assert run.status == "stopped" and "time budget" in run.message
    assert len(seen) == 2 and [s.status for s in run.steps] == ["ran", "pending"]


def test_an_edit_without_an_error_is_checked_like_a_new_cell_and_repeats_are_said(
        run_cells: Any) -> None:
    shell = run_cells("readings = ['1.5', 'n/a', '2.5']")
    cell = min(n for n, s in enumerate(cell_sources(shell)) if s.startswith("readings"))
    made_up = f"CELL: edit In[{cell}]\n```python\nreadings = [1.5, 2.5]\navg = 2.0\n```"
    engine, seen = scripted(made_up, made_up,
                            "```python\nvalues = [float(r) for r in readings if r != 'n/a']\n"
                            "avg = sum(values) / len(values)\n```", model="qwen2.5-coder-0.5b")
    run = runner(shell, engine, "Set avg to the mean of the readings that are numbers.").run()
    assert run.status == "done", run.message
    first, _, kept = run.steps[0].attempts
    assert "made-up data" in first.problem and kept.problem == ""
    assert "same cell as your previous attempt" in seen[2].messages[-1]["content"]
    assert run.steps[0].kind == "new" and shell.user_ns["readings"][1] == "n/a"


def test_an_in_place_idiom_is_rewritten_instead_of_retried(run_cells: Any) -> None:
    shell = run_cells("import pandas as pd", "df = pd.DataFrame({'a': [1.0, None, 3.0]})")
    engine, seen = scripted("```python\ndf = df.dropna(inplace=True)\nn = len(df)\n```",
                            model="qwen2.5-coder-0.5b")
    run = runner(shell, engine, "Drop the empty rows of df and set n to how many are left.").run()
    assert run.status == "done", run.message
    assert run.steps[0].code.startswith("df = df.dropna()") and len(seen) == 1
    assert "n = 2" in run.steps[0].code or run.steps[0].status == "ran"
    assert len(shell.user_ns["df"]) == 3


def test_a_later_step_is_checked_against_the_copy_not_the_live_columns(run_cells: Any) -> None:
    shell = run_cells("import pandas as pd", "sales = pd.DataFrame({'units': [1, 2], "
                      "'price': [3.0, 4.0]})")
    engine, seen = scripted("1. Add revenue\n2. Sum it as total",
                            "```python\nsales['revenue'] = sales['units'] * sales['price']\n```",
                            "```python\ntotal = sales['revenue'].sum()\ntotal\n```",
                            model="qwen2.5-coder-1.5b")
    run = runner(shell, engine, "add revenue to sales, then sum it as total").run()
    assert run.status == "done", run.message
    assert len(seen) == 3 and "11.0" in run.steps[1].output
    assert list(shell.user_ns["sales"].columns) == ["units", "price"]
