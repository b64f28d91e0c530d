"""Textual rewrites of a cell's source that the repairs share.

Two things every rewrite of code text needs and that are easy to get subtly wrong:
ast's column offsets count UTF-8 bytes while a line's text counts characters (a `é` or
`→` earlier on the line shifts every slice), and a mistake nested in another (
`….str.split(',')[0].str.split(':')[1]`) changes the outer one's text once rewritten, so
rewrites go the innermost first and the code is read again after each.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

Found = TypeVar("Found")

# A bound on rewrites of one code (each rewrite removes one; the code is read again after each).
MOST_REWRITES = 16


def char_offset(line: str, byte_offset: int) -> int:
    """The character position in `line` of ast's column offset (which counts UTF-8 bytes)."""
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def rewritten_innermost_first(code: str, find: Callable[[str, ast.AST], list[Found]],
                              written: Callable[[Found], str],
                              meant: Callable[[Found], str]) -> tuple[str, list[Found]]:
    """The code with every text `find` reports replaced by what was meant, everywhere it
    stands (the same text is the same mistake), the shortest (innermost) first, the code
    parsed again after each; and what was rewritten, in that order. Code that does not
    parse is left as it is."""
    done: list[Found] = []
    for _ in range(MOST_REWRITES):
        try:
            found = find(code, ast.parse(code))
        except SyntaxError:
            break
        if not found:
            break
        innermost = min(found, key=lambda item: len(written(item)))
        code = code.replace(written(innermost), meant(innermost))
        done.append(innermost)
    return code, done
