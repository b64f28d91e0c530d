"""Rehearsal by default (`kernel/fix/rehearse.py`): generate and fix candidates run first in
the guarded forked copy, a failure there is fed back, the answer says how it went, and
`--no-verify` / `LocalAI.rehearse = False` skip it. A scripted engine stands in for the
model here (logic only); tests/kernel/test_rehearse_model.py asks the real one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel import extension
from jupyter_localai.kernel.display import reply_markdown
from jupyter_localai.kernel.fix.rehearse import rehearsal_mode, verify_choice
from jupyter_localai.kernel.magics import LocalAIMagics, last_reply_of


@pytest.fixture
def notebook(ipython_shell: Any) -> Iterator[Any]:
    extension.load(ipython_shell)
    ipython_shell.run_cell("prices = [3, 4]\ncount = 0", store_history=True)
    yield ipython_shell
    extension.unload(ipython_shell)
    # `%config` writes the shared shell's config, which later tests' assistants would read.
    ipython_shell.config.LocalAI.pop("rehearse", None)


def scripted(shell: Any, monkeypatch: pytest.MonkeyPatch, *codes: str) -> FakeEngine:
    """The assistant's engine answers each attempt with the next of `codes`."""
    queue = iter(codes)
    engine = FakeEngine(lambda request: f"```python\n{next(queue)}\n```")
    assistant = shell.magics_manager.registry[LocalAIMagics.__name__].assistant
    monkeypatch.setattr(assistant, "engine", lambda model=None: engine)
    return engine


def ask(shell: Any, cell: str) -> Any:
    with capture_output():
        result = shell.run_cell(cell, store_history=True)
    return result


def user_state(shell: Any) -> dict[str, str]:
    return {name: repr(value) for name, value in shell.user_ns.items()
            if name not in shell.user_ns_hidden and not name.startswith("_")}


