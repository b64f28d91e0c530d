"""The assistant's HTTP routes under `<base_url>/api/localai/` (see docs/architecture.md).

Thin handlers: parse, call the runtime or the core, write JSON or Server-Sent Events. Every
verb is `@tornado.web.authenticated` and `@authorized`; the assistant secret is accepted here
(and only here) through `AssistantAuthMixin`. Generation runs on the runtime's threads, so
`status` answers at once while an answer streams. The handler bases are in `base.py`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..core.ask_body import bounded, task_request_from_json
from ..core.context import NotebookContext
from ..core.engine import PrefillRequest
from ..core.summary_namespace import context_namespace
from ..core.tasks import CancelScope, run_task
from ..errors import LocalAIError, QueueFullError
from ..models import model_listing
from .auth import MODEL_SWITCH_RESOURCE
from .base import AssistantHandler, StreamingHandler, http_status_for
from .class_members import class_members
from .complete_handler import completion_handlers
from .model_policy import ModelSwitchRefused, switch_target
from .openai_api import ChatCompletionsHandler, OpenAIModelsHandler
from .streaming import Emitter, ThreadedStream


class StatusHandler(AssistantHandler):
    """GET status: the engine's state; never queued behind a generation."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = await self.quick(self.runtime.status)
        self.finish(json.dumps(status))


class ModelsHandler(AssistantHandler):
    """GET models: what can be loaded; POST models {"model"}: switch the resident model.

    Switching redirects every notebook's prompts, so it is authorized on a resource of its
    own (`localai:models`: the kernels' secret never has it, a deployment's authorizer may
    deny it) and may name only what the server's configuration trusts (`model_policy`).
    """

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        settings = self.runtime.settings
        current = settings.model
        configured = {
            "name": current,
            "path": current,
            "available": True,
            "size_bytes": None,
            "description": "configured model",
        }
        rows = await self.quick(
            lambda: model_listing(settings.models_dir, current, in_use=configured)
        )
        self.finish(json.dumps({"current": current, "models": rows}))

    @tornado.web.authenticated
    @authorized(resource=MODEL_SWITCH_RESOURCE)
    async def post(self) -> None:
        model = self.json_body().get("model")
        if not isinstance(model, str) or not model.strip():
            raise tornado.web.HTTPError(400, 'give {"model": "<registry name or GGUF path>"}')
        settings = self.runtime.settings
        try:
            target = await asyncio.to_thread(
                switch_target, model, settings, self.runtime.configured_model
            )
        except LocalAIError as error:
            if isinstance(error, ModelSwitchRefused):
                self.log.warning("jupyter_localai: model switch refused: %s", error)
            raise self.fail(error) from error
        self.log.info("jupyter_localai: switching the resident model to %s", target)
        try:
            status = await asyncio.to_thread(self.runtime.switch_model, target)
        except LocalAIError as error:
            raise self.fail(error) from error
        self.finish(json.dumps(status))


class _SSEListener:
    """Hands run_task's tokens and retries to the IOLoop side."""

    def __init__(self, emitter: Emitter) -> None:
        self._emitter = emitter

    def on_attempt(self, attempt: int, reason: str) -> None:
        if attempt > 1:
            self._emitter.event({"type": "attempt", "attempt": attempt, "reason": reason})

    def on_token(self, text: str) -> None:
        self._emitter.piece(text)


class AskHandler(StreamingHandler):
    """POST ask: one task answered as SSE: start, token..., done (or error)."""

    carries_prompts = True

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        try:
            request = task_request_from_json(body, self.runtime.settings)
        except (TypeError, ValueError, KeyError) as error:
            raise tornado.web.HTTPError(400, f"bad ask request: {error}") from error
        wanted_id = body.get("request_id")
        if wanted_id is not None and not (isinstance(wanted_id, str) and 8 <= len(wanted_id) <= 64):
            raise tornado.web.HTTPError(400, "request_id must be a string of 8 to 64 characters")
        scope = CancelScope()
        try:
            request_id = self.runtime.register(scope, wanted_id)
        except QueueFullError as error:
            raise self.fail(error) from error
        except ValueError as error:
            raise tornado.web.HTTPError(409, str(error)) from error
        runtime = self.runtime
        stream = self.new_stream(scope)
        # The panel's context lists the kernel's DataFrames' columns: the checks read them
        # there, as they read the live namespace in the kernel.
        namespace = context_namespace(request.context, class_members)
        stream.start(
            lambda emit: run_task(
                runtime.engine(), request, namespace=namespace,
                listener=_SSEListener(emit), cancel=scope,
            )
        )
        try:
            await self._relay(stream, request_id)
        finally:
            runtime.unregister(request_id)

    async def _relay(self, stream: ThreadedStream[Any], request_id: str) -> None:
        held: list[dict[str, Any]] = [{"type": "start", "request_id": request_id}]
        async for kind, payload in stream.items():
            event = self._event_for(kind, payload, request_id)
            if not self.sse_started:
                if kind == "error":
                    raise self.fail(payload)
                held.append(event)
                if kind == "event":
                    continue
                self.start_sse()
                for pending in held:
                    if not await self.send_sse(pending):
                        return
                continue
            if not await self.send_sse(event):
                return
        self.finish()

    def _event_for(self, kind: str, payload: Any, request_id: str) -> dict[str, Any]:
        if kind == "piece":
            return {"type": "token", "text": payload}
        if kind == "event":
            return payload
        if kind == "done":
            return {"type": "done", "request_id": request_id, "reply": payload.to_json()}
        if http_status_for(payload) >= 500:
            self.log.error("jupyter_localai: ask failed: %s: %s", type(payload).__name__, payload)
        return {
            "type": "error",
            "error": type(payload).__name__,
            "message": str(payload),
            "status": http_status_for(payload),
        }


