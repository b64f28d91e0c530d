"""The resident worker does not grow with the number of answers.

Each answer used to leave llama-cpp-python's sampler (and its n_vocab-sized candidate array)
in a reference cycle, and each saved KV state (tens of MB) came from glibc's heap once its
mmap threshold had moved: the worker grew by about 1.8 MB per answer until a full garbage
collection happened to run. Server users keep the model for days, so the bound is checked
on the real model, with notebook sessions (a state saved after every answer).
"""

from __future__ import annotations

import pytest

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine

psutil = pytest.importorskip("psutil")
pytestmark = pytest.mark.model

MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "\n".join(f"row_{i} = {i} * 3" for i in range(60)) + "\nSum?"},
]


def worker_rss(engine: WorkerEngine) -> int:
    worker = engine._worker
    assert worker is not None
    return psutil.Process(worker.proc.pid).memory_info().rss


def test_worker_rss_stays_flat_over_many_answers(worker_engine: WorkerEngine) -> None:
    def answer(i: int) -> None:
        request = GenerationRequest(messages=MESSAGES, max_tokens=2, session_id=f"nb{i % 3}")
        "".join(worker_engine.generate(request))

    for i in range(10):
        answer(i)
    after_10 = worker_rss(worker_engine)
    for i in range(80):
        answer(i)
    growth_mb = (worker_rss(worker_engine) - after_10) / 2**20
    # Without the fix: ~1.8 MB per answer (+71 MB over these 80 answers).
    assert growth_mb < 8, f"the worker grew by {growth_mb:.1f} MB over 80 answers"
