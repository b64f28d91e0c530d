"""How a kernel finds the Jupyter server's resident model (the engine is
`engines/server.py`).

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

from ..config import SERVER_SECRET_ENV, SERVER_URL_ENV, LocalAI
from ..engines.server import ServerEngine

log = logging.getLogger(__name__)


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


def engine_for_kernel(settings: LocalAI) -> ServerEngine | None:
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
