"""An engine for any OpenAI-compatible server: llama-server, llama_cpp.server, vLLM, Ollama,
and this project's own Jupyter server extension.

Standard library only (`http.client`), because kernels import it: no tornado, no `openai`,
no `requests`. Every failure (unreachable, refused credentials, timeout, a malformed stream)
becomes an `EngineUnavailableError` that says what happened, never a hang.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core import defaults
from ..core.engine import Completion, Engine, Generation, GenerationRequest
from ..errors import ContextOverflowError, EngineUnavailableError
from .openai_wire import (
    StreamState,
    chat_body,
    context_length,
    error_message,
    looks_like_overflow,
    sse_events,
)

log = logging.getLogger(__name__)

DEFAULT_STATUS_TIMEOUT = 3.0
_ERROR_BODY_LIMIT = 2000


class RemoteEngine(Engine):
    """Talks to `<base_url>/chat/completions` and `<base_url>/models` of an OpenAI-style API.

    `base_url` is what one would give the `openai` client (e.g. `http://gpu-box:8000/v1`);
    a bare `http://host:port` gets `/v1` appended. `api_key` is sent as a Bearer token;
    `headers` adds or overrides headers (e.g. `{"Authorization": "LocalAI <secret>"}`).
    `timeout` bounds connecting and every read while streaming; `status_timeout` bounds the
    quick calls (`status`, `models`).
    """

    engine_name = "remote"

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = defaults.REMOTE_TIMEOUT_S,
        status_timeout: float = DEFAULT_STATUS_TIMEOUT,
        n_ctx: int | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.model = model
        self.timeout = timeout
        self.status_timeout = status_timeout
        self._n_ctx = n_ctx
        self._headers = {"Accept": "application/json, text/event-stream"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._headers.update(headers or {})
        self._lock = threading.Lock()
        self._requests_served = 0
        self._last_error = ""
        self._discovered_model: str | None = None

    # -- Engine protocol -------------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> Generation:
        body = chat_body(request, self.model)
        return RemoteGeneration(self, body)

    def default_model(self) -> str:
        """The model to name in requests: the configured one, else the server's first
        (servers such as vLLM refuse a name they do not serve). Asked once, then kept."""
        if self.model:
            return self.model
        if self._discovered_model is None:
            listing = self.models()
            self._discovered_model = listing[0]["name"] if listing else "default"
        return self._discovered_model

    def status(self) -> dict[str, Any]:
        """Ask the server's model list (short timeout); report "unreachable" instead of raising."""
        base = {
            "engine": self.engine_name,
            "url": self.base_url,
            "requests_served": self._requests_served,
        }
        try:
            listing = self.models()
        except EngineUnavailableError as error:
            return {
                **base,
                "state": "unreachable",
                "model": self.model,
                "n_ctx": self._n_ctx,
                "last_error": str(error),
            }
        model = self.model or (listing[0]["name"] if listing else None)
        entry = next((m for m in listing if m["name"] == model), {})
        n_ctx = self._n_ctx or entry.get("n_ctx")
        return {
            **base,
            "state": "ready",
            "model": model,
            "n_ctx": n_ctx,
            "models": [m["name"] for m in listing],
            "last_error": self._last_error,
        }

    def n_ctx(self) -> int:
        if self._n_ctx:
            return self._n_ctx
        return int(self.status().get("n_ctx") or defaults.UNKNOWN_N_CTX)

    def models(self) -> list[dict[str, Any]]:
        """The server's `/models` list, as `{"name", "available", "n_ctx"?}` entries."""
        data = self.request_json("GET", self.base_url + "/models", timeout=self.status_timeout)
        entries = data.get("data") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise EngineUnavailableError(
                f"{self.base_url}/models did not answer an OpenAI model list "
                f"(got {str(data)[:200]!r}); is this an OpenAI-compatible server?"
            )
        listing = []
        for entry in entries:
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            item: dict[str, Any] = {"name": str(entry["id"]), "available": True}
            n_ctx = context_length(entry)
            if n_ctx:
                item["n_ctx"] = n_ctx
            listing.append(item)
        return listing

    # -- HTTP helpers (also used by subclasses) ---------------------------------------------

    def request_json(
        self, method: str, url: str, body: Any = None, *, timeout: float | None = None
    ) -> Any:
        """One non-streaming request; the parsed JSON answer or a clear error."""
        connection, response = self.open(method, url, body, timeout=timeout or self.timeout)
        try:
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise self.unavailable(f"reading the answer of {url} failed: {error}") from error
        finally:
            connection.close()
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise self.unavailable(
                f"{url} answered something that is not JSON: {raw[:200]!r}"
            ) from error

    def open(
        self,
        method: str,
        url: str,
        body: Any = None,
        *,
        timeout: float,
        on_connect: Callable[[socket.socket], None] | None = None,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Connect, send, and return the response once its status is 2xx (else raise).

        `on_connect` receives the socket as soon as it exists, so a canceller can shut it
        even while the server is still processing the prompt.
        """
        parts = urllib.parse.urlsplit(url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.hostname or "localhost", parts.port, timeout=timeout)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            connection.connect()
            if on_connect is not None and connection.sock is not None:
                on_connect(connection.sock)
            connection.request(method, path or "/", body=payload, headers=headers)
            response = connection.getresponse()
        except TimeoutError as error:
            connection.close()
            raise self.unavailable(
                f"{url} did not answer within {timeout:g} s (LocalAI.remote_timeout)"
            ) from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise self.unavailable(f"cannot reach {url}: {error}") from error
        if response.status >= 300:
            try:
                detail = error_message(response.read(_ERROR_BODY_LIMIT))
            except (OSError, http.client.HTTPException) as error:
                detail = f"(answer unreadable: {error})"
            finally:
                connection.close()
            raise self.http_error(url, response.status, detail)
        return connection, response

    def http_error(self, url: str, status: int, detail: str) -> Exception:
        if status in (401, 403):
            return self.unavailable(
                f"{url} refused the credentials (HTTP {status}): {detail}. Check the API key "
                "(LocalAI.remote_api_key_env) or the server's token."
            )
        if status == 400 and looks_like_overflow(detail):
            self._last_error = detail
            return ContextOverflowError(f"the prompt does not fit the remote model: {detail}")
        return self.unavailable(f"{url} answered HTTP {status}: {detail}")

    def unavailable(self, message: str) -> EngineUnavailableError:
        self.record_error(message)
        return EngineUnavailableError(message)

    def record_error(self, message: str) -> None:
        """Keep the last failure for `status()`."""
        self._last_error = message

    def _count_request(self) -> None:
        with self._lock:
            self._requests_served += 1


class RemoteGeneration(Generation):
    """Streams one `/chat/completions` answer; `cancel()` shuts the socket from any thread."""

    def __init__(self, engine: RemoteEngine, body: dict[str, Any]) -> None:
        super().__init__()
        self._engine = engine
        self._body = body
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._state: StreamState | None = None  # set once the request is on its way

    def cancel(self) -> None:
        super().cancel()
        with self._sock_lock:
            sock = self._sock
        if sock is not None:
            try:
                # shutdown (not just close) wakes a thread blocked in recv on this socket.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError as error:
                log.debug("socket already closed while cancelling: %s", error)

    def __iter__(self) -> Iterator[str]:
        if self.completion is not None:
            return
        if self._state is not None:
            # An earlier iteration was interrupted (Ctrl-C) and its request ended with its
            # connection: finish with what arrived, never send the request a second time.
            self.cancel()
            self._finish(self._state)
            return
        engine = self._engine
        url = engine.base_url + "/chat/completions"
        try:
            if not self._body.get("model"):
                self._body["model"] = engine.default_model()
            stream = self._state = StreamState(model=self._body["model"])
            connection, response = engine.open(
                "POST", url, self._body, timeout=engine.timeout, on_connect=self._keep_socket
            )
        except EngineUnavailableError:
            if not self.cancelled:
                raise
            self._finish(StreamState(model=self._body.get("model") or ""))
            return
        try:
            if self.cancelled:
                stream.finish_reason = "cancelled"
            else:
                yield from self._read_stream(response, url, stream)
        except EngineUnavailableError as error:
            engine.record_error(str(error))
            raise
        finally:
            connection.close()
            with self._sock_lock:
                self._sock = None
        engine._count_request()
        self._finish(stream)

    def _keep_socket(self, sock: socket.socket) -> None:
        with self._sock_lock:
            self._sock = sock
        if self.cancelled:
            self.cancel()

    def _finish(self, stream: StreamState) -> None:
        self.completion = Completion(
            text="".join(stream.pieces),
            model=stream.model,
            finish_reason="cancelled" if self.cancelled else stream.finish_reason,
            prompt_tokens=stream.prompt_tokens,
            completion_tokens=stream.completion_tokens or len(stream.pieces),
            ttft_s=stream.ttft_s,
            total_s=time.perf_counter() - self._started,
            cached_tokens=stream.cached_tokens,
        )

    def _read_stream(
        self, response: http.client.HTTPResponse, url: str, stream: StreamState
    ) -> Iterator[str]:
        engine = self._engine
        for event in sse_events(response, url, engine.timeout, lambda: self.cancelled):
            if event == "[DONE]":
                stream.done = True
                return
            piece = stream.apply(event, url)
            if piece:
                if not stream.pieces:
                    stream.ttft_s = time.perf_counter() - self._started
                stream.pieces.append(piece)
                yield piece
        if not self.cancelled and not stream.done and not stream.finish_reason_seen:
            raise engine.unavailable(f"the stream from {url} ended before the answer finished")


def configured_api_key(base_url: str, settings: Any) -> str | None:
    """The API key of `LocalAI.remote_api_key_env`, but only for `LocalAI.remote_url`.

    The key belongs to the one server the configuration names; a `remote:` alias or a
    request that points elsewhere gets no key, so no model switch can carry it to
    another host. `settings` is a `LocalAI` (duck-typed: `remote_url`,
    `remote_api_key_env`).
    """
    key_env = getattr(settings, "remote_api_key_env", "")
    configured = getattr(settings, "remote_url", "").partition("#")[0]
    if not key_env or not configured.strip():
        return None
    try:
        same = normalize_base_url(base_url) == normalize_base_url(configured)
    except EngineUnavailableError:
        return None  # not an http(s) URL: the engine refuses it anyway
    if not same:
        log.info("not sending LocalAI.remote_api_key_env's key to %s (not LocalAI.remote_url)",
                 base_url)
        return None
    return os.environ.get(key_env) or None


def normalize_base_url(url: str) -> str:
    """`http://host:port` -> `http://host:port/v1`; strip a trailing slash otherwise."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EngineUnavailableError(
            f"not an http(s) URL: {url!r}; expected something like http://127.0.0.1:8080/v1"
        )
    if parts.path in ("", "/"):
        return url.rstrip("/") + "/v1"
    return url.rstrip("/")
