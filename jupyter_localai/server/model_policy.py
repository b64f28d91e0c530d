"""What `POST models` may switch the resident model to.

The resident model answers every notebook of the server, so switching it decides where
every prompt goes. A request may therefore name only what the server's own configuration
already trusts:

- an alias from `LocalAI.aliases` (its value, `remote:` URLs included, is configuration),
  or such an alias's value spelled out;
- the model the server was configured with (to switch back);
- a registry name (`models.REGISTRY`), or a name model discovery looks up in the model
  folders (`hf:...`, `lmstudio:...`, `ollama:...`, a file name in `LocalAI.models_dir`);
- a path to a file inside a model folder (`models.model_search_roots`: `LocalAI.models_dir`,
  the cache of assembled models, the Hugging Face, LM Studio and Ollama stores), symlinks
  resolved first.

Anything else, notably `remote:<any url>` or a path elsewhere on the disk, is refused with
`ModelSwitchRefused` (HTTP 403). A file that is allowed is header-checked here, so a
malformed one is refused (422) before any engine or worker sees it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engines.select import REMOTE_PREFIX
from ..errors import LocalAIError
from ..models import REGISTRY, model_search_roots, validate_gguf

DISCOVERY_PREFIXES = ("hf:", "lmstudio:", "ollama:")


class ModelSwitchRefused(LocalAIError):
    """The requested model is not one the server's configuration allows switching to."""


def switch_target(requested: str, settings: Any, configured_model: str) -> str:
    """The model name to hand the runtime for `requested`, or ModelSwitchRefused.

    `settings` is the server's `LocalAI` (aliases, models_dir); `configured_model` the model
    it started with. Blocks briefly (stats, a header read of ~30 ms): call it from a thread.
    """
    name = requested.strip()
    aliases: dict[str, str] = dict(settings.aliases)
    if name in aliases or name == configured_model or name in REGISTRY:
        return name
    if name in aliases.values():
        return name
    if name.startswith(REMOTE_PREFIX):
        known = ", ".join(sorted(k for k, v in aliases.items() if v.startswith(REMOTE_PREFIX)))
        raise ModelSwitchRefused(
            f"{name!r} is not a remote model this server's configuration names: a remote "
            "server can be switched to only through an alias in LocalAI.aliases "
            f"({known or 'none defined'}), e.g. "
            "c.LocalAI.aliases = {'team': 'remote:http://gpu-box:8000/v1#model'}"
        )
    if name.startswith(DISCOVERY_PREFIXES):
        return name  # looked up among the files discovery found in the model folders
    candidate = Path(name).expanduser()
    if not (candidate.is_absolute() or ".." in candidate.parts or candidate.exists()):
        # A name, or a path relative to a model folder: resolution looks only there
        # (404 when nothing matches).
        return name
    resolved = candidate.resolve()
    folders = [folder.resolve() for folder in model_search_roots(settings)]
    if not any(resolved.is_relative_to(folder) for folder in folders):
        raise ModelSwitchRefused(
            f"{name} is outside the model folders ({', '.join(str(f) for f in folders)}): "
            "put the GGUF file in LocalAI.models_dir, or name it in LocalAI.aliases in the "
            "server's configuration"
        )
    if resolved.is_file():
        validate_gguf(resolved)  # InvalidModelError (422) before any engine sees the file
    return str(resolved)
