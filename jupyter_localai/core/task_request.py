"""What a task asks and the first prompt it makes: the request, its instruction, its messages.

Apart from `core.tasks` (which runs the request on an engine) so that `core.engine`'s
`PrefillRequest` can build the very same first prompt without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import defaults
from .context import NotebookContext
from .prompt import PromptBudget, build_messages, format_error
from .redact import redact, redact_context
from .targets import asked_names

TASKS = ("generate", "explain", "fix", "chat")
FORMATS = ("code", "markdown", "text")


@dataclass
class TaskRequest:
    """What the user asked, with the context and options to answer it."""

    task: str
    prompt: str = ""
    context: NotebookContext | None = None
    # explain: the cell to explain; fix: the failing cell (defaults to context.last_error).
    target_source: str | None = None
    target_output: str = ""
    history: list[dict[str, str]] = field(default_factory=list)
    format: str = "code"
    max_tokens: int = defaults.MAX_TOKENS
    temperature: float = 0.0
    seed: int = 0
    model: str | None = None
    session_id: str | None = None
    context_tokens: int = defaults.CONTEXT_TOKENS
    retries: int = defaults.RETRIES
    time_budget_s: float = 180.0
    # Answers decoded together per attempt; the first passing the checks is kept
    # (`core/candidates.py`, `LocalAI.candidates`). 1: one answer, as always.
    candidates: int = 1

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Unknown task {self.task!r}; choose one of {', '.join(TASKS)}.")
        if self.format not in FORMATS:
            raise ValueError(f"Unknown format {self.format!r}; choose one of {', '.join(FORMATS)}.")


def _generate_instruction(request: TaskRequest) -> str:
    names = asked_names(request.prompt)
    if request.format != "code":
        return f"{request.prompt.strip()}\n\nAnswer in {request.format}, concisely."
    assign = f" Assign the result to `{names[0]}`." if names else ""
    return (
        f"Request: {request.prompt.strip()}\n\n"
        f"Write the Python code for this request, to run as the next cell.{assign} "
        "Reply with one ```python block, then at most one sentence."
    )


def _fix_instruction(request: TaskRequest) -> str:
    context = request.context or NotebookContext()
    error = context.last_error
    source = request.target_source if request.target_source is not None else (
        error.source if error else "")
    error_text = format_error(error) if error else "(no error recorded)"
    extra = f"\nThe user adds: {request.prompt.strip()}" if request.prompt.strip() else ""
    return (
        f"This cell failed:\n```python\n{source.rstrip()}\n```\n"
        f"Error:\n{error_text}{extra}\n\n"
        "Fix the cell. Reply with the whole corrected cell in one ```python block, then one "
        "short sentence saying what was wrong. Change only what is needed."
    )


def _explain_instruction(request: TaskRequest) -> str:
    source = request.target_source or ""
    output = f"\nIts output or error:\n{request.target_output.strip()}" if request.target_output else ""
    extra = f"\nThe user asks: {request.prompt.strip()}" if request.prompt.strip() else ""
    return (
        f"Explain this cell:\n```python\n{source.rstrip()}\n```{output}{extra}\n\n"
        "Explain what it does and why it behaves as it does, in a few short sentences or "
        "bullet points of Markdown. Do not rewrite the code unless asked."
    )


def task_text(request: TaskRequest) -> str:
    """The volatile end of the prompt: what this task asks of the model."""
    if request.task == "fix":
        return _fix_instruction(request)
    if request.task == "explain":
        return _explain_instruction(request)
    if request.task == "generate":
        return _generate_instruction(request)
    return request.prompt.strip()


def first_messages(request: TaskRequest, n_ctx: int) -> list[dict[str, str]]:
    """The messages of the request's first attempt, for a window of `n_ctx` tokens (the
    request already redacted: `run_task` does it, and so does a prefill of this request,
    `PrefillRequest.messages`, which must build the very same prompt)."""
    budget = PromptBudget(n_ctx, request.max_tokens, request.context_tokens)
    return build_messages(task_text(request), request.context, budget, request.history)


def redacted_request(request: TaskRequest) -> TaskRequest:
    """The request as a model may see it: every text redacted before any of it is cut.

    Run by `run_task`, which every face calls, so the server redacts what the side panel
    sends (the document's cells and outputs as the user sees them) and any HTTP client's
    `ask`, not only what a kernel collected (already redacted there, with the values only
    the kernel knows; redacting twice changes nothing). The checks and quick fixes then
    work on the same text as the model.
    """
    return replace(
        request,
        prompt=redact(request.prompt),
        context=redact_context(request.context) if request.context is not None else None,
        target_source=redact(request.target_source) if request.target_source else
        request.target_source,
        target_output=redact(request.target_output),
        history=[{**turn, "content": redact(turn["content"])} for turn in request.history],
    )
