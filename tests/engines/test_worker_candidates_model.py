"""Candidates on the real model (issue 19): one prompt evaluation, N answers decoded in
one batch per step; candidate 0 is the one-candidate answer token for token."""

from __future__ import annotations

import dataclasses
import time

import pytest
from support.warm_notebooks import reused_on_repeat

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Write a python function that returns the mean of a list."}]


def _request(**changes: object) -> GenerationRequest:
    request = GenerationRequest(messages=QUESTION, max_tokens=32, temperature=0.0, seed=0)
    return dataclasses.replace(request, **changes)


def test_candidate_zero_streams_the_one_answer_and_all_arrive_at_the_end(
    worker_engine: WorkerEngine,
) -> None:
    worker_engine.reset_cache()
    one = worker_engine.generate(_request()).result()
    worker_engine.reset_cache()
    generation = worker_engine.generate(_request(n_candidates=4))
    pieces = list(generation)
    result = generation.completion
    assert result is not None and len(pieces) > 1
    assert "".join(pieces) == result.text == one.text  # token for token
    assert len(result.candidates) == 4 and result.candidates[0] == one.text
    assert all(text.strip() for text in result.candidates)
    assert len(set(result.candidates)) > 1  # the sampled ones are not copies of the first
    # Fixed seeds: the same request gives the same candidates.
    worker_engine.reset_cache()
    again = worker_engine.generate(_request(n_candidates=4)).result()
    assert again.candidates == result.candidates


def test_a_warm_prefix_gives_the_same_first_candidate_as_a_warm_single_answer(
    worker_engine: WorkerEngine, default_model_path: str,
) -> None:
    worker_engine.reset_cache()
    worker_engine.generate(_request(max_tokens=4)).result()  # the prompt is cached now
    single = worker_engine.generate(_request()).result()
    several = worker_engine.generate(_request(n_candidates=2)).result()
    assert several.cached_tokens == reused_on_repeat(default_model_path, _request().messages)
    assert several.candidates[0] == several.text == single.text


def test_cancel_stops_every_candidate_and_the_engine_serves_on(
    worker_engine: WorkerEngine,
) -> None:
    generation = worker_engine.generate(_request(n_candidates=4, max_tokens=400))
    pieces = iter(generation)
    next(pieces)
    cancelled_at = time.perf_counter()
    generation.cancel()
    for _ in pieces:
        pass
    assert generation.completion.finish_reason == "cancelled"
    assert time.perf_counter() - cancelled_at < 60  # stopped, not decoded to 400 tokens
    assert all(len(text) < 1200 for text in generation.completion.candidates)
    follow_up = worker_engine.generate(_request(max_tokens=8)).result()
    assert follow_up.text and follow_up.finish_reason in ("stop", "length")
