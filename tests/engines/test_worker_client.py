"""WorkerEngine against the real embedded model in a real worker process.

Answers are checked by their properties (streamed in pieces, reproducible, equal warm and
cold), never against hard-coded text. Runs are short (max_tokens 16-64): the CPU is shared.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.errors import (
    ContextOverflowError,
    InvalidModelError,
    ModelLoadError,
    ModelNotFoundError,
    WorkerCrashedError,
)

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Write a Python function that reverses a string."}]
# Stable material first, the question last: the layout that lets a prefix be reused.
NOTEBOOK = "\n".join(
    f"In [{i}]: df{i} = pd.read_csv('data_{i}.csv')\nOut[{i}]: DataFrame with columns "
    f"'id', 'name', 'value_{i}', 'date' ({100 * i} rows)"
    for i in range(1, 16)
)
SYSTEM = {"role": "system", "content": "You are a careful pandas assistant.\n" + NOTEBOOK}


def ask(content: str, **options: object) -> GenerationRequest:
    return GenerationRequest(messages=[SYSTEM, {"role": "user", "content": content}], **options)  # type: ignore[arg-type]


def test_answer_streams_in_pieces_before_it_ends(worker_engine: WorkerEngine) -> None:
    generation = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=32))
    arrivals: list[float] = []
    unfinished_while_streaming = 0
    for _piece in generation:
        arrivals.append(time.perf_counter())
        unfinished_while_streaming += generation.completion is None
    completion = generation.completion
    assert completion is not None
    assert len(arrivals) >= 5
    assert unfinished_while_streaming == len(arrivals)
    assert arrivals[-1] - arrivals[0] > 0.05  # pieces come as decoded, not all at the end
    assert completion.completion_tokens == 32 and completion.finish_reason == "length"
    assert completion.text.strip()
    assert 0 < completion.ttft_s < completion.total_s


def test_same_seed_same_answer(worker_engine: WorkerEngine) -> None:
    greedy = [
        worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=24)).result()
        for _ in range(2)
    ]
    assert greedy[0].text == greedy[1].text and greedy[0].text
    sampled = [
        worker_engine.generate(
            GenerationRequest(messages=QUESTION, max_tokens=24, temperature=0.9, seed=1234)
        ).result()
        for _ in range(2)
    ]
    assert sampled[0].text == sampled[1].text and sampled[0].text


def test_warm_prefix_answer_equals_cold_and_starts_faster(worker_engine: WorkerEngine) -> None:
    prefix_tokens = worker_engine.count_tokens([SYSTEM])
    assert prefix_tokens > 300

    worker_engine.reset_cache()
    worker_engine.generate(ask("How many rows does df3 have?", max_tokens=8)).result()
    warm = worker_engine.generate(ask("Which columns does df7 have?", max_tokens=24)).result()

    worker_engine.reset_cache()
    cold = worker_engine.generate(ask("Which columns does df7 have?", max_tokens=24)).result()

    assert cold.cached_tokens == 0
    # All of the system prompt: the question's turn begins on a batch boundary.
    assert warm.cached_tokens >= prefix_tokens - 5
    assert warm.prompt_tokens == cold.prompt_tokens
    assert warm.text == cold.text  # token for token at temperature 0
    assert warm.ttft_s < cold.ttft_s / 2, (warm.ttft_s, cold.ttft_s)


def test_cancel_stops_within_250ms_and_next_request_works(worker_engine: WorkerEngine) -> None:
    generation = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=96))
    stream = iter(generation)
    for _ in range(3):
        next(stream)
    cancelled_at = time.perf_counter()
    generation.cancel()
    for _ in stream:
        pass
    stopped_after = time.perf_counter() - cancelled_at
    assert stopped_after < 0.25
    assert generation.completion is not None
    assert generation.completion.finish_reason == "cancelled"
    assert generation.completion.completion_tokens < 96

    after = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=8)).result()
    assert after.finish_reason == "length" and after.text


def test_cancel_interrupts_a_long_prompt_evaluation(worker_engine: WorkerEngine) -> None:
    """A cold prompt of ~3,500 tokens takes many seconds to evaluate; cancel cuts it short,
    and the answer after it equals the cold answer token for token: an aborted evaluation
    leaves nothing that a later prompt could "reuse"."""
    worker_engine.reset_cache()
    cold = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=12)).result()
    numbers = "data = [" + ", ".join(str(7 * i) for i in range(600)) + "]\nWhat is sum(data)?"
    messages = [{"role": "user", "content": numbers}]
    assert worker_engine.count_tokens(messages) > 3000
    generation = worker_engine.generate(GenerationRequest(messages=messages, max_tokens=16))
    while not generation.started:  # let the worker begin evaluating the prompt
        time.sleep(0.01)
    time.sleep(0.3)
    cancelled_at = time.perf_counter()
    generation.cancel()
    completion = generation.result()
    assert time.perf_counter() - cancelled_at < 0.25
    assert completion.finish_reason == "cancelled" and completion.text == ""
    # The worker goes on serving; the half-evaluated prompt is not counted as cached.
    after = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=12)).result()
    assert after.text == cold.text and after.finish_reason == cold.finish_reason == "length"
    assert after.cached_tokens == 0  # nothing of the cut prompt was kept
    assert worker_engine.ping()["state"] == "ready"


def test_cancel_of_a_queued_request_leaves_the_running_one(worker_engine: WorkerEngine) -> None:
    running = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=24))
    queued = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=24))
    assert worker_engine.status()["queue_length"] >= 1
    assert worker_engine.cancel(queued.request_id)
    assert queued.result().finish_reason == "cancelled" and queued.result().text == ""
    assert running.result().finish_reason == "length"
    assert worker_engine.status()["in_flight"] == 0


def test_status_answers_at_once_while_generating(worker_engine: WorkerEngine) -> None:
    generation = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=48))
    stream = iter(generation)
    next(stream)
    started = time.perf_counter()
    status = worker_engine.status()
    status_s = time.perf_counter() - started
    started = time.perf_counter()
    worker_view = worker_engine.ping()  # a round trip to the worker's reader thread
    ping_s = time.perf_counter() - started
    assert generation.completion is None  # still generating while both answered
    for _ in stream:
        pass
    assert status_s < 0.1 and ping_s < 0.1, (status_s, ping_s)
    assert status["state"] == "ready" and status["in_flight"] == 1
    assert status["rss_bytes"] > 100 << 20 and status["pid"] == worker_view["pid"]
    assert worker_view["current"] == generation.request_id


def test_concurrent_callers_each_get_their_own_answer(worker_engine: WorkerEngine) -> None:
    questions = ["Name a Python sorting function.", "What does len() return?", "Say hello."]
    alone = {q: worker_engine.generate(ask(q, max_tokens=12)).result().text for q in questions}
    together: dict[str, str] = {}

    def run(question: str) -> None:
        together[question] = worker_engine.generate(ask(question, max_tokens=12)).result().text

    threads = [threading.Thread(target=run, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert together == alone


def test_prompt_longer_than_context_is_refused_and_worker_serves(
    worker_engine: WorkerEngine,
) -> None:
    restarts = worker_engine.status()["restarts"]
    long_text = "numbers = [" + ", ".join(str(i) for i in range(3000)) + "]"
    generation = worker_engine.generate(
        GenerationRequest(messages=[{"role": "user", "content": long_text}], max_tokens=16)
    )
    with pytest.raises(ContextOverflowError, match="4096"):
        generation.result()
    after = worker_engine.generate(GenerationRequest(messages=QUESTION, max_tokens=8)).result()
    assert after.text
    assert worker_engine.status()["restarts"] == restarts


def test_context_limit_is_exact_in_tokens(default_model_path: str) -> None:
    """prompt + max_tokens == n_ctx is served; one token more is refused."""
    with WorkerEngine(default_model_path, n_ctx=256) as engine:
        for repeats in range(40, 0, -1):  # fill the window to within a few tokens
            messages = [{"role": "user", "content": "Explain: " + "x = x + 1; " * repeats}]
            prompt_tokens = engine.count_tokens(messages)
            room = engine.n_ctx() - prompt_tokens
            if room >= 4:
                break
        assert 4 <= room < 24
        fits = engine.generate(GenerationRequest(messages=messages, max_tokens=room)).result()
        assert fits.prompt_tokens == prompt_tokens
        over = engine.generate(GenerationRequest(messages=messages, max_tokens=room + 1))
        with pytest.raises(ContextOverflowError, match=f"{prompt_tokens} tokens"):
            over.result()


def test_killed_worker_fails_request_and_restarts(default_model_path: str) -> None:
    with WorkerEngine(default_model_path, n_ctx=1024) as engine:
        generation = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=96))
        stream = iter(generation)
        next(stream)
        pid = engine.status()["pid"]
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(WorkerCrashedError, match="SIGKILL"):
            for _ in stream:
                pass
        status = engine.status()
        assert status["state"] == "failed" and "SIGKILL" in status["last_error"]
        after = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=8)).result()
        assert after.text
        status = engine.status()
        assert status["restarts"] == 1 and status["pid"] != pid and status["state"] == "ready"


# --- broken model files ---------------------------------------------------------------------


def _first_request_error(engine: WorkerEngine) -> Exception:
    generation = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=4))
    with pytest.raises(Exception) as caught:
        generation.result()
    return caught.value


@pytest.mark.parametrize(
    ("fixture", "error", "words"),
    [
        ("not_a_model", InvalidModelError, "not a GGUF"),
        ("truncated_model", InvalidModelError, "truncated"),
        ("thousand_layers", InvalidModelError, "block_count = 1000"),
        ("missing_path", ModelNotFoundError, "no model file"),
    ],
)
def test_bad_model_files_are_refused_in_the_parent(
    request: pytest.FixtureRequest, fixture: str, error: type[Exception], words: str
) -> None:
    path = request.getfixturevalue(fixture)
    with WorkerEngine(str(path)) as engine:
        failure = _first_request_error(engine)
        assert isinstance(failure, error)
        assert str(path) in str(failure) and words in str(failure)
        status = engine.status()
        assert status["pid"] is None  # no worker was ever started for it
        assert status["state"] == "failed" and str(path) in status["last_error"]


def test_worker_abort_on_absurd_file_is_survived(
    thousand_layers: Path, default_model_path: str
) -> None:
    """With the header check off, llama.cpp aborts on the file; only the worker dies."""
    with WorkerEngine(str(thousand_layers), check_header=False, n_ctx=512) as engine:
        failure = _first_request_error(engine)
        assert isinstance(failure, ModelLoadError)
        assert "SIGABRT" in str(failure) and str(thousand_layers) in str(failure)
        assert "GGML_ASSERT" in str(failure)
        engine.switch_model(default_model_path)
        answer = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=8)).result()
        assert answer.text and engine.status()["state"] == "ready"


def test_file_llama_cpp_refuses_gives_model_load_error(make_gguf) -> None:
    path = make_gguf("no-vocabulary.gguf")
    with WorkerEngine(str(path), n_ctx=256) as engine:
        failure = _first_request_error(engine)
        assert isinstance(failure, ModelLoadError)
        assert str(path) in str(failure) and "tokenizer" in str(failure)


def test_switch_model_failure_keeps_previous_model(default_model_path: str, make_gguf) -> None:
    with WorkerEngine(default_model_path, n_ctx=512) as engine:
        engine.start()
        with pytest.raises(ModelLoadError):
            engine.switch_model(str(make_gguf("no-vocabulary.gguf")))
        assert engine.status()["model"] == default_model_path
        answer = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=8)).result()
        assert answer.text


@pytest.fixture
def thousand_layers(make_gguf) -> Path:
    return make_gguf("thousand.gguf", block_count=1000)


@pytest.fixture
def missing_path(tmp_path: Path) -> Path:
    return tmp_path / "gone" / "model.gguf"
