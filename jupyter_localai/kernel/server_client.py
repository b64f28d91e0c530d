"""How a kernel finds the Jupyter server's resident model and talks to it.

A server running the jupyter_localai extension puts its loopback URL and a per-launch
assistant secret into the environment of the kernels it starts. With both present (and
`LocalAI.use_server`), the kernel asks the server's model over HTTP instead of loading a
second copy in its own worker. The secret opens the assistant's routes only; the kernel
never sees Jupyter's own token. Standard library only (no tornado, no llama_cpp).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import urllib.parse
from typing import Any

from ..config import SERVER_SECRET_ENV, SERVER_URL_ENV, LocalAI
from ..core.context import NotebookContext
from ..engines.base import Engine, Generation, GenerationRequest
from ..engines.openai_wire import chat_body
from ..engines.remote import RemoteEngine, RemoteGeneration
from ..errors import EngineUnavailableError

log = logging.getLogger(__name__)

API_PREFIX = "api/localai"
RESIDENT_DESCRIPTION = "the Jupyter server's resident model, shared by its notebooks"


class ServerEngine(RemoteEngine):
    """The server extension's model, through its OpenAI route, authenticated by the secret.

    `status()` and `models()` come from the extension's own routes, so they report the
    resident model's real state (loading, queue, restarts) rather than just a model list.
    """

    engine_name = "server"

    def __init__(self, server_url: str, secret: str, *, timeout: float = 120.0) -> None:
        self.server_url = server_url.rstrip("/") + "/"
        super().__init__(
            self.server_url + API_PREFIX + "/v1",
            None,
            headers={"Authorization": f"LocalAI {secret}"},
            timeout=timeout,
        )

    def generate(self, request: GenerationRequest) -> Generation:
        # The extension reports usage on request, so `last_reply().timings` carries the real
        # prompt and cached token counts (not every OpenAI-compatible server accepts this).
        body = chat_body(request, self.model)
        body["stream_options"] = {"include_usage": True}
        return RemoteGeneration(self, body)

    def status(self) -> dict[str, Any]:
        base = {
            "engine": self.engine_name,
            "url": self.server_url,
            "description": RESIDENT_DESCRIPTION,
        }
        try:
            resident = self.request_json(
                "GET", self.server_url + API_PREFIX + "/status", timeout=self.status_timeout
            )
        except EngineUnavailableError as error:
            return {**base, "state": "unreachable", "model": None, "last_error": str(error)}
        if not isinstance(resident, dict):
            return {
                **base,
                "state": "unreachable",
                "model": None,
                "last_error": f"unexpected status answer: {str(resident)[:200]}",
            }
        # "engine" names how the server runs its model (llama worker, remote, ...).
        return {**resident, **base, "server_engine": resident.get("engine")}

    def prefill_context(
        self,
        context: NotebookContext,
        session_id: str | None,
        max_tokens: int,
        context_tokens: int,
    ) -> bool:
        """Ask the server to warm its model with this notebook's context (`POST prefill`)."""
        answer = self.request_json(
            "POST",
            self.server_url + API_PREFIX + "/prefill",
            {
                "context": context.to_json(),
                "session_id": session_id,
                "max_tokens": max_tokens,
                "context_tokens": context_tokens,
            },
            timeout=self.status_timeout,
        )
        return bool(isinstance(answer, dict) and answer.get("sent"))

    def pause_prefill(self, session_id: str | None = None) -> None:
        """A cell starts computing: the server's worker stops this notebook's prefill."""
        self.request_json(
            "POST",
            self.server_url + API_PREFIX + "/prefill",
            {"pause": True, "session_id": session_id},
            timeout=self.status_timeout,
        )

    def n_ctx(self) -> int:
        return int(self.status().get("n_ctx") or 4096)

    def models(self) -> list[dict[str, Any]]:
        listing = self.request_json(
            "GET", self.server_url + API_PREFIX + "/models", timeout=self.status_timeout
        )
        rows = listing.get("models") if isinstance(listing, dict) else None
        if not isinstance(rows, list):
            raise EngineUnavailableError(
                f"{self.server_url}{API_PREFIX}/models answered no model list"
            )
        current = listing.get("current")
        return [{**row, "current": row.get("name") == current} for row in rows]


def is_loopback_url(url: str) -> bool:
    """Whether `url` is http(s) to this machine (127.0.0.0/8, ::1 or localhost)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def engine_for_kernel(settings: LocalAI) -> Engine | None:
    """The server's resident model when this kernel runs under a server with the extension.

    None when `LocalAI.use_server` is off or the server's URL or secret is missing; the
    magics then start their own worker engine. The secret is sent only to a loopback URL:
    the extension always publishes one, so any other URL (an environment variable or
    `LocalAI.server_url` pointed elsewhere) would hand the secret to another host.
    """
    if not settings.use_server:
        return None
    url = settings.server_url  # defaults to $JUPYTER_LOCALAI_SERVER_URL
    secret = os.environ.get(SERVER_SECRET_ENV, "")
    if not url:
        return None
    if not secret:
        log.warning(
            "LocalAI.server_url is %s but $%s is not set (only kernels started by that server "
            "inherit it); using a local model instead",
            url,
            SERVER_SECRET_ENV,
        )
        return None
    if not is_loopback_url(url):
        log.warning(
            "LocalAI.server_url / $%s is %s, which is not this machine (loopback): not sending "
            "the assistant secret there; using a local model instead",
            SERVER_URL_ENV,
            url,
        )
        return None
    return ServerEngine(url, secret, timeout=settings.remote_timeout)
