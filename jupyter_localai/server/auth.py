"""The assistant secret: a credential for kernels that opens the assistant's routes only.

A kernel runs arbitrary code, so it must never hold the Jupyter server's own token. The
extension makes a per-launch secret and puts it into the environment kernels inherit; the
handlers of this package (and no other route) accept it, as `Authorization: LocalAI <secret>`
or, for OpenAI clients, `Authorization: Bearer <secret>`. Everything else goes through
jupyter_server's own identity provider and authorizer unchanged.

The secret is honoured by wrapping the server's identity provider and authorizer *per
handler class* (overridden properties), so Jupyter's routes never see the wrapper.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

from jupyter_server.auth import User

SECRET_SCHEME = "LocalAI"
_HEADER = re.compile(r"^\s*(localai|bearer)\s+(\S+)\s*$", re.IGNORECASE)

# The identity a request authenticated by the secret gets; the username marks it for the
# authorizer wrapper below.
KERNEL_USERNAME = "jupyter-localai-kernel"

# Authorizer resources. Asking, cancelling, status and the OpenAI routes are `localai`.
# Switching the resident model changes what every notebook's prompts go to, so it is a
# resource of its own: a deployment's authorizer can deny it while allowing questions, and
# the kernels' secret (held by code running in any kernel) never gets it.
ASSISTANT_RESOURCE = "localai"
MODEL_SWITCH_RESOURCE = "localai:models"
SECRET_RESOURCES = frozenset({ASSISTANT_RESOURCE})


def new_secret() -> str:
    """A fresh per-launch secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def secret_from_header(value: str) -> str | None:
    """The credential in `LocalAI <s>` or `Bearer <s>`, else None."""
    match = _HEADER.match(value or "")
    return match.group(2) if match else None


def secret_matches(presented: str | None, secret: str) -> bool:
    """Constant-time comparison; an empty secret never matches."""
    if not presented or not secret:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), secret.encode("utf-8"))


class SecretAwareIdentityProvider:
    """Wraps jupyter_server's identity provider: the assistant secret first, then the usual.

    Only the assistant's handlers use this wrapper; every other attribute is delegated.
    """

    def __init__(self, inner: Any, secret: str) -> None:
        self._inner = inner
        self._secret = secret

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _secret_authenticated(self, handler: Any) -> bool:
        presented = secret_from_header(handler.request.headers.get("Authorization", ""))
        return secret_matches(presented, self._secret)

    def get_user(self, handler: Any) -> Any:
        if self._secret_authenticated(handler):
            handler._localai_secret_authenticated = True
            return User(username=KERNEL_USERNAME, name="kernel (assistant secret)")
        return self._inner.get_user(handler)

    def is_token_authenticated(self, handler: Any) -> bool:
        # A header credential cannot be sent cross-site without CORS, so like Jupyter's own
        # token it skips the XSRF cookie check.
        if getattr(handler, "_localai_secret_authenticated", False):
            return True
        return bool(self._inner.is_token_authenticated(handler))

    def should_check_origin(self, handler: Any) -> bool:
        if getattr(handler, "_localai_secret_authenticated", False):
            return False
        return bool(self._inner.should_check_origin(handler))


class SecretAwareAuthorizer:
    """Wraps the server's authorizer: the secret's identity may use the assistant routes.

    The secret's whole scope is these routes' `localai` resource (never
    `localai:models`), so a custom authorizer that knows nothing about it is not asked;
    every other user is authorized as usual.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> Any:
        if getattr(handler, "_localai_secret_authenticated", False):
            return (
                getattr(user, "username", None) == KERNEL_USERNAME
                and resource in SECRET_RESOURCES
            )
        return self._inner.is_authorized(handler, user, action, resource)


class AssistantAuthMixin:
    """Mixed into the assistant's handlers (before APIHandler) to accept the secret."""

    settings: dict[str, Any]

    @property
    def identity_provider(self) -> Any:
        inner = self.settings["identity_provider"]
        runtime = self.settings.get("localai")
        secret = runtime.secret if runtime is not None else ""
        return SecretAwareIdentityProvider(inner, secret)

    @property
    def authorizer(self) -> Any:
        return SecretAwareAuthorizer(self.settings["authorizer"])
