"""Computed hints reach the fix prompt: recorded with the failing cell, redacted, rendered."""

from __future__ import annotations

from typing import Any

from jupyter_localai.core.prompt import format_error
from jupyter_localai.kernel.context.history import last_error


def test_a_failing_cell_carries_its_hint_into_the_prompt(run_cells: Any) -> None:
    shell = run_cells('population_text = ["1,204", "512"]',
                      "population = [int(p) for p in population_text]")
    error = last_error(shell)
    assert error is not None and error.exc_type == "ValueError"
    assert any("thousands separator" in hint for hint in error.hints)
    assert "Hint: '1,204' uses ','" in format_error(error)


def test_hints_are_redacted(run_cells: Any) -> None:
    shell = run_cells('API_TOKEN = "sk-live-abcdefghijklmnop123456"',
                      "count = int(API_TOKEN)")
    error = last_error(shell)
    assert error is not None
    assert all("abcdefghijklmnop" not in text for text in (*error.hints, error.message))


def test_a_none_from_an_earlier_cell_is_traced_through_ipython_in(run_cells: Any) -> None:
    shell = run_cells("prices = [3, 1]", "prices = prices.sort()", "top = prices[0]")
    error = last_error(shell)
    assert error is not None
    assert any("`prices = prices.sort()` in an earlier cell (In[2])" in h for h in error.hints)


def test_a_hint_rewrite_becomes_the_fix_when_the_model_repeats_the_cell(run_cells: Any) -> None:
    from jupyter_localai.core.context import NotebookContext
    from jupyter_localai.core.tasks import TaskRequest, run_task
    from jupyter_localai.engines.fake import FakeEngine
    from jupyter_localai.kernel.context.namespace import KernelNamespace

    failing = "padded = [z.zfill(5) for z in zip_codes]"
    shell = run_cells("zip_codes = [2134, 501]", failing)
    error = last_error(shell)
    assert error is not None and ["z.zfill(5)", "str(z).zfill(5)"] in error.edits
    engine = FakeEngine(f"```python\n{failing}\n```")  # the model hands the cell back
    request = TaskRequest(task="fix", prompt="", context=NotebookContext(last_error=error),
                          retries=0)
    reply = run_task(engine, request, namespace=KernelNamespace(shell.user_ns))
    assert "str(z).zfill(5)" in reply.code and "Applied the hint" in reply.text
    namespace = {"zip_codes": [2134, 501]}
    exec(reply.code, namespace)  # noqa: S102 - the test runs the proposed fix on purpose
    assert namespace["padded"] == ["02134", "00501"]
