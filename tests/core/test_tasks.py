"""run_task logic on a scripted engine: checks, retries with feedback, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from jupyter_localai.core import reply as reply_module
from jupyter_localai.core import tasks as tasks_module
from jupyter_localai.core.context import CellRecord, ErrorInfo, NotebookContext, VariableSummary
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.core.reply import code_then_prose
from jupyter_localai.core.tasks import CancelScope, TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine


def scripted(*answers: str) -> FakeEngine:
    queue: Iterator[str] = iter(answers)
    return FakeEngine(lambda request: next(queue))


def failing_notebook() -> NotebookContext:
    return NotebookContext(
        cells=[CellRecord(1, "import pandas as pd"), CellRecord(2, "print(df.shapee)",
                                                                error="AttributeError")],
        variables=[VariableSummary("df", "DataFrame", "DataFrame (3, 1): a int64")],
        last_error=ErrorInfo("print(df.shapee)", "AttributeError",
                             "'DataFrame' object has no attribute 'shapee'",
                             suggestions=["Did you mean: 'shape'?"]),
        imports=["pd = pandas"],
    )


class Recorder:
    def __init__(self) -> None:
        self.attempts: list[tuple[int, str]] = []
        self.tokens: list[str] = []

    def on_attempt(self, attempt: int, reason: str) -> None:
        self.attempts.append((attempt, reason))

    def on_token(self, text: str) -> None:
        self.tokens.append(text)


def test_generate_passes_first_time() -> None:
    engine = scripted("```python\nanswer = df['a'].sum()\n```")
    request = TaskRequest("generate", "sum column a into answer", context=failing_notebook())
    reply = run_task(engine, request)
    assert reply.code == "answer = df['a'].sum()"
    assert reply.attempts == 1 and reply.warnings == []


def test_unchanged_fix_is_retried_with_the_error() -> None:
    context = failing_notebook()
    context.last_error.suggestions = []  # no hint to apply: the model must try again
    engine = scripted("```python\nprint(df.shapee)\n```", "```python\nprint(df.shape)\n```")
    recorder = Recorder()
    reply = run_task(engine, TaskRequest("fix", context=context), listener=recorder)
    assert reply.code == "print(df.shape)" and reply.attempts == 2
    feedback = engine.requests[1].messages[-1]["content"]
    assert "still raises AttributeError" in feedback and "same code" in feedback
    assert [a for a, _ in recorder.attempts] == [1, 2]


def test_missing_result_name_is_retried() -> None:
    engine = scripted("```python\ndf['a'].mean()\n```", "```python\nmean_a = df['a'].mean()\n```")
    request = TaskRequest("generate", "store the mean of a in mean_a", context=failing_notebook())
    reply = run_task(engine, request)
    assert reply.code == "mean_a = df['a'].mean()"
    assert "`mean_a`" in engine.requests[1].messages[-1]["content"]


def test_all_attempts_fail_returns_best_with_warnings() -> None:
    engine = scripted("no code at all", "```python\nx = (\n```", "```python\nprint(y)\n```")
    reply = run_task(engine, TaskRequest("generate", "do it", context=failing_notebook()))
    assert reply.attempts == 3
    assert reply.code == "print(y)"  # undefined name beats no code and broken syntax
    assert any("`y`" in w for w in reply.warnings)


def test_explain_is_not_checked_or_retried() -> None:
    engine = scripted("It prints the shape.")
    reply = run_task(engine, TaskRequest("explain", target_source="print(df.shape)"))
    assert reply.text == "It prints the shape." and reply.code == "" and reply.attempts == 1
    assert "print(df.shape)" in engine.requests[0].messages[-1]["content"]


def test_verifier_failure_is_fed_back() -> None:
    engine = scripted("```python\nx = 1 / 0\n```", "```python\nx = 1\n```")
    reply = run_task(engine, TaskRequest("generate", "make x"),
                     verifier=lambda code: "ZeroDivisionError" if "/ 0" in code else None)
    assert reply.verified is True and reply.code == "x = 1"
    assert "ZeroDivisionError" in engine.requests[1].messages[-1]["content"]


def test_cancel_from_another_thread_stops_streaming() -> None:
    engine = FakeEngine(" ".join(["word"] * 200), delay_s=0.01)
    scope = CancelScope()
    recorder = Recorder()
    timer = threading.Timer(0.1, scope.cancel)
    timer.start()
    reply = run_task(engine, TaskRequest("chat", "talk"), listener=recorder, cancel=scope)
    timer.join()
    assert reply.finish_reason == "cancelled"
    assert 0 < len(recorder.tokens) < 200


def test_sampling_options_reach_the_engine() -> None:
    engine = scripted("ok")
    run_task(engine, TaskRequest("chat", "hi", max_tokens=77, temperature=0.3, seed=5))
    sent: GenerationRequest = engine.requests[0]
    assert (sent.max_tokens, sent.temperature, sent.seed) == (77, 0.3, 5)


def test_retries_sample_warmer_with_their_own_seeds() -> None:
    engine = scripted("no code", "no code either", "```python\nx = 1\n```")
    run_task(engine, TaskRequest("generate", "make x", seed=7))
    sampling = [(r.temperature, r.seed) for r in engine.requests]
    assert sampling[0] == (0.0, 7)  # the first answer is sampled as the user asked
    assert 0 < sampling[1][0] < sampling[2][0] and len({seed for _, seed in sampling}) == 3
    hotter = scripted("no code", "```python\nx = 1\n```")
    run_task(hotter, TaskRequest("generate", "make x", temperature=1.2))
    assert [r.temperature for r in hotter.requests] == [1.2, 1.2]  # never cooler than asked


def test_unknown_task_is_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown task"):
        TaskRequest("summarize")


def test_unchanged_fix_falls_back_to_pythons_hint() -> None:
    context = failing_notebook()
    engine = scripted("```python\nprint(df.shapee)\n```")
    reply = run_task(engine, TaskRequest("fix", context=context, retries=2))
    assert reply.code == "print(df.shape)"
    assert "Python's hint" in reply.text and reply.warnings == []
    assert len(engine.requests) == 1  # no model time spent on retries


def test_hinted_fix_must_pass_verification() -> None:
    engine = scripted("```python\nprint(df.shapee)\n```", "```python\nprint(len(df))\n```")
    reply = run_task(engine, TaskRequest("fix", context=failing_notebook(), retries=1),
                     verifier=lambda code: "boom" if "shape" in code else None)
    assert reply.code == "print(len(df))" and reply.verified is True


def test_a_fix_that_replays_the_notebook_is_reduced_to_its_own_cell() -> None:
    context = failing_notebook()
    replay = ("```python\n# In[1]:\nimport pandas as pd\n\n# In[2]:\n%load_ext jupyter_localai\n\n"
              "# In[3]:\nprint(df.shape)\n```")
    reply = run_task(scripted(replay), TaskRequest("fix", context=context))
    assert reply.code == "print(df.shape)" and reply.attempts == 1


def test_a_code_answer_stops_at_the_prose_after_its_block() -> None:
    """The sentence after the block is decode time with no code in it: the stream is
    stopped when it starts, the answer kept up to the closing fence, not marked cancelled."""
    prose = " ".join(["This", "sums", "the", "column."] * 20)
    engine = scripted(f"```python\nanswer = df['a'].sum()\n```\n{prose}")
    recorder = Recorder()
    request = TaskRequest("generate", "sum column a into answer", context=failing_notebook())
    reply = run_task(engine, request, listener=recorder)
    assert reply.text == "```python\nanswer = df['a'].sum()\n```"
    assert reply.code == "answer = df['a'].sum()" and reply.finish_reason == "stop"
    assert len("".join(recorder.tokens)) < len(reply.text) + 20  # not the whole paragraph


def test_a_long_code_answer_is_scanned_per_line_not_per_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stopping is where the whole-text rescan stopped, with one scan per line or fence
    rather than per token (a 600-word preamble used to cost 600 rescans of a growing text)."""
    preamble = " ".join(["Sum", "the", "column", "a", "of", "df."] * 100)
    text = f"{preamble}\n```python\nanswer = df['a'].sum()\n```\nThis sums it, then stops."
    scans: list[str] = []

    def counted(seen: str) -> int | None:
        scans.append(seen)
        return code_then_prose(seen)

    monkeypatch.setattr(reply_module, "code_then_prose", counted)
    monkeypatch.setattr(tasks_module, "code_then_prose", counted, raising=False)
    request = TaskRequest("generate", "sum column a into answer", context=failing_notebook())
    recorder = Recorder()
    reply = run_task(scripted(text), request, listener=recorder)
    stop = code_then_prose(text)
    assert stop is not None and reply.text == text[:stop] and reply.finish_reason == "stop"
    assert reply.code == "answer = df['a'].sum()"
    assert "".join(recorder.tokens) == text[: text.index("This") + len("This")]  # same piece
    assert len(recorder.tokens) > 600 and len(scans) <= 6


