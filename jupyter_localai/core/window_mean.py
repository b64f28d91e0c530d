"""A moving average written as a convolution with a window of ones: a moving sum.

`np.convolve(x, np.ones(7), mode='valid')` adds up each window's values; their mean
divides them by the window's length. Asked for a moving (rolling) average, both models
wrote the sum in two held-out rounds (9 and 10), and it runs, so no rehearsal shows it.
When the request speaks of an average or mean and of no sum or total, and the code
convolves with `<numpy>.ones(k)` and never divides the result, the checks name it (kind
`window_mean`) and the repair divides the window instead: `np.ones(k) / k`.
"""

from __future__ import annotations

import ast
import re

from .source_rewrites import replaced_nodes

_MEAN = re.compile(r"\b(?:average|averages|averaged|mean|means)\b", re.IGNORECASE)
_SUM = re.compile(r"\b(?:sum|sums|summed|total|totals)\b", re.IGNORECASE)


def _asks_mean(request_text: str) -> bool:
    return bool(_MEAN.search(request_text)) and not _SUM.search(request_text)


def window_sums(tree: ast.AST) -> list[ast.Call]:
    """The `ones(k)` windows of `convolve(x, ones(k), ...)` calls whose result the code
    never divides (in the same expression, or the name it is assigned to afterwards)."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    divided = {node.target.id for node in ast.walk(tree)
               if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Div)
               and isinstance(node.target, ast.Name)}
    divided |= {node.left.id for node in ast.walk(tree)
                if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
                and isinstance(node.left, ast.Name)}
    windows = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "convolve" and len(node.args) >= 2):
            continue
        window = node.args[1]
        if not (isinstance(window, ast.Call) and isinstance(window.func, ast.Attribute)
                and window.func.attr == "ones" and len(window.args) == 1
                and not window.keywords):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div):
            continue
        if isinstance(parent, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id in divided
                for target in parent.targets):
            continue
        windows.append(window)
    return windows


def window_messages(tree: ast.AST, code: str, request_text: str) -> list[str]:
    """What the checks say of each window of ones an average-asking request meets."""
    if not _asks_mean(request_text):
        return []
    messages = []
    for window in window_sums(tree):
        written = ast.get_source_segment(code, window) or ast.unparse(window)
        size = ast.get_source_segment(code, window.args[0]) or ast.unparse(window.args[0])
        messages.append(f"Convolving with `{written}` adds up each window, but the request "
                        f"asks for an average: divide the window, `{written} / {size}`.")
    return list(dict.fromkeys(messages))


def with_window_means(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each window of ones divided by its length, and notes."""
    if not _asks_mean(request_text):
        return code, []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    windows = [w for w in window_sums(tree) if ast.get_source_segment(code, w.args[0])]
    written = [ast.get_source_segment(code, w) or ast.unparse(w) for w in windows]
    sizes = [ast.get_source_segment(code, w.args[0]) for w in windows]
    rewritten, made = replaced_nodes(code, [(w, f"{text} / {size}") for w, text, size
                                            in zip(windows, written, sizes)])
    return rewritten, [f"`{written[i]}` → `{written[i]} / {sizes[i]}`" for i in made]
