"""The default path end to end in a real kernel on the real model: `%load_ext` starts the
kernel's worker in the background, the cells that follow warm it without any question,
and the first question of the session lands on that warm prefix."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.kernel_driver import KernelDriver, own_worker_env
from support.warm_notebooks import whole_batches

from jupyter_localai.config import WARM_ON_LOAD_ENV
from jupyter_localai.engines.worker_settings import KV_DIR_ENV

pytestmark = pytest.mark.model

CELLS = (
    "import pandas as pd",
    ("sales = pd.DataFrame({'region': ['north', 'south', 'north', 'east'],\n"
     "                      'units': [3, 5, 2, 7], 'price': [2.5, 1.0, 4.0, 3.0]})"),
    "sales['revenue'] = sales.units * sales.price\nby_region = sales.groupby('region').revenue.sum()",
)
ASSISTANT = "get_ipython().magics_manager.registry['LocalAIMagics'].assistant"


@pytest.fixture
def driver(default_model_path: str, tmp_path: Path) -> Iterator[KernelDriver]:
    env = own_worker_env(default_model_path, **{WARM_ON_LOAD_ENV: "1", KV_DIR_ENV: str(tmp_path)})
    driver = KernelDriver(env=env)
    yield driver
    driver.shutdown()


def probe(driver: KernelDriver, expression: str) -> object:
    """A silent call (not a notebook cell), as a frontend's own requests are."""
    run = driver.execute(f"print(__import__('json').dumps({expression}))", store_history=False)
    assert run.error is None, run.error
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_first_question_after_load_lands_on_the_prefix_cells_warmed(
    driver: KernelDriver,
) -> None:
    assert driver.execute("%load_ext jupyter_localai").status == "ok"
    for cell in CELLS:
        assert driver.execute(cell).status == "ok"
    # The worker was started by loading the extension, not by a question.
    assert probe(driver, f"'worker' in {ASSISTANT}._engines")
    deadline = time.monotonic() + 300
    warm: dict = {}
    while time.monotonic() < deadline:
        # A probe is a cell too: it stops the prefill, which keeps only whole batches
        # (512 tokens, a few seconds here), so probes must be far apart.
        time.sleep(15.0)
        warm = probe(driver, f"{ASSISTANT}._engines['worker'].ping()['warm']")
        if warm["prefills_done"] >= 1 and warm["prefills_queued"] == 0:
            break
    assert warm.get("prefills_done", 0) >= 1 and warm["prefill_tokens"] > 100, warm
    run = driver.execute("%%ai --max-tokens 16 --retries 0 --no-verify\n"
                         "print the region with the highest revenue")
    assert run.status == "ok" and run.error is None
    reply = probe(driver, "__import__('jupyter_localai').last_reply().to_json()")
    timings = reply["timings"]
    # Only the question's own turn is evaluated: the notebook was already in the cache, up
    # to where the question's turn begins (a batch boundary).
    assert timings["cached_tokens"] >= whole_batches(warm["prefill_tokens"]), (timings, warm)
    assert timings["prompt_tokens"] - timings["cached_tokens"] < 80, timings
