"""A request for something per column (or per row) of an array, answered over the whole
array: `np.min(scores)` where each column's minimum was asked for.

A NumPy reduction without `axis` reduces a 2-D array to one number, which broadcasts
silently: "scale each column to 0-1" written as
`(a - np.min(a)) / (np.max(a) - np.min(a))` runs and scales by the whole array's range.
Both models wrote exactly that on unseen tasks in two held-out rounds, and a run cannot
show it. When the request says per column (per row) in so many words and the code
reduces a live NumPy array without an axis, the checks name it (kind `axis`) and the
repair passes `axis=0` (`axis=1, keepdims=True`, so the row results broadcast back over
their rows). pandas objects are left alone: their reductions are per column already.
"""

from __future__ import annotations

import ast
import re

from .check_types import NamespaceView
from .source_rewrites import char_offset

# A feature is a column and a sample a row, as in every data-science library's arrays;
# "each feature (column)" names it twice.
_COLUMNS = re.compile(r"\b(?:per|each|every)[\s-]+(?:\w+\s+\(?)?(?:columns?|features?)\b|"
                      r"\bcolumn[- ]?wise\b|"
                      r"\b(?:within|across)\s+(?:each|every)\s+columns?\b", re.IGNORECASE)
_ROWS = re.compile(r"\b(?:per|each|every)[\s-]+(?:\w+\s+\(?)?(?:rows?|samples?)\b|"
                   r"\brow[- ]?wise\b|"
                   r"\b(?:within|across)\s+(?:each|every)\s+rows?\b", re.IGNORECASE)
_FUNCTIONS = frozenset({"min", "max", "mean", "sum", "std", "var", "median", "ptp", "amin",
                        "amax", "nanmin", "nanmax", "nanmean", "nansum", "nanstd", "nanmedian",
                        "nanvar"})
_METHODS = frozenset({"min", "max", "mean", "sum", "std", "var", "ptp"})
_ARRAY_MARKS = frozenset({"ndim", "reshape", "ravel", "T"})
_NOT_ARRAY_MARKS = frozenset({"iloc", "__file__", "__spec__"})


def wanted_axis(request_text: str) -> int | None:
    """0 when the request speaks of each column, 1 of each row, None for neither or both."""
    columns, rows = bool(_COLUMNS.search(request_text)), bool(_ROWS.search(request_text))
    return 0 if columns and not rows else 1 if rows and not columns else None


def _is_live_array(node: ast.expr, namespace: NamespaceView) -> bool:
    if not (isinstance(node, ast.Name) and namespace.has(node.id)):
        return False
    members = set(namespace.attribute_names(node.id) or ())
    return _ARRAY_MARKS <= members and not members & _NOT_ARRAY_MARKS


def whole_array_reductions(tree: ast.AST, namespace: NamespaceView) -> list[ast.Call]:
    """`np.min(a)` and `a.min()` calls on a live NumPy array, with no axis given; none
    when the code passes an axis anywhere (then a whole-array total is likely meant)."""
    if any(isinstance(node, ast.keyword) and node.arg == "axis" for node in ast.walk(tree)):
        return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and not node.keywords):
            continue
        owner, name = node.func.value, node.func.attr
        module_call = (name in _FUNCTIONS and isinstance(owner, ast.Name)
                       and owner.id in ("np", "numpy") and len(node.args) == 1
                       and _is_live_array(node.args[0], namespace))
        method_call = name in _METHODS and not node.args and _is_live_array(owner, namespace)
        if module_call or method_call:
            found.append(node)
    return found


def axis_keywords(axis: int) -> str:
    """Per column, or per row kept as a column so that it broadcasts over its row."""
    return "axis=0" if axis == 0 else "axis=1, keepdims=True"


def with_axis_meant(code: str, namespace: NamespaceView, request_text: str) -> tuple[str, list[str]]:
    """The code with the asked-for axis passed to each whole-array reduction, and notes."""
    axis = wanted_axis(request_text)
    if axis is None:
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    calls = whole_array_reductions(tree, namespace)
    lines = code.splitlines(keepends=True)
    notes: list[str] = []
    # From the last to the first, so the positions of the ones before stay right.
    for call in sorted(calls, key=lambda c: (c.end_lineno or 0, c.end_col_offset or 0),
                       reverse=True):
        written = ast.get_source_segment(code, call)
        if written is None or call.end_lineno is None or call.end_col_offset is None:
            continue
        line = lines[call.end_lineno - 1]
        end = char_offset(line, call.end_col_offset)
        separator = ", " if call.args else ""
        lines[call.end_lineno - 1] = f"{line[:end - 1]}{separator}{axis_keywords(axis)}){line[end:]}"
        notes.append(f"`{written}` → `{written[:-1]}{separator}{axis_keywords(axis)})`")
    return "".join(lines), list(dict.fromkeys(notes[::-1]))


def axis_messages(tree: ast.AST, code: str, namespace: NamespaceView,
                  request_text: str) -> list[str]:
    """What the checks say of each whole-array reduction a per-column/row request meets."""
    axis = wanted_axis(request_text)
    if axis is None:
        return []
    part = "column" if axis == 0 else "row"
    messages = []
    for call in whole_array_reductions(tree, namespace):
        written = ast.get_source_segment(code, call) or ast.unparse(call)
        messages.append(f"`{written}` reduces the whole array to one number, but the request "
                        f"asks per {part}: pass `{axis_keywords(axis)}`.")
    return list(dict.fromkeys(messages))
