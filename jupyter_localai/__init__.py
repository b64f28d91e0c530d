"""jupyter-localai: a private AI pair programmer inside Jupyter, on a local llama.cpp model.

This module holds entry points only and imports lazily, so a kernel that loads the magics
never pulls in tornado or the server, and nothing loads a model at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .core.reply import Reply


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_localai`: register the magics (no model is loaded yet)."""
    from .kernel.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext jupyter_localai`: stop the worker and remove hooks."""
    from .kernel.extension import unload

    unload(ipython)


def last_reply() -> Reply | None:
    """The last answer given in this kernel (code, text, model, timings), or None."""
    from .kernel.extension import current_last_reply

    return current_last_reply()


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import LocalAIExtension

    return [{"module": "jupyter_localai.server.app", "app": LocalAIExtension}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-localai"}]
