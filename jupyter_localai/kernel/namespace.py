"""A read-only view of the kernel's namespace for the static checks.

The checks ask whether a name exists, which attributes an object has and which columns a
DataFrame holds. Only objects whose attribute listing is known to be cheap and free of side
effects (modules, pandas and numpy objects, builtin containers) are inspected; anything
else answers "unknown", so a user's odd `__dir__` or `__getattr__` never runs.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Any

_SAFE_MODULE_ROOTS = {"pandas", "numpy", "builtins", "datetime", "collections", "decimal"}
_MAX_KEYS = 2000


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
            return dir(value)
        except Exception:  # noqa: BLE001 - an object's __dir__ may raise anything: "unknown"
            return None

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
