"""Rule for a getter called as a setter: `ax.title('Sales')`, `ax.xlabel('km')`.

pyplot's `plt.title(...)` sets the title, so users write the same on an Axes, where `title` is
a Text attribute (not callable) and `xlabel` does not exist; the method is `set_title`.
matplotlib objects are not safe to inspect (their attributes run code), so only the object's
class is read, statically, and only for library classes.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ..failure import MISSING, Failure, line_calls, static_member
from ..hint import Hint, code, unique_replace
from . import rule

_LIBRARY_ROOTS = frozenset({"matplotlib", "pandas", "numpy", "builtins"})
_NOT_CALLABLE = re.compile(r"^'[\w.]+' object is not callable")
_NO_ATTRIBUTE = re.compile(r"^'[\w.]+' object has no attribute '(\w+)'")


def _library_class(value: Any) -> type | None:
    """`type(value)` where it is a plain class of a library above (no metaclass runs code)."""
    cls = type(value)  # never `value.__class__`: it may be user code
    if type(cls) is not type:
        return None
    module = cls.__dict__.get("__module__")
    root = module.split(".")[0] if type(module) is str else None
    return cls if root in _LIBRARY_ROOTS else None


@rule(TypeError, AttributeError)
def setter_rule(f: Failure) -> list[str]:
    missing = _NO_ATTRIBUTE.match(f.message) if isinstance(f.exc, AttributeError) else None
    if not (missing or (isinstance(f.exc, TypeError) and _NOT_CALLABLE.match(f.message))):
        return []
    for call in line_calls(f):
        func = call.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            continue
        if missing and missing.group(1) != func.attr:
            continue
        cls = _library_class(f.lookup(func.value.id))
        if cls is None or callable(static_member(cls, func.attr)):
            continue
        setter = static_member(cls, f"set_{func.attr}")
        if setter is MISSING or not callable(setter):
            continue
        fixed = f"{code(f, func.value)}.set_{func.attr}"
        return [
            Hint(
                f"On {cls.__name__} `{func.attr}` is not a method that sets it (that is "
                f"pyplot's style): call `{fixed}(...)`.",
                edit=unique_replace(f, func, fixed, call),
            )
        ]
    return []
