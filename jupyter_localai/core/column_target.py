"""A column asked for, a variable made: "add a column `work_days` to `repairs`" answered with
`work_days = ...` and nothing written into the frame.

Small models often compute the column's values under its name and stop there (or run out
of tokens before the last line); the code runs, and the frame is unchanged. When the
request adds or creates a column on a named frame and the code never writes that column
(`df["c"] = ...`, `df.loc[:, "c"] = ...`, `df.c = ...`, `df.assign(c=...)`,
`df.insert(..., "c", ...)`) the checks
say so (kind `column_target`); where the code assigns a top-level variable of that name,
the repair writes it into the frame, `repairs["work_days"] = work_days`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_Q = r"[`'\"]?"
_ADDS_COLUMN = re.compile(
    rf"\b(?:add|adds|adding|create|creates|creating|make|makes|append|insert|compute|"
    rf"derive)\b[^.\n;]{{0,40}}?\bcolumns?\s+(?:named\s+|called\s+)?{_Q}(?P<column>[A-Za-z_]\w*)"
    rf"{_Q}\s+(?:to|in|on|of|into)\s+(?:the\s+)?(?:frame\s+|dataframe\s+|table\s+)?"
    rf"{_Q}(?P<frame>[A-Za-z_]\w*){_Q}", re.IGNORECASE)


@dataclass(frozen=True)
class ColumnAsk:
    """The column a request adds, and the frame it adds it to."""

    column: str
    frame: str


def asked_column(request_text: str) -> ColumnAsk | None:
    match = _ADDS_COLUMN.search(request_text)
    return ColumnAsk(match.group("column"), match.group("frame")) if match else None


def _writes_column(tree: ast.AST, ask: ColumnAsk) -> bool:
    """Whether the code writes the column into the frame in any of the usual ways."""
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:
            for part in ast.walk(target):
                if (isinstance(part, ast.Subscript) and _is_name(part.value, ask.frame)
                        and _names_column(part.slice, ask.column)):
                    return True
                if (isinstance(part, ast.Attribute) and _is_name(part.value, ask.frame)
                        and part.attr == ask.column):
                    return True
                if (isinstance(part, ast.Subscript) and isinstance(part.value, ast.Attribute)
                        and part.value.attr in ("loc", "at") and _is_name(part.value.value,
                                                                          ask.frame)
                        and isinstance(part.slice, ast.Tuple) and len(part.slice.elts) == 2
                        and _names_column(part.slice.elts[1], ask.column)):
                    return True  # `df.loc[:, "c"] = ...`
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "assign" and any(k.arg == ask.column for k in node.keywords):
                return True
            if node.func.attr == "insert" and any(_names_column(a, ask.column)
                                                  for a in node.args):
                return True
    return False


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _names_column(node: ast.AST, column: str) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == column
    return isinstance(node, ast.List | ast.Tuple) and any(
        isinstance(e, ast.Constant) and e.value == column for e in node.elts)


def column_target_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of code that never writes the column the request adds."""
    ask = asked_column(request_text)
    if ask is None or _writes_column(tree, ask) or not _reads(tree, ask.frame):
        return []
    return [(f"The request adds a column `{ask.column}` to `{ask.frame}`, and the code never "
            f"writes it: end with `{ask.frame}[{ask.column!r}] = ...`.")]


def _reads(tree: ast.AST, name: str) -> bool:
    """Whether the code uses the frame at all (an answer about something else is left to
    the other checks)."""
    return any(_is_name(node, name) for node in ast.walk(tree))


def with_column_written(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with its top-level variable of the column's name written into the frame,
    where the code never writes the column; and notes."""
    ask = asked_column(request_text)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    if ask is None or _writes_column(tree, ask) or not _reads(tree, ask.frame):
        return code, []
    assigned = [s for s in tree.body if isinstance(s, ast.Assign) and any(
        _is_name(t, ask.column) for t in s.targets)]
    if not assigned:
        return code, []
    line = f"{ask.frame}[{ask.column!r}] = {ask.column}"
    last = max(s.end_lineno or s.lineno for s in assigned)
    lines = code.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    lines.insert(last, line + "\n")
    return "".join(lines), [f"added `{line}` (the request adds that column)"]
