"""Attributes a class has but keeps out of `dir()`, for the checks that read members.

pandas lists such attributes in `_hidden_attrs` (`Series.tolist` in pandas 3: still there
and working, but not in `dir()`), so the attribute check, which reads `dir()`, told answers
calling them that they do not exist. Read from the class, never from an object.
"""

from __future__ import annotations


def hidden_attributes(cls: type, listed: list[str]) -> list[str]:
    """The names `cls` hides from `dir()` that it really has, and `listed` lacks."""
    hidden = getattr(cls, "_hidden_attrs", None)
    if not isinstance(hidden, frozenset | set):
        return []
    shown = set(listed)
    return sorted(name for name in hidden
                  if type(name) is str and name not in shown and hasattr(cls, name))
