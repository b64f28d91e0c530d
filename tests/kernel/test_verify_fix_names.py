"""A fix replaces the failing cell, so it must set what that cell set: names that only the
failing cell's partial run left in the kernel are taken away in the copy before a fix runs
(`replay.names_only_the_failing_cell_binds`), and a fix that is only the corrected line is
told to give the whole cell. Each test forks the real in-process IPython shell."""

from __future__ import annotations

from typing import Any

from jupyter_localai.core.context import NotebookContext
from jupyter_localai.kernel.context.history import last_error
from jupyter_localai.kernel.fix.replay import names_only_the_failing_cell_binds
from jupyter_localai.kernel.fix.verify import ForkVerifier

FAILING = "scale = 10\nscaled = [v * scale for v in values].sum()"
LINE_ONLY = "scaled = sum(v * scale for v in values)"
WHOLE_CELL = "scale = 10\nscaled = sum(v * scale for v in values)"


def test_a_fix_of_only_the_changed_line_fails_and_is_told_why(run_cells: Any) -> None:
    shell = run_cells("values = [1, 2, 3]", FAILING)
    assert shell.user_ns["scale"] == 10  # the failing cell ran part way
    verifier = ForkVerifier(shell, NotebookContext(last_error=last_error(shell)))
    report = verifier(LINE_ONLY)
    assert report is not None and report.startswith("NameError: name 'scale' is not defined")
    assert "reply with the whole corrected cell" in report
    assert verifier.failure_of(LINE_ONLY) is None  # no "Did you mean" rewrite of `scale`
    assert verifier(WHOLE_CELL) is None
    assert shell.user_ns["scale"] == 10 and "scaled" not in shell.user_ns  # kernel untouched


def test_a_name_another_cell_mentions_is_left_alone(run_cells: Any) -> None:
    shell = run_cells("values = [1, 2, 3]\nscale = 5", FAILING)
    verifier = ForkVerifier(shell, NotebookContext(last_error=last_error(shell)))
    assert verifier(LINE_ONLY) is None


def test_generated_code_meets_the_kernel_as_it_is(run_cells: Any) -> None:
    shell = run_cells("values = [1, 2, 3]", FAILING)
    assert ForkVerifier(shell, None, replay=False)(LINE_ONLY) is None


def test_a_cell_that_may_bind_names_unseen_keeps_every_name() -> None:
    inputs = ["", "values = [1]", FAILING]
    assert names_only_the_failing_cell_binds(inputs, 2, FAILING) == ["scale", "scaled", "v"]
    for hidden in ("from helpers import *", "%run setup.py", "exec(open('s.py').read())",
                   "globals()['k'] = 1"):
        assert names_only_the_failing_cell_binds([*inputs, hidden], 2, FAILING) == []
    # The same cell run again earlier is the failing cell, not another one.
    assert names_only_the_failing_cell_binds(["", FAILING, "values = [1]", FAILING], 3,
                                             FAILING) == ["scale", "scaled", "v"]
