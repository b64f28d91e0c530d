"""The OpenAI chat wire format, client side: request bodies, Server-Sent Events, chunks,
and error bodies as the servers of this field spell them (OpenAI, vLLM, llama-server,
llama_cpp.server, Ollama, this project's server extension). Standard library only.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from typing import Any

from ..core.engine import GenerationRequest
from ..errors import ContextOverflowError, EngineUnavailableError


def chat_body(request: GenerationRequest, default_model: str | None) -> dict[str, Any]:
    """The OpenAI `/chat/completions` body for a request, always streaming (a None model is
    filled in by `RemoteEngine.default_model` when the request is sent)."""
    body: dict[str, Any] = {
        "model": request.model or default_model,
        "messages": request.messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "seed": request.seed,
        "stream": True,
    }
    if request.stop:
        body["stop"] = list(request.stop)
    return body


class StreamState:
    """What the chunks of one stream said so far."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.pieces: list[str] = []
        self.finish_reason = "stop"
        self.finish_reason_seen = False
        self.done = False
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cached_tokens = 0
        self.ttft_s = 0.0

    def apply(self, event: str, url: str) -> str:
        """Digest one `data:` payload; return its text piece (may be empty)."""
        try:
            chunk = json.loads(event)
        except json.JSONDecodeError as error:
            raise EngineUnavailableError(
                f"malformed event in the stream from {url}: {event[:200]!r}"
            ) from error
        if not isinstance(chunk, dict):
            raise EngineUnavailableError(
                f"malformed event in the stream from {url}: {event[:200]!r}"
            )
        if "error" in chunk:
            detail = error_message(json.dumps(chunk).encode())
            if looks_like_overflow(detail):
                raise ContextOverflowError(f"the prompt does not fit the remote model: {detail}")
            raise EngineUnavailableError(f"{url} reported an error while streaming: {detail}")
        self.model = str(chunk.get("model") or self.model)
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = int(usage.get("prompt_tokens") or 0)
            self.completion_tokens = int(usage.get("completion_tokens") or 0)
            details = usage.get("prompt_tokens_details")
            if isinstance(details, dict):
                self.cached_tokens = int(details.get("cached_tokens") or 0)
        piece = ""
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            content = delta.get("content") if isinstance(delta, dict) else None
            if isinstance(content, str):
                piece += content
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
                self.finish_reason_seen = True
        return piece


def sse_events(
    response: http.client.HTTPResponse, url: str, timeout: float, cancelled: Callable[[], bool]
) -> Iterator[str]:
    """The `data:` payloads of a Server-Sent Events stream (multi-line data joined).

    A read error after `cancelled()` became true ends the stream quietly: it is the
    canceller shutting the socket, not a failure.
    """
    data_lines: list[str] = []
    while True:
        try:
            raw = response.readline()
        except TimeoutError as error:
            if cancelled():
                return
            raise EngineUnavailableError(
                f"{url} stopped sending for {timeout:g} s (LocalAI.remote_timeout)"
            ) from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            if cancelled():
                return
            raise EngineUnavailableError(f"the stream from {url} broke: {error}") from error
        if not raw:
            if data_lines:
                yield "\n".join(data_lines)
            return
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if not line:
            if data_lines:
                yield "\n".join(data_lines)
                data_lines = []
            continue
        if line.startswith(":"):
            continue  # an SSE comment (keep-alive ping)
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data_lines.append(value)
        elif field == "error":
            # llama-server sends `error: {...}` lines on failures mid-stream
            data_lines.append(json.dumps({"error": value}))


def context_length(entry: dict[str, Any]) -> int:
    """n_ctx as servers spell it: ours (n_ctx), vLLM (max_model_len), llama-server (meta)."""
    for key in ("n_ctx", "max_model_len", "context_length"):
        value = entry.get(key)
        if isinstance(value, int) and value > 0:
            return value
    meta = entry.get("meta")
    if isinstance(meta, dict):
        for key in ("n_ctx", "n_ctx_train"):
            value = meta.get(key)
            if isinstance(value, int) and value > 0:
                return value
    return 0


def error_message(raw: bytes) -> str:
    """The human part of an error body (OpenAI `{"error": {"message"}}`, Jupyter, plain)."""
    text = raw.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:500] or "(empty answer)"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            try:
                error = json.loads(error)
            except json.JSONDecodeError:
                return error[:500]
        if isinstance(error, dict):
            for key in ("message", "detail", "reason"):
                if isinstance(error.get(key), str) and error[key]:
                    return error[key][:500]
    return text[:500]


def looks_like_overflow(detail: str) -> bool:
    lowered = detail.lower()
    return "context" in lowered and any(
        word in lowered for word in ("exceed", "length", "window", "too long", "overflow")
    )
