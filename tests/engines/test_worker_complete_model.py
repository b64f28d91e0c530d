"""Inline completion on the real model (issue 20): its own KV sequence, FIM from the
vocabulary, prefill of the stable context, and no effect on the chat's answers."""

from __future__ import annotations

import time

import pytest

from jupyter_localai.core.engine import CompletionRequest, GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = pytest.mark.model

CONTEXT = "import math\nimport pandas as pd\ndf = pd.DataFrame({'radius': [1.0, 2.5]})\n"
CHAT = GenerationRequest(
    messages=[{"role": "user", "content": "Explain what a python list comprehension is."}],
    max_tokens=48,
)


def _completion(**changes: object) -> CompletionRequest:
    fields = {"context": CONTEXT, "prefix": "def area(r):\n    return ", "suffix": "\n",
              "max_tokens": 24, "session_id": "nb"}
    fields.update(changes)
    return CompletionRequest(**fields)  # type: ignore[arg-type]


def _wait_prefilled(engine: WorkerEngine, above: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.ping()["completion_prefill_tokens"] > above:
            return
        time.sleep(0.1)
    raise AssertionError(f"the completion prefill did not run: {engine.ping()}")


def test_a_completion_fills_the_middle_with_code(worker_engine: WorkerEngine) -> None:
    assert worker_engine.supports_complete and worker_engine.status()["fim"] is True
    result = worker_engine.complete(_completion()).result()
    assert result.text.strip()
    assert result.finish_reason in ("stop", "length")
    assert "r" in result.text  # uses the argument it completes
    assert result.text.count("\n") < 6


def test_a_prefilled_context_answers_as_a_cold_one_and_reuses_it(
    worker_engine: WorkerEngine,
) -> None:
    worker_engine.reset_cache()
    cold = worker_engine.complete(_completion()).result()
    assert cold.cached_tokens == 0
    worker_engine.reset_cache()
    before = worker_engine.ping()["completion_prefill_tokens"]
    assert worker_engine.prefill_completion(CONTEXT, "nb")
    _wait_prefilled(worker_engine, before)
    warm = worker_engine.complete(_completion()).result()
    assert warm.text == cold.text
    context_tokens = worker_engine.ping()["completion_prefill_tokens"] - before
    assert warm.cached_tokens >= context_tokens
    # A keystroke later only the new tokens after the common prefix are evaluated.
    typed = worker_engine.complete(_completion(prefix="def area(r):\n    return math.")).result()
    assert typed.cached_tokens >= context_tokens + 4


def test_a_suggestion_while_typing_is_the_cold_one(worker_engine: WorkerEngine) -> None:
    """Keystrokes reuse the completion sequence only up to a batch boundary (multiples of
    16 and where the context ends), so each warm suggestion is the cold one token for
    token, however much of the cell the cache held."""
    context = CONTEXT + "".join(
        f"value_{i} = math.sqrt({i}) * df['radius'].sum()\n" for i in range(40))
    prefixes = ["total = ", "total = val", "total = value_1", "total = value_1 + math.",
                "total = value_1 + math.sqrt(df["]
    worker_engine.reset_cache()
    warm = [worker_engine.complete(_completion(context=context, prefix=p)).result()
            for p in prefixes]
    assert all(w.cached_tokens > 0 for w in warm[1:])
    for prefix, answer in zip(prefixes, warm):
        worker_engine.reset_cache()
        cold = worker_engine.complete(_completion(context=context, prefix=prefix)).result()
        assert cold.cached_tokens == 0
        assert answer.text == cold.text, prefix


def test_stops_and_line_limit_end_a_completion(worker_engine: WorkerEngine) -> None:
    lines = worker_engine.complete(
        _completion(prefix="# print the numbers 1 to 20, one print call per line\n",
                    suffix="", max_tokens=120, max_lines=2)
    ).result()
    assert lines.text.count("\n") <= 1 and lines.finish_reason == "stop"
    first = worker_engine.complete(_completion(max_tokens=24)).result()
    stop_at = first.text.strip()[:2]
    stopped = worker_engine.complete(_completion(stop=[stop_at])).result()
    assert stop_at not in stopped.text and first.text.startswith(stopped.text)


def test_the_chat_answers_token_for_token_while_and_after_completions_run(
    worker_engine: WorkerEngine,
) -> None:
    worker_engine.reset_cache()
    reference = worker_engine.generate(CHAT).result()
    # After: the completion sequence holds cells while the chat's prompt is evaluated cold.
    worker_engine.reset_cache()
    assert worker_engine.complete(_completion()).result().text
    after = worker_engine.generate(CHAT).result()
    assert after.text == reference.text
    # While: completions are served between the answer's tokens.
    worker_engine.reset_cache()
    chat = worker_engine.generate(CHAT)
    pieces = iter(chat)
    streamed = [next(pieces)]
    served = []
    for n in range(3):
        served.append(worker_engine.complete(_completion(session_id=f"s{n}")).result())
    streamed.extend(pieces)
    assert "".join(streamed) == chat.completion.text == reference.text
    assert all(c.finish_reason in ("stop", "length") and c.text for c in served)
    assert chat.completion.total_s > served[0].total_s


def test_a_newer_completion_of_a_notebook_cancels_the_older(
    worker_engine: WorkerEngine,
) -> None:
    long = _completion(prefix="# a long list of numbers\nnumbers = [\n    1,\n", suffix="",
                       max_tokens=200, max_lines=200, session_id="typing")
    older = worker_engine.complete(long)
    pieces = iter(older)
    next(pieces)  # it runs
    newer = worker_engine.complete(_completion(session_id="typing"))
    other = worker_engine.complete(_completion(session_id="elsewhere"))
    for _ in pieces:
        pass
    assert older.completion.finish_reason == "cancelled"
    assert older.completion.completion_tokens < 200
    assert newer.result().text and other.result().text


def test_a_completion_waiting_behind_a_chat_prompt_says_busy_at_once(
    worker_engine: WorkerEngine,
) -> None:
    worker_engine.reset_cache()
    long_prompt = "Summarize these lines:\n" + "\n".join(f"row {i}: value {i * 7}" for i in range(300))
    chat = worker_engine.generate(
        GenerationRequest(messages=[{"role": "user", "content": long_prompt}], max_tokens=4))
    deadline = time.monotonic() + 120
    while worker_engine.ping()["current"] is None and time.monotonic() < deadline:
        time.sleep(0.005)
    asked = time.perf_counter()
    result = worker_engine.complete(_completion()).result()
    waited = time.perf_counter() - asked
    chat.result()
    # Either served between the answer's tokens or "busy" during the prompt: never queued
    # until the answer ended (the prompt alone takes seconds).
    assert result.finish_reason in ("busy", "stop", "length")
    if result.finish_reason == "busy":
        assert result.text == "" and waited < 5


def test_without_fim_a_completion_continues_the_context_and_prefix(
    default_model_path: str,
) -> None:
    engine = WorkerEngine(default_model_path, n_ctx=1024, fim=False)
    try:
        engine.start()
        assert engine.status()["fim"] is False and engine.ping()["fim"] is False
        first = engine.complete(_completion(suffix="\nprint(area(1))\n")).result()
        engine.reset_cache()  # both cold: the same prompt then gives the same tokens
        other = engine.complete(_completion(suffix="\n# a different suffix\n")).result()
        assert first.text.strip() and first.finish_reason in ("stop", "length")
        assert other.text == first.text  # the suffix is not part of a plain continuation
        # The prompt is the context and the prefix only: no FIM tokens around them.
        assert first.prompt_tokens == engine.complete(_completion(suffix="")).result().prompt_tokens
    finally:
        engine.close()


# A notebook-sized completion context: ~1,500 tokens, seconds to evaluate cold.
LONG_CONTEXT = "import pandas as pd\n" + "".join(
    f"table_{i} = pd.DataFrame({{'city_{i}': ['a', 'b'], 'sales_{i}': [{i}, {i * 3}]}})\n"
    f"total_{i} = table_{i}['sales_{i}'].sum()\n"
    for i in range(40)
)
SHORT_CHAT = GenerationRequest(
    messages=[{"role": "user", "content": "Here is my notebook:\n" + LONG_CONTEXT[:1200]
               + "\nName one pandas method for reading CSV files."}],
    max_tokens=8,
)


def test_a_chat_question_asked_while_typing_stays_warm_and_is_not_held_up(
    worker_engine: WorkerEngine,
) -> None:
    """The user runs a cell (its completion context is offered), types at once and asks
    the chat mid-way: the chat's cached prefix is reused and it does not wait for the
    completion's cold context (seconds); the context the completions evaluated in pieces,
    given way to the chat and to newer keystrokes, completes as a cold one does."""
    worker_engine.reset_cache()
    final = _completion(context=LONG_CONTEXT, prefix="best = table_7[", suffix="",
                        max_tokens=12, session_id="busy-nb")
    reference = worker_engine.complete(final).result()
    cold_s = reference.total_s
    assert reference.text and reference.cached_tokens == 0
    worker_engine.reset_cache()
    worker_engine.generate(SHORT_CHAT).result()
    warm = worker_engine.generate(SHORT_CHAT).result().cached_tokens  # as the cache keeps it
    assert warm > 0
    assert worker_engine.prefill_completion(LONG_CONTEXT, "busy-nb")
    typed = "best = table_7["
    pending = []
    chat = None
    for n in range(1, len(typed) + 1):
        pending.append(worker_engine.complete(_completion(
            context=LONG_CONTEXT, prefix=typed[:n], suffix="", max_tokens=12,
            session_id="busy-nb")))
        if n == 4:
            asked = time.perf_counter()
            chat = worker_engine.generate(SHORT_CHAT)
            first = next(iter(chat))
            chat_wait = time.perf_counter() - asked
        time.sleep(0.15)
    assert chat is not None and first
    answered = chat.result()
    assert answered.cached_tokens == warm  # its prefix stayed warm
    # Cold, the completion's context takes seconds; the chat never waits for it.
    assert cold_s > 3.0 and chat_wait < min(1.5, cold_s / 3), (chat_wait, cold_s)
    ended = [p.result() for p in pending]
    assert {e.finish_reason for e in ended[:-1]} <= {"cancelled", "busy", "stop", "length"}
    again = worker_engine.complete(final).result()
    assert again.text == reference.text
    assert again.cached_tokens > 0

