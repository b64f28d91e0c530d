"""A fix of a DataFrame column written under another name (`orders.quantity` for the
column `qty`), on the real embedded model: the recorded hint names the real column, and the
answer uses it and runs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel

from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.prompt import format_error
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.kernel.context.history import last_error
from jupyter_localai.kernel.context.namespace import KernelNamespace

pytestmark = pytest.mark.model

SETUP = "import pandas as pd\norders = pd.DataFrame({'qty': [2, 3, 5], 'price': [1.5, 2.0, 4.0]})"
FAILING = "revenue = (orders.quantity * orders.price).sum()"
EXPECTED = 2 * 1.5 + 3 * 2.0 + 5 * 4.0


def columns_used(code: str) -> set[str]:
    """The names the code reads off `orders`, as attributes or string keys."""
    used = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "orders":
            used.add(node.attr)
        if (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "orders"
                and isinstance(node.slice, ast.Constant)):
            used.add(node.slice.value)
    return used


def test_the_model_is_told_the_real_column_and_uses_it(run_cells: Any, worker_engine: Any) -> None:
    shell = run_cells(SETUP, FAILING)
    error = last_error(shell)
    assert error is not None and error.exc_type == "AttributeError"
    prompt = format_error(error)
    assert "Did you mean: 'qty'?" in prompt and "quantile" not in prompt
    request = TaskRequest(task="fix", context=NotebookContext(last_error=error), retries=0,
                          max_tokens=160)
    reply = run_task(worker_engine, request, namespace=KernelNamespace(shell.user_ns))
    assert "Applied the hint" not in reply.text  # the model's own answer, not the edit
    used = columns_used(reply.code)
    assert "qty" in used and "quantity" not in used, reply.text
    namespace = {"orders": shell.user_ns["orders"]}
    exec(reply.code, namespace)  # noqa: S102 - the test runs the model's fix on purpose
    assert namespace["revenue"] == EXPECTED


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path) as driver:
        yield driver


def test_ai_fix_in_a_real_kernel_uses_the_real_column(kernel: KernelDriver) -> None:
    assert kernel.execute(SETUP).status == "ok"
    failing = kernel.execute(FAILING)
    assert failing.error is not None and failing.error["ename"] == "AttributeError"
    run = kernel.execute("%ai fix --max-tokens 160")
    assert run.status == "ok", run.error
    code = kernel.value("__import__('jupyter_localai').last_reply().code")
    used = columns_used(code)
    assert "qty" in used and "quantity" not in used, code
    ran = kernel.execute(code)
    assert ran.status == "ok", ran.error
    assert kernel.value("float(revenue)") == EXPECTED
