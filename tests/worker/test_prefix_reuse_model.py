"""Prefix reuse never changes an answer (DESIGN's binding rule), on the real model: a prompt
whose start is already in the cache, put there by an earlier prompt that went on
differently (a prefill, another question), answers token for token as it does cold.

ggml's CPU kernels round differently for different batch shapes. With llama.cpp's own
splitting (n_batch from wherever the cache ends) 6 of these 9 cases answered differently
from cold on this machine's AVX-512 build; the worker evaluates every prompt in
batches that end at fixed places (multiples of PROMPT_CHUNK and the start of every user
turn, `worker/batch_plan.py`) and reuses a prefix only up to such a place, so the values in
the cache do not depend on what was reused."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_localai.worker.batch_plan import PROMPT_CHUNK
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from perf_notebooks import notebook_cells

pytestmark = pytest.mark.model

N_TOKENS = 32
NOTEBOOK = "\n\n".join(notebook_cells(30))
CASES = [(2500, "Plot the monthly revenue."), (3500, "Mean price per product category."),
         (4200, "The five days with the highest revenue in daily.")]


@pytest.fixture(scope="module")
def model(default_model_path: str) -> Iterator[LoadedModel]:
    loaded = LoadedModel(
        {"model_path": default_model_path, "n_ctx": 4096, "n_threads": 2}, LlamaLog(io.StringIO())
    )
    yield loaded
    del loaded


def answer(model: LoadedModel, prompt: list[int]) -> list[int]:
    """Greedy answer tokens, through the worker's own prompt evaluation and decode loop."""
    model.evaluate_prompt(prompt, lambda: False)
    sampler = model.sampler(0.0, 0)
    tokens = model.chat_tokens(sampler)
    out: list[int] = []
    try:
        for token in tokens:
            if model.is_end_of_generation(token) or len(out) >= N_TOKENS:
                break
            out.append(token)
    finally:
        tokens.close()
        sampler.close()
    model.keep_reusable()  # as the worker does after an answer
    return out


def prompt_of(model: LoadedModel, chars: int, question: str) -> list[int]:
    tokens, _ = model.prompt_tokens([
        {"role": "system", "content": "You are a coding assistant."},
        {"role": "user", "content": f"Here is my notebook:\n{NOTEBOOK[:chars]}\n\n{question}"},
    ])
    return tokens


@pytest.mark.timeout(1800)
@pytest.mark.parametrize(("chars", "question"), CASES)
def test_a_warm_prompt_answers_as_it_does_cold(model: LoadedModel, chars: int,
                                               question: str) -> None:
    prompt = prompt_of(model, chars, question)
    model.invalidate()
    cold = answer(model, prompt)
    assert len(cold) >= 8
    tail = model.tokenize_text(" and something else entirely")
    for shared in (300, 520, len(prompt) - 30):
        model.invalidate()
        model.evaluate_prompt(prompt[:shared] + tail, lambda: False)  # an earlier prompt
        reused = model.cached_prefix(prompt)
        assert reused == shared // PROMPT_CHUNK * PROMPT_CHUNK > 0  # past the turn start
        assert answer(model, prompt) == cold, f"reusing {reused} tokens changed the answer"
    # After an answer the cache holds only whole prompt batches: the next ask reuses them.
    assert model.llm.n_tokens == model.reusable == model.plan.last_boundary(prompt, len(prompt))
    assert answer(model, prompt) == cold


@pytest.mark.timeout(900)
def test_a_question_reuses_its_whole_prefill_and_answers_as_it_does_cold(
        model: LoadedModel) -> None:
    """A prefill ends where the question's turn begins, a batch boundary: the question
    reuses all of it, not only its whole PROMPT_CHUNK batches, and answers as cold."""
    opening = [
        {"role": "system", "content": "You are a coding assistant."},
        {"role": "user", "content": f"Here is my notebook:\n{NOTEBOOK[:3000]}"},
        {"role": "assistant", "content": "I have read the notebook. What should I do?"},
    ]
    prefill = model.prefix_tokens([*opening, {"role": "user", "content": ""}])
    prompt, _ = model.prompt_tokens([*opening, {"role": "user", "content": CASES[1][1]}])
    assert prompt[: len(prefill)] == prefill
    assert len(prefill) % PROMPT_CHUNK, "pick a prefix that does not end on a whole batch"
    model.invalidate()
    cold = answer(model, prompt)
    assert len(cold) >= 8
    model.invalidate()
    model.eval_chunks(prefill, 0)  # as the worker's prefill does
    assert model.reusable == model.llm.n_tokens == len(prefill)
    assert model.cached_prefix(prompt) == len(prefill)
    assert answer(model, prompt) == cold, "reusing the whole prefill changed the answer"


