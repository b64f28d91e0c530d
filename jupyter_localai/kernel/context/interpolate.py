"""Brace-safe `{name}` interpolation of kernel variables into a prompt.

Only a `{name}` whose content is the identifier of an existing, non-private variable is
replaced; everything else stays exactly as typed: dict literals (`{'a': 1}`), format fields
(`{0.__class__}`, `{os.environ}`, `{a.b}`, `{x!r:>{y}}`, including the `{y}` nested in them),
f-strings quoted in the prompt (`f"{x}"`, recognised by an f-string opened earlier on the same
line), unbalanced braces. `str.format`/`format_map` are never applied to
user text (a peer's magic leaks `os.environ` through exactly that).

Escaping: `{{name}}`, where `name` is a variable, becomes the literal text `{name}` without
interpolation (as `str.format` would write it); a `{{...}}` around anything else is left as
typed, so a prompt that names no variable comes back unchanged.

A string variable is inserted as its text (the way one templates a question), a number as
its value, any other variable as `name (summary)`. Both are bounded and redacted.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Any

from .redact import REDACTED, Redactor, is_secret_name, namespace_redactor
from .summaries import HIDDEN_NAMES, summarize_variable


def _matching_braces(text: str) -> dict[int, int]:
    """Position of each `{` mapped to its closing `}`, for balanced pairs only (one pass)."""
    open_at: list[int] = []
    pairs: dict[int, int] = {}
    for at, char in enumerate(text):
        if char == "{":
            open_at.append(at)
        elif char == "}" and open_at:
            pairs[open_at.pop()] = at
    return pairs


# An f-string opened earlier on the same line and not closed yet: `f"{x}"` is code, not a token.
_OPEN_FSTRING = re.compile(
    r"""(?:^|[^\w])(?:[rR][fF]|[fF][rR]?)(["'])(?:\\.|(?!\1)[^\\])*$""", re.MULTILINE
)


def _inside_fstring(prompt: str, position: int) -> bool:
    line_start = prompt.rfind("\n", 0, position) + 1
    return _OPEN_FSTRING.search(prompt, line_start, position) is not None


def _is_variable(name: str, user_ns: Mapping[str, Any]) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in HIDDEN_NAMES
        and name in user_ns
    )


def _rendered(name: str, value: Any, redactor: Redactor, max_chars: int, time_limit: float) -> str:
    if is_secret_name(name):
        return REDACTED
    if isinstance(value, str):
        text = redactor.redact_start(value, max_chars)  # before the cut: keys keep their shape
        return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
    if value is None or type(value) in (bool, int, float) and len(repr(value)) <= max_chars:
        return redactor.redact(repr(value))
    summary = summarize_variable(
        name, value, time_limit=time_limit, max_chars=max_chars, redactor=redactor
    )
    if summary is None:  # a name the summaries treat as internal stays as typed
        return "{" + name + "}"
    return f"{name} ({summary.summary})"


def interpolate(
    prompt: str,
    user_ns: Mapping[str, Any],
    *,
    max_chars: int = 1000,
    time_limit: float = 0.1,
    redactor: Redactor | None = None,
) -> tuple[str, list[str]]:
    """Replace `{name}` tokens naming variables; return the text and the names replaced."""
    if "{" not in prompt:
        return prompt, []
    pairs = _matching_braces(prompt)
    redactor = redactor or namespace_redactor(user_ns)
    pieces: list[str] = []
    names: list[str] = []
    at = 0
    while at < len(prompt):
        opening = prompt.find("{", at)
        if opening == -1:
            pieces.append(prompt[at:])
            break
        pieces.append(prompt[at:opening])
        closing = pairs.get(opening)
        if closing is None:  # unbalanced: the brace is text
            pieces.append("{")
            at = opening + 1
            continue
        inner = prompt[opening + 1 : closing]
        if _is_variable(inner, user_ns) and not _inside_fstring(prompt, opening):
            pieces.append(_rendered(inner, user_ns[inner], redactor, max_chars, time_limit))
            if inner not in names:
                names.append(inner)
        elif (
            pairs.get(opening + 1) == closing - 1
            and len(inner) > 2
            and _is_variable(inner[1:-1], user_ns)
        ):
            pieces.append(inner)  # {{name}} -> {name}, not interpolated
        else:
            pieces.append(prompt[opening : closing + 1])  # a field, a literal: as typed
        at = closing + 1
    return "".join(pieces), names
