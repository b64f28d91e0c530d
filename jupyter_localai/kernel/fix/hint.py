"""A hint that carries the exact edit it describes, and the helpers rules build edits with.

Small models often ignore a hint's advice, so a rule that knows the one rewrite the user
meant also gives it as `(old, new)`: `old` is text of the cell exactly as written (taken from
the source by the node's position, never re-unparsed, so `source.replace(old, new, 1)`
applies it), `new` what replaces it. The assistant applies it as a candidate fix and checks
the result like any other answer.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ...core.source_rewrites import call_with_keyword
from .failure import Failure, pandas_module

if TYPE_CHECKING:  # typing.Self is 3.11+
    from typing_extensions import Self

Edit = tuple[str, str]
# The expressions that bind their own loop variables.
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_ATOMS = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.List, ast.Dict)


class Hint(str):
    """A hint's text (a str, so every consumer keeps working) with an optional edit."""

    edit: Edit | None

    def __new__(cls, text: str, edit: Edit | None = None) -> Self:
        hint = super().__new__(cls, text)
        hint.edit = edit
        return hint


def hint_edits(hints: Iterable[str]) -> list[Edit]:
    """The edits of the hints that have one, without repeats, in order."""
    edits: list[Edit] = []
    for hint in hints:
        edit = hint.edit if isinstance(hint, Hint) else None
        if edit and edit not in edits:
            edits.append(edit)
    return edits


def segment(f: Failure, node: ast.AST) -> str | None:
    """`node` exactly as the cell writes it; None for a node the rule built itself."""
    return ast.get_source_segment(f.source, node)


def code(f: Failure, node: ast.AST) -> str:
    """`node` as written where it comes from the cell, else unparsed."""
    return segment(f, node) or ast.unparse(node)


def operand(f: Failure, node: ast.expr) -> str:
    """`node` as written, parenthesized where a `.attr` after it would bind to a part of it."""
    text = code(f, node)
    simple = isinstance(node, _ATOMS) or type(getattr(node, "value", None)) is str
    return text if simple else f"({text})"


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    """Whether `inner` is `outer` or one of its descendants (by identity, not equality)."""
    return any(child is inner for child in ast.walk(outer))


def enclosing_entry(tree: ast.AST, node: ast.AST, *, lambdas: bool = False
                    ) -> tuple[ast.expr | None, ast.AST | None]:  # fmt: skip
    """(entry, its holder): the innermost comprehension entry (or, with `lambdas`, lambda
    body) holding `node`, not the comprehension's loops; (None, None) where there is none."""
    found: tuple[ast.expr | None, ast.AST | None] = (None, None)
    for outer in ast.walk(tree):  # breadth first: a later match is nested deeper
        if isinstance(outer, COMPREHENSIONS):
            entry = outer.value if isinstance(outer, ast.DictComp) else outer.elt
        elif lambdas and isinstance(outer, ast.Lambda):
            entry = outer.body
        else:
            continue
        if contains(entry, node):
            found = (entry, outer)
    return found


def free_name(tree: ast.AST | None, candidates: Iterable[str], fallback: str | None = None
              ) -> str | None:  # fmt: skip
    """The first of `candidates` that no name of the cell uses (else `fallback`): a name an
    edit can introduce without shadowing the user's own."""
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree else set()
    return next((n for n in candidates if n not in taken), fallback)


def replace(f: Failure, node: ast.AST, new: str) -> Edit | None:
    """The edit that replaces `node` by `new`."""
    old = segment(f, node)
    return (old, new) if old and old != new else None


def rewrite(f: Failure, outer: ast.AST, inner: ast.AST, new_inner: str) -> Edit | None:
    """The edit that replaces `outer`, with `inner` (a node within it) replaced by `new_inner`.

    Spliced by position, not by searching: `float(f)` must not change the `f` of `float`.
    """
    before = _between(f, _position(outer, ""), _position(inner, ""))
    after = _between(f, _position(inner, "end_"), _position(outer, "end_"))
    if before is None or after is None:
        return None
    return replace(f, outer, before + new_inner + after)


