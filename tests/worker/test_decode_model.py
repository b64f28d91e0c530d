"""The chat's decode loop on the real model: llama.cpp's C sampler chain over a one-entry
batch (`LoadedModel.evaluate_prompt` + `chat_tokens`) answers exactly the tokens
llama-cpp-python's `Llama.generate` answered with the same settings, greedy and sampled
with a seed, cold and with the prompt's prefix reused, and leaves the cache as it did."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

pytestmark = pytest.mark.model

QUESTIONS = [
    "Write a python function that returns the n-th Fibonacci number.",
    "In pandas, how do I keep the rows of df whose 'city' column starts with 'San'?",
]
N_TOKENS = 24
# (temperature, top_p, seed): greedy, and two sampled settings.
SETTINGS = [(0.0, 1.0, 0), (0.8, 0.95, 7), (0.7, 1.0, 123456)]


@pytest.fixture(scope="module")
def model(default_model_path: str) -> Iterator[LoadedModel]:
    loaded = LoadedModel(
        {"model_path": default_model_path, "n_ctx": 2048, "n_threads": 2}, LlamaLog(io.StringIO())
    )
    yield loaded
    del loaded


def _take(tokens: Iterator[int], model: LoadedModel) -> list[int]:
    out: list[int] = []
    for token in tokens:
        out.append(token)
        if len(out) >= N_TOKENS or model.is_end_of_generation(token):
            break
    return out


def _through_generate(model: LoadedModel, prompt: list[int], temp: float, top_p: float,
                      seed: int) -> list[int]:
    """What the worker did before: `Llama.generate` with the worker's settings."""
    model.llm.set_seed(seed)
    return _take(model.llm.generate(prompt, temp=temp, top_p=top_p, top_k=40, min_p=0.05,
                                    repeat_penalty=1.0), model)


def _through_chain(model: LoadedModel, prompt: list[int], temp: float, top_p: float,
                   seed: int) -> list[int]:
    model.evaluate_prompt(prompt, lambda: False)
    sampler = model.sampler(temp, seed, top_p)
    tokens = model.chat_tokens(sampler)
    try:
        return _take(tokens, model)
    finally:
        tokens.close()
        sampler.close()


@pytest.mark.timeout(1200)
@pytest.mark.parametrize(("temp", "top_p", "seed"), SETTINGS)
def test_c_chain_answers_as_llama_generate(model: LoadedModel, temp: float, top_p: float,
                                           seed: int) -> None:
    for question in QUESTIONS:
        prompt, _ = model.prompt_tokens([{"role": "user", "content": question}])
        answers = {}
        for name, way in (("generate", _through_generate), ("chain", _through_chain)):
            model.invalidate()
            cold = way(model, prompt, temp, top_p, seed)
            held = (model.llm.n_tokens, model.kv_positions())
            warm = way(model, prompt, temp, top_p, seed)  # all but the last token reused
            answers[name] = (cold, warm, held)
        assert answers["chain"] == answers["generate"]
        cold, warm, (n_tokens, positions) = answers["chain"]
        assert len(cold) >= 8
        if temp == 0.0:  # a sampled pick may turn on the rounding of the re-evaluated token
            assert warm == cold
        # The cache holds the prompt and every answer token but the last, in both views.
        assert n_tokens == positions == len(prompt) + len(cold) - 1
