"""Agent mode on the real embedded 0.5B model in a real kernel: a small goal is planned and
its cells run in the guarded copy while the kernel's variables stay exactly as they were
(fingerprint) until the user accepts and runs the cells; accepting only inserts (a
`set_next_input` payload, nothing run); rejecting leaves the notebook as it was (no
payload); a step that loops forever is killed at its budget and leaves no process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.kernel_driver import CellRun, KernelDriver, assistant_kernel

from jupyter_localai.kernel.agent.state import AGENT_MIME

pytestmark = [pytest.mark.model, pytest.mark.timeout(3600)]  # slow when the machine is shared

AGENT_TIMEOUT_S = 1800.0  # the shared 2-core machine is slow under load; nothing else waits
FINGERPRINT = ("__import__('hashlib').sha256(repr(sorted((k, type(v).__name__, repr(v)) "
               "for k, v in globals().items() if not k.startswith('_') and k not in "
               "('In', 'Out', 'get_ipython', 'exit', 'quit'))).encode()).hexdigest()")
CHILDREN = ("sorted(int(p) for t in __import__('os').listdir('/proc/self/task') for p in "
            "open(f'/proc/self/task/{t}/children').read().split())")


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path,
                          "import pandas as pd\n"
                          "sales = pd.DataFrame({'region': ['north', 'south', 'east'], "
                          "'units': [5, 7, 3], 'price': [2.0, 1.5, 4.0]})") as driver:
        yield driver


def agent_json(run: CellRun) -> dict[str, Any]:
    data = run.final_bundle_with(AGENT_MIME).get(AGENT_MIME)
    assert data is not None, run.stdout + run.stderr
    return data


def payloads(run: CellRun) -> list[dict[str, Any]]:
    return [p for p in run.reply.get("payload", []) if p.get("source") == "set_next_input"]


def test_the_kernel_is_untouched_until_accept_and_accept_only_inserts(
        kernel: KernelDriver) -> None:
    before = kernel.value(FINGERPRINT)
    run = kernel.execute("%%ai agent --max-tokens 200\nAdd a column revenue to sales, equal "
                         "to units times price.", timeout=AGENT_TIMEOUT_S)
    assert run.status == "ok", run.error
    state = agent_json(run)
    assert 1 <= len(state["plan"]) <= 4, state
    ran = [step for step in state["steps"] if step["status"] == "ran"]
    assert not payloads(run)
    # The steps ran in the copy only, whatever the model wrote.
    assert kernel.value(FINGERPRINT) == before
    assert kernel.value("list(sales.columns)") == ["region", "units", "price"]
    if not ran:  # a quality miss, not a broken guarantee: issue 23 stays open for it
        pytest.xfail(f"the 0.5B model wrote no step that ran in the copy: {state}")

    accepted = kernel.execute("%ai agent accept all")
    assert accepted.status == "ok", accepted.error
    [payload] = payloads(accepted)
    assert all(step["code"] in payload["text"] for step in ran)
    assert payload["replace"] is False
    assert kernel.value(FINGERPRINT) == before  # inserted, not run
    # The user runs the inserted cell: now, and only now, the kernel changes as rehearsed.
    ran_cell = kernel.execute(payload["text"])
    if ran_cell.status != "ok" or kernel.value("'revenue' in sales") is not True:
        pytest.xfail(f"the 0.5B agent's accepted steps do not reach the goal: {state}")
    assert kernel.value("list(sales['revenue'])") == [10.0, 10.5, 12.0]


def test_a_rejected_run_leaves_the_notebook_and_kernel_as_they_were(
        kernel: KernelDriver) -> None:
    before = kernel.value(FINGERPRINT)
    run = kernel.execute("%%ai agent --max-tokens 200\nSet cheapest to the region with the "
                         "lowest price in sales.", timeout=AGENT_TIMEOUT_S)
    assert run.status == "ok", run.error
    assert agent_json(run)["steps"], agent_json(run)
    rejected = kernel.execute("%ai agent reject")
    assert rejected.status == "ok", rejected.error
    assert not payloads(run) and not payloads(rejected)
    assert "Nothing in the notebook or the kernel was changed" in rejected.stdout or \
        "no step" in rejected.stdout
    assert kernel.value(FINGERPRINT) == before
    assert kernel.value("'cheapest' in globals()") is False
    shown = kernel.execute("%ai agent show")
    assert all(step["decision"] != "accepted" for step in
               __import__("json").loads(shown.stdout)["steps"])


def test_a_step_that_loops_forever_is_killed_at_its_budget(kernel: KernelDriver) -> None:
    setup = kernel.execute("def wait_for_sensor():\n    reading = 0\n    while True:\n"
                           "        reading += 1\n    return reading")
    assert setup.status == "ok", setup.error
    children = kernel.value(CHILDREN)
    before = kernel.value(FINGERPRINT)
    run = kernel.execute("%%ai agent --max-tokens 160 --step-timeout 4 --retries 1\n"
                         "Call wait_for_sensor() and store what it returns in level.",
                         timeout=AGENT_TIMEOUT_S)
    assert run.status == "ok", run.error
    state = agent_json(run)
    problems = [attempt["problem"] or "" for step in state["steps"]
                for attempt in step["attempts"]]
    assert kernel.value(FINGERPRINT) == before
    # Every process of the copy's lineage has ended; the kernel answers at once.
    assert kernel.value(CHILDREN) == children
    if not any("did not finish within its budget of 4 s" in p for p in problems):
        # The kill itself is tested with a scripted engine (test_agent_runner.py); here the
        # 0.5B model has to write the looping call first, which it does not always do.
        pytest.xfail(f"the 0.5B model wrote no step that called the endless loop: {problems}")
