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
_WRONG_NAME = re.compile(r"name '([^']+)' is not defined")
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
        match = _WRONG_NAME.search(error.message)
        return ("name", match.group(1)) if match else None
    if error.exc_type == "KeyError":
        match = _WRONG_KEY.match(error.message)
        return ("key", match.group(2)) if match else None
    return None


def _edited_fixes(error: ErrorInfo, source: str) -> list[QuickFix]:
    """The failing cell with each computed hint's exact rewrite applied (`'%Y-%m-%d'` ->
    `'%m/%d/%Y'`, `z.zfill(5)` -> `str(z).zfill(5)`), where the text to replace is there."""
    fixes = []
    for old, new in error.edits:
        if old and old in source and old != new:
            fixes.append(QuickFix(source.replace(old, new),
                                  f"Applied the hint: `{old}` → `{new}`."))
    return fixes


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
            fixes.append(QuickFix(f"{statement}\n{source}", f"Added the missing `{statement}`."))
    return fixes
