"""The bases of the assistant's handlers (as jupyter_server's `base/handlers.py`): the
auth resource, the runtime, body caps and JSON parsing, errors as HTTP statuses, and
Server-Sent Events. `handlers.py` (the assistant's routes) and `openai_api.py` (the
OpenAI-compatible routes) both build on these, so neither imports the other's module.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.iostream import StreamClosedError

from ..core.ask_body import refuse_lone_surrogates
from ..core.tasks import CancelScope
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
from .auth import ASSISTANT_RESOURCE, AssistantAuthMixin
from .model_policy import ModelSwitchRefused
from .runtime import AssistantRuntime
from .streaming import ThreadedStream

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
