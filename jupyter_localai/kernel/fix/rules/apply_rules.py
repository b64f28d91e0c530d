"""Rule for a row-wise function given to `DataFrame.apply` without `axis=1`:
`df.apply(lambda row: row["hours"] * row["rate"])` raises KeyError 'hours'.

`apply` passes each column by default, so the function's `row` is a column, indexed by the
frame's row labels, and a column name is not among them. Where the missing key is one of the
frame's columns and the function reads its argument by that key, the call gets `axis=1`.
"""

from __future__ import annotations

import ast

from ..failure import Failure, constant, pandas_kind, str_columns
from ..hint import Hint, code, with_keyword
from . import rule


@rule(KeyError)
def apply_axis_rule(f: Failure) -> list[str]:
    """`frame.apply(func)` whose func reads a column by name from each item it gets."""
    key = f.exc.args[0] if len(f.exc.args) == 1 else None
    if type(key) is not str or f.tree is None:
        return []
    # The whole cell: the KeyError may come from the line of the cell's own `def`.
    for call in (n for n in ast.walk(f.tree) if isinstance(n, ast.Call)):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "apply"
                and call.args and not any(k.arg == "axis" for k in call.keywords)):
            continue
        frame = f.resolve(call.func.value)
        if pandas_kind(frame) != "DataFrame" or key not in str_columns(frame):
            continue
        if not _reads_key(_function_of(f.tree, call.args[0]), key):
            continue
        hint = (f"`apply` gives the function each column by default, so `{key!r}` (a column "
                f"name) is not among its labels; `axis=1` gives it each row: "
                f"`{code(f, call.func)}(..., axis=1)`.")
        return [Hint(hint, edit=with_keyword(f, call, "axis=1"))]
    return []


def _function_of(tree: ast.Module, node: ast.expr) -> ast.Lambda | ast.FunctionDef | None:
    """The lambda passed, or the cell's own `def` of the name passed."""
    if isinstance(node, ast.Lambda):
        return node
    if isinstance(node, ast.Name):
        defined = [s for s in ast.walk(tree)
                   if isinstance(s, ast.FunctionDef) and s.name == node.id]
        return defined[-1] if len(defined) == 1 else None
    return None


def _reads_key(function: ast.Lambda | ast.FunctionDef | None, key: str) -> bool:
    """Whether the function subscripts its first parameter with `key`."""
    if function is None or not function.args.args:
        return False
    parameter = function.args.args[0].arg
    body = function.body if isinstance(function, ast.Lambda) else ast.Module(function.body, [])
    return any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
               and n.value.id == parameter and constant(n.slice) == key
               for n in ast.walk(body))
