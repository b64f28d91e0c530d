"""The multi-sequence context on the real model: sequence 0 answers exactly as in the
one-sequence context `Llama(...)` makes, cold and with its prefix reused, also while
other sequences hold cells."""

from __future__ import annotations

import io

import pytest

from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel
from jupyter_localai.worker.sequences import COMPLETION_SEQ, N_SEQ

pytestmark = pytest.mark.model

QUESTIONS = [
    "Write a python one-liner that sums the squares of 1..10.",
    "In pandas, how do I count the rows of df where column 'age' is over 30?",
]


def _greedy(model: LoadedModel, tokens: list[int], n: int = 12) -> list[int]:
    out: list[int] = []
    for token in model.llm.generate(tokens, temp=0.0, top_p=1.0, top_k=40, min_p=0.05,
                                    repeat_penalty=1.0):
        out.append(token)
        if len(out) >= n or model.is_end_of_generation(token):
            break
    return out


def _answers(path: str, n_seq: int, busy_completion_seq: bool = False) -> list[list[int]]:
    model = LoadedModel(
        {"model_path": path, "n_ctx": 1024, "n_threads": 2, "n_seq": n_seq}, LlamaLog(io.StringIO())
    )
    assert model.n_seq == n_seq
    answers = []
    try:
        for question in QUESTIONS:
            tokens, _ = model.prompt_tokens([{"role": "user", "content": question}])
            if busy_completion_seq:
                # Another sequence holds cells (before and among the chat's).
                batch = model.new_batch(64)
                model.clear_sequence(COMPLETION_SEQ)
                model.eval_sequence(COMPLETION_SEQ, tokens[:40], 0, batch)
                batch.close()
            model.invalidate() if not busy_completion_seq else model.forget_chat()
            answers.append(_greedy(model, tokens))  # cold
            answers.append(_greedy(model, tokens))  # the prompt's prefix reused
    finally:
        del model
    return answers


@pytest.mark.timeout(2400)
def test_sequence_zero_answers_as_a_one_sequence_context(default_model_path: str) -> None:
    single = _answers(default_model_path, 1)
    multi = _answers(default_model_path, N_SEQ)
    assert all(len(answer) >= 6 for answer in single)
    assert multi == single
    busy = _answers(default_model_path, N_SEQ, busy_completion_seq=True)
    assert busy == single
