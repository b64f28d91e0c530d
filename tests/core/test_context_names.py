"""The names a context knows when the side panel could not read the kernel: Python's "Did
you mean" for the document's NameError, and the checks' defined names, from the cells."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_localai.config import LocalAI
from jupyter_localai.core.ask_body import task_request_from_json
from jupyter_localai.core.context import CellRecord, ErrorInfo, NotebookContext, VariableSummary
from jupyter_localai.core.context_names import (
    cell_bound_names,
    checkable_names,
    with_name_suggestion,
)
from jupyter_localai.core.summary_namespace import SummaryNamespace, context_namespace
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine

FAILING = "total = sum(valuez)"


def document_only(error: ErrorInfo | None, variables: list[VariableSummary] | None = None
                  ) -> NotebookContext:
    return NotebookContext(cells=[CellRecord(1, "import numpy as np\n%matplotlib inline"),
                                  CellRecord(2, "values = [3, 1, 2]\nfor i in values: pass"),
                                  CellRecord(3, FAILING)],
                           variables=variables or [], last_error=error)


def name_error(name: str = "valuez", suggestions: list[str] | None = None) -> ErrorInfo:
    return ErrorInfo(FAILING, "NameError", f"name '{name}' is not defined",
                     suggestions=suggestions or [])


def test_the_cells_bind_names_and_a_cell_with_a_magic_is_skipped() -> None:
    assert cell_bound_names(document_only(None)) == {"values", "i", "total"}


def test_the_kernels_variables_are_the_truth_when_the_context_has_them() -> None:
    rate = VariableSummary("rate", "float", "float: 0.2")
    assert checkable_names(document_only(None, [rate])) == {"rate"}
    assert checkable_names(document_only(None)) == {"values", "i", "total"}
    namespace = SummaryNamespace(document_only(None))
    assert namespace.has("values") and not namespace.has("valuez")


def test_a_name_error_without_a_hint_gets_pythons_wording() -> None:
    context = with_name_suggestion(document_only(name_error()))
    assert context is not None and context.last_error is not None
    assert context.last_error.suggestions == ["Did you mean: 'values'?"]
    with_variable = with_name_suggestion(document_only(
        name_error("rat"), [VariableSummary("rate", "float", "float: 0.2")]))
    assert with_variable is not None and with_variable.last_error is not None
    assert with_variable.last_error.suggestions == ["Did you mean: 'rate'?"]


def test_a_hint_already_there_or_no_close_name_leaves_the_context_as_it_is() -> None:
    kernels = document_only(name_error(suggestions=["Did you mean: 'vals'?"]))
    assert with_name_suggestion(kernels) is kernels
    far = document_only(name_error("zebra"))
    assert with_name_suggestion(far) is far
    other = document_only(ErrorInfo(FAILING, "TypeError", "unsupported operand"))
    assert with_name_suggestion(other) is other
    assert with_name_suggestion(None) is None


def test_the_panels_ask_body_gets_the_hint() -> None:
    body = {"task": "fix", "context": document_only(name_error()).to_json()}
    request = task_request_from_json(body, LocalAI())
    assert request.context is not None and request.context.last_error is not None
    assert request.context.last_error.suggestions == ["Did you mean: 'values'?"]


def test_the_panels_fix_of_a_typo_applies_the_hint_when_the_model_repeats_the_cell() -> None:
    body = {"task": "fix", "context": document_only(name_error()).to_json(), "retries": 0}
    request = task_request_from_json(body, LocalAI())
    engine = FakeEngine(lambda _request: f"```python\n{FAILING}\n```")
    reply = run_task(engine, request)
    assert reply.code == "total = sum(values)"
    assert "`valuez` → `values`" in reply.text


def test_without_the_hint_the_repeated_cell_is_not_fixed() -> None:
    """The case the panel met: the same answer with the document's bare error."""
    engine = FakeEngine(lambda _request: f"```python\n{FAILING}\n```")
    reply = run_task(engine, TaskRequest("fix", context=document_only(name_error()), retries=0))
    assert "valuez" in reply.code


@pytest.mark.model
def test_the_real_model_fixes_a_typo_the_panel_read_from_the_document(worker_engine: Any) -> None:
    """The panel's ask when the kernel could not be read: the document's cells and bare
    error, checked on the server's namespace. The kept answer reads `values`."""
    body = {"task": "fix", "context": document_only(name_error()).to_json(),
            "temperature": 0.0, "seed": 0, "max_tokens": 128}
    request = task_request_from_json(body, LocalAI())
    worker_engine.reset_cache()
    reply = run_task(worker_engine, request, namespace=context_namespace(request.context))
    compile(reply.code, "<fix>", "exec")
    assert "sum(values)" in reply.code and "valuez" not in reply.code, reply.code
    assert not any("undefined" in warning for warning in reply.warnings), reply.warnings
