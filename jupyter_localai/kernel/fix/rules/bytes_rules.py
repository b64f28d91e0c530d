"""Rule for bytes handled as text: an uploaded file's content, `data.split("\n")` where
`data` is bytes, raises "a bytes-like object is required, not 'str'". The bytes are
decoded first, `data.decode("utf-8")` (the encoding is the user's to know; UTF-8 is named
in the hint as the usual one)."""

from __future__ import annotations

import ast
import re

from ..failure import MISSING, Failure
from ..hint import Hint, operand, unique_replace
from . import rule

_NEEDS_BYTES = re.compile(r"a bytes-like object is required, not 'str'")


@rule(TypeError)
def bytes_as_text_rule(f: Failure) -> list[str]:
    """`data.split("\\n")` (or `.replace`, `.startswith`, ...) with `data` bytes."""
    if not _NEEDS_BYTES.search(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                        for a in node.args)):
            continue
        receiver = _bytes_base(f, node.func.value)
        if receiver is None:
            continue
        written = operand(f, receiver)
        decoded = f'{written}.decode("utf-8")'
        hint = (f"`{written}` holds bytes, and `{node.func.attr}` is given text: decode the "
                f"bytes first, `{decoded}` (UTF-8 unless the file says otherwise).")
        return [Hint(hint, edit=unique_replace(f, receiver, decoded, node))]
    return []


def _bytes_base(f: Failure, receiver: ast.expr) -> ast.expr | None:
    """The value holding bytes at the start of `receiver`: `payload` of
    `payload.strip()`, through bytes methods that give bytes again."""
    node = receiver
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            node.func.attr in _BYTES_TO_BYTES):
        node = node.func.value
    value = f.resolve(node)
    return node if value is not MISSING and type(value) is bytes else None


_BYTES_TO_BYTES = frozenset({"strip", "lstrip", "rstrip", "lower", "upper", "replace",
                             "removeprefix", "removesuffix", "title", "capitalize"})
