"""The `prefill` route: a kernel's cell-run context warms the resident engine, with the
same messages a later `ask` starts with; authenticated; never loads a model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.server_engines import RecordingEngine

from jupyter_localai.core.context import CellRecord, ErrorInfo, NotebookContext
from jupyter_localai.core.engine import PrefillRequest


class PrefillingEngine(RecordingEngine):
    """Records prefills as the messages a worker would evaluate."""

    supports_prefill = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefills: list[tuple[list[dict[str, str]], str | None]] = []
        self.pauses: list[str | None] = []

    def prefill(self, request: PrefillRequest) -> bool:
        self.prefills.append((request.messages(self.n_ctx()), request.session_id))
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        self.pauses.append(session_id)


@pytest.fixture
def engine() -> PrefillingEngine:
    return PrefillingEngine(reply="```python\nx = 1\n```", delay_s=0.0)


CONTEXT = NotebookContext(cells=[CellRecord(1, "prices = load_prices()")]).to_json()


def _auth(runtime: Any) -> dict[str, str]:
    return {"Authorization": f"LocalAI {runtime.secret}"}


async def test_prefill_needs_credentials(raw_fetch: Any) -> None:
    response = await raw_fetch(
        "api/localai/prefill", method="POST", body={"context": CONTEXT}
    )
    assert response.code in (401, 403)


async def test_prefill_never_starts_the_engine(raw_fetch: Any, runtime: Any, engine: Any) -> None:
    response = await raw_fetch(
        "api/localai/prefill", method="POST", body={"context": CONTEXT}, headers=_auth(runtime)
    )
    assert response.code == 200 and json.loads(response.body) == {"sent": False}
    assert not runtime.engine_started and engine.prefills == []


async def test_prefill_sends_the_prefix_of_a_later_ask(
    raw_fetch: Any, runtime: Any, engine: Any
) -> None:
    runtime.engine()  # as after a first question
    response = await raw_fetch(
        "api/localai/prefill",
        method="POST",
        body={"context": CONTEXT, "session_id": "kernel-1"},
        headers=_auth(runtime),
    )
    assert json.loads(response.body) == {"sent": True}
    (messages, session), = engine.prefills
    assert session == "kernel-1" and "prices = load_prices()" in messages[1]["content"]
    await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "What is prices?", "context": CONTEXT, "retries": 0},
        headers=_auth(runtime),
    )
    asked = engine.requests[-1].messages
    assert asked[0] == messages[0]
    assert asked[:3] == messages[:3]  # system, the notebook turn and its answer
    assert messages[3] == {"role": "user", "content": ""}  # the request's turn, cut open


async def test_after_a_failing_cell_the_fix_prompt_is_prefilled_as_an_ask_sends_it(
    raw_fetch: Any, runtime: Any, engine: Any
) -> None:
    """"task": "fix" (a kernel's cell just failed): the whole first prompt of the fix."""
    runtime.engine()
    failing = NotebookContext(
        cells=[CellRecord(1, "total = sum(price)", error="NameError: name 'price' is not defined")],
        last_error=ErrorInfo("total = sum(price)", "NameError", "name 'price' is not defined"),
    ).to_json()
    response = await raw_fetch(
        "api/localai/prefill", method="POST",
        body={"context": failing, "session_id": "kernel-1", "task": "fix"}, headers=_auth(runtime))
    assert json.loads(response.body) == {"sent": True}
    (messages, _session), = engine.prefills
    await raw_fetch("api/localai/ask", method="POST",
                    body={"task": "fix", "context": failing, "retries": 0}, headers=_auth(runtime))
    assert engine.requests[-1].messages == messages
    assert "total = sum(price)" in messages[-1]["content"]


async def test_prefill_refuses_a_bad_body(raw_fetch: Any, runtime: Any) -> None:
    for body in ({}, {"context": "cells"}, {"context": CONTEXT, "session_id": 5},
                 {"context": CONTEXT, "task": "generate"}, {"context": CONTEXT, "task": 1}):
        response = await raw_fetch(
            "api/localai/prefill", method="POST", body=body, headers=_auth(runtime)
        )
        assert response.code == 400, body


async def test_a_pause_reaches_the_running_engine_only(
    raw_fetch: Any, runtime: Any, engine: Any
) -> None:
    body = {"pause": True, "session_id": "kernel-1"}
    response = await raw_fetch("api/localai/prefill", method="POST", body=body,
                               headers=_auth(runtime))
    assert json.loads(response.body) == {"paused": False}  # no engine yet: nothing to pause
    assert not runtime.engine_started
    runtime.engine()
    response = await raw_fetch("api/localai/prefill", method="POST", body=body,
                               headers=_auth(runtime))
    assert json.loads(response.body) == {"paused": True} and engine.pauses == ["kernel-1"]
