"""A change asked for in percent, answered as a fraction: `s.pct_change()` where the
request says "in percent (a rise from 200 to 220 is 10.0)".

pandas' `pct_change` gives fractions (0.1 for a 10% rise) despite its name, and the code
runs, so no rehearsal shows it. When the request asks for percent in so many words ("in
percent", "as a percentage", "percentage points") and the code calls `pct_change` and
never multiplies by 100 anywhere, the checks name it (kind `percent`) and the repair
multiplies each such call that is a whole value (assigned, passed, returned),
`s.pct_change() * 100`.
"""

from __future__ import annotations

import ast
import re

from .source_rewrites import replaced_nodes

_IN_PERCENT = re.compile(r"\b(?:in|as(?:\s+a)?)\s+percent(?:age)?s?\b|\bpercentage\s+points?\b|"
                         r"\bexpressed\s+(?:in|as)\s+(?:a\s+)?percent", re.IGNORECASE)


# Where a call is a whole value, so `* 100` after it scales exactly that value.
_WHOLE_VALUE = (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return, ast.keyword, ast.Call)


def _times_hundred(tree: ast.AST) -> bool:
    """Whether the code multiplies by 100 anywhere (`* 100`, `100 *`, `.mul(100)`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and any(
                isinstance(side, ast.Constant) and side.value in (100, 100.0)
                for side in (node.left, node.right)):
            return True
        if (isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Mult)
                and isinstance(node.value, ast.Constant) and node.value.value in (100, 100.0)):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("mul", "multiply") and any(
                    isinstance(a, ast.Constant) and a.value in (100, 100.0) for a in node.args)):
            return True
    return False


def fraction_changes(tree: ast.AST, request_text: str) -> list[ast.Call]:
    """The `pct_change(...)` calls of code that never scales to percent, where the request
    asks for percent."""
    if not _IN_PERCENT.search(request_text) or _times_hundred(tree):
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "pct_change"]


def percent_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of each fraction where percent was asked."""
    messages = []
    for call in fraction_changes(tree, request_text):
        written = ast.get_source_segment(code, call) or ast.unparse(call)
        messages.append(f"`{written}` gives fractions (0.1 for a 10% rise), and the request "
                        f"asks in percent: multiply by 100, `{written} * 100`.")
    return list(dict.fromkeys(messages))


def with_percent_scale(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each such call that is a whole value multiplied by 100, and notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    calls = [c for c in fraction_changes(tree, request_text)
             if isinstance(parents.get(c), _WHOLE_VALUE)]
    written = [ast.get_source_segment(code, call) or ast.unparse(call) for call in calls]
    rewritten, made = replaced_nodes(code, [(c, f"{w} * 100") for c, w in zip(calls, written)])
    return rewritten, [f"`{written[i]}` → `{written[i]} * 100`" for i in made]
