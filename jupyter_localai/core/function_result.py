"""An asked-for value left holding the function that would compute it: `def
closest_pair(dist): ...` where the request asks for "closest_pair, a tuple (i, j)".

Small models often wrap the answer in a function named like the result and never call it.
The code runs and binds the asked name at the top level, so the asked-name check passes.
Where no sentence naming it asks for a function ("write a function", "a lambda", "a
helper", "def"), the checks say so when the name is bound only by a `def` nothing calls
(kind `uncalled_function`; `repairs.with_function_called` calls it where its arguments are
plain), and the rehearsal (kernel/fix/verify.py) fails a candidate whose asked name still
holds a function when it has run, however it got there.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Sequence
from typing import Any

from .targets import sentences_naming

_ASKS_FUNCTION = re.compile(r"\b(?:functions?|def|lambdas?|callables?|helpers?|methods?|"
                            r"decorators?|callbacks?|key\s+func)\b", re.IGNORECASE)


def asked_values(request: str, names: Sequence[str]) -> list[str]:
    """The asked-for names that no sentence naming them asks to be a function."""
    return [name for name in names
            if not any(_ASKS_FUNCTION.search(s) for s in sentences_naming(request, name))]


def function_held(name: str, value: Any) -> str | None:
    """What is wrong where the asked value `name` holds a function; else None."""
    if not (inspect.isfunction(value) or inspect.ismethod(value)):
        return None
    return (f"`{name}` holds a function the code defines but never calls, and the request "
            f"asks for its value: call the function on the notebook's data and store what "
            f"it returns in `{name}` (give the function another name)")


def uncalled_definitions(tree: ast.Module, names: Sequence[str]) -> list[ast.FunctionDef]:
    """The top-level `def`s of `names` that nothing in the module calls, where the module
    binds the name by nothing else."""
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    found = []
    for name in names:
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
        if len(defs) == 1 and name not in called and not _bound_otherwise(tree, name):
            found.append(defs[0])
    return found


def _bound_otherwise(tree: ast.Module, name: str) -> bool:
    """Whether the module binds `name` by anything but its `def` (an assignment, a loop)."""
    return any(isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store)
               for stmt in tree.body if not isinstance(stmt, ast.FunctionDef)
               for node in ast.walk(stmt))
