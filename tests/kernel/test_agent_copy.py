"""The agent's copy lineage in a real IPython shell: steps build on each other in the copy,
a dropped attempt leaves nothing behind, a hang is killed at its budget with its process
group, the guard refuses the network, and the shell's own variables never change."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from jupyter_localai.kernel.agent.copy import AgentCopy


def _gone(pid: int, within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def shell(run_cells: Any) -> Any:
    return run_cells("import pandas as pd\n"
                     "sales = pd.DataFrame({'region': ['n', 's', 'n'], 'units': [5, 7, 1]})")


def test_kept_steps_accumulate_and_the_shell_is_untouched(shell: Any) -> None:
    with AgentCopy(shell, step_timeout_s=30) as copy:
        first = copy.run("totals = sales.groupby('region')['units'].sum()\ntotals")
        assert first.ran, first.error
        assert "n" in first.output and "6" in first.output and "7" in first.output
        assert any(v["name"] == "totals" for v in first.variables)
        copy.keep()
        failed = copy.run("best = totals.idxmax()\nbest_units = totals[best] + missing_name")
        assert not failed.ran and "NameError" in failed.error and "missing_name" in failed.error
        copy.drop()
        second = copy.run("best = totals.idxmax()\nprint('best is', best)")
        assert second.ran, second.error
        assert "best is s" in second.output
        copy.keep()
        third = copy.run("print(best, 'best_units' in globals())")
        assert third.ran and "s False" in third.output, third.output
    assert "totals" not in shell.user_ns and "best" not in shell.user_ns
    assert list(shell.user_ns["sales"]["units"]) == [5, 7, 1]


def test_an_endless_step_is_killed_at_its_budget_and_the_state_survives(shell: Any) -> None:
    with AgentCopy(shell, step_timeout_s=3) as copy:
        assert copy.run("kept = 41").ran
        copy.keep()
        started = time.monotonic()
        looping = copy.run("while True:\n    pass")
        assert not looping.ran and "did not finish within its budget of 3 s" in looping.stopped
        assert time.monotonic() - started < 15
        after = copy.run("print(kept + 1)")
        assert after.ran and after.output == "42", (after.output, after.error)


def test_a_dropped_attempt_and_the_whole_lineage_end(shell: Any) -> None:
    copy = AgentCopy(shell, step_timeout_s=30)
    copy.start()
    try:
        attempt = copy.run("import os\npid = os.getpid()\nprint(pid)")
        trial = int(attempt.output)
        copy.drop()
        assert _gone(trial)
        kept = copy.run("import os\nprint(os.getpid())")
        kept_pid = int(kept.output)
        copy.keep()
        base = copy._base
    finally:
        copy.close()
    assert base is not None and _gone(base) and _gone(kept_pid)


def test_the_copy_refuses_the_network_and_writing_files(shell: Any, tmp_path: Any) -> None:
    target = tmp_path / "out.csv"
    with AgentCopy(shell, step_timeout_s=30) as copy:
        net = copy.run("import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=1)")
        assert not net.ran and "refused" in net.error
        write = copy.run(f"sales.to_csv({str(target)!r})")
        assert not write.ran and "refused to write" in write.error
        # A refusal the code went on from is not why its own later error happened.
        went_on = copy.run(f"try:\n    sales.to_csv({str(target)!r})\nexcept OSError:\n"
                           "    pass\nlen(sales) + 'units'")
        assert not went_on.ran and went_on.error.startswith("TypeError"), went_on.error
    assert not target.exists()


def test_output_shows_a_frame_head_displays_and_a_figure(shell: Any) -> None:
    with AgentCopy(shell, step_timeout_s=60) as copy:
        shown = copy.run("import matplotlib\nmatplotlib.use('Agg')\n"
                         "import matplotlib.pyplot as plt\n"
                         "display('shown text')\n"
                         "ax = sales.plot.bar(x='region', y='units', title='Units')\n"
                         "sales")
        assert shown.ran, shown.error
        assert "'shown text'" in shown.output and "region" in shown.output
        assert "[3 rows]" in shown.output
        assert shown.figures and "title 'Units'" in shown.figures[0]
        assert "3 bars/patches" in shown.figures[0]
