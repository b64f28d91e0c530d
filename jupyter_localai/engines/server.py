"""`ServerEngine`: the Jupyter server extension's resident model, seen from a kernel.

The extension's OpenAI route answers the questions; its own routes (`status`, `models`,
`prefill`) report the resident model's real state and warm it. Authenticated by the
per-launch assistant secret. Finding the server (its URL and the secret in a kernel's
environment) is the kernel's business: `kernel/server_client.py`. Standard library only.
"""

from __future__ import annotations

from typing import Any

from ..core import defaults
from ..core.engine import Generation, GenerationRequest, PrefillRequest
from ..errors import EngineUnavailableError
from .openai_wire import chat_body
from .remote import RemoteEngine, RemoteGeneration

API_PREFIX = "api/localai"
RESIDENT_DESCRIPTION = "the Jupyter server's resident model, shared by its notebooks"


class ServerEngine(RemoteEngine):
    """The server extension's model, through its OpenAI route, authenticated by the secret.

    `status()` and `models()` come from the extension's own routes, so they report the
    resident model's real state (loading, queue, restarts) rather than just a model list.
    Prefill goes to the server, which builds the messages with its own model's window.
    """

    engine_name = "server"
    supports_prefill = True

    def __init__(
        self, server_url: str, secret: str, *, timeout: float = defaults.REMOTE_TIMEOUT_S
    ) -> None:
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

    def prefill(self, request: PrefillRequest) -> bool:
        """Ask the server to warm its model with this notebook's context (`POST prefill`)."""
        answer = self.request_json(
            "POST",
            self.server_url + API_PREFIX + "/prefill",
            {
                "context": request.context.to_json(),
                "session_id": request.session_id,
                "max_tokens": request.max_tokens,
                "context_tokens": request.context_tokens,
                "task": request.task,
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
        return int(self.status().get("n_ctx") or defaults.UNKNOWN_N_CTX)

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