def with_keyword(f: Failure, call: ast.Call, keyword: str, *outers: ast.AST) -> Edit | None:
    """The edit of `call` with `keyword` (`numeric_only=True`) passed after its arguments."""
    written = segment(f, call)
    new = call_with_keyword(written, keyword) if written else None
    return None if new is None else unique_replace(f, call, new, *outers)


def drop_argument(f: Failure, call: ast.Call, argument: ast.AST) -> Edit | None:
    """The edit of `call` without one of its arguments and the comma that joined it."""
    parts = sorted([*call.args, *call.keywords], key=lambda n: (n.lineno, n.col_offset))
    at = next((i for i, part in enumerate(parts) if part is argument), None)
    if at is None:
        return None
    if at > 0:  # from the end of the argument before it: `, yticks=labels`
        cut = _position(parts[at - 1], "end_"), _position(argument, "end_")
    elif len(parts) > 1:  # the first: up to the next one, `yticks=labels, `
        cut = _position(argument, ""), _position(parts[1], "")
    else:
        cut = _position(argument, ""), _position(argument, "end_")
    before = _between(f, _position(call, ""), cut[0])
    after = _between(f, cut[1], _position(call, "end_"))
    if before is None or after is None:
        return None
    edit = replace(f, call, before + after)
    return edit if edit is not None and f.source.count(edit[0]) == 1 else None


def source_between(f: Failure, start: ast.AST, end: ast.AST, *, after_start: bool = False,
                   through_end: bool = False) -> str | None:
    """The cell's text from `start` (its end with `after_start`) to `end` (its end with
    `through_end`), as written: for edits that rewrite several places of one statement."""
    return _between(f, _position(start, "end_" if after_start else ""),
                    _position(end, "end_" if through_end else ""))


def _position(node: ast.AST, which: str) -> tuple[int | None, int | None]:
    """Where `node` starts (`which` "") or ends ("end_"): line and UTF-8 column."""
    return getattr(node, f"{which}lineno", None), getattr(node, f"{which}col_offset", None)


def _between(f: Failure, start: tuple[int | None, int | None],
             end: tuple[int | None, int | None]) -> str | None:  # fmt: skip
    """The source text between two positions, split into lines as `ast` does."""
    if None in (*start, *end):
        return None
    span = types.SimpleNamespace(lineno=start[0], col_offset=start[1], end_lineno=end[0],
                                 end_col_offset=end[1])  # fmt: skip
    return ast.get_source_segment(f.source, span)  # type: ignore[arg-type]


def pandas_name(f: Failure) -> str | None:
    """The name pandas is bound to in the namespace (`pd` first), for code that calls it."""
    pd = pandas_module()
    if pd is None:
        return None
    if f.lookup("pd") is pd:
        return "pd"
    for name, value in list(f.user_ns.items()):
        if value is pd and type(name) is str and name.isidentifier():
            return name
    return None


def unique_replace(f: Failure, inner: ast.AST, new: str, *outers: ast.AST) -> Edit | None:
    """The edit replacing `inner` by `new`, widened to the first of `outers` (each enclosing
    it) whose text occurs once: the edit is applied to the first occurrence, so `v` in
    `r = m - v` must not hit the `v = ...` above it. Each outer is tried up to `inner`'s end
    first, then whole (`orders` at the start of `orders.merge(...)` is as ambiguous as
    `orders` alone where `orders_named = ` precedes it)."""
    widened = (way(f, outer, inner, new) for outer in outers for way in (through, rewrite))
    return next((edit for edit in (replace(f, inner, new), *widened)
                 if edit is not None and f.source.count(edit[0]) == 1), None)


def through(f: Failure, outer: ast.AST, inner: ast.AST, new_inner: str) -> Edit | None:
    """The edit of the text from `outer`'s start through `inner`'s end (`for k in d` of a
    loop, without its body), with `inner` replaced by `new_inner`."""
    before = _between(f, _position(outer, ""), _position(inner, ""))
    old = segment(f, inner)
    return (before + old, before + new_inner) if before is not None and old else None
