"""The worker's paced stream on the real model: the whole answer arrives, the first piece
before the end, and no more messages than one per `STREAM_INTERVAL_S` of decoding."""

from __future__ import annotations

import pytest

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.worker.paced_sender import STREAM_INTERVAL_S

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Write a python function that returns the mean of a "
                                        "list, with a docstring and comments."}]


def test_a_long_answer_streams_in_paced_messages_and_loses_nothing(
    worker_engine: WorkerEngine,
) -> None:
    worker_engine.reset_cache()
    generation = worker_engine.generate(
        GenerationRequest(messages=QUESTION, max_tokens=96, temperature=0.0, seed=0))
    pieces = list(generation)
    done = generation.completion
    assert done is not None and done.completion_tokens >= 48
    assert "".join(pieces) == done.text
    assert len(pieces) > 1 and done.ttft_s < done.total_s  # it streamed before it ended
    # The first piece at once, then at most one message per interval, then the last flush
    # (2 messages of slack for the time between the worker and this client).
    decode_s = done.total_s - done.ttft_s
    assert len(pieces) <= 4 + decode_s / STREAM_INTERVAL_S, (len(pieces), decode_s)
