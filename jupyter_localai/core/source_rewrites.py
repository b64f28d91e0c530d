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


def call_with_keyword(written: str, keyword: str) -> str | None:
    """A call's text with `keyword` (`aggfunc='sum'`) passed after its arguments, whatever
    comma or space it ends with; None for text that does not end the call."""
    if not written.endswith(")"):
        return None
    head = written[:-1].rstrip()
    joiner = "" if head.endswith(("(", ",")) else ", "
    return f"{head}{joiner}{keyword})"


def replaced_nodes(code: str, replacements: list[tuple[ast.AST, str]]) -> tuple[str, list[int]]:
    """The code with each node's text (one line) replaced by its new text, the last first
    so earlier offsets stay valid; and the indices of the replacements made (a node over
    several lines, or without a position, is left as it is)."""
    lines = code.splitlines(keepends=True)
    made: list[int] = []
    order = sorted(range(len(replacements)), reverse=True,
                   key=lambda i: (getattr(replacements[i][0], "lineno", 0),
                                  getattr(replacements[i][0], "col_offset", 0)))
    for index in order:
        node, new = replacements[index]
        line_no, end_no = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if line_no is None or line_no != end_no or start is None or end is None:
            continue
        line = lines[line_no - 1]
        lines[line_no - 1] = f"{line[:char_offset(line, start)]}{new}{line[char_offset(line, end):]}"
        made.append(index)
    return "".join(lines), sorted(made)
