"""Which engine answers: the one place that reads aliases, `remote:` specs and
`LocalAI.remote_url`, and builds the remote or worker engine they name.

Both faces use it: the kernel's assistant (which first prefers the Jupyter server's
resident model, found by `kernel/server_client.py`) and the server extension's runtime
(whose resident engine is the remote or worker engine chosen here). `settings` is a
`LocalAI` (read for its attributes only, so no traitlets import here).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import EngineUnavailableError

if TYPE_CHECKING:
    from .remote import RemoteEngine
    from .worker_client import WorkerEngine

REMOTE_PREFIX = "remote:"
AUTO = "auto"  # `LocalAI.model` that picks by measured speed (model_choice.py)
LOCAL_RUNTIME = "llama_cpp"


@dataclass(frozen=True)
class EngineChoice:
    """What a model name resolves to: a remote server (`remote_url` set) or a local model.

    `target` is the alias-resolved name; `key` names the engine among a face's engines.
    """

    target: str
    remote_url: str = ""
    remote_model: str | None = None

    @property
    def is_remote(self) -> bool:
        return bool(self.remote_url)

    @property
    def key(self) -> str:
        if not self.is_remote:
            return self.target
        return f"{REMOTE_PREFIX}{self.remote_url}" + (
            f"#{self.remote_model}" if self.remote_model else ""
        )


def resolve_alias(settings: Any, model: str | None = None) -> str:
    """`model` (else `LocalAI.model`) with `LocalAI.aliases` applied; "auto" is the model
    `model_choice.py` picks for this machine (decided once per settings object)."""
    name = model or settings.model
    name = settings.aliases.get(name, name)
    if name == AUTO:
        from ..model_choice import auto_choice

        return auto_choice(settings).name
    return name


def choose(settings: Any, model: str | None = None, *, name_configured_model: bool) -> EngineChoice:
    """The engine `model` (None: the configured model) names.

    A `remote:<base_url>#<model>` name (or alias) is that server's model. Otherwise, for the
    configured model, `LocalAI.remote_url` (`<base_url>#<model>`) makes it remote: the model
    after its `#`, else, with `name_configured_model` (the kernel, where `LocalAI.model` is
    the user's pick), the configured model's name, or without it (the server, whose
    `LocalAI.model` names a local model) the remote server's first model. Anything else is
    a local model (`target`).
    """
    target = resolve_alias(settings, model)
    if target.startswith(REMOTE_PREFIX):
        url, _, named = target.removeprefix(REMOTE_PREFIX).partition("#")
        return EngineChoice(target, url, named or None)
    if settings.remote_url and model is None:
        url, _, named = settings.remote_url.partition("#")
        fallback = target if name_configured_model else None
        return EngineChoice(target, url, named or fallback)
    return EngineChoice(target)


def remote_engine(choice: EngineChoice, settings: Any) -> RemoteEngine:
    """The engine for a remote choice; the API key only goes to `LocalAI.remote_url`."""
    from .remote import RemoteEngine, configured_api_key

    return RemoteEngine(
        choice.remote_url,
        choice.remote_model,
        api_key=configured_api_key(choice.remote_url, settings),
        timeout=settings.remote_timeout,
    )


def worker_engine(settings: Any, *, require_runtime: bool = False) -> WorkerEngine:
    """A worker engine for `LocalAI.model` (nothing starts until the first request).

    `require_runtime`: refuse at once, saying what to install, when llama-cpp-python is
    missing (`find_spec` locates it without importing it: only the worker loads llama.cpp).
    """
    if require_runtime and importlib.util.find_spec(LOCAL_RUNTIME) is None:
        raise EngineUnavailableError(no_engine_message())
    # Imported here: the worker client pulls in process management that a process using
    # only a remote engine never needs.
    from .worker_client import WorkerEngine

    if settings.model != AUTO:
        return WorkerEngine.from_config(settings)
    from ..model_choice import measure_in_background

    engine = WorkerEngine.from_config(_WithModel(settings, resolve_alias(settings)))
    measure_in_background(engine, settings)  # once per machine and model file
    return engine


class _WithModel:
    """`settings` with "auto" replaced by the model it picked, for `WorkerEngine.from_config`
    (which reads attributes only)."""

    def __init__(self, settings: Any, model: str) -> None:
        self._settings = settings
        self.model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)


def resident_engine(settings: Any) -> RemoteEngine | WorkerEngine:
    """The server extension's engine: remote for a `remote:` model or `LocalAI.remote_url`,
    else the worker engine."""
    choice = choose(settings, name_configured_model=False)
    if choice.is_remote:
        return remote_engine(choice, settings)
    return worker_engine(settings)


def no_engine_message() -> str:
    """What to install when a kernel has neither a server to ask nor a local runtime."""
    import sys

    return (
        "No jupyter-localai server is reachable from this kernel and llama-cpp-python is not "
        "installed here: either run this notebook under a Jupyter server with jupyter-localai "
        "installed (`pip install \"jupyter-localai[server]\"` where `jupyter lab` runs; its "
        "kernels then use the server's resident model), or "
        f'`pip install "jupyter-localai[local]"` into this kernel\'s environment '
        f"({sys.prefix}) to run a model here (it compiles llama.cpp, a few minutes), or set "
        "`%config LocalAI.remote_url = \"http://host:port/v1\"` for an OpenAI-compatible server."
    )
