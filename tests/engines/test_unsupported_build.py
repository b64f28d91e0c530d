"""A worker that dies of SIGILL (a llama-cpp-python build this CPU cannot run) is reported
once, with the rebuild command, and never started again.

The worker really dies of the signal: `JUPYTER_LOCALAI_TEST_SIGILL` makes it send itself
SIGILL where an AMX build traps (the first answer) or while loading (`worker/faults.py`).
"""

from __future__ import annotations

import logging
import time

import pytest

from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.engine import GenerationRequest, PrefillRequest
from jupyter_localai.engines import worker_client
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.errors import UnsupportedBuildError, WorkerCrashedError
from jupyter_localai.llama_build import reinstall_command
from jupyter_localai.worker.faults import SIGILL_ENV

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Say hi."}]


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of every worker process the engine starts."""
    pids: list[int] = []
    real = worker_client.WorkerProcess

    def counting(*args: object, **kwargs: object) -> worker_client.WorkerProcess:
        process = real(*args, **kwargs)  # type: ignore[arg-type]
        pids.append(process.pid)
        return process

    monkeypatch.setattr(worker_client, "WorkerProcess", counting)
    return pids


def _failure(engine: WorkerEngine) -> Exception:
    with pytest.raises(UnsupportedBuildError) as caught:
        engine.generate(GenerationRequest(messages=QUESTION, max_tokens=4)).result()
    return caught.value


def test_sigill_at_the_first_answer_fails_once_and_for_good(
    default_model_path: str, spawned: list[int], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(SIGILL_ENV, "generate")
    caplog.set_level(logging.ERROR, logger="jupyter_localai")
    with WorkerEngine(default_model_path, n_ctx=512) as engine:
        first = _failure(engine)
        message = str(first)
        assert isinstance(first, WorkerCrashedError)  # a 503 for the server, like any crash
        assert "SIGILL" in message and "CPU instructions this CPU cannot run" in message
        assert "AMX" in message and reinstall_command() in message
        status = engine.status()
        assert status["state"] == "failed" and status["failure"] == "unsupported build"
        assert status["last_error"] == message
        assert status["restarts"] == 0 and status["pid"] is None

        # Later requests: the same error at once, and no new worker.
        started = time.perf_counter()
        assert str(_failure(engine)) == message
        assert time.perf_counter() - started < 1.0
        with pytest.raises(UnsupportedBuildError):
            engine.start()
        with pytest.raises(UnsupportedBuildError):
            engine.switch_model(default_model_path)
        assert engine.prefill(PrefillRequest(NotebookContext(), "nb"), start=True) is False
        assert engine.status()["state"] == "failed"
    assert len(spawned) == 1
    said = [r for r in caplog.records if "cannot run" in r.getMessage()]
    assert len(said) == 1, [r.getMessage() for r in caplog.records]


def test_sigill_while_loading_names_the_model(
    default_model_path: str, spawned: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIGILL_ENV, "load")
    with WorkerEngine(default_model_path, n_ctx=512) as engine:
        with pytest.raises(UnsupportedBuildError) as caught:
            engine.start()
        message = str(caught.value)
        assert f"while loading {default_model_path}" in message
        assert "SIGILL" in message and reinstall_command() in message
        assert str(_failure(engine)) == message
        assert engine.status()["failure"] == "unsupported build"
    assert len(spawned) == 1
