"""Member names of the classes the checks know by name, for the server's checks.

The side panel's context names a variable's type (`DataFrame`) and lists its columns; to
tell `df.quantity` (no such column, no such attribute) from `df.groupby` the checks also
need the class's members. The server imports the library for them only when it is
installed here and only on first use; elsewhere the attribute check answers "unknown".
"""

from __future__ import annotations

import functools
import importlib
import importlib.util

from ..core.hidden_attributes import hidden_attributes

# Type names as the kernel's summaries give them, and the class each one is.
_CLASSES = {"DataFrame": ("pandas", "DataFrame")}


@functools.lru_cache(maxsize=8)
def class_members(type_name: str) -> list[str] | None:
    """`dir()` of the class a summary's type name stands for, or None when unknown."""
    where = _CLASSES.get(type_name)
    if where is None or importlib.util.find_spec(where[0]) is None:
        return None
    module = importlib.import_module(where[0])
    cls = getattr(module, where[1], None)
    if not isinstance(cls, type):
        return None
    names = dir(cls)
    return names + hidden_attributes(cls, names)
