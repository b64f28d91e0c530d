"""An Axes or Figure used under a name the answer never binds: `plt.hist(x)` then
`ax.set_title(...)`.

Small models mix pyplot's implicit style with the object style: they draw through `plt`
and then label through an `ax` or `fig` that nothing created, and a retry told "name 'ax'
is not defined" mostly writes the same lines again (measured on the evaluation's held-out
tasks). What is meant is plain: the Axes (Figure) pyplot has just drawn on, which
`plt.gca()` (`plt.gcf()`) returns. So the name is bound to it right before its first use,
where only:

- the name is undefined (not in the answer, not in the notebook), and every use of it reads
  a method or attribute that matplotlib's `Axes` (`Figure`) class has;
- pyplot is reachable under a name: imported by the answer, or the notebook's `plt` (or
  `pyplot`) whose members include `gca`;
- matplotlib is already loaded in this process (the classes are read, never imported here).
"""

from __future__ import annotations

import ast
import sys

from .check_types import NamespaceView
from .checks import undefined_names

# The class each pyplot getter returns, and the getter.
_GETTERS = (("matplotlib.axes", "Axes", "gca"), ("matplotlib.figure", "Figure", "gcf"))
_PYPLOT = "matplotlib.pyplot"


def with_current_axes(code: str, namespace: NamespaceView) -> tuple[str, list[str]]:
    """`code` with `name = plt.gca()` (or `plt.gcf()`) before the first use of each unbound
    name that is only ever used as an Axes (a Figure), and notes of what was added; the code
    unchanged and no notes when there is none."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    pyplot = _pyplot_name(tree, namespace)
    if pyplot is None:
        return code, []
    bindings: list[tuple[int, str]] = []  # (line of the first use, the statement to add)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for name in undefined_names(tree, namespace):
        getter = _getter_for(_members_read(tree, parents, name))
        first = _first_statement_using(tree, name)
        if getter is not None and first is not None:
            bindings.append((first.lineno, f"{name} = {pyplot}.{getter}()"))
    if not bindings:
        return code, []
    lines = code.splitlines()
    for line, statement in sorted(bindings, reverse=True):
        lines.insert(line - 1, statement)  # before a top-level statement: no indent
    rewritten = "\n".join(lines) + ("\n" if code.endswith("\n") else "")
    return rewritten, [f"added `{statement}`" for _, statement in sorted(bindings)]


def _pyplot_name(tree: ast.Module, namespace: NamespaceView) -> str | None:
    """The name pyplot goes by: imported by the code, else the notebook's."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == _PYPLOT and alias.asname:
                    return alias.asname
        elif isinstance(node, ast.ImportFrom) and node.module == "matplotlib":
            for alias in node.names:
                if alias.name == "pyplot":
                    return alias.asname or "pyplot"
    for name in ("plt", "pyplot"):
        if namespace.has(name) and "gca" in (namespace.attribute_names(name) or ()):
            return name
    return None


def _members_read(tree: ast.Module, parents: dict[ast.AST, ast.AST],
                  name: str) -> set[str] | None:
    """The attributes every use of `name` reads; None if it is used any other way."""
    attributes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == name:
            parent = parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.value is node):
                return None
            attributes.add(parent.attr)
    return attributes or None


def _getter_for(members: set[str] | None) -> str | None:
    """`gca` when every member is the Axes class's, `gcf` when every one is the Figure's
    (Axes first: both have e.g. `legend`), read from matplotlib only if it is loaded."""
    if not members:
        return None
    for module_name, class_name, getter in _GETTERS:
        kind = getattr(sys.modules.get(module_name), class_name, None)
        if isinstance(kind, type) and all(
                any(member in vars(base) for base in kind.__mro__) for member in members):
            return getter
    return None


def _first_statement_using(tree: ast.Module, name: str) -> ast.stmt | None:
    """The top-level statement of the first use of `name`; None when that is a function
    or class (its body runs later, on whatever is current then)."""
    for statement in tree.body:
        if any(isinstance(node, ast.Name) and node.id == name for node in ast.walk(statement)):
            definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            return None if isinstance(statement, definition) else statement
    return None