def test_a_generated_answer_is_rehearsed_by_default_and_says_so(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    scripted(notebook, monkeypatch, "prices.append(5)\ntotal = sum(prices)")
    before = user_state(notebook)
    ask(notebook, "%ai generate total of prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True
    assert "Rehearsed in a guarded copy:** ran without error" in reply_markdown(reply, "code")
    assert user_state(notebook) == before  # the append and `total` happened in the copy only


def test_a_generated_answer_that_raises_is_retried_with_its_error(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = scripted(notebook, monkeypatch, "average = sum(prices) / count",
                      "average = sum(prices) / max(count, 1)")
    ask(notebook, "%ai generate average of prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True and reply.attempts == 2
    assert reply.code == "average = sum(prices) / max(count, 1)"
    feedback = engine.requests[1].messages[-1]["content"]
    assert "ZeroDivisionError" in feedback
    assert "average" not in notebook.user_ns


def test_an_answer_that_raises_is_rewritten_from_the_copys_hints_without_a_retry(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's failure comes back as data (issue 19): the hint's edit computed there
    (the dict entry starts at 0) rewrites the answer itself, rehearsed again and kept; the
    model is asked once."""
    engine = scripted(notebook, monkeypatch, "tally = {}\nfor p in prices:\n    tally[p] += 1")
    ask(notebook, "%ai generate tally of prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True and len(engine.requests) == 1
    assert reply.code == "tally = {}\nfor p in prices:\n    tally[p] = tally.get(p, 0) + 1"
    assert "rewritten from the hints" in reply.text
    assert "tally" not in notebook.user_ns


def test_a_fix_keeps_the_exact_edit_over_an_answer_that_dropped_part_of_the_cell(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both run in the copy; the hint's exact edit is the smaller change and keeps what the
    cell did (the model's answer dropped the line that raised)."""
    ask(notebook, "import numpy as np\ndepth = np.array([12, -1, 30, -1])")
    failing = "depth[depth < 0] = np.nan\nmean_depth = np.nanmean(depth)"
    ask(notebook, failing)
    scripted(notebook, monkeypatch, "depth = depth.astype(float)\nmean_depth = np.nanmean(depth)")
    ask(notebook, "%ai fix")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True
    assert "depth[depth < 0] = np.nan" in reply.code and "Applied the hint" in reply.text
    namespace = {"np": notebook.user_ns["np"], "depth": notebook.user_ns["depth"].copy()}
    exec(reply.code, namespace)  # noqa: S102 - the test runs the kept fix on purpose
    assert float(namespace["mean_depth"]) == 21.0


def test_a_spelling_guess_does_not_replace_an_answer_that_runs(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python's "Did you mean" is a guess, not an exact edit: the model's answer stays."""
    ask(notebook, "total = sum(pricez)")
    answer = "total = sum(prices) if prices else 0"
    scripted(notebook, monkeypatch, answer)
    ask(notebook, "%ai fix")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True and reply.code == answer


def test_a_standard_module_used_without_its_import_gets_it(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = scripted(notebook, monkeypatch, "spread = statistics.pstdev(prices)")
    ask(notebook, "%ai generate spread of prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True and len(engine.requests) == 1
    assert reply.code == "import statistics\nspread = statistics.pstdev(prices)"


@pytest.mark.parametrize("how", ["%ai generate --no-verify average of prices",
                                 "%config LocalAI.rehearse = False"])
def test_no_verify_and_the_setting_skip_the_rehearsal(
        notebook: Any, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    engine = scripted(notebook, monkeypatch, "average = sum(prices) / count")
    cell = how if how.startswith("%ai") else "%ai generate average of prices"
    if how.startswith("%config"):
        ask(notebook, how)
    ask(notebook, cell)
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is None and reply.attempts == 1
    assert len(engine.requests) == 1  # nothing ran, so nothing was fed back
    assert "Rehearsed" not in reply_markdown(reply, "code")


def test_a_write_stops_the_rehearsal_without_failing_the_answer(
        notebook: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "prices.csv"
    engine = scripted(notebook, monkeypatch,
                      f"with open({str(target)!r}, 'w') as out:\n    out.write(str(prices))")
    ask(notebook, "%ai generate save prices to a file")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is None and len(engine.requests) == 1
    stopped = ("Rehearsed in a guarded copy only up to where it stopped: the guarded copy "
               f"refused to write {target}")
    assert any(w.startswith(stopped) for w in reply.warnings), reply.warnings
    assert not target.exists()


def test_verify_stays_strict_about_what_the_copy_refuses(
        notebook: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "prices.csv"
    write = f"with open({str(target)!r}, 'w') as out:\n    out.write(str(prices))"
    engine = scripted(notebook, monkeypatch, write, write)
    ask(notebook, "%ai generate --verify --retries 1 save prices to a file")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is False and len(engine.requests) == 2
    assert "refused to write" in engine.requests[1].messages[-1]["content"]


def test_a_generated_answer_meets_the_state_as_it_is_not_a_replay(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The last error's cell set `prices` to None; a fix would replay In[1] first, but a
    # generated cell runs after the state as it is.
    notebook.run_cell("prices = prices.append(1)\nbest = max(prices)", store_history=True)
    scripted(notebook, monkeypatch, "assert prices is None\nchecked = True")
    ask(notebook, "%ai generate check prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is True, reply.warnings
    assert not any("re-ran" in warning for warning in reply.warnings)


def test_verify_and_no_verify_together_are_refused(notebook: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    engine = scripted(notebook, monkeypatch, "x = 1")
    result = ask(notebook, "%ai generate --verify --no-verify x")
    assert result.error_in_exec is not None and "contradict" in str(result.error_in_exec)
    assert engine.requests == []


def test_the_mode_follows_the_call_then_the_setting() -> None:
    class Settings:
        rehearse = True

    assert rehearsal_mode("generate", None, Settings) == "lenient"
    assert rehearsal_mode("fix", True, Settings) == "strict"
    assert rehearsal_mode("fix", False, Settings) is None
    assert rehearsal_mode("chat", True, Settings) is None
    Settings.rehearse = False
    assert rehearsal_mode("generate", None, Settings) is None
    assert rehearsal_mode("generate", True, Settings) == "strict"
    assert verify_choice(False, False) is None and verify_choice(True, False) is True
    assert verify_choice(False, True) is False


def test_the_panel_follows_the_body_then_the_kernel_setting(
        notebook: Any, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from jupyter_localai.kernel.panel_task import run_ask, settings_json

    def panel(body: dict[str, Any]) -> Any:
        engine = scripted(notebook, monkeypatch, "average = sum(prices) / count",
                          "average = sum(prices) / max(count, 1)")
        reply = run_ask(notebook, {"task": "generate", "prompt": "average", **body},
                        lambda event: None)
        return reply, len(engine.requests)

    assert panel({}) == (last_reply_of(notebook), 2)  # rehearsed: the error was fed back
    assert last_reply_of(notebook).verified is True
    reply, asked = panel({"verify": False})
    assert (reply.verified, asked) == (None, 1)
    capsys.readouterr()
    settings_json(notebook)
    assert json.loads(capsys.readouterr().out) == {"rehearse": True, "unavailable": None}
    ask(notebook, "%config LocalAI.rehearse = False")
    reply, asked = panel({})
    assert (reply.verified, asked) == (None, 1)
    settings_json(notebook)
    assert json.loads(capsys.readouterr().out)["rehearse"] is False


def test_without_fork_nothing_is_rehearsed_and_the_answer_says_why(
        notebook: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    engine = scripted(notebook, monkeypatch, "average = sum(prices) / count")
    monkeypatch.delattr(os, "fork")  # as on Windows
    ask(notebook, "%ai generate average of prices")
    reply = last_reply_of(notebook)
    assert reply is not None and reply.verified is None and len(engine.requests) == 1
    assert any(w.startswith("Not rehearsed: this kernel's platform has no fork()")
               for w in reply.warnings), reply.warnings
