"""Missing values asked to be ignored, and numpy reductions that do not ignore them:
`np.argmax(temps, axis=1)` where the request says "the highest reading, ignoring the NaNs".

numpy's plain reductions carry a NaN through (`np.mean` gives NaN) or pick it
(`np.argmax` returns where the NaN is); each has a NaN-ignoring twin (`np.nanmean`,
`np.nanargmax`) that takes the same arguments. Both run, so no rehearsal shows the
mix-up. When the request says in so many words that missing values are to be left out
("ignoring the missing readings", "skip NaNs", "NaN-aware") and the code calls a plain
reduction through numpy, the checks say so (kind `nan_reduction`) and the repair calls its
twin instead. pandas' own methods (`s.mean()`) skip NaN already and are left alone.
"""

from __future__ import annotations

import ast
import re

from .source_rewrites import replaced_nodes

_ASKS_SKIP = re.compile(
    r"\b(?:ignor\w*|skip\w*|exclud\w*|disregard\w*|leav\w*\s+out|omit\w*|without)\s+"
    r"(?:the\s+|any\s+|all\s+)?(?:[\w-]+\s+){0,2}?(?:nans?|missing|gaps?|blanks?)\b|"
    r"\bnan[\s-]*(?:aware|safe)\b", re.IGNORECASE)
_TWINS = {name: f"nan{name}" for name in (
    "mean", "average", "sum", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
    "median", "percentile", "quantile", "prod", "cumsum", "cumprod")}
_TWINS["average"] = "nanmean"
_TWINS["amax"], _TWINS["amin"] = "nanmax", "nanmin"


def _plain_reductions(tree: ast.AST, request_text: str) -> list[ast.Attribute]:
    """The `np.<reduction>` callees that have a NaN-ignoring twin, where one was asked for."""
    if not _ASKS_SKIP.search(request_text):
        return []
    return [node.func for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in ("np", "numpy")
            and node.func.attr in _TWINS and not _weighted(node)]


def _weighted(call: ast.Call) -> bool:
    """`np.average(x, weights=w)` has no NaN-ignoring twin that takes weights."""
    return any(keyword.arg == "weights" for keyword in call.keywords)


def nan_messages(tree: ast.AST, request_text: str) -> list[str]:
    """What the checks say of plain reductions where missing values were to be ignored."""
    return [f"`{ast.unparse(func)}` does not ignore NaN (it gives NaN, or picks where the NaN "
            f"is), and the request asks to leave missing values out: call "
            f"`{ast.unparse(func.value)}.{_TWINS[func.attr]}` with the same arguments."
            for func in _plain_reductions(tree, request_text)]


def with_nan_reductions(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with each plain reduction replaced by its NaN-ignoring twin; notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    replacements: list[tuple[ast.AST, str]] = [
        (func, f"{ast.unparse(func.value)}.{_TWINS[func.attr]}")
        for func in _plain_reductions(tree, request_text)]
    rewritten, made = replaced_nodes(code, replacements)
    return rewritten, [f"`{ast.unparse(replacements[i][0])}` → `{replacements[i][1]}`"
                       for i in made]
