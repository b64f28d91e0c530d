"""Rules for regular expressions: `re.match` where the pattern is in the middle of the text.

`re.match(r"after (\\d+)s", line).group(1)` raises "'NoneType' object has no attribute
'group'" when the line starts with something else: `re.match` anchors at the start,
`re.search` looks anywhere. When `re.search` finds the cell's own pattern in the very text
that failed (read from the live variables, at most `_MAX_TEXT` characters), the call becomes
`re.search`; the pattern and the text are the cell's, nothing else is run.
"""

from __future__ import annotations

import ast
import re

from ..failure import MISSING, Failure, constant
from ..hint import Hint, code, unique_replace
from . import rule

_NONE_MATCH = re.compile(r"^'NoneType' object has no attribute '(group|groups|groupdict|span|"
                         r"start|end)'$")
_MAX_TEXT = 10_000


@rule(AttributeError)
def match_anchor_rule(f: Failure) -> list[str]:
    """A match object read from `re.match(...)` that found nothing at the text's start, where
    `re.search` finds the pattern further on: the call becomes `re.search`."""
    read = _NONE_MATCH.match(f.message)
    if read is None or f.tree is None:
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Attribute) and node.attr == read.group(1)):
            continue
        call = _match_call(f, node.value)
        if call is None:
            continue
        pattern, text = constant(call.args[0]), f.resolve(call.args[1])
        if type(pattern) is not str or type(text) is not str or len(text) > _MAX_TEXT:
            continue
        try:
            found = re.search(pattern, text)
        except re.error:
            continue
        if found is None:
            continue
        module = code(f, call.func.value)  # type: ignore[attr-defined]
        hint = (f"`{module}.match` only matches at the start of the text, and {text[:60]!r} "
                f"has the pattern further on: `{module}.search` finds it anywhere (then check "
                "for None before reading the match).")
        return [Hint(hint, edit=unique_replace(f, call.func, f"{module}.search", call))]
    return []


def _match_call(f: Failure, node: ast.expr) -> ast.Call | None:
    """The `re.match(pattern, text)` call `node` is, or the one assignment of its name."""
    if isinstance(node, ast.Name):
        assigned = [n.value for n in ast.walk(f.tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)]
        if len(assigned) != 1:
            return None
        node = assigned[0]
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "match" and isinstance(node.func.value, ast.Name)
            and len(node.args) == 2 and not node.keywords):
        return None
    module = f.lookup(node.func.value.id)
    return node if module is not MISSING and module is re else None
