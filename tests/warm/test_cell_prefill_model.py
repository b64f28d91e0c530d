"""End to end in a real IPython shell on the real model: cells run, the hook prefills the
kernel's worker in the background, and the next `%%ai` question lands on the warm prefix
and answers exactly as it does cold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.kernel import extension

pytestmark = pytest.mark.model

CELLS = (
    "import math\nradius = 3.0",
    "area = math.pi * radius ** 2",
    "sides = [3, 4, 5]\nperimeter = sum(sides)",
)
QUESTION = "%%ai --max-tokens 16 --retries 0\nprint the area rounded to 2 places"


@pytest.fixture
def shell(warm_engine: WorkerEngine) -> Iterator[Any]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    extension.load(shell)
    assistant = shell.magics_manager.registry["LocalAIMagics"].assistant
    assistant.settings.use_server = False
    assistant.settings.context_tokens = 400
    assistant._engines["worker"] = warm_engine  # as if an earlier question started it
    assistant._local_model = assistant.settings.model
    yield shell
    assistant._engines.clear()  # the fixture closes the engine
    extension.unload(shell)
    shell.reset(new_session=True)


def ask(shell: Any) -> Any:
    shell.run_cell(QUESTION, store_history=False)  # so both asks see the same cells
    reply = shell.magics_manager.registry["LocalAIMagics"].assistant.last_reply
    assert reply is not None and reply.finish_reason != "cancelled"
    return reply


def test_cells_prefill_the_worker_and_the_question_lands_warm(
    shell: Any, warm_engine: WorkerEngine
) -> None:
    assistant = shell.magics_manager.registry["LocalAIMagics"].assistant
    assistant.settings.prefill = False
    for cell in CELLS:
        assert shell.run_cell(cell, store_history=True).success
    warm_engine.reset_cache()
    cold = ask(shell)
    assert cold.timings.cached_tokens == 0

    warm_engine.reset_cache()
    assistant.settings.prefill = True
    assistant.prefill.after_cell()  # what IPython calls when the last cell finished
    deadline = time.monotonic() + 300
    while warm_engine.ping()["warm"]["prefills_done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    stats = warm_engine.ping()["warm"]
    assert stats["prefills_done"] == 1 and stats["prefill_tokens"] > 100
    warm = ask(shell)
    # All of the prefilled prefix (cells, imports, variables) is reused: it ends where the
    # question's turn begins, a batch boundary; beyond it only the task text is evaluated.
    assert warm.timings.cached_tokens == stats["prefill_tokens"]
    assert warm.text == cold.text  # token for token
