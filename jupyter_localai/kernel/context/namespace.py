"""A read-only view of the kernel's namespace for the static checks.

The checks ask whether a name exists, which attributes an object has and which columns a
DataFrame holds. Only objects whose attribute listing is known to be cheap and free of side
effects (modules, pandas and numpy objects, builtin containers) are inspected; anything
else answers "unknown", so a user's odd `__dir__` or `__getattr__` never runs.
"""

from __future__ import annotations

import ast
import functools
import inspect
import types
from collections.abc import Mapping
from typing import Any

from ...core.check_types import CallKeywords
from ...core.hidden_attributes import hidden_attributes
from ..fix.call_hints import call_keywords
from .literal_copy import rebuilds

_SAFE_MODULE_ROOTS = {"pandas", "numpy", "builtins", "datetime", "collections", "decimal"}
_MAX_KEYS = 2000
_ACCESSORS = frozenset({"str", "dt", "cat"})


def _is_safe_to_list(value: Any) -> bool:
    if isinstance(value, types.ModuleType):
        return True
    root = type(value).__module__.split(".")[0]
    return root in _SAFE_MODULE_ROOTS


class KernelNamespace:
    """Answers the checks' questions from `shell.user_ns` without changing anything."""

    def __init__(self, user_ns: Mapping[str, Any]) -> None:
        self._user_ns = user_ns

    def has(self, name: str) -> bool:
        return name in self._user_ns

    def attribute_names(self, name: str) -> list[str] | None:
        value = self._user_ns.get(name)
        if value is None or not _is_safe_to_list(value):
            return None
        try:
            names = dir(value)
        except Exception:  # noqa: BLE001 - an object's __dir__ may raise anything: "unknown"
            return None
        return names + hidden_attributes(type(value), names)

    def column_names(self, name: str) -> list[str] | None:
        value = self._user_ns.get(name)
        if value is None or not _is_safe_to_list(value):
            return None
        columns = getattr(value, "columns", None) if type(value).__name__ == "DataFrame" else None
        if columns is not None:
            return [str(column) for column in list(columns)[:_MAX_KEYS]]
        if isinstance(value, dict) and len(value) <= _MAX_KEYS:
            return [str(key) for key in value]
        return None

    def frame_labels(self, name: str) -> list[str] | None:
        value = self._user_ns.get(name)
        if value is None or not _is_safe_to_list(value) or type(value).__name__ != "DataFrame":
            return None
        index_names = [str(level) for level in value.index.names if level is not None]
        return [str(column) for column in list(value.columns)[:_MAX_KEYS]] + index_names

    def member_kinds(self, name: str, path: tuple[str, ...]) -> dict[str, str] | None:
        value = self._user_ns.get(name)
        if value is None or not _is_safe_to_list(value):
            return None
        for step in path:
            value = _step(value, step)
            if value is None:
                return None
        return _kinds_of(type(value))

    def call_keywords(self, name: str, path: tuple[str, ...]) -> CallKeywords | None:
        return call_keywords(self._user_ns, name, path)

    def holds_literal(self, name: str, value: ast.expr) -> bool:
        live = self._user_ns.get(name)
        return live is not None and _is_safe_to_list(live) and rebuilds(live, value)


def _step(value: Any, step: str) -> Any:
    """A DataFrame's column or a Series' accessor: pandas objects only, None otherwise."""
    kind = type(value).__name__
    if step.startswith("[") and kind == "DataFrame":
        column = step[1:-1]
        return value[column] if column in value.columns else None
    if step in _ACCESSORS and kind == "Series":
        try:
            return getattr(value, step)
        except AttributeError:  # `.dt` of a non-datetime Series: no such accessor here
            return None
    return None


@functools.lru_cache(maxsize=64)
def _kinds_of(cls: type) -> dict[str, str] | None:
    """"method" or "data" for each public member of a pandas/numpy/builtin class, read
    statically (a property is never evaluated)."""
    if cls.__module__.split(".")[0] not in _SAFE_MODULE_ROOTS:
        return None
    kinds = {}
    for member in dir(cls):
        if member.startswith("_"):
            continue
        try:
            attribute = inspect.getattr_static(cls, member)
        except AttributeError:
            continue
        callable_member = isinstance(attribute, (classmethod, staticmethod)) or callable(attribute)
        kinds[member] = "method" if callable_member else "data"
    return kinds
