"""Redaction in the kernel: the core's rules plus the values this kernel knows are secret.

The text rules (token shapes, secret assignments, URL credentials, redacting before
cutting) live in `core/redact.py`, shared with the server, which redacts every request
again. What only the kernel can see is added here: the values of secret-named variables
and environment variables, and the secret parts of any environment value or string
variable, found by shape (a DSN's password printed alone has no shape left). Those become
known values, hidden wherever they occur.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping

from ...core.redact import (
    REDACTED,
    WINDOW_MARGIN,
    Redactor,
    is_secret_name,
    redact,
    secret_fragments,
)

__all__ = [
    "REDACTED", "WINDOW_MARGIN", "Redactor", "is_secret_name", "namespace_redactor", "redact",
    "secret_values",
]  # fmt: skip


def namespace_redactor(user_ns: Mapping[str, object]) -> Redactor:
    """A `Redactor` that also hides the values of secret-named variables and environment
    variables (a printed `os.environ["HF_TOKEN"]` has no recognisable shape), and the
    secret parts of every environment value and string variable, by shape
    (`DATABASE_URL`'s password, a key kept under a name that says nothing)."""
    environ = {k: v for k, v in os.environ.items() if k not in _SHELL_VARIABLES}
    return Redactor(
        [*secret_values(user_ns), *secret_values(environ),
         *shaped_values(environ), *shaped_values(user_ns)]
    )  # fmt: skip


def shaped_values(mapping: Mapping[str, object], *, max_items: int = 1000) -> list[str]:
    """The secret parts, by shape, of a mapping's short string values (never runs user code:
    only exact `str` values are read)."""
    found: list[str] = []
    budget = _SHAPED_BUDGET_CHARS  # ~15 ms of scanning, however many strings there are
    for value in itertools.islice(mapping.values(), max_items):
        if type(value) is str and 8 <= len(value) <= _MAX_SHAPED_CHARS:
            budget -= len(value)
            if budget < 0:
                break
            found.extend(secret_fragments(value))
    return found


# Longer strings are data, not settings; whatever secret they hold is redacted by shape.
_MAX_SHAPED_CHARS = 2000
_SHAPED_BUDGET_CHARS = 100_000


# Environment variables whose names look secret but are the shell's own (PWD: the directory).
_SHELL_VARIABLES = frozenset({"PWD", "OLDPWD"})


def secret_values(mapping: Mapping[str, object], *, depth: int = 2) -> list[str]:
    """The string values stored under secret-looking names: in the mapping (a namespace, the
    environment), and `depth` levels into its plain dicts, lists and objects' attributes
    (`settings["password"]`, `config.api_key`). Never runs user code: only builtin dicts,
    lists and tuples are walked, and attributes are read from an object's own `__dict__`."""
    found: list[str] = []
    budget = [5000]  # items visited, so a huge namespace stays cheap
    _collect(mapping, depth, found, budget)
    return found


def _own_attributes(value: object) -> dict[str, object] | None:
    try:
        attributes = object.__getattribute__(value, "__dict__")
    except AttributeError:
        return None
    return attributes if type(attributes) is dict else None


def _collect(
    mapping: Mapping[object, object], depth: int, found: list[str], budget: list[int]
) -> None:
    for name, value in itertools.islice(mapping.items(), 1000):
        budget[0] -= 1
        if budget[0] < 0:
            return
        if isinstance(name, str) and is_secret_name(name) and type(value) in (str, bytes):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            found.append(text)
        elif depth > 0:
            _collect_nested(value, depth - 1, found, budget)


_LEAF_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes})


def _collect_nested(value: object, depth: int, found: list[str], budget: list[int]) -> None:
    kind = type(value)
    if kind is dict:
        _collect(value, depth, found, budget)  # type: ignore[arg-type]
    elif kind in (list, tuple):
        for item in value[:100]:  # type: ignore[index]
            if type(item) not in _LEAF_TYPES:
                _collect_nested(item, depth, found, budget)
    elif kind.__module__ not in ("builtins", "types") or kind.__name__ == "SimpleNamespace":
        attributes = _own_attributes(value)
        if attributes:
            _collect(attributes, depth, found, budget)
