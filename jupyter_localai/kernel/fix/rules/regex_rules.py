"""Rules for regular expressions: `re.match` where the pattern is in the middle of the text,
and a match read from texts some of which have none.

`re.match(r"after (\\d+)s", line).group(1)` raises "'NoneType' object has no attribute
'group'" when the line starts with something else: `re.match` anchors at the start,
`re.search` looks anywhere. When `re.search` finds the cell's own pattern in the very text
that failed (read from the live variables, at most `_MAX_TEXT` characters), the call becomes
`re.search`; the pattern and the text are the cell's, nothing else is run.

`[int(re.search(p, s).group(1)) for s in subjects]` raises the same way when one subject has
no match. Where the match is read inside a comprehension's entry or a lambda (one value per
text), the entry keeps one value per text: the match where there is one, None where not,
`int(m.group(1)) if (m := re.search(p, s)) else None`.
"""

from __future__ import annotations

import ast
import re

from ..failure import MISSING, Failure, constant
from ..hint import Hint, code, enclosing_entry, free_name, rewrite, unique_replace
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


_MATCHERS = ("search", "match", "fullmatch")
_FREE_NAMES = ("m", "match", "found", "_match")


@rule(AttributeError)
def no_match_rule(f: Failure) -> list[str]:
    """A match read from each text of a comprehension or lambda, where some text has none:
    the entry gives None for those (the list keeps one entry per text)."""
    read = _NONE_MATCH.match(f.message)
    if read is None or f.tree is None:
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Attribute) and node.attr == read.group(1)
                and _is_matcher_call(f, node.value)):
            continue
        call = node.value
        entry, holder = enclosing_entry(f.tree, call, lambdas=True)
        name = free_name(f.tree, _FREE_NAMES)
        text = (f"`{code(f, call)}` is None for a text without a match, and None has no "
                f"`.{read.group(1)}`: test the match before reading it.")
        if entry is None or name is None:
            return [text]
        inner = rewrite(f, entry, call, name)
        if inner is None:
            return [text]
        new = f"{inner[1]} if ({name} := {code(f, call)}) else None"
        text += f" One value per text, None where there is no match: `{new}`."
        return [Hint(text, edit=unique_replace(f, entry, new, holder))]
    return []


def _is_matcher_call(f: Failure, node: ast.AST) -> bool:
    """`re.search(...)` (with `re` the live module) or `<compiled pattern>.search(...)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MATCHERS and isinstance(node.func.value, ast.Name)):
        return False
    owner = f.lookup(node.func.value.id)
    return owner is re or isinstance(owner, re.Pattern)
