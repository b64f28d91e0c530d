"""Rules for a name a function assigns and so makes its own: `revenue += amount` inside a
`def` reads a local `revenue` that was never set, where the notebook's (or the enclosing
function's) `revenue` was meant."""

from __future__ import annotations

import ast
import re

from ..failure import MISSING, Failure
from ..hint import Hint, through
from . import rule

_UNBOUND = re.compile(r"local variable '(\w+)'")


@rule(UnboundLocalError)
def unbound_local_rule(f: Failure) -> list[str]:
    """`total += x` in a function of the cell, where `total` is the notebook's (`global`) or
    the enclosing function's (`nonlocal`)."""
    match = _UNBOUND.search(f.message)
    if not match or f.tree is None:
        return []
    name = match.group(1)
    line = f.line_nodes[0].lineno if f.line_nodes else None
    functions = [n for n in ast.walk(f.tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                 and line is not None and n.lineno < line <= (n.end_lineno or n.lineno)]
    if not functions:
        return []
    inner = max(functions, key=lambda n: n.lineno)
    outer = [n for n in functions if n is not inner and _assigns(n, name, own_only=True)]
    if outer:
        declared = "nonlocal"
    elif f.user_ns.get(name, MISSING) is not MISSING or _assigns_at_top(f.tree, name):
        declared = "global"
    else:
        return []
    if not _only_updates(inner, name):
        return []  # a plain assignment in the function: a local may be meant
    first = inner.body[1] if len(inner.body) > 1 and _is_docstring(inner.body[0]) else inner.body[0]
    written = ast.get_source_segment(f.source, first)
    if written is None:
        return []
    new = f"{declared} {name}\n{' ' * first.col_offset}{written}"
    text = (f"`{inner.name}` updates `{name}` (`{name} += ...`), which makes `{name}` its own "
            f"local, never set; to update the {'enclosing function' if outer else 'notebook'}'s "
            f"`{name}`, declare it first in the function: `{declared} {name}`.")
    return [Hint(text, edit=through(f, inner, first, new))]


def _assigns(function: ast.AST, name: str, *, own_only: bool = False) -> bool:
    """Whether `function` binds `name` (in its own body only, with `own_only`)."""
    nodes = ast.walk(function)
    if own_only:
        nodes = (n for stmt in function.body if not isinstance(stmt, ast.FunctionDef)
                 for n in ast.walk(stmt))
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in nodes)


def _assigns_at_top(tree: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for stmt in tree.body if not isinstance(stmt, ast.FunctionDef | ast.ClassDef)
               for n in ast.walk(stmt))


def _only_updates(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    """Whether the function binds `name` only by augmented assignments (`+=`) and does not
    already declare it."""
    body = [n for stmt in function.body for n in ast.walk(stmt)]
    if any(isinstance(n, ast.Global | ast.Nonlocal) and name in n.names for n in body):
        return False
    stores = [n for n in body if isinstance(n, ast.Name) and n.id == name
              and isinstance(n.ctx, ast.Store)]
    updated = {id(n.target) for n in body if isinstance(n, ast.AugAssign)}
    return bool(stores) and all(id(n) in updated for n in stores)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str))