def test_a_second_block_right_after_the_first_is_kept() -> None:
    engine = scripted("```python\nimport math\n```\n```python\nanswer = math.pi\n```\nDone.")
    request = TaskRequest("generate", "pi into answer", context=failing_notebook())
    reply = run_task(engine, request)
    assert reply.code == "import math\n\nanswer = math.pi"


def test_prose_is_not_stopped_when_prose_was_asked_for() -> None:
    text = "```python\nanswer = 1\n```\nThen it prints the answer."
    request = TaskRequest("explain", "", context=failing_notebook(), target_source="answer = 1")
    assert run_task(scripted(text), request).text == text
    request = TaskRequest("generate", "explain sums", context=failing_notebook(), format="markdown")
    assert run_task(scripted(text), request).text == text


def test_a_rewrite_that_mends_part_of_the_issues_is_kept() -> None:
    # Upright bars where horizontal ones were asked are rewritten (`bar_direction`); the
    # order asked is the model's to write (`bar_order`) and stays: the rewrite is kept even
    # though the answer still has an issue, and the model is told only of the one left.
    answer = "```python\nimport matplotlib.pyplot as plt\nplt.bar(list(visits), list(visits.values()))\n```"
    engine = scripted(answer, answer, answer)
    context = NotebookContext(cells=[CellRecord(1, "visits = {'home': 340, 'docs': 125}")],
                              variables=[VariableSummary("visits", "dict", "dict (2)")])
    request = TaskRequest("generate", "Draw a horizontal bar chart of `visits`, sorted so the "
                          "biggest bar is at the top.", context=context)
    reply = run_task(engine, request)
    assert "plt.barh(" in reply.code and "plt.bar(" not in reply.code
    assert any("in order" in w for w in reply.warnings)
    feedback = engine.requests[1].messages[-1]["content"]
    assert "in order" in feedback and "upright" not in feedback
