"""OpenAI-compatible routes: `GET v1/models` and `POST v1/chat/completions`.

So any OpenAI client (the `openai` package, curl, other editors, and our own kernels'
RemoteEngine) can use the resident model with
`base_url=<server>/api/localai/v1` and the server token (or the assistant secret) as the
API key: the client sends `Authorization: Bearer <key>`, which jupyter_server accepts for
its token and these handlers accept for the secret.

The resident model answers whatever `model` a request names (switching is an explicit
`POST models`, since it affects every notebook); the answer reports the model that ran.
"""

from __future__ import annotations

import json
import time
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..core.ask_body import (
    MAX_MESSAGES,
    MAX_STOP_CHARS,
    MAX_STOP_SEQUENCES,
    MAX_TOKENS_CAP,
    bounded,
    option,
    refuse_lone_surrogates,
)
from ..core.engine import Completion, GenerationRequest
from ..core.redact import redact_messages
from ..core.tasks import CancelScope
from ..errors import QueueFullError
from .base import AssistantHandler, StreamingHandler, http_status_for
from .streaming import Emitter

_ROLES = ("system", "user", "assistant", "tool", "developer")


class OpenAIErrorsMixin:
    """Errors in OpenAI's shape (`{"error": {"message", "type", "code"}}`), which its
    clients turn into readable exceptions."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        message = self._reason  # type: ignore[attr-defined]
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], tornado.web.HTTPError):
            message = exc_info[1].log_message or message
        code = None
        if status_code == 400 and "ContextOverflowError" in (message or ""):
            code = "context_length_exceeded"
        error_type = "invalid_request_error" if status_code < 500 else "server_error"
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        self.finish(  # type: ignore[attr-defined]
            json.dumps(
                {"error": {"message": message, "type": error_type, "param": None, "code": code}}
            )
        )


class OpenAIModelsHandler(OpenAIErrorsMixin, AssistantHandler):
    """GET v1/models: the resident model, with its context window."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        status = await self.quick(self.runtime.status)
        model = status.get("model") or self.runtime.settings.model
        entry = {
            "id": model,
            "object": "model",
            "created": 0,
            "owned_by": "jupyter-localai",
            "n_ctx": status.get("n_ctx") or self.runtime.settings.n_ctx,
        }
        self.finish(json.dumps({"object": "list", "data": [entry]}))


def generation_request_from_json(body: dict[str, Any], settings: Any) -> GenerationRequest:
    """Validate an OpenAI chat body into a GenerationRequest (ValueError names the problem)."""
    refuse_lone_surrogates(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list")
    if len(messages) > MAX_MESSAGES:
        raise ValueError(f"at most {MAX_MESSAGES} messages, not {len(messages)}")
    parsed = [_message(item, index) for index, item in enumerate(messages)]
    if bounded(body, "n", 1, 1) != 1:
        raise ValueError("only n=1 is supported")
    stop = body.get("stop") or []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise ValueError("stop must be a string or a list of strings")
    if len(stop) > MAX_STOP_SEQUENCES or any(len(s) > MAX_STOP_CHARS for s in stop):
        raise ValueError(
            f"stop takes at most {MAX_STOP_SEQUENCES} strings of at most {MAX_STOP_CHARS} "
            "characters"
        )
    max_tokens = option(body, "max_completion_tokens", option(body, "max_tokens", None))
    return GenerationRequest(
        messages=redact_messages(parsed),  # whatever the client sent (core/redact.py)
        max_tokens=bounded(
            {"max_tokens": max_tokens}, "max_tokens", settings.max_tokens, 1, MAX_TOKENS_CAP
        ),
        temperature=bounded(body, "temperature", settings.temperature, 0.0, kind=float),
        seed=bounded(body, "seed", settings.seed, -(2**63)),
        top_p=bounded(body, "top_p", 1.0, 0.0, 1.0, kind=float),
        stop=stop,
        session_id=body.get("user") if isinstance(body.get("user"), str) else None,
    )


def _message(item: Any, index: int) -> dict[str, str]:
    if not isinstance(item, dict):
        raise TypeError(f"messages[{index}] must be an object")
    role = item.get("role")
    if role not in _ROLES:
        raise ValueError(f"messages[{index}].role must be one of {', '.join(_ROLES)}")
    content = item.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):  # content parts: keep the text ones
        texts = [
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        ]
        content = "".join(str(t) for t in texts)
    elif not isinstance(content, str):
        raise TypeError(f"messages[{index}].content must be a string or a list of parts")
    return {"role": "system" if role == "developer" else role, "content": content}


