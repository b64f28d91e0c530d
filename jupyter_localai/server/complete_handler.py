"""POST complete: inline completion for JupyterLab's inline completer, as Server-Sent Events.

Body: `{"request_id", "session_id", "prefix", "suffix", "context"?, "max_tokens"?}`; the
context is the NotebookContext JSON the panel sends to `ask`. The prompt is the notebook
as a Python file (`core/completion_prompt.py`) and the stream goes through the stop rules
(`core/completion_rules.py`), which cancel the generation where the suggestion ends.
Events: `{"type": "piece", "text"}`..., then `{"type": "done", "text", "stop_reason"}` or
`{"type": "error", "message"}`. Off (`LocalAI.completion`) or an engine without completion:
409 `{"type": "disabled"}`. The suggestion is worth something only while the user waits,
so "no suggestion" (`done` with empty text) comes at once when the model is still loading,
the queue is full, the prompt has no room, or no token came within `completion_wait_ms`.
A newer request of the same session, or the client going away, cancels the older one.

POST complete/prefill `{"session_id", "context"}`: after a cell ran, warm the stable part
of that session's completion prompt; 202 `{"sent": bool}`, never loads a model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..core.completion_prompt import completion_context, completion_prompt
from ..core.completion_rules import CompletionLimits, Cursor, SuggestionFilter
from ..core.context import NotebookContext
from ..core.engine import CompletionRequest, Engine
from ..core.tasks import CancelScope
from ..errors import ContextOverflowError, NotSupportedError, QueueFullError
from .base import AssistantHandler, StreamingHandler
from .completion_service import CompletionService
from .streaming import Emitter, StreamItem

SERVICE_KEY = "localai_completion"
ID_CHARS = 128


@dataclass(frozen=True)
class CompleteBody:
    """A completion request as the route takes it, validated."""

    request_id: str
    session_id: str
    prefix: str
    suffix: str
    context: NotebookContext | None
    max_tokens: int


def _text(body: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = body.get(key, None if required else "")
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


def parse_body(body: dict[str, Any], max_tokens_cap: int) -> CompleteBody:
    """The route's body, or TypeError/ValueError naming the bad field."""
    request_id = _text(body, "request_id", required=True)
    session_id = _text(body, "session_id", required=True)
    for key, value in (("request_id", request_id), ("session_id", session_id)):
        if not 1 <= len(value) <= ID_CHARS:
            raise ValueError(f"{key} must have 1 to {ID_CHARS} characters")
    context_json = body.get("context")
    if context_json is not None and not isinstance(context_json, dict):
        raise ValueError("context must be a NotebookContext JSON object")
    try:
        context = NotebookContext.from_json(context_json) if context_json else None
    except (KeyError, TypeError) as error:
        raise ValueError(f"context is not a NotebookContext: {error}") from error
    max_tokens = body.get("max_tokens", max_tokens_cap)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise ValueError("max_tokens must be a positive integer")
    return CompleteBody(
        request_id=request_id,
        session_id=session_id,
        prefix=_text(body, "prefix"),
        suffix=_text(body, "suffix"),
        context=context,
        max_tokens=min(max_tokens, max_tokens_cap),
    )


@dataclass(frozen=True)
class Suggestion:
    """What a completion ended with: the text shown and why it ended."""

    text: str
    stop_reason: str


def _stop_reason(rules: SuggestionFilter, finish_reason: str) -> str:
    if rules.done and rules.reason != "end":
        return rules.reason.replace(" ", "_")
    return finish_reason  # "stop" (the model ended), "length", "cancelled"


def suggest(
    engine: Engine,
    request: CompletionRequest,
    cursor: Cursor,
    limits: CompletionLimits,
    scope: CancelScope,
    emit: Emitter,
) -> Suggestion:
    """Run one completion through the stop rules (on a generation thread), emitting what
    they release; the generation is cancelled where they end the suggestion."""
    generation = engine.complete(request)
    scope.attach(generation)
    rules = SuggestionFilter(cursor, limits)
    for piece in generation:
        if rules.done:
            continue  # cancelled below; the rest of the stream is only drained
        released = rules.push(piece)
        if released:
            emit.piece(released)
        if rules.done:
            generation.cancel()
    if not rules.done and not scope.cancelled:
        released = rules.finish()
        if released:
            emit.piece(released)
    finish = generation.completion.finish_reason if generation.completion else "stop"
    if scope.cancelled and not rules.done:
        finish = "cancelled"
    return Suggestion(rules.text, _stop_reason(rules, finish))


class CompletionHandlerBase(AssistantHandler):
    """The completion routes' shared parts."""

    carries_prompts = True

    @property
    def service(self) -> CompletionService:
        return self.settings[SERVICE_KEY]

    def disabled(self, message: str) -> None:
        self.set_status(409)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"type": "disabled", "message": message}))


