"""The `ask` body (see docs/architecture.md) turned into a `TaskRequest`, without Jupyter.

Two faces accept the same body: the server's `POST /api/localai/ask` and the panel's
verified fix, which runs in the notebook's kernel (`kernel/panel_task.py`) where neither
tornado nor jupyter_server may be imported. Defaults come from whatever holds the `LocalAI`
settings (duck-typed, so the core does not import traitlets).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from . import defaults
from .context import NotebookContext
from .context_names import with_name_suggestion
from .task_request import TASKS, TaskRequest

MAX_RETRIES = 10
# Caps on what one request may ask for, far above any real use, so that a body within the
# server's size limit still cannot make a prompt builder, a stop-string scan or a budget
# computation do unbounded work.
MAX_TEXT_CHARS = 1 << 20  # prompt, target source/output, one history message
MAX_HISTORY = 1000  # conversation turns
MAX_MESSAGES = 1000  # OpenAI chat messages
MAX_STOP_SEQUENCES = 16
MAX_STOP_CHARS = 1000
MAX_TOKENS_CAP = 1 << 20  # max_tokens and context_tokens: above any model's window


class AskDefaults(Protocol):
    """The `LocalAI` settings an ask body falls back to."""

    max_tokens: int
    temperature: float
    seed: int
    context_tokens: int
    retries: int
    candidates: int


def task_request_from_json(
    body: dict[str, Any], settings: AskDefaults, *, default_retries: int | None = None
) -> TaskRequest:
    """The core's TaskRequest of an `ask` body; ValueError or TypeError naming the field.

    `default_retries` replaces `settings.retries` when the body gives none (a verified fix
    gets the extra attempts of `LocalAI.verify_retries`, as `%ai fix --verify` does).
    """
    refuse_lone_surrogates(body)
    task = body.get("task", "chat")
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    context_json = body.get("context")
    if context_json is not None and not isinstance(context_json, dict):
        raise ValueError("context must be a NotebookContext JSON object")
    history = body.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(m, dict) and isinstance(m.get("content"), str) for m in history
    ):
        raise ValueError('history must be a list of {"role", "content"} objects')
    if len(history) > MAX_HISTORY:
        raise ValueError(f"history holds at most {MAX_HISTORY} messages, not {len(history)}")
    for key in ("prompt", "target_source", "target_output"):
        _check_length(body.get(key), key)
    for index, message in enumerate(history):
        _check_length(message["content"], f"history[{index}].content")
    retries = settings.retries if default_retries is None else default_retries
    return TaskRequest(
        task=task,
        prompt=str(body.get("prompt") or ""),
        # The panel's document-only error has no "Did you mean": add it from the context.
        context=with_name_suggestion(NotebookContext.from_json(context_json))
        if context_json else None,
        target_source=optional_text(body, "target_source"),
        target_output=str(body.get("target_output") or ""),
        history=[{"role": str(m.get("role", "user")), "content": m["content"]} for m in history],
        format=str(body.get("format") or ("code" if task in ("generate", "fix") else "markdown")),
        max_tokens=bounded(body, "max_tokens", settings.max_tokens, 1, MAX_TOKENS_CAP),
        temperature=bounded(body, "temperature", settings.temperature, 0.0, kind=float),
        seed=bounded(body, "seed", settings.seed, -(2**63)),
        session_id=optional_text(body, "session_id"),
        context_tokens=bounded(
            body, "context_tokens", settings.context_tokens, 0, MAX_TOKENS_CAP
        ),
        retries=bounded(body, "retries", retries, 0, MAX_RETRIES),
        candidates=bounded(body, "candidates", settings.candidates, 1, defaults.MAX_CANDIDATES),
    )


def _check_length(value: Any, key: str) -> None:
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"{key} is longer than {MAX_TEXT_CHARS:,} characters ({len(value):,})")


def refuse_lone_surrogates(value: Any) -> None:
    """ValueError naming the field when a string holds a lone surrogate (`"\\ud800"`).

    JSON allows such escapes and Python's reader keeps them, but no UTF-8 encoder does:
    left in, one would fail deep inside (the worker channel, a tokenizer) as a 500 with the
    request still counted as running. Refused at parse time, it is a 400 naming the field.
    Iterative, so a deeply nested body cannot exhaust the stack.
    """
    stack: list[tuple[str, Any]] = [("body", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _has_surrogate(item):
                raise ValueError(
                    f"{where} holds a lone UTF-16 surrogate (such as \\ud800), which is not "
                    "text; send valid Unicode"
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                name = str(key)[:40]
                stack.append((f"{where}: a key", key))
                stack.append((f"{where}.{name}" if where != "body" else name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{index}]", child) for index, child in enumerate(item))


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{key} must be a string")
    return value


def bounded(
    body: dict[str, Any], key: str, default: Any, least: float, most: float | None = None,
    *, kind: type = int,
) -> Any:
    """`body[key]` (or the default) as a finite `kind` within [least, most]; ValueError
    naming the field otherwise, so NaN, Infinity or 1e400 are refused, not a crash."""
    value = option(body, key, default)
    try:
        number = kind(value)
    except OverflowError as error:
        raise ValueError(f"{key} must be a finite number, not {value!r}") from error
    if not math.isfinite(number) or number < least or (most is not None and number > most):
        limits = f"at least {least}" if most is None else f"between {least} and {most}"
        raise ValueError(f"{key} must be {limits}, not {value!r}")
    return number


def option(body: dict[str, Any], key: str, default: Any) -> Any:
    """`body[key]` when given (0 included), else the configured default."""
    value = body.get(key)
    return default if value is None else value
