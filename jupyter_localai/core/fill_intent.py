"""Missing values the request keeps, filled by the answer: `s.fillna(0)` after a
`pct_change` where the request says "NaN for each store's first month".

Small models end many answers with a `fillna(0)` nobody asked for; it runs, so no
rehearsal shows it, and a 0 where the request wanted NaN reads as a real value. When the
request says in so many words that some values are to be missing ("NaN for the first
row", "leave them missing", "should be NaN"), the checks name each `fillna` (kind
`fill`), and the repair drops the statements that only fill: `x = x.fillna(...)` (the
same target on both sides) and `x.fillna(..., inplace=True)`.
"""

from __future__ import annotations

import ast
import re

_KEEPS_MISSING = re.compile(
    r"\b(?:NaN|NA|None|null|missing)\s+(?:for|where|when|on|at)\b|"
    r"\b(?:should|must|will|to)\s+(?:be|stay|remain)\s+(?:NaN|missing|empty|NA|null)\b|"
    r"\b(?:leave|leaving|keep|keeping)\s+(?:\w+\s+){0,3}?(?:as\s+)?(?:NaN|missing|empty|NA|null)\b",
    re.IGNORECASE)
# A request that asks to fill, impute or replace missing values wants a fill somewhere.
_ASKS_FILL = re.compile(r"\b(?:fill|filled|filling|impute|imputed|replace|replaced|interpolate)",
                        re.IGNORECASE)


def keeps_missing(request_text: str) -> bool:
    return bool(_KEEPS_MISSING.search(request_text)) and not _ASKS_FILL.search(request_text)


def _is_fillna(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "fillna")


def fill_calls(tree: ast.AST, request_text: str) -> list[ast.Call]:
    """The `fillna` calls of the code, where the request keeps missing values."""
    if not keeps_missing(request_text):
        return []
    return [node for node in ast.walk(tree) if _is_fillna(node)]


def fill_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of each fill where the request keeps missing values."""
    messages = []
    for call in fill_calls(tree, request_text):
        written = ast.get_source_segment(code, call) or ast.unparse(call)
        messages.append(f"The request keeps some values missing (NaN), but `{written}` fills "
                        "them: leave them as NaN.")
    return list(dict.fromkeys(messages))


def _only_fills(statement: ast.stmt) -> bool:
    """`x = x.fillna(...)` / `df['c'] = df['c'].fillna(...)`, or `x.fillna(..., inplace=True)`."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        value = statement.value
        return (isinstance(value, ast.Call) and _is_fillna(value)
                and isinstance(value.func, ast.Attribute)
                and ast.unparse(value.func.value) == ast.unparse(statement.targets[0]))
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        call = statement.value
        return _is_fillna(call) and any(
            k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in call.keywords)
    return False


def with_fills_dropped(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code without its top-level statements that only fill, and notes."""
    if not keeps_missing(request_text):
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    drop = [s for s in tree.body if _only_fills(s) and s.end_lineno is not None]
    if not drop:
        return code, []
    lines = code.splitlines(keepends=True)
    notes = []
    for statement in sorted(drop, key=lambda s: s.lineno, reverse=True):
        written = "".join(lines[statement.lineno - 1:statement.end_lineno]).strip()
        del lines[statement.lineno - 1:statement.end_lineno]
        notes.append(f"dropped `{written}` (the request keeps those values NaN)")
    return "".join(lines), notes[::-1]
