"""An oracle for the chat checks' real-model tests, independent of the checks themselves.

It reads each Python block of an answer with `ast` and lists the columns it reads from the
frame (`df['x']`, `df.x` where `x` is no DataFrame member) that the frame does not have and
the block does not create. Such a block must carry the failed-check mark naming the column.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import pandas as pd

_FENCE = re.compile(r"^[ \t]*(`{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_PYTHON = {"", "python", "py", "python3", "ipython", "ipython3"}
_MEMBERS = set(dir(pd.DataFrame))


def missing_columns(code: str, frame: str, columns: set[str]) -> set[str]:
    """Columns `code` reads from `frame` that neither the frame nor the code has."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    read, created = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                and node.value.id == frame and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            (created if isinstance(node.ctx, ast.Store) else read).add(node.slice.value)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id == frame and node.attr not in _MEMBERS:
            read.add(node.attr)
    return read - columns - created


def python_blocks(text: str) -> list[str]:
    """The closed fenced Python blocks of `text`, as written."""
    return [m.group(3).strip("\n") for m in _FENCE.finditer(text) if m.group(2).lower() in _PYTHON]


def unmarked_missing(reply: dict[str, Any], frame: str, columns: set[str]) -> list[str]:
    """Problems: a block naming a missing column without the failed mark naming it."""
    marks = {block["code"].strip(): block for block in reply.get("blocks", [])}
    problems = []
    for code in python_blocks(reply["text"]):
        missing = missing_columns(code, frame, columns)
        if not missing:
            continue
        block = marks.get(code.strip())
        issues = " ".join(block["issues"]) if block and block["checked"] else ""
        if not any(name in issues for name in missing):
            problems.append(f"block names missing {sorted(missing)} unmarked:\n{code}")
    return problems
