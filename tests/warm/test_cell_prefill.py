"""The kernel's prefill hook in a real in-process IPython shell, with a recording engine:
it follows the cells, sends the same stable prefix a request would start with, never
sends secrets, coalesces bursts, and never breaks or fails a user's cell."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from support.canary import Canary

from jupyter_localai.core.engine import Generation, GenerationRequest, PrefillRequest
from jupyter_localai.core.prompt import PromptBudget, build_messages
from jupyter_localai.engines.fake import FakeEngine
from jupyter_localai.kernel import extension
from jupyter_localai.kernel.assistant import KernelAssistant
from jupyter_localai.kernel.context.collect import collect_context
from jupyter_localai.kernel.prefill import asks_the_assistant


class PrefillRecorder:
    """Records prefills (as the messages a worker would evaluate); `n_ctx` like a loaded
    4k model. Optionally slow or failing."""

    supports_prefill = True

    def __init__(self, delay: float = 0.0, error: Exception | None = None) -> None:
        self.calls: list[tuple[list[dict[str, str]], str | None]] = []
        self.delay = delay
        self.error = error
        self.event = threading.Event()

    def n_ctx(self) -> int:
        return 4096

    def prefill(self, request: PrefillRequest) -> bool:
        time.sleep(self.delay)
        if self.error is not None:
            raise self.error
        self.calls.append((request.messages(self.n_ctx()), request.session_id))
        self.event.set()
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass


class PausingRecorder(PrefillRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.pauses: list[str | None] = []

    def pause_prefill(self, session_id: str | None = None) -> None:
        self.pauses.append(session_id)


@pytest.fixture
def shell() -> Iterator[Any]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    extension.load(shell)
    yield shell
    extension.unload(shell)
    shell.reset(new_session=True)


def assistant_of(shell: Any) -> KernelAssistant:
    return shell.magics_manager.registry["LocalAIMagics"].assistant


def with_engine(shell: Any, engine: PrefillRecorder) -> KernelAssistant:
    assistant = assistant_of(shell)
    assistant.settings.use_server = False
    assistant._engines["worker"] = engine  # as if a question had started the worker
    assistant.context_asked = True  # ... with notebook context
    return assistant


def wait(engine: PrefillRecorder, calls: int, containing: str = "") -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (
        len(engine.calls) >= calls and containing in engine.calls[-1][0][1]["content"]
    ):
        time.sleep(0.01)


def test_no_engine_started_means_no_prefill_and_no_error(shell: Any) -> None:
    assistant = assistant_of(shell)
    assistant.settings.use_server = False
    result = shell.run_cell("x = 1", store_history=True)
    assert result.success
    assert assistant.prefill.failures == 0 and assistant.prefill.sent == 0


def test_after_a_cell_the_request_prefix_is_sent(shell: Any) -> None:
    engine = PrefillRecorder()
    assistant = with_engine(shell, engine)
    shell.run_cell("import math\nradius = 3", store_history=True)
    shell.run_cell("area = math.pi * radius ** 2", store_history=True)
    wait(engine, 1, containing="area = math.pi")
    messages, _session = engine.calls[-1]
    assert "area = math.pi * radius ** 2" in messages[1]["content"]
    # A later question on this notebook begins exactly with what was prefilled.
    budget = PromptBudget(4096, assistant.settings.max_tokens, assistant.settings.context_tokens)
    asked = build_messages("Print the area.", collect_context(shell, ""), budget)
    assert asked[0] == messages[0]
    assert asked[:3] == messages[:3]
    assert len(messages) == 4 and messages[3] == {"role": "user", "content": ""}


def test_secrets_in_cells_and_variables_are_not_sent(shell: Any) -> None:
    engine = PrefillRecorder()
    with_engine(shell, engine)
    secret = "sk-live-" + "Q7x9" * 8
    shell.run_cell(f"api_key = '{secret}'", store_history=True)
    shell.run_cell("n = 2", store_history=True)
    wait(engine, 1)
    assert engine.calls
    assert all(secret not in m["content"] for call in engine.calls for m in call[0])


def test_a_burst_of_cells_coalesces_and_never_waits_for_the_engine(shell: Any) -> None:
    engine = PrefillRecorder(delay=0.5)
    with_engine(shell, engine)
    started = time.perf_counter()
    for i in range(6):
        shell.run_cell(f"v{i} = {i}", store_history=True)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 * 6 / 2  # the cells did not wait for the slow engine
    wait(engine, 1, containing="v5 = 5")
    assert 1 <= len(engine.calls) < 6  # the newest context replaced the queued ones
    assert "v5 = 5" in engine.calls[-1][0][1]["content"]


def test_a_failing_engine_never_breaks_a_cell(shell: Any) -> None:
    engine = PrefillRecorder(error=RuntimeError("worker exploded"))
    assistant = with_engine(shell, engine)
    result = shell.run_cell("y = 41 + 1", store_history=True)
    assert result.success and shell.user_ns["y"] == 42
    deadline = time.monotonic() + 5
    while assistant.prefill.failures == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert assistant.prefill.failures == 1
    assert shell.run_cell("z = y", store_history=True).success


def test_prefill_off_sends_nothing(shell: Any) -> None:
    engine = PrefillRecorder()
    assistant = with_engine(shell, engine)
    assistant.settings.prefill = False
    shell.run_cell("w = 5", store_history=True)
    time.sleep(0.2)
    assert engine.calls == []


def test_each_cell_first_pauses_the_kernels_own_worker(shell: Any) -> None:
    engine = PausingRecorder()
    with_engine(shell, engine)
    for i in range(3):
        shell.run_cell(f"u{i} = {i}", store_history=True)
    assert len(engine.pauses) == 3  # sent before each cell's code ran


def test_a_server_engine_is_paused_off_the_main_thread(shell: Any) -> None:
    """The server's model is paused by HTTP: the cell must not wait for it."""
    engine = PausingRecorder()
    blocked = threading.Event()
    release = threading.Event()

    def slow_pause(session_id: str | None = None) -> None:
        blocked.set()
        release.wait(10)
        engine.pauses.append(session_id)

    engine.pause_prefill = slow_pause  # type: ignore[method-assign]
    assistant = with_engine(shell, engine)
    del assistant._engines["worker"]
    assistant.prefill_engine = lambda: engine  # type: ignore[method-assign]
    started = time.monotonic()
    assert shell.run_cell("s = 1", store_history=True).success
    assert time.monotonic() - started < 2 and blocked.wait(5)
    release.set()
    deadline = time.monotonic() + 5
    while not engine.pauses and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.pauses == [assistant.session_id()]