class CompleteHandler(StreamingHandler, CompletionHandlerBase):
    """POST complete: one inline suggestion, streamed."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        settings = self.runtime.settings
        try:
            body = parse_body(self.json_body(), settings.completion_max_tokens)
        except (TypeError, ValueError) as error:
            raise tornado.web.HTTPError(400, f"bad completion request: {error}") from error
        if not settings.completion:
            self.disabled("inline completion is off (LocalAI.completion)")
            return
        engine = await self.quick(self.service.ready_engine)
        if engine is None:
            await self._no_suggestion(body, "loading")
            return
        if not engine.supports_complete:
            self.disabled(f"{type(engine).__name__} does not do inline completion")
            return
        prompt = completion_prompt(
            body.context, body.prefix, body.suffix, settings.completion_context_tokens
        )
        request = CompletionRequest(
            context=prompt.context,
            prefix=prompt.prefix,
            suffix=prompt.suffix,
            max_tokens=body.max_tokens,
            stop=prompt.stop,
            max_lines=settings.completion_max_lines,
            session_id=body.session_id,
            request_id=body.request_id,
            keys=prompt.keys,
        )
        scope = CancelScope()
        try:
            registered = self.runtime.register(scope)
        except QueueFullError:
            await self._no_suggestion(body, "busy")
            return
        self.service.begin(body.session_id, scope)
        try:
            await self._stream(engine, request, body, scope)
        finally:
            self.service.end(body.session_id, scope)
            self.runtime.unregister(registered)

    async def _stream(
        self, engine: Engine, request: CompletionRequest, body: CompleteBody, scope: CancelScope
    ) -> None:
        cursor = Cursor(body.prefix, body.suffix)
        limits = CompletionLimits(max_lines=self.runtime.settings.completion_max_lines)
        stream = self.new_stream(scope)
        stream.start(lambda emit: suggest(engine, request, cursor, limits, scope, emit))
        items = stream.items()
        wait_s = self.runtime.settings.completion_wait_ms / 1000
        try:
            first = await asyncio.wait_for(anext(items), timeout=wait_s)
        except TimeoutError:
            scope.cancel()
            await self._no_suggestion(body, "busy")
            return
        self.start_sse()
        await self._relay(first, items, body)

    async def _relay(
        self, first: StreamItem, items: AsyncIterator[StreamItem], body: CompleteBody
    ) -> None:
        item: StreamItem | None = first
        while item is not None:
            kind, payload = item
            if kind == "piece":
                event: dict[str, Any] = {"type": "piece", "text": payload}
            elif kind == "done":
                event = {"type": "done", "request_id": body.request_id, "text": payload.text,
                         "stop_reason": payload.stop_reason}  # fmt: skip
            else:
                event = self._error_event(payload, body)
            if not await self.send_sse(event) or kind in ("done", "error"):
                break
            item = await anext(items, None)
        self.finish()

    def _error_event(self, error: BaseException, body: CompleteBody) -> dict[str, Any]:
        if isinstance(error, ContextOverflowError):
            return {"type": "done", "request_id": body.request_id, "text": "",
                    "stop_reason": "no_room"}  # fmt: skip
        if isinstance(error, NotSupportedError):
            return {"type": "disabled", "message": str(error)}
        self.log.error("jupyter_localai: completion failed: %s: %s", type(error).__name__, error)
        return {"type": "error", "request_id": body.request_id,
                "message": f"{type(error).__name__}: {error}"}  # fmt: skip

    async def _no_suggestion(self, body: CompleteBody, reason: str) -> None:
        """Answer at once with an empty suggestion (the inline completer shows nothing)."""
        self.start_sse()
        await self.send_sse(
            {"type": "done", "request_id": body.request_id, "text": "", "stop_reason": reason}
        )
        self.finish()


class CompletePrefillHandler(CompletionHandlerBase):
    """POST complete/prefill {"session_id", "context"}: warm the stable part of that
    session's completion prompt after a cell ran. Fire and forget; never loads a model."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        session_id = body.get("session_id")
        context_json = body.get("context")
        if not isinstance(session_id, str) or not 1 <= len(session_id) <= ID_CHARS:
            raise tornado.web.HTTPError(400, f"session_id must be a string of 1 to {ID_CHARS} "
                                             "characters")  # fmt: skip
        if not isinstance(context_json, dict):
            raise tornado.web.HTTPError(400, 'give {"context": <NotebookContext JSON>}')
        try:
            context = NotebookContext.from_json(context_json)
        except (KeyError, TypeError, ValueError) as error:
            raise tornado.web.HTTPError(400, f"bad prefill request: {error}") from error
        settings = self.runtime.settings
        sent = False
        engine = await self.quick(self.service.started_engine) if settings.completion else None
        if engine is not None and engine.supports_complete:
            text = completion_context(context, settings.completion_context_tokens)
            sent = bool(await self.quick(engine.prefill_completion, text, session_id))
        self.set_status(202)
        self.finish(json.dumps({"sent": sent}))


def completion_handlers(prefix: str) -> list[tuple[str, type[AssistantHandler]]]:
    """The completion routes under `prefix` (`api/localai`)."""
    return [
        (f"{prefix}/complete", CompleteHandler),
        (f"{prefix}/complete/prefill", CompletePrefillHandler),
    ]
