"""Rewrites from a rehearsal's failure applied to the candidate that failed: the hints'
exact edits, Python's "Did you mean" and missing imports, chained, checked and rehearsed;
a fake copy stands in for the kernel's (the fork round trip: tests/kernel/test_verify.py)."""

from __future__ import annotations

from jupyter_localai.core.check_types import CheckIssue
from jupyter_localai.core.context import ErrorInfo, NotebookContext, VariableSummary
from jupyter_localai.core.rehearsal_fixes import MAX_REHEARSALS, rehearsal_fix
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.engines.fake import FakeEngine


class FakeCopy:
    """Fails code containing a `bad` text with that text's failure; runs anything else."""

    def __init__(self, failures: dict[str, ErrorInfo]) -> None:
        self.failures = failures
        self.rehearsed: list[str] = []

    def __call__(self, code: str) -> str | None:
        self.rehearsed.append(code)
        failure = self.failure_of(code)
        return None if failure is None else f"{failure.exc_type}: {failure.message}"

    def failure_of(self, code: str) -> ErrorInfo | None:
        return next((f for bad, f in self.failures.items() if bad in code), None)


def failure(exc_type: str, message: str, edits: list[list[str]] | None = None,
            suggestions: list[str] | None = None) -> ErrorInfo:
    return ErrorInfo("", exc_type, message, suggestions=suggestions or [], edits=edits or [])


def no_issues(code: str) -> list[CheckIssue]:
    return []


def test_edits_chain_until_the_code_runs() -> None:
    copy = FakeCopy({
        "ax.xlabel": failure("AttributeError", "no xlabel", [["ax.xlabel", "ax.set_xlabel"]]),
        "ax.ylabel": failure("AttributeError", "no ylabel", [["ax.ylabel", "ax.set_ylabel"]]),
    })
    code = 'ax.xlabel("Month")\nax.ylabel("Signups")'
    fixed = rehearsal_fix(code, copy.failure_of, no_issues, copy)
    assert fixed is not None
    assert fixed.code == 'ax.set_xlabel("Month")\nax.set_ylabel("Signups")'
    assert len(fixed.reasons) == 2


def test_a_missing_standard_import_is_added() -> None:
    copy = FakeCopy({"datetime.date(": failure(
        "NameError", "name 'datetime' is not defined",
        suggestions=["Did you forget to import it? `import datetime`"])})
    # the fake copy fails anything that still says datetime.date( unless imported
    copy.failure_of = lambda code: (None if code.startswith("import datetime") else  # type: ignore[method-assign]
                                    FakeCopy.failure_of(copy, code))
    fixed = rehearsal_fix("d = datetime.date(2024, 1, 2)", copy.failure_of, no_issues, copy)
    assert fixed is not None and fixed.code == "import datetime\nd = datetime.date(2024, 1, 2)"


def test_a_rewrite_with_static_issues_is_not_rehearsed() -> None:
    copy = FakeCopy({"df.qty": failure("AttributeError", "no qty", [["df.qty", "df.quantity"]])})
    fixed = rehearsal_fix("t = df.qty * 2", copy.failure_of,
                          lambda code: [CheckIssue("column", "no such column")], copy)
    assert fixed is None and copy.rehearsed == []


def test_no_failure_no_rewrite_and_the_copies_are_bounded() -> None:
    assert rehearsal_fix("x = 1", lambda code: None, no_issues, FakeCopy({})) is None
    # every rewrite fails with a further rewrite: the search stops at MAX_REHEARSALS copies
    def endless(code: str) -> ErrorInfo:
        return failure("ValueError", "again", [[code, code + " + 1"], [code, code + " + 2"]])

    rehearsed: list[str] = []
    assert rehearsal_fix("x = 1", endless, no_issues,
                         lambda code: rehearsed.append(code) or "again") is None
    assert len(rehearsed) == MAX_REHEARSALS


def test_a_generated_answer_that_raises_is_rewritten_and_marked() -> None:
    copy = FakeCopy({"sales.prices": failure(
        "AttributeError", "'DataFrame' object has no attribute 'prices'",
        suggestions=["Did you mean: 'price'?"])})
    context = NotebookContext(variables=[VariableSummary("sales", "DataFrame",
                                                         "DataFrame (3, 1): price float64")])
    engine = FakeEngine(lambda request: "```python\nmean_price = sales.prices.mean()\n```")
    reply = run_task(engine, TaskRequest("generate", "mean price as mean_price", context=context,
                                         retries=0), verifier=copy, failure_of=copy.failure_of)
    assert reply.code == "mean_price = sales.price.mean()"
    assert reply.verified is True and reply.warnings == []
    assert "rewritten from the hints" in reply.text