class CancelHandler(AssistantHandler):
    """POST cancel {"request_id"}: stop that answer at its next token."""

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        request_id = self.json_body().get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise tornado.web.HTTPError(400, 'give {"request_id": "<id from the start event>"}')
        if not self.runtime.cancel(request_id):
            raise tornado.web.HTTPError(404, f"no answer {request_id!r} is running")
        self.finish(json.dumps({"cancelled": True, "request_id": request_id}))


class PrefillHandler(AssistantHandler):
    """POST prefill {"context", "session_id", "max_tokens"?, "context_tokens"?, "task"?}:
    warm the resident model with a notebook's context after a cell ran (`kernel/prefill.py`;
    "task": "fix", after a failing cell: `%ai fix`'s whole first prompt, `PrefillRequest`).
    POST prefill {"pause": true, "session_id"}: a cell starts computing in that notebook's
    kernel; its prefill stops at once, so the model does not compete with the user's code.

    Fire and forget: answers `{"sent": bool}` (or `{"paused": bool}`) at once; the worker
    evaluates the prefix when no request waits. Never loads a model: not sent while no
    engine runs or when `LocalAI.prefill` is off, or to an engine without prefill.
    """

    carries_prompts = True

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        context_json = body.get("context")
        session_id = body.get("session_id")
        if session_id is not None and not isinstance(session_id, str):
            raise tornado.web.HTTPError(400, "session_id must be a string")
        if body.get("pause") is True:
            self.finish(json.dumps({"paused": await self._pause(session_id)}))
            return
        if not isinstance(context_json, dict):
            raise tornado.web.HTTPError(400, 'give {"context": <NotebookContext JSON>}')
        try:
            context = NotebookContext.from_json(context_json)
            max_tokens = bounded(body, "max_tokens", self.runtime.settings.max_tokens, 1)
            context_tokens = bounded(
                body, "context_tokens", self.runtime.settings.context_tokens, 0
            )
            task = body.get("task") or ""
            request = PrefillRequest(context, session_id, max_tokens, context_tokens,
                                     task if isinstance(task, str) else repr(task))
        except (KeyError, TypeError, ValueError) as error:
            raise tornado.web.HTTPError(400, f"bad prefill request: {error}") from error
        sent = False
        if self.runtime.settings.prefill and self.runtime.engine_started:
            engine = self.runtime.engine()
            if engine.supports_prefill:
                sent = await self.quick(engine.prefill, request)
        self.finish(json.dumps({"sent": bool(sent)}))

    async def _pause(self, session_id: str | None) -> bool:
        if not self.runtime.engine_started:
            return False
        engine = self.runtime.engine()
        if not engine.supports_prefill:
            return False
        await self.quick(engine.pause_prefill, session_id)
        return True


def assistant_handlers() -> list[tuple[str, type[AssistantHandler]]]:
    """Routes relative to the server's base_url."""
    prefix = "api/localai"
    return [
        (f"{prefix}/status", StatusHandler),
        (f"{prefix}/models", ModelsHandler),
        (f"{prefix}/ask", AskHandler),
        (f"{prefix}/cancel", CancelHandler),
        (f"{prefix}/prefill", PrefillHandler),
        *completion_handlers(prefix),
        (f"{prefix}/v1/models", OpenAIModelsHandler),
        (f"{prefix}/v1/chat/completions", ChatCompletionsHandler),
    ]
