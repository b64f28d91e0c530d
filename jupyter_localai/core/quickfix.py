"""Python's own "Did you mean" hint, or a computed hint's rewrite, applied to the failing
cell as a candidate fix.

Small models asked to fix a typo often hand back the failing cell unchanged even when the
hint is in the prompt (DESIGN.md, "Quality is measured"). When the error names a wrong
attribute, name or key and Python suggests the right one, the edit is mechanical: replace
that token, and only that token. Computed hints (kernel/fix/hints.py) that state an exact
rewrite carry it as an edit, applied the same way. The result still goes through the same
checks (and `--verify`) as any model answer.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from .context import ErrorInfo

_SUGGESTION = re.compile(r"Did you mean:? '([^']+)'\??")
_IMPORT_SUGGESTION = re.compile(r"`((?:import|from) [^`]+)`")
_WRONG_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
WRONG_NAME = re.compile(r"name '([^']+)' is not defined")
_WRONG_KEY = re.compile(r"^\s*(['\"])(.+)\1\s*$")


@dataclass(frozen=True)
class QuickFix:
    """A candidate cell and the one-line reason shown to the user."""

    code: str
    reason: str


def _replace_tokens(source: str, wrong: str, right: str, kind: str) -> str | None:
    """`source` with the NAME (after a dot for attributes) or STRING tokens `wrong` replaced."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return None
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, str]] = []
    previous = None
    for token in tokens:
        if kind == "attribute" and token.type == tokenize.NAME and token.string == wrong:
            if previous is not None and previous.string == ".":
                edits.append((*token.start, token.end[1], right))
        elif kind == "name" and token.type == tokenize.NAME and token.string == wrong:
            if previous is None or previous.string != ".":
                edits.append((*token.start, token.end[1], right))
        elif kind == "key" and token.type == tokenize.STRING and token.start[0] == token.end[0]:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):
                value = None
            if value == wrong:
                quote = token.string[-1]
                edits.append((*token.start, token.end[1], f"{quote}{right}{quote}"))
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token
    if not edits:
        return None
    for row, start, end, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:start] + text + line[end:]
    return "".join(lines)


def _wrong_token(error: ErrorInfo) -> tuple[str, str] | None:
    """(kind, wrong text) named by the error, or None when the error names nothing fixable."""
    if error.exc_type == "AttributeError":
        match = _WRONG_ATTRIBUTE.search(error.message)
        return ("attribute", match.group(1)) if match else None
    if error.exc_type in ("NameError", "UnboundLocalError"):
        match = WRONG_NAME.search(error.message)
        return ("name", match.group(1)) if match else None
    if error.exc_type == "KeyError":
        match = _WRONG_KEY.match(error.message)
        return ("key", match.group(2)) if match else None
    return None


def _apply(source: str, old: str, new: str) -> str | None:
    """`source` with each whole occurrence of `old` replaced: `df.qty` is not replaced in
    `df.qty_sold`, nor `x.a` in `box.a`; None when `old` is not there."""
    start = r"(?<![\w.])" if old[:1].isidentifier() else ""
    end = r"(?!\w)" if (old[-1:].isalnum() or old[-1:] == "_") else ""
    pattern = re.compile(start + re.escape(old) + end)
    if not pattern.search(source):
        return None
    return pattern.sub(lambda _: new, source)


def _edited_fixes(error: ErrorInfo, source: str) -> list[QuickFix]:
    """The failing cell with the computed hints' exact rewrites applied (`'%Y-%m-%d'` ->
    `'%m/%d/%Y'`, `df.quantity` -> `df.qty`): all of them together first (a cell with two
    misspelt columns needs both), then each alone."""
    edits = [(old, new) for old, new in error.edits if old and old != new]
    fixes = []
    if len(edits) > 1:
        combined: str | None = source
        for old, new in edits:
            combined = _apply(combined, old, new) if combined is not None else None
        if combined is not None:
            changes = ", ".join(f"`{old}` → `{new}`" for old, new in edits)
            fixes.append(QuickFix(combined, f"Applied the hints: {changes}."))
    for old, new in edits:
        fixed = _apply(source, old, new)
        if fixed is not None:
            fixes.append(QuickFix(fixed, f"Applied the hint: `{old}` → `{new}`."))
    return fixes


def _preamble_lines(code: str) -> int:
    """How many lines of `code` a docstring and `from __future__` imports take at its start."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return 0
    end = 0
    for node in tree.body:
        docstring = (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                     and isinstance(node.value.value, str))
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        end = node.end_lineno or node.lineno
    return end


def with_import(source: str, statement: str) -> str:
    """`source` with `statement` added where an import may go: after a leading cell magic
    (`%%time`), comments, a docstring and `from __future__` imports."""
    lines = source.splitlines(keepends=True)
    at = 0
    while at < len(lines) and (lines[at].lstrip().startswith(("%%", "#")) or not lines[at].strip()):
        at += 1
    at += _preamble_lines("".join(lines[at:]))
    head, tail = lines[:at], lines[at:]
    if head and not head[-1].endswith("\n"):
        head[-1] += "\n"
    return "".join([*head, statement + "\n", *tail])


def hinted_fixes(error: ErrorInfo | None, source: str) -> list[QuickFix]:
    """Candidate cells with Python's suggestion or a computed hint applied; empty when there
    is none to apply."""
    if error is None:
        return []
    fixes: list[QuickFix] = _edited_fixes(error, source)
    wrong = _wrong_token(error)
    for suggestion in error.suggestions:
        match = _SUGGESTION.search(suggestion)
        if match and wrong is not None:
            kind, text = wrong
            fixed = _replace_tokens(source, text, match.group(1), kind)
            if fixed is not None and fixed != source:
                fixes.append(QuickFix(fixed, f"Applied Python's hint: `{text}` → "
                                             f"`{match.group(1)}`."))
            continue
        imported = _IMPORT_SUGGESTION.search(suggestion)
        if imported and error.exc_type == "NameError":
            statement = imported.group(1)
            fixes.append(QuickFix(with_import(source, statement), f"Added the missing `{statement}`."))
    return fixes
