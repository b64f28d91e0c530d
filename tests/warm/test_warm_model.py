"""Warm answers on the real model equal cold ones token for token (temperature 0):
after a saved state is restored, after a prefill, when switching among notebooks, after
the worker restarts, and after a prefill was preempted by a real request."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.warm_notebooks import (
    QUESTION,
    cold,
    make_engine,
    notebook,
    prefill_of,
    request,
    reused_on_repeat,
)

from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = pytest.mark.model

def wait_for(engine: WorkerEngine, key: str, at_least: int, timeout: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        warm = engine.ping()["warm"]
        if warm[key] >= at_least:
            return warm
        time.sleep(0.1)
    raise AssertionError(f"{key} did not reach {at_least}: {engine.ping()['warm']}")


def test_switching_among_three_notebooks_restores_each_and_answers_as_cold(
    warm_engine: WorkerEngine, default_model_path: str,
) -> None:
    colds = {name: cold(warm_engine, name) for name in "abc"}
    warm_engine.reset_cache()
    answers = [
        (name, warm_engine.generate(request(notebook(name), QUESTION, name)).result())
        for name in "abca"
    ]
    for name, answer in answers:
        assert answer.text == colds[name].text, name  # token for token
    back_to_a = answers[-1][1]
    # The second visit of notebook a starts from its saved state: all but the last token,
    # down to the last batch boundary.
    assert back_to_a.cached_tokens == reused_on_repeat(
        default_model_path, request(notebook("a"), QUESTION, "a").messages)
    assert warm_engine.ping()["warm"]["kv_restores"] >= 1


def test_a_reset_with_states_forgets_the_saved_ones_and_answers_cold_again(
    warm_engine: WorkerEngine, kv_dir: Path,
) -> None:
    reference = cold(warm_engine, "e")
    warm_engine.generate(request(notebook("e"), QUESTION, "e")).result()  # saves e's state
    warm_engine.reset_cache()
    restored = warm_engine.generate(request(notebook("e"), QUESTION, "e")).result()
    assert restored.cached_tokens > 0  # a plain reset keeps the notebooks' states

    warm_engine.reset_cache(states=True)
    assert warm_engine.ping()["warm"]["kv_states"] == 0
    assert not any(kv_dir.rglob("*.kv"))
    again = warm_engine.generate(request(notebook("e"), QUESTION, "e")).result()
    assert again.cached_tokens == 0
    assert again.text == reference.text


def test_a_prefilled_notebook_answers_warm_and_as_cold(warm_engine: WorkerEngine) -> None:
    reference = cold(warm_engine, "d")
    warm_engine.reset_cache()
    assert warm_engine.prefill(prefill_of(notebook("d"), "d"))
    warm = wait_for(warm_engine, "prefills_done", 1)
    assert warm["prefill_tokens"] > 0 and warm["prefill_seconds"] > 0
    answer = warm_engine.generate(request(notebook("d"), QUESTION, "d")).result()
    assert answer.text == reference.text
    # The whole prefilled prefix is reused (it ends where the question's turn begins, a
    # batch boundary); beyond it only the task text and the template's tokens are new.
    assert answer.cached_tokens == warm["prefill_tokens"]
    assert answer.prompt_tokens - warm["prefill_tokens"] < 30


def test_prefills_of_one_notebook_coalesce_and_a_grown_notebook_extends_the_prefix(
    warm_engine: WorkerEngine,
) -> None:
    reference = cold(warm_engine, "e")
    warm_engine.reset_cache()
    # A long answer keeps the worker busy while three prefills of one notebook arrive.
    busy = warm_engine.generate(request(notebook("x"), "Describe every cell.", None))
    for cells in (2, 4, 6):
        assert warm_engine.prefill(prefill_of(notebook("e", cells), "e"))
    busy.result()
    warm = wait_for(warm_engine, "prefills_done", 1)
    assert warm["prefills_coalesced"] == 2 and warm["prefills_done"] == 1
    answer = warm_engine.generate(request(notebook("e"), QUESTION, "e")).result()
    assert answer.text == reference.text
    assert answer.prompt_tokens - answer.cached_tokens < 30  # the question's turn only


def test_a_real_request_preempts_a_running_prefill(warm_engine: WorkerEngine) -> None:
    reference = cold(warm_engine, "f")
    warm_engine.reset_cache()
    big = notebook("big", cells=120)  # several seconds of prompt evaluation
    assert warm_engine.prefill(prefill_of(big, "big"))
    time.sleep(0.5)
    answer = warm_engine.generate(request(notebook("f"), QUESTION, "f")).result()
    warm = warm_engine.ping()["warm"]
    assert warm["prefills_preempted"] == 1 and warm["prefills_done"] == 0
    assert answer.text == reference.text


def test_states_survive_a_worker_restart(
    default_model_path: str, kv_dir: Path, warm_engine: WorkerEngine
) -> None:
    reference = cold(warm_engine, "g")
    first = warm_engine.generate(request(notebook("g"), QUESTION, "g")).result()
    assert first.text == reference.text
    warm_engine.close()  # the worker writes pending states before it exits
    assert any(kv_dir.rglob("*.kv"))

    restarted = make_engine(default_model_path, kv_dir)
    try:
        answer = restarted.generate(request(notebook("g"), QUESTION, "g")).result()
        warm = restarted.ping()["warm"]
    finally:
        restarted.close()
    assert answer.text == reference.text
    assert answer.cached_tokens == reused_on_repeat(
        default_model_path, request(notebook("g"), QUESTION, "g").messages)
    assert warm["kv_disk_loads"] == 1 and warm["kv_restores"] == 1


def test_a_kernel_pause_stops_the_running_prefill(warm_engine: WorkerEngine) -> None:
    warm_engine.reset_cache()
    assert warm_engine.prefill(prefill_of(notebook("big", cells=120), "big"))
    time.sleep(0.5)
    warm_engine.pause_prefill("big")  # the kernel's pre_run_cell: a cell starts computing
    warm = wait_for(warm_engine, "prefills_paused", 1, timeout=10)
    assert warm["prefills_done"] == 0
    # The worker is idle again at once: a status shows nothing running or queued.
    status = warm_engine.ping()
    assert status["current"] is None and status["warm"]["prefills_queued"] == 0