@pytest.mark.timeout(900)
def test_a_retry_reuses_the_whole_earlier_prompt_and_answers_as_it_does_cold(
        model: LoadedModel) -> None:
    """A retry adds the failed answer and what was wrong with it to the same messages: the
    earlier prompt ended where the assistant's turn begins, a batch boundary, so the retry
    reuses all of it and answers as it does cold."""
    first = [{"role": "system", "content": "You are a coding assistant."},
             {"role": "user", "content": f"Here is my notebook:\n{NOTEBOOK[:2500]}\n\n"
                                         f"{CASES[1][1]}"}]
    earlier, _ = model.prompt_tokens(first)
    retry, _ = model.prompt_tokens([
        *first, {"role": "assistant", "content": "```python\nprices.mean()\n```"},
        {"role": "user", "content": "That raised NameError: name 'prices' is not defined."}])
    assert retry[: len(earlier)] == earlier
    assert len(earlier) % PROMPT_CHUNK, "pick a prompt that does not end on a whole batch"
    model.invalidate()
    cold = answer(model, retry)
    assert len(cold) >= 8
    model.invalidate()
    answer(model, earlier)  # the first attempt, as the worker answers it
    assert model.cached_prefix(retry) == len(earlier)
    assert answer(model, retry) == cold, "reusing the whole earlier prompt changed the answer"


@pytest.mark.timeout(900)
def test_a_prefilled_whole_prompt_answers_at_once_and_as_it_does_cold(
        model: LoadedModel) -> None:
    """After a failing cell the worker prefills `%ai fix`'s whole prompt. Its last batch
    is the one a cold evaluation ends with, so the question reuses every token and the
    logits still in the context: nothing is evaluated, and the answer is the cold one.
    Any other decode in between (here the completion sequence's) replaces those logits,
    and the prompt's last batch is then evaluated again."""
    from jupyter_localai.worker.sequences import COMPLETION_SEQ

    messages = [
        {"role": "system", "content": "You are a coding assistant."},
        {"role": "user", "content": f"Here is my notebook:\n{NOTEBOOK[:3000]}"},
        {"role": "assistant", "content": "I have read the notebook. What should I do?"},
        {"role": "user", "content": "This cell failed:\n```python\ndaily.resmple('M').sum()\n"
                                    "```\nAttributeError: 'DataFrame' object has no attribute "
                                    "'resmple'\n\nFix the cell."},
    ]
    prompt, _ = model.prompt_tokens(messages)
    assert len(prompt) % PROMPT_CHUNK, "pick a prompt that does not end on a whole batch"
    model.invalidate()
    cold = answer(model, prompt)
    assert len(cold) >= 8
    model.invalidate()
    model.eval_chunks(prompt, 0)  # as the worker's prefill of a whole prompt does
    assert model.cached_prefix(prompt) == len(prompt)
    assert model.cached_prefix(prompt[:-1]) < len(prompt) - 1  # another prompt: boundaries
    assert answer(model, prompt) == cold, "answering from the prefill's logits changed it"

    model.invalidate()
    model.eval_chunks(prompt, 0)
    batch = model.new_batch(8)
    try:
        model.eval_sequence(COMPLETION_SEQ, model.tokenize_text("x = 1"), 0, batch)
    finally:
        batch.close()
    assert model.cached_prefix(prompt) == model.plan.last_boundary(prompt, len(prompt) - 1)
    assert answer(model, prompt) == cold
