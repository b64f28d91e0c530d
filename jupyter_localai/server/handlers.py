"""The assistant's HTTP routes under `<base_url>/api/localai/` (see docs/architecture.md).

Thin handlers: parse, call the runtime or the core, write JSON or Server-Sent Events. Every
verb is `@tornado.web.authenticated` and `@authorized`; the assistant secret is accepted here
(and only here) through `AssistantAuthMixin`. Generation runs on the runtime's threads, so
`status` answers at once while an answer streams.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.iostream import StreamClosedError

from ..core.ask_body import bounded, refuse_lone_surrogates, task_request_from_json
from ..core.context import NotebookContext
from ..core.prompt import PromptBudget, prefill_messages
from ..core.tasks import CancelScope, run_task
from ..errors import (
    ContextOverflowError,
    EngineUnavailableError,
    InvalidModelError,
    LocalAIError,
    ModelLoadError,
    ModelNotFoundError,
    QueueFullError,
    WorkerCrashedError,
)
from ..models import list_models
from .auth import ASSISTANT_RESOURCE, MODEL_SWITCH_RESOURCE, AssistantAuthMixin
from .model_policy import ModelSwitchRefused, switch_target
from .runtime import AssistantRuntime
from .streaming import Emitter, ThreadedStream

AUTH_RESOURCE = ASSISTANT_RESOURCE
QUICK_CALL_TIMEOUT_S = 5.0
# Bodies of the routes that carry only a name or an id; the routes that carry prompts and
# notebook context take `LocalAI.max_request_bytes`.
SMALL_BODY_BYTES = 64 << 10

_STATUS_FOR_ERROR: list[tuple[type[Exception], int]] = [
    (ContextOverflowError, 400),
    (ModelSwitchRefused, 403),
    (QueueFullError, 429),
    (ModelNotFoundError, 404),
    (InvalidModelError, 422),
    (ModelLoadError, 503),
    (WorkerCrashedError, 503),
    (EngineUnavailableError, 503),
    (LocalAIError, 500),
]


def http_status_for(error: BaseException) -> int:
    """The HTTP status that tells a client what kind of failure `error` is."""
    for error_class, status in _STATUS_FOR_ERROR:
        if isinstance(error, error_class):
            return status
    return 500


@tornado.web.stream_request_body
class AssistantHandler(AssistantAuthMixin, ExtensionHandlerMixin, APIHandler):
    """Base of the assistant's routes: auth resource, the runtime, JSON body parsing.

    Bodies are streamed in (`stream_request_body`) so that each route caps its own size:
    tornado's `max_body_size` is server-wide (512 MiB by default) and would otherwise be
    read into memory and parsed on the IOLoop. A declared Content-Length over the cap is
    refused with 413 before a byte of the body is read; a chunked body is counted as it
    arrives, kept no further than the cap, and refused with 413 when the verb runs.
    """

    auth_resource = AUTH_RESOURCE
    carries_prompts = False  # True: the cap is LocalAI.max_request_bytes, else 64 KiB

    _body_chunks: list[bytes]
    _body_size = 0

    @property
    def runtime(self) -> AssistantRuntime:
        return self.settings["localai"]

    def body_limit(self) -> int:
        """The largest body this route accepts, in bytes."""
        if self.carries_prompts:
            return int(self.runtime.settings.max_request_bytes)
        return SMALL_BODY_BYTES

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        self._body_chunks = []
        declared = (self.request.headers.get("Content-Length") or "").strip()
        if declared.isdigit() and int(declared) > self.body_limit():
            raise self._too_large(int(declared))

    def data_received(self, chunk: bytes) -> None:
        self._body_size += len(chunk)
        if self._body_size <= self.body_limit():
            self._body_chunks.append(chunk)
        else:
            self._body_chunks = []  # over the cap: keep nothing, refuse when the verb runs

    def _too_large(self, size: int) -> tornado.web.HTTPError:
        limit = self.body_limit()
        setting = "LocalAI.max_request_bytes" if self.carries_prompts else "a fixed limit"
        return tornado.web.HTTPError(
            413,
            f"the request body ({size:,} bytes) is larger than this route accepts "
            f"({limit:,} bytes, {setting})",
        )

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object; a clear 400 for anything else, 413 when too large."""
        if self._body_size > self.body_limit():
            raise self._too_large(self._body_size)
        body = b"".join(getattr(self, "_body_chunks", []))
        if not body:
            return {}
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise tornado.web.HTTPError(400, f"the request body is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "the request body must be a JSON object")
        try:
            refuse_lone_surrogates(data)
        except ValueError as error:
            raise tornado.web.HTTPError(400, f"bad request: {error}") from error
        return data

    def fail(self, error: BaseException) -> tornado.web.HTTPError:
        """Turn an engine or model error into an HTTP error carrying its message."""
        status = http_status_for(error)
        if status >= 500:
            self.log.error("jupyter_localai: %s: %s", type(error).__name__, error)
        return tornado.web.HTTPError(status, f"{type(error).__name__}: {error}")

    async def quick(self, function: Any, *args: Any) -> Any:
        """Run a call that should answer at once (status, lists) off the IOLoop, bounded."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(function, *args), timeout=QUICK_CALL_TIMEOUT_S
            )
        except TimeoutError as error:
            raise tornado.web.HTTPError(
                503, f"the engine did not answer within {QUICK_CALL_TIMEOUT_S:g} s"
            ) from error
        except LocalAIError as error:
            raise self.fail(error) from error


class StreamingHandler(AssistantHandler):
    """A route that relays a `ThreadedStream` as Server-Sent Events.

    Headers are held back until the first piece, so an error before it (a prompt too long,
    no model) is still a plain HTTP error. A client that disconnects cancels the answer.
    """

    cancel_scope: CancelScope | None = None
    sse_started = False

    def on_connection_close(self) -> None:
        if self.cancel_scope is not None:
            self.log.info("jupyter_localai: client went away; cancelling its answer")
            self.cancel_scope.cancel()
        super().on_connection_close()

    def start_sse(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.set_header("X-Accel-Buffering", "no")  # proxies must not buffer the stream
        self.sse_started = True

    async def send_sse(self, payload: dict[str, Any] | str) -> bool:
        """Write one event and flush it; False when the client is gone (answer cancelled)."""
        data = payload if isinstance(payload, str) else json.dumps(payload)
        try:
            self.write(f"data: {data}\n\n")
            await self.flush()
        except StreamClosedError:
            if self.cancel_scope is not None:
                self.cancel_scope.cancel()
            return False
        return True

    def new_stream(self, scope: CancelScope) -> ThreadedStream[Any]:
        self.cancel_scope = scope
        return ThreadedStream(self.runtime.executor, on_loop_gone=scope.cancel)


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
        rows = await self.quick(list_models, settings.models_dir)
        current = settings.model
        if not any(row["name"] == current for row in rows):
            rows.append(
                {
                    "name": current,
                    "path": current,
                    "available": True,
                    "size_bytes": None,
                    "description": "configured model",
                }
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
        stream.start(
            lambda emit: run_task(
                runtime.engine(), request, listener=_SSEListener(emit), cancel=scope
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
    """POST prefill {"context", "session_id", "max_tokens"?, "context_tokens"?}: warm the
    resident model with a notebook's context after a cell ran (`kernel/prefill.py`).
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
        except (KeyError, TypeError, ValueError) as error:
            raise tornado.web.HTTPError(400, f"bad prefill request: {error}") from error
        sent = False
        if self.runtime.settings.prefill and self.runtime.engine_started:
            engine = self.runtime.engine()
            prefill = getattr(engine, "prefill", None)
            if prefill is not None:
                budget = PromptBudget(engine.n_ctx(), max_tokens, context_tokens)
                sent = await self.quick(prefill, prefill_messages(context, budget), session_id)
        self.finish(json.dumps({"sent": bool(sent)}))

    async def _pause(self, session_id: str | None) -> bool:
        if not self.runtime.engine_started:
            return False
        pause = getattr(self.runtime.engine(), "pause_prefill", None)
        if pause is None:
            return False
        await self.quick(pause, session_id)
        return True


def assistant_handlers() -> list[tuple[str, type[AssistantHandler]]]:
    """Routes relative to the server's base_url."""
    from .openai_api import ChatCompletionsHandler, OpenAIModelsHandler

    prefix = "api/localai"
    return [
        (f"{prefix}/status", StatusHandler),
        (f"{prefix}/models", ModelsHandler),
        (f"{prefix}/ask", AskHandler),
        (f"{prefix}/cancel", CancelHandler),
        (f"{prefix}/prefill", PrefillHandler),
        (f"{prefix}/v1/models", OpenAIModelsHandler),
        (f"{prefix}/v1/chat/completions", ChatCompletionsHandler),
    ]
