"""Planted and malformed state files in front of the real worker and the real model.

The worker indexes the folder when it loads a model: before this was hardened, one header
that was a list or a token beyond int32 killed it at every load, and a state under a
header naming other tokens would have been restored for them. Here each kind sits next to a
real state; the worker loads, skips each with a log line, and answers exactly as cold.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support.kv_files import header_of, plant, read_state, user_key
from support.warm_notebooks import QUESTION, cold, make_engine, notebook, request

from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = pytest.mark.model


def test_the_worker_skips_planted_and_malformed_states_and_keeps_serving(
    default_model_path: str, kv_dir: Path, warm_engine: WorkerEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference = cold(warm_engine, "h")
    warm_engine.generate(request(notebook("h"), QUESTION, "h")).result()
    warm_engine.close()  # pending states are written before it exits
    (real,) = kv_dir.rglob("*.kv")
    folder = real.parent
    header, payload = read_state(real)
    key = user_key(kv_dir)  # the user's own key: malformed headers reach the parser
    prompt_tokens = header["tokens"]
    planted = [
        # the injection: this notebook's prompt, claimed by a cache of something else
        plant(folder / "a-other-cache.kv", header_of("h", prompt_tokens, b"\0" * len(payload)), b"\0" * len(payload)),
        plant(folder / "b-list.kv", [1, 2, 3], key=key),
        plant(folder / "c-huge-length.kv", header_of("x", [1], payload), payload, length=(1 << 64) - 1, key=key),
        plant(folder / "d-out-of-range.kv", header_of("x", [1, 1 << 40], payload), payload, key=key),
        plant(folder / "e-beyond-vocab.kv", header_of("x", [1, 10_000_000], payload), payload, key=key),
        plant(folder / "f-truncated.kv", header, payload, key=key, cut=len(payload) // 2),
    ]
    real.unlink()  # only planted files are left: nothing may be restored

    caplog.set_level(logging.DEBUG, logger="jupyter_localai.worker")
    restarted = make_engine(default_model_path, kv_dir)
    try:
        answer = restarted.generate(request(notebook("h"), QUESTION, "h")).result()
        again = restarted.generate(request(notebook("h"), QUESTION, "h")).result()
        warm = restarted.ping()["warm"]
        status = restarted.status()
    finally:
        restarted.close()
    assert answer.text == reference.text and again.text == reference.text
    assert answer.cached_tokens == 0  # nothing planted was restored
    assert warm["kv_restores"] == 0 and warm["kv_disk_loads"] == 0
    assert status["restarts"] == 0 and status["state"] == "ready"
    log_text = "\n".join(r.getMessage() for r in caplog.records)
    for path in planted:
        assert f"skipping KV state {path}" in log_text, path.name