def test_no_prefill_before_a_question_with_context(shell: Any) -> None:
    """Until the user asks with notebook context, no object of theirs is summarized."""
    engine = PausingRecorder()
    assistant = with_engine(shell, engine)
    assistant.context_asked = False
    canary = Canary()
    shell.user_ns["canary"] = canary
    shell.run_cell("n = 1", store_history=True)
    time.sleep(0.2)
    assert engine.calls == [] and engine.pauses == [] and canary.touched == []


class AskingRecorder(FakeEngine):
    """Answers questions (a fixed code block) and records them, the prefills and the
    pauses: what `%ai fix` sends can be compared with what was prefilled before it."""

    supports_prefill = True

    def __init__(self) -> None:
        super().__init__(lambda _request: "```python\nx = 1\n```", model="fake", n_ctx=4096)
        self.prefills: list[tuple[list[dict[str, str]], bool]] = []
        self.pauses: list[str | None] = []
        self.asked: list[list[dict[str, str]]] = []

    def prefill(self, request: PrefillRequest) -> bool:
        self.prefills.append((request.messages(self.n_ctx()), request.whole))
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        self.pauses.append(session_id)

    def generate(self, request: GenerationRequest) -> Generation:
        self.asked.append(request.messages)
        return super().generate(request)


def asking_engine(shell: Any) -> AskingRecorder:
    engine = AskingRecorder()
    assistant = with_engine(shell, engine)  # type: ignore[arg-type]
    assistant._local_model = assistant.settings.model  # the worker runs the default model
    return engine


def wait_for(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_after_a_failing_cell_the_whole_fix_prompt_is_prefilled(shell: Any) -> None:
    """`%ai fix`, the likely next question, then finds its whole prompt evaluated: the
    prefill after the failing cell is exactly its first attempt's messages."""
    engine = asking_engine(shell)
    shell.run_cell("prices = [3, 4]\ntotal = sum(price)", store_history=True)
    wait_for(lambda: engine.prefills)
    prefilled, whole = engine.prefills[-1]
    assert whole and "total = sum(price)" in prefilled[-1]["content"]
    shell.run_cell("%ai fix --no-verify", store_history=True)
    assert engine.asked, "the fix was not asked"
    assert engine.asked[0] == prefilled
    assert len(engine.pauses) == 1  # before the failing cell; the question did not pause


def test_after_a_cell_that_runs_only_the_context_is_prefilled(shell: Any) -> None:
    engine = asking_engine(shell)
    shell.run_cell("def broken():\n    raise ValueError('x')", store_history=True)
    shell.run_cell("ok = 1", store_history=True)
    wait_for(lambda: any("ok = 1" in m[1]["content"] for m, _ in engine.prefills))
    prefilled, whole = engine.prefills[-1]
    assert not whole and prefilled[-1] == {"role": "user", "content": ""}


def test_a_failing_question_to_the_assistant_prefills_no_fix(shell: Any) -> None:
    """A cell asking the assistant that fails is not the user's code to fix."""
    engine = asking_engine(shell)
    shell.run_cell("1 / 0", store_history=True)  # an error a fix could be asked for
    wait_for(lambda: engine.prefills)
    assert not shell.run_cell("%ai fix --no-such-option", store_history=True).success
    wait_for(lambda: len(engine.prefills) >= 2)
    assert [whole for _, whole in engine.prefills] == [True, False]


@pytest.mark.parametrize(("source", "asks"), [
    ("%%ai\nplot df", True), ("%ai fix", True), ("# why?\n%ai explain 3\n%localai status", True),
    ("%%localai -m big\nq", True), ("x = 1", False), ("%ai fix\nx = 1", False), ("%aix", False),
    ("%%time\n%ai fix", False), ("", False), ("%timeit x", False)])
def test_which_cells_only_ask_the_assistant(source: str, asks: bool) -> None:
    assert asks_the_assistant(source) is asks
