"""The panel's verified fix: the `ask` route's task, answered inside the notebook's kernel.

The server cannot verify a fix, having none of the kernel's state. With "Verify" on, the
panel sends its ask body to the notebook's kernel in a silent execute request,

    __import__("jupyter_localai.kernel.panel_task", fromlist=["_"]).run_json(
        get_ipython(), "<ask body JSON>")

and reads the events the server would stream (`start`, `token`..., `attempt`, then `done`
or `error`) as JSON lines on stdout. Each candidate runs in a forked copy of the kernel
(`kernel/fix/verify.py`), so neither the candidate nor this module changes the user's namespace;
the copy is guarded (`kernel/fix/guard.py`): writing files, network and processes are refused
there, and the cells it re-ran are listed in the reply's warnings.
A kernel interrupt (the panel's Stop) ends the answer with a cancelled reply.

The body's `verify` (true or false) decides whether candidates are rehearsed; without it
the kernel's `LocalAI.rehearse` does (`kernel/fix/rehearse.py`), and `settings_json` tells
the panel that default.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable
from typing import Any

from ..core.ask_body import task_request_from_json
from ..core.context import NotebookContext
from ..core.reply import Reply
from ..core.tasks import TaskRequest, run_task
from ..errors import LocalAIError
from .assistant import KernelAssistant
from .context.namespace import KernelNamespace
from .magics import LocalAIMagics

Emit = Callable[[dict[str, Any]], None]


class BadAskBody(LocalAIError):
    """The panel sent a body the ask route would refuse with a 400."""


def run_json(shell: Any, body_json: str) -> None:
    """The panel's silent call: answer the ask body `body_json`, events on stdout."""
    try:
        body = json.loads(body_json)
    except json.JSONDecodeError as error:
        body = error
    if not isinstance(body, dict):
        write_event({"type": "start", "request_id": uuid.uuid4().hex})
        problem = f"the body is not a JSON object: {str(body)[:200]}"
        write_event(_error_event(BadAskBody(f"bad ask request: {problem}")))
        return
    run_ask(shell, body, write_event)


def write_event(event: dict[str, Any]) -> None:
    """One event as one line of JSON on stdout, sent to the frontend at once.

    IPython 9 tees stdout into the history of the next cell; writing through the stream's
    class method skips that tee (as `context.context_json` does).
    """
    stream = sys.stdout
    type(stream).write(stream, json.dumps(event) + "\n")
    stream.flush()


def run_ask(shell: Any, body: dict[str, Any], emit: Emit) -> Reply | None:
    """Answer `body` as the server's ask route would, verifying code in a forked copy.

    Returns the reply (None after an error event), for callers other than the panel.
    """
    request_id = body.get("request_id")
    if not isinstance(request_id, str) or not request_id:
        request_id = uuid.uuid4().hex
    emit({"type": "start", "request_id": request_id})
    listener = _EventListener(emit)
    assistant, owned = assistant_of(shell)
    try:
        reply = _answer(shell, body, assistant, listener)
    except LocalAIError as error:
        emit(_error_event(error))
        return None
    except KeyboardInterrupt:
        # Interrupted outside a generation (connecting, checking, running a candidate):
        # what streamed so far is the answer, as run_task's own Ctrl-C handling gives it.
        reply = listener.cancelled_reply(str(body.get("task") or "chat"))
    finally:
        if owned:
            assistant.close()
    if not owned:
        assistant.last_reply = reply  # `jupyter_localai.last_reply()`, as after `%ai fix`
    emit({"type": "done", "request_id": request_id, "reply": reply.to_json()})
    return reply