def test_without_failure_of_the_failure_is_fed_back_as_before() -> None:
    copy = FakeCopy({"sales.prices": failure("AttributeError", "no prices",
                                             suggestions=["Did you mean: 'price'?"])})
    engine = FakeEngine(lambda request: "```python\nm = sales.prices.mean()\n```")
    reply = run_task(engine, TaskRequest("generate", "mean price", retries=0), verifier=copy)
    assert reply.code == "m = sales.prices.mean()" and reply.verified is False


def test_a_quick_fix_that_raises_in_the_copy_is_rewritten_again() -> None:
    """The failing cell's own hint fixes the first call; the copy shows the second."""
    failing = 'ax.xlabel("Month")\nax.ylabel("Signups")'
    context = NotebookContext(
        variables=[VariableSummary("ax", "Axes", "Axes")],
        last_error=ErrorInfo(failing, "AttributeError", "'Axes' object has no attribute 'xlabel'",
                             edits=[["ax.xlabel", "ax.set_xlabel"]]))
    copy = FakeCopy({"ax.ylabel": failure("AttributeError", "no ylabel",
                                          [["ax.ylabel", "ax.set_ylabel"]])})
    engine = FakeEngine(lambda request: f"```python\n{failing}\n```")  # the cell, unchanged
    reply = run_task(engine, TaskRequest("fix", context=context, retries=0),
                     verifier=copy, failure_of=copy.failure_of)
    assert reply.code == 'ax.set_xlabel("Month")\nax.set_ylabel("Signups")'
    assert reply.verified is True


def typo_task(answers: list[str]) -> tuple[TaskRequest, FakeEngine, FakeCopy]:
    """A cell whose `ii` meant the notebook's `i`, where the corrected cell meets another
    error in the copy (the notebook changed `i` since the cell last ran)."""
    failing = "x = np.zeros(10)\nnp.add.at(x, ii, 1)"
    context = NotebookContext(
        variables=[VariableSummary("i", "ndarray", "ndarray (100,)"),
                   VariableSummary("np", "module", "module numpy")],
        last_error=ErrorInfo(failing, "NameError", "name 'ii' is not defined",
                             suggestions=["Did you mean: 'i'?"]))
    copy = FakeCopy({
        ", ii,": failure("NameError", "name 'ii' is not defined"),
        "zeros(10)\nnp.add.at(x, i,": failure("IndexError",
                                              "index 11 is out of bounds for axis 0 with size 10"),
    })
    replies = iter(answers)
    engine = FakeEngine(lambda request: f"```python\n{next(replies)}\n```")
    return TaskRequest("fix", context=context, retries=len(answers) - 1), engine, copy


def test_a_hint_that_cures_the_error_is_offered_unverified_when_nothing_runs() -> None:
    failing = "x = np.zeros(10)\nnp.add.at(x, ii, 1)"
    request, engine, copy = typo_task([failing, failing])
    reply = run_task(engine, request, verifier=copy, failure_of=copy.failure_of)
    assert reply.code == "x = np.zeros(10)\nnp.add.at(x, i, 1)"
    assert reply.verified is False and reply.attempts == 2  # the model was asked again
    raised = "IndexError: index 11 is out of bounds for axis 0 with size 10"
    assert reply.warnings == [f"Running it in a copy of the notebook raised: {raised}"]
    assert "Applied Python's hint: `ii` → `i`." in reply.text


def test_a_model_answer_that_runs_beats_the_cured_hint() -> None:
    failing = "x = np.zeros(10)\nnp.add.at(x, ii, 1)"
    runs = "x = np.zeros(i.max() + 1)\nnp.add.at(x, i, 1)"
    request, engine, copy = typo_task([failing, runs])
    reply = run_task(engine, request, verifier=copy, failure_of=copy.failure_of)
    assert reply.code == runs and reply.verified is True and reply.warnings == []


def test_a_hint_that_meets_the_same_error_is_not_offered() -> None:
    failing = "x = np.zeros(10)\nnp.add.at(x, ii, 1)"
    request, engine, copy = typo_task([failing])
    copy.failures["zeros(10)\nnp.add.at(x, i,"] = failure("NameError", "name 'ii' is not defined")
    reply = run_task(engine, request, verifier=copy, failure_of=copy.failure_of)
    assert reply.code == failing and reply.verified is False
