"""The panel's verified fix in a real in-process shell: the exact silent call the panel
sends, answered by a scripted engine, each candidate run in a forked copy of the kernel.

Events must stream in the server's order, the reply must say whether a candidate ran, and
the user's namespace must be as it was (neither the candidates nor the call change it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel import extension
from jupyter_localai.kernel.magics import LocalAIMagics, last_reply_of

FAILING_CELL = "average = sum(prices) / count"
PANEL_CALL = ('__import__("jupyter_localai.kernel.panel_task", fromlist=["_"])'
              '.run_json(get_ipython(), {})')


@pytest.fixture
def notebook(ipython_shell: Any) -> Iterator[Any]:
    """A kernel with the extension loaded and a cell that failed (ZeroDivisionError, for
    which Python offers no hint to apply: every candidate comes from the engine)."""
    extension.load(ipython_shell)
    for cell in ("prices = [3, 4]\ncount = 0", FAILING_CELL):
        ipython_shell.run_cell(cell, store_history=True)
    yield ipython_shell
    extension.unload(ipython_shell)


def use_engine(shell: Any, monkeypatch: pytest.MonkeyPatch, *answers: str) -> FakeEngine:
    """The registered assistant answers from `answers`, one per attempt."""
    queue = iter(answers)
    engine = FakeEngine(lambda request: next(queue))
    assistant = shell.magics_manager.registry[LocalAIMagics.__name__].assistant
    monkeypatch.setattr(assistant, "engine", lambda model=None: engine)
    return engine


def ask_from_panel(shell: Any, capsys: pytest.CaptureFixture[str], body: dict[str, Any]
                   ) -> list[dict[str, Any]]:
    """Run the panel's silent execute request; the events it printed, in order."""
    capsys.readouterr()
    result = shell.run_cell(PANEL_CALL.format(repr(json.dumps(body))), store_history=False,
                            silent=True)
    assert result.error_in_exec is None, result.error_in_exec
    lines = capsys.readouterr().out.splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def user_state(shell: Any) -> dict[str, str]:
    """The user's variables, by name, as reprs (hidden IPython names left out)."""
    hidden = shell.user_ns_hidden
    return {name: repr(value) for name, value in shell.user_ns.items()
            if name not in hidden and not name.startswith("_")}


def fenced(code: str) -> str:
    return f"```python\n{code}\n```\nThe divisor was zero."


def test_events_stream_in_order_and_the_first_candidate_that_runs_is_kept(
    notebook: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = use_engine(
        notebook, monkeypatch,
        fenced("average = sum(prices) / (count * 2)"),  # passes the checks, fails in the copy
        fenced("prices.append(5)\naverage = sum(prices) / max(count, 1)"),
    )
    before = user_state(notebook)
    events = ask_from_panel(notebook, capsys, {
        "task": "fix", "prompt": "", "request_id": "panel-test-1", "max_tokens": 64,
    })

    kinds = [event["type"] for event in events]
    assert kinds[0] == "start" and events[0]["request_id"] == "panel-test-1"
    assert kinds[-1] == "done" and events[-1]["request_id"] == "panel-test-1"
    retry = kinds.index("attempt")
    assert "token" in kinds[1:retry] and "token" in kinds[retry + 1:-1]
    assert events[retry]["attempt"] == 2
    assert "ZeroDivisionError" in events[retry]["reason"]
    streamed = "".join(e["text"] for e in events[retry + 1:] if e["type"] == "token")
    assert "max(count, 1)" in streamed

    reply = events[-1]["reply"]
    assert reply["verified"] is True
    assert reply["code"] == "prices.append(5)\naverage = sum(prices) / max(count, 1)"
    assert reply["attempts"] == 2 and reply["finish_reason"] == "stop"
    assert set(reply) >= {"task", "text", "code", "model", "timings", "warnings", "verified"}
    # The candidate appended to `prices` and bound `average` in the copy only.
    assert user_state(notebook) == before
    assert notebook.user_ns["prices"] == [3, 4] and "average" not in notebook.user_ns
    # The kernel collected its own context: the failing cell is in the prompt.
    assert FAILING_CELL in engine.requests[0].messages[-1]["content"]
    assert last_reply_of(notebook).code == reply["code"]


def test_no_candidate_runs_so_the_reply_is_not_verified(
    notebook: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_engine(notebook, monkeypatch,
               fenced("average = sum(prices) / (count * 2)"),
               fenced("average = sum(prices) / (count + 0)"))
    before = user_state(notebook)
    context = {  # what the panel sends: its cells, the kernel's variables and error
        "cells": [{"number": 1, "source": "prices = [3, 4]\ncount = 0", "output": "",
                   "error": ""}],
        "variables": [{"name": "prices", "type_name": "list", "summary": "list [3, 4]",
                       "relevance": 0.9}],
        "last_error": {"source": FAILING_CELL, "exc_type": "ZeroDivisionError",
                       "message": "division by zero", "traceback": "", "cell_number": 2,
                       "suggestions": []},
        "imports": [],
    }
    events = ask_from_panel(notebook, capsys, {
        "task": "fix", "context": context, "target_source": FAILING_CELL, "retries": 1,
    })

    assert [e["type"] for e in events if e["type"] != "token"] == ["start", "attempt", "done"]
    reply = events[-1]["reply"]
    assert reply["verified"] is False
    assert any("Running it in a copy of the notebook raised" in w for w in reply["warnings"])
    assert user_state(notebook) == before


def test_an_interrupt_ends_with_a_cancelled_reply(
    notebook: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(request: Any) -> str:
        raise KeyboardInterrupt  # the panel's Stop: the kernel is interrupted

    assistant = notebook.magics_manager.registry[LocalAIMagics.__name__].assistant
    monkeypatch.setattr(assistant, "engine", lambda model=None: FakeEngine(interrupted))
    before = user_state(notebook)
    events = ask_from_panel(notebook, capsys, {"task": "fix"})
    assert [e["type"] for e in events] == ["start", "done"]
    assert events[-1]["reply"]["finish_reason"] == "cancelled"
    assert user_state(notebook) == before


def test_errors_are_events_with_a_message(
    ipython_shell: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("last_exc", "last_value", "last_type", "last_traceback"):
        monkeypatch.delattr(sys, name, raising=False)  # no earlier test's failure
    extension.load(ipython_shell)
    try:
        events = ask_from_panel(ipython_shell, capsys, {"task": "fix"})
        assert [e["type"] for e in events] == ["start", "error"]
        assert "No failing cell found" in events[-1]["message"]

        events = ask_from_panel(ipython_shell, capsys, {"task": "fix", "max_tokens": -1})
        assert events[-1]["type"] == "error"
        assert events[-1]["message"].startswith("bad ask request: max_tokens")
    finally:
        extension.unload(ipython_shell)
