"""`LocalAI.warm_on_load` in a real in-process IPython shell with a recording engine:
loading the extension starts the model loading in the background without touching the
user's objects, the cells that follow prefill without any question asked, a model that
cannot load is reported once and never breaks a cell, and the setting turns it all off."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from support.canary import Canary

from jupyter_localai.config import WARM_ON_LOAD_ENV, LocalAI
from jupyter_localai.core.engine import PrefillRequest
from jupyter_localai.engines import select
from jupyter_localai.errors import ModelNotFoundError
from jupyter_localai.kernel import extension
from jupyter_localai.kernel.assistant import KernelAssistant
from jupyter_localai.kernel.reports import status_report


class LoadingRecorder:
    """A worker engine double: records loads (on which thread) and prefills."""

    supports_prefill = True

    def __init__(self, load_error: Exception | None = None, load_delay: float = 0.0) -> None:
        self.load_threads: list[str] = []
        self.loaded = threading.Event()
        self.load_error = load_error
        self.load_delay = load_delay
        self.calls: list[list[dict[str, str]]] = []

    def load(self) -> None:
        self.load_threads.append(threading.current_thread().name)
        time.sleep(self.load_delay)
        self.loaded.set()
        if self.load_error is not None:
            raise self.load_error

    def n_ctx(self) -> int:
        return 4096

    def prefill(self, request: PrefillRequest) -> bool:
        self.calls.append(request.messages(self.n_ctx()))
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        pass

    def switch_model(self, name: str) -> dict[str, Any]:
        return {}

    def status(self) -> dict[str, Any]:
        return {"state": "ready"}

    def close(self) -> None:
        pass


class Factory:
    """Stands in for `select.worker_engine`: the engines the assistant made, in order, and
    the ones to hand out next (else a plain recorder)."""

    def __init__(self) -> None:
        self.made: list[LoadingRecorder] = []
        self.next: list[LoadingRecorder] = []

    def __call__(self, settings: Any, *, require_runtime: bool = False) -> LoadingRecorder:
        self.made.append(self.next.pop(0) if self.next else LoadingRecorder())
        return self.made[-1]


@pytest.fixture
def factory(monkeypatch: pytest.MonkeyPatch) -> Factory:
    monkeypatch.setenv(WARM_ON_LOAD_ENV, "1")
    monkeypatch.delenv("JUPYTER_LOCALAI_SERVER_URL", raising=False)
    factory = Factory()
    monkeypatch.setattr(select, "worker_engine", factory)
    return factory


@pytest.fixture
def shell() -> Iterator[Any]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    yield shell
    extension.unload(shell)
    shell.reset(new_session=True)


def assistant_of(shell: Any) -> KernelAssistant:
    return shell.magics_manager.registry["LocalAIMagics"].assistant


def until(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_the_default_is_on_and_the_environment_can_turn_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(WARM_ON_LOAD_ENV, raising=False)
    assert LocalAI().warm_on_load is True
    monkeypatch.setenv(WARM_ON_LOAD_ENV, "0")
    assert LocalAI().warm_on_load is False


def test_loading_starts_the_model_in_the_background_touching_no_user_object(
    shell: Any, factory: Factory
) -> None:
    canary = Canary()
    shell.user_ns["canary"] = canary
    factory.next.append(LoadingRecorder(load_delay=0.5))
    started = time.monotonic()
    extension.load(shell)
    assert time.monotonic() - started < 0.4  # the kernel did not wait for the load
    assert until(lambda: factory.made and factory.made[0].loaded.is_set())
    assert factory.made[0].load_threads == ["localai-prefill"]
    assert canary.touched == [] and factory.made[0].calls == []


def test_cells_prefill_from_load_on_without_any_question(
    shell: Any, factory: Factory
) -> None:
    extension.load(shell)
    assistant = assistant_of(shell)
    assert not assistant.context_asked
    shell.run_cell("import math\nradius = 3", store_history=True)
    shell.run_cell("area = math.pi * radius ** 2", store_history=True)
    assert until(lambda: factory.made and any("area = math.pi" in m[1]["content"] for m in factory.made[0].calls))
    assert len(factory.made) == 1 and factory.made[0].load_threads == ["localai-prefill"]  # loaded once
    assert "Warm-up: on" in status_report(assistant)


def test_a_model_that_cannot_load_is_reported_once_and_no_cell_breaks(
    shell: Any, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    factory.next.append(LoadingRecorder(load_error=ModelNotFoundError("no such model")))
    extension.load(shell)
    assistant = assistant_of(shell)
    assert until(lambda: assistant.prefill.load_error is not None)
    for code in ("x = 1", "y = x + 1", "z = y * 2"):
        assert shell.run_cell(code, store_history=True).success
    assert until(lambda: len(factory.made[0].calls) >= 1)
    assert factory.made[0].load_threads == ["localai-prefill"]  # not retried cell after cell
    assert "no such model" in status_report(assistant)
    assert sum("did not load" in r.getMessage() for r in caplog.records) == 1


def test_off_nothing_starts_until_a_question(
    shell: Any, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WARM_ON_LOAD_ENV, "0")
    extension.load(shell)
    shell.run_cell("x = 1", store_history=True)
    time.sleep(0.2)
    assert factory.made == []
    assert "warm_on_load = False" in status_report(assistant_of(shell))
