"""The replacement a library's own message names for a value the cell wrote.

Libraries that rename or drop an option often say what to write instead ("'M' is no longer
supported for offsets. Please use 'ME' instead.", "Invalid frequency: H. Did you mean h?"),
and a small model asked to fix the cell hands it back unchanged all the same. When the
value the message names is a string literal on the line that raised, and the message names
one replacement, the rewrite is exact: that literal, and only it, becomes the replacement.
The message is read, never guessed at: no table of renamed options is kept here.
"""

from __future__ import annotations

import ast
import re

from ..failure import Failure
from ..hint import Hint, contains, segment, unique_replace
from . import rule

# The replacement: `use 'ME' instead`, `Did you mean h?`, `Did you mean: 'ME'?`.
_REPLACEMENT = re.compile(
    r"[Uu]se (['\"])(?P<quoted>[^'\"]+)\1 instead"
    r"|Did you mean:? (?:(['\"])(?P<said>[^'\"]+)\3|(?P<bare>[\w.-]+))\?"
)


def _replacements(message: str) -> tuple[set[str], int]:
    """The distinct replacements the message names, and where the first one starts."""
    found = list(_REPLACEMENT.finditer(message))
    values = {m.group("quoted") or m.group("said") or m.group("bare") for m in found}
    return values, found[0].start() if found else -1


def _named_before(value: str, text: str) -> bool:
    """Whether `text` names `value` as a value: quoted, or right after a colon."""
    escaped = re.escape(value)
    return re.search(rf"(['\"]){escaped}\1|: {escaped}(?![\w-])", text) is not None


@rule(ValueError, TypeError, LookupError)
def replacement_rule(f: Failure) -> list[str]:
    replacements, start = _replacements(f.message)
    if len(replacements) != 1:
        return []
    [new] = replacements
    before = f.message[:start]
    literals = [node for node in f.line_nodes
                if isinstance(node, ast.Constant) and type(node.value) is str
                and node.value != new and _named_before(node.value, before)]
    if len({node.value for node in literals}) != 1:
        return []
    node = literals[0]
    written = segment(f, node)
    if written is None or written[-1] not in "'\"" or written[:1] not in "'\"":
        return []  # an f-string, a prefixed or a triple-quoted literal: not rewritten here
    quote = written[-1]
    fixed = f"{quote}{new}{quote}"
    if len(literals) > 1 or quote in new or "\\" in new:
        return []
    enclosing = sorted((n for n in f.line_nodes if contains(n, node) and n is not node),
                       key=_span)
    text = f"The error names the replacement: {written} is now {fixed} here."
    return [Hint(text, edit=unique_replace(f, node, fixed, *enclosing))]


def _span(node: ast.AST) -> tuple[int, int]:
    lines = (getattr(node, "end_lineno", 0) or 0) - (getattr(node, "lineno", 0) or 0)
    return lines, (getattr(node, "end_col_offset", 0) or 0) - (getattr(node, "col_offset", 0) or 0)