def _usage(completion: Completion) -> dict[str, Any]:
    return {
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "total_tokens": completion.prompt_tokens + completion.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": completion.cached_tokens},
    }


def _finish_reason(completion: Completion) -> str:
    # OpenAI knows "stop" and "length"; a cancelled answer simply stopped.
    return "length" if completion.finish_reason == "length" else "stop"


class ChatCompletionsHandler(OpenAIErrorsMixin, StreamingHandler):
    """POST v1/chat/completions, streaming (`"stream": true`) or not."""

    carries_prompts = True

    @tornado.web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_body()
        try:
            request = generation_request_from_json(body, self.runtime.settings)
        except (TypeError, ValueError) as error:
            raise tornado.web.HTTPError(400, f"bad chat completion request: {error}") from error
        scope = CancelScope()
        try:
            request_id = self.runtime.register(scope)
        except QueueFullError as error:
            raise self.fail(error) from error
        runtime = self.runtime

        def work(emit: Emitter) -> Completion:
            generation = runtime.engine().generate(request)
            scope.attach(generation)
            for piece in generation:
                emit.piece(piece)
            assert generation.completion is not None
            return generation.completion

        stream = self.new_stream(scope)
        stream.start(work)
        try:
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                await self._stream(stream, f"chatcmpl-{request_id}", include_usage)
            else:
                await self._whole(stream, f"chatcmpl-{request_id}")
        finally:
            runtime.unregister(request_id)

    def _chunk(
        self, chat_id: str, model: str, delta: dict[str, Any], finish: str | None
    ) -> dict[str, Any]:
        return {
            "id": chat_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    async def _stream(self, stream: Any, chat_id: str, include_usage: bool) -> None:
        model = self.runtime.settings.model
        async for kind, payload in stream.items():
            if kind == "error":
                if not self.sse_started:
                    raise self.fail(payload)
                self.log.error("jupyter_localai: chat completion failed: %s", payload)
                await self.send_sse(
                    {
                        "error": {
                            "message": f"{type(payload).__name__}: {payload}",
                            "type": "server_error",
                            "code": http_status_for(payload),
                        }
                    }
                )
                break
            if not self.sse_started:
                self.start_sse()
                first = self._chunk(chat_id, model, {"role": "assistant", "content": ""}, None)
                if not await self.send_sse(first):
                    return
            if kind == "piece":
                if not await self.send_sse(self._chunk(chat_id, model, {"content": payload}, None)):
                    return
            elif kind == "done":
                completion: Completion = payload
                model = completion.model or model
                last = self._chunk(chat_id, model, {}, _finish_reason(completion))
                if not await self.send_sse(last):
                    return
                if include_usage:
                    usage = {
                        **self._chunk(chat_id, model, {}, None),
                        "choices": [],
                        "usage": _usage(completion),
                    }
                    if not await self.send_sse(usage):
                        return
        if await self.send_sse("[DONE]"):
            self.finish()

    async def _whole(self, stream: Any, chat_id: str) -> None:
        async for kind, payload in stream.items():
            if kind == "error":
                raise self.fail(payload)
            if kind == "done":
                completion: Completion = payload
                self.finish(
                    json.dumps(
                        {
                            "id": chat_id,
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": completion.model or self.runtime.settings.model,
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": completion.text},
                                    "finish_reason": _finish_reason(completion),
                                    "logprobs": None,
                                }
                            ],
                            "usage": _usage(completion),
                        }
                    )
                )
                return
