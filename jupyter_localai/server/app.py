"""The jupyter_server extension: one resident model for every notebook and kernel.

Configured with the shared `LocalAI` settings (`c.LocalAI.model = ...` in
`jupyter_server_config.py`). At start it makes a per-launch assistant secret and publishes
it, with the server's loopback URL, in the environment kernels inherit, so the magics reach
this server without Jupyter's own token; a token given as $JUPYTER_TOKEN is taken out of
that environment once the server has read it.
"""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import Future
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Any as AnyTrait
from traitlets.utils.importstring import import_item

from ..config import SERVER_SECRET_ENV, SERVER_URL_ENV, LocalAI
from .auth import new_secret
from .complete_handler import SERVICE_KEY
from .completion_service import CompletionService
from .handlers import assistant_handlers
from .runtime import AssistantRuntime, EngineFactory, default_engine_factory

_WILDCARD_V4 = ("", "0.0.0.0", "*", "localhost")
# Jupyter's own token, when the server was given it through the environment.
JUPYTER_TOKEN_ENV = "JUPYTER_TOKEN"


def loopback_url(ip: str, port: int, base_url: str, *, https: bool = False) -> str:
    """The URL a kernel on this machine uses to reach the server, base_url included."""
    if ip in _WILDCARD_V4 or ip.startswith("127."):
        host = "127.0.0.1"
    elif ip in ("::", "::1"):
        host = "[::1]"
    elif ":" in ip:
        host = f"[{ip}]"
    else:
        host = ip
    scheme = "https" if https else "http"
    path = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    return f"{scheme}://{host}:{port}{path}"


class LocalAIExtension(ExtensionApp):
    """Owns the resident engine (a worker process, or a remote server) and the HTTP API."""

    name = "jupyter_localai"
    description = "A private AI pair programmer on a local llama.cpp model"
    load_other_extensions = True

    engine_factory = AnyTrait(
        None,
        allow_none=True,
        help=(
            "A callable (or its dotted import name) that makes the engine from the LocalAI "
            "settings. Default: the worker engine, or a RemoteEngine when LocalAI.remote_url "
            "is set. For custom backends and tests."
        ),
    ).tag(config=True)

    runtime: AssistantRuntime | None = None
    completion: CompletionService | None = None
    _saved_environ: dict[str, str | None]

    def _factory(self) -> EngineFactory:
        factory = self.engine_factory
        if factory is None:
            return default_engine_factory
        if isinstance(factory, str):
            factory = import_item(factory)
        if not callable(factory):
            raise TypeError(f"LocalAIExtension.engine_factory is not callable: {factory!r}")
        return factory

    def initialize_settings(self) -> None:
        # parent=self: the server's config (including its `LocalAI` section) reaches the
        # shared LocalAI settings, exactly as `c.LocalAI.*` in jupyter_server_config.py.
        settings = LocalAI(parent=self)
        self.runtime = AssistantRuntime(
            settings, secret=new_secret(), engine_factory=self._factory(), log=self.log
        )
        self.settings["localai"] = self.runtime
        self.completion = CompletionService(self.runtime, self._factory())
        self.settings[SERVICE_KEY] = self.completion
        self._saved_environ = {
            key: os.environ.get(key)
            for key in (SERVER_URL_ENV, SERVER_SECRET_ENV, JUPYTER_TOKEN_ENV)
        }
        self._publish_environment()
        if settings.load_on_start:
            future = self.runtime.executor.submit(self.runtime.warm_up)
            future.add_done_callback(self._report_warm_up)
        self.log.info(
            "jupyter_localai: model %s (%s)",
            settings.model,
            "loading now" if settings.load_on_start else "loaded on first use",
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(assistant_handlers())

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        # The port is final only once the server bound it (port 0, port retries).
        self._publish_environment()

    def _publish_environment(self) -> None:
        """Put URL and secret where kernels started by this server inherit them."""
        assert self.runtime is not None and self.serverapp is not None
        server = self.serverapp
        if JUPYTER_TOKEN_ENV in os.environ:
            # Kernels inherit this process's environment: $JUPYTER_TOKEN would hand every
            # kernel the server's token. Reading the token first makes sure the server has
            # taken it from the environment before it goes.
            _ = server.identity_provider.token
            del os.environ[JUPYTER_TOKEN_ENV]
            self.log.info("jupyter_localai: $JUPYTER_TOKEN removed from kernels' environment")
        if server.sock:
            self.log.warning(
                "jupyter_localai: the server listens on a Unix socket; kernels will run their "
                "own model instead of sharing the server's"
            )
            os.environ.pop(SERVER_URL_ENV, None)
            return
        url = loopback_url(server.ip, server.port, server.base_url, https=bool(server.certfile))
        os.environ[SERVER_URL_ENV] = url
        os.environ[SERVER_SECRET_ENV] = self.runtime.secret

    def _report_warm_up(self, future: Future[None]) -> None:
        error = future.exception() if not future.cancelled() else None
        if error is not None:
            self.log.error("jupyter_localai: loading the model at start failed: %s", error)

    async def stop_extension(self) -> None:
        """Stop answers, close the engine (its worker process), forget the secret."""
        runtime, self.runtime = self.runtime, None
        completion, self.completion = self.completion, None
        if completion is not None:
            await asyncio.to_thread(completion.close)
        if runtime is not None:
            await asyncio.to_thread(runtime.close)
        for key, value in getattr(self, "_saved_environ", {}).items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