def _answer(
    shell: Any, body: dict[str, Any], assistant: KernelAssistant, listener: _EventListener
) -> Reply:
    try:
        request = task_request(shell, body, assistant)
    except (TypeError, ValueError, KeyError) as error:
        raise BadAskBody(f"bad ask request: {error}") from error
    from .fix.rehearse import mark_reply, rehearsal_verifier

    mode = _rehearsal(body, assistant)
    verifier = rehearsal_verifier(shell, request, mode, assistant.settings)
    reply = run_task(
        assistant.engine(None),
        request,
        namespace=KernelNamespace(shell.user_ns),
        listener=listener,
        verifier=verifier,
        failure_of=verifier.failure_of if verifier is not None else None,
    )
    mark_reply(reply, mode, verifier)  # how the rehearsal went, what the copy re-ran
    return reply


def _rehearsal(body: dict[str, Any], assistant: KernelAssistant) -> str | None:
    """The body's `verify` (true: strict, as `--verify`; false: none, as `--no-verify`),
    else the kernel's `LocalAI.rehearse`, so the panel's default follows the kernel's."""
    from .fix.rehearse import rehearsal_mode

    verify = body.get("verify")
    if verify is not None and not isinstance(verify, bool):
        raise BadAskBody(f"bad ask request: verify must be true or false, not {verify!r}")
    return rehearsal_mode(str(body.get("task")), verify, assistant.settings)


def settings_json(shell: Any) -> None:
    """The panel's silent call for the Verify box's default: one JSON line on stdout,
    `{"rehearse": <LocalAI.rehearse>, "unavailable": <why this kernel cannot rehearse or
    null>}`."""
    from .fix.rehearse import fork_unavailable

    assistant, owned = assistant_of(shell)
    try:
        write_event({"rehearse": bool(assistant.settings.rehearse),
                     "unavailable": fork_unavailable()})
    finally:
        if owned:
            assistant.close()


def assistant_of(shell: Any) -> tuple[KernelAssistant, bool]:
    """The assistant of `%load_ext jupyter_localai` (its engines, settings and `%config`),
    found through the registered magics; without the extension, a new one that the caller
    owns and closes (True)."""
    magics = shell.magics_manager.registry.get(LocalAIMagics.__name__)
    if magics is not None:
        return magics.assistant, False
    return KernelAssistant(shell), True


def task_request(shell: Any, body: dict[str, Any], assistant: KernelAssistant) -> TaskRequest:
    """The body's request, completed as `%ai fix --verify` completes one: the kernel's own
    context when the panel sent none, its session, and the extra attempts of verification."""
    settings = assistant.settings
    verifying = _rehearsal(body, assistant) is not None
    request = task_request_from_json(
        body, settings, default_retries=settings.verify_retries if verifying else None
    )
    if request.context is None:
        from .context.collect import collect_context

        request.context = collect_context(shell, request.prompt)
    if request.session_id is None:
        request.session_id = assistant.session_id()
    if request.task == "fix" and request.target_source is None and not _has_error(request.context):
        raise LocalAIError(
            "No failing cell found in this kernel session. Run the cell that fails, then ask "
            "for a fix (or select the failing cell and use 'Fix cell with Local AI')."
        )
    return request


def _has_error(context: NotebookContext | None) -> bool:
    return context is not None and context.last_error is not None


def _error_event(error: LocalAIError) -> dict[str, Any]:
    """As the server's error event, less the HTTP status (there is no HTTP here)."""
    return {"type": "error", "error": type(error).__name__, "message": str(error)}


class _EventListener:
    """run_task's listener: each token and retry becomes an event line as it happens."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._pieces: list[str] = []

    def on_attempt(self, attempt: int, reason: str) -> None:
        self._pieces = []
        if attempt > 1:  # as the server's stream: the first attempt needs no event
            self._emit({"type": "attempt", "attempt": attempt, "reason": reason})

    def on_token(self, text: str) -> None:
        self._pieces.append(text)
        self._emit({"type": "token", "text": text})

    def cancelled_reply(self, task: str) -> Reply:
        return Reply(task=task, text="".join(self._pieces), code="", model="",
                     finish_reason="cancelled")
