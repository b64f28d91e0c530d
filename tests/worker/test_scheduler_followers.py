"""Which real jobs a running prefill gives way to (`Scheduler.prefill_should_yield`).

A question from the prefill's own notebook whose prompt begins with the prefill's messages
would evaluate the rest of the prefill anyway: the prefill runs on for it instead of
throwing its batch in flight away. Anything else stops it at once."""

from __future__ import annotations

from typing import Any

from jupyter_localai.worker.scheduler import Scheduler

SYSTEM = {"role": "system", "content": "You are a coding assistant."}
NOTEBOOK = [SYSTEM, {"role": "user", "content": "Here is my notebook: df = load()"},
            {"role": "assistant", "content": "I have read the notebook."}]
CONTEXT_PREFILL = [*NOTEBOOK, {"role": "user", "content": ""}]
FIX_PROMPT = [*NOTEBOOK, {"role": "user", "content": "This cell failed: df.sume()"}]


def ask(session: str, messages: list[dict[str, str]]) -> dict[str, Any]:
    return {"op": "generate", "id": "j", "request": {"session_id": session,
                                                    "messages": messages}}


def test_a_question_on_the_prefilled_context_does_not_stop_it() -> None:
    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", CONTEXT_PREFILL)
    assert not scheduler.prefill_should_yield()
    scheduler.submit(ask("nb1", [*NOTEBOOK, {"role": "user", "content": "Plot df."}]))
    assert scheduler.urgent_waiting() and not scheduler.prefill_should_yield()


def test_another_notebook_or_another_context_stops_it() -> None:
    for session, messages in (("nb2", [*NOTEBOOK, {"role": "user", "content": "q"}]),
                              ("nb1", [SYSTEM, {"role": "user", "content": "q"}])):
        scheduler = Scheduler()
        scheduler.begin_prefill("nb1", CONTEXT_PREFILL)
        scheduler.submit(ask(session, messages))
        assert scheduler.prefill_should_yield()


def test_jobs_queued_before_the_prefill_began_are_not_followers() -> None:
    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", CONTEXT_PREFILL)
    scheduler.submit(ask("nb1", [*NOTEBOOK, {"role": "user", "content": "q"}]))
    scheduler.submit({"op": "tokenize", "id": "t"})  # a real job that follows nothing
    assert scheduler.prefill_should_yield()


def test_a_whole_prompt_prefill_runs_on_for_its_own_question_only_to_its_last_turn_else() -> None:
    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", FIX_PROMPT, whole=True)
    scheduler.submit(ask("nb1", FIX_PROMPT))  # `%ai fix`, the prompt prefilled
    assert not scheduler.context_followed()
    scheduler.prefill_in_last_turn = True
    assert not scheduler.prefill_should_yield()

    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", FIX_PROMPT, whole=True)
    scheduler.submit(ask("nb1", [*NOTEBOOK, {"role": "user", "content": "Plot df."}]))
    assert scheduler.context_followed() and not scheduler.prefill_should_yield()
    scheduler.prefill_in_last_turn = True  # the fix's own turn: of no use to that question
    assert scheduler.prefill_should_yield()


def test_a_cell_starting_or_a_completion_stops_it_even_with_a_follower() -> None:
    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", CONTEXT_PREFILL)
    scheduler.submit(ask("nb1", [*NOTEBOOK, {"role": "user", "content": "q"}]))
    scheduler.pause_prefill("nb1")
    assert scheduler.prefill_should_yield()

    scheduler = Scheduler()
    scheduler.begin_prefill("nb1", CONTEXT_PREFILL)
    scheduler.submit(ask("nb1", [*NOTEBOOK, {"role": "user", "content": "q"}]))
    scheduler.offer_completion({"id": "c", "request": {"session_id": "nb1"}})
    assert scheduler.prefill_should_yield()
