"""The ask loop keeps the first candidate that passes the static checks (issue 19)."""

from __future__ import annotations

from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine

BROKEN = "```python\ndef total(xs):\n    return sum(xs\n```"
GOOD = "```python\ndef total(xs):\n    return sum(xs)\n```"
OTHER_GOOD = "```python\ndef total(xs):\n    return sum(x for x in xs)\n```"


def _ask(engine: FakeEngine, candidates: int) -> object:
    request = TaskRequest(task="generate", prompt="a function total(xs) summing a list",
                          retries=0, candidates=candidates)
    return run_task(engine, request)


def test_a_failing_first_candidate_is_replaced_by_the_first_that_passes() -> None:
    engine = FakeEngine(BROKEN, candidate_replies=[BROKEN, GOOD, OTHER_GOOD])
    reply = _ask(engine, 4)
    assert reply.code.strip() == "def total(xs):\n    return sum(xs)"
    assert reply.candidate == 2 and not reply.warnings
    assert len(engine.requests) == 1 and engine.requests[0].n_candidates == 4


def test_a_passing_first_candidate_is_kept() -> None:
    engine = FakeEngine(GOOD, candidate_replies=[OTHER_GOOD])
    reply = _ask(engine, 2)
    assert reply.candidate == 0 and "sum(xs)" in reply.code


def test_when_none_passes_the_first_is_kept_with_its_issues() -> None:
    engine = FakeEngine(BROKEN, candidate_replies=[BROKEN])
    reply = _ask(engine, 2)
    assert reply.candidate == 0 and reply.warnings


def test_one_candidate_asks_for_one_answer() -> None:
    engine = FakeEngine(GOOD)
    _ask(engine, 1)
    assert engine.requests[0].n_candidates == 1


def test_a_chat_answer_asks_for_one_candidate() -> None:
    engine = FakeEngine("Lists are ordered.", candidate_replies=["other"])
    run_task(engine, TaskRequest(task="chat", prompt="what is a list?", format="markdown",
                                 candidates=3))
    assert engine.requests[0].n_candidates == 1


def test_with_a_verifier_the_first_candidate_that_runs_is_kept() -> None:
    raising = "```python\ndef total(xs):\n    return sum(xs) / 0\n```"
    engine = FakeEngine(raising, candidate_replies=[GOOD])
    rehearsed: list[str] = []

    def verifier(code: str) -> str | None:
        rehearsed.append(code)
        return "ZeroDivisionError: division by zero" if "/ 0" in code else None

    request = TaskRequest(task="generate", prompt="a function total(xs) summing a list",
                          retries=0, candidates=2)
    reply = run_task(engine, request, verifier=verifier)
    assert reply.candidate == 1 and reply.verified is True
    assert "/ 0" in rehearsed[0]  # rehearsed in order: the first candidate first
    assert len(engine.requests) == 1
