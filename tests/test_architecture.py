"""The package's import graph keeps the layering of docs/architecture.md.

Every module of `jupyter_localai/` is read with `ast` (nothing is imported): every `import`
and `from ... import` anywhere in it counts, at module level, inside functions (lazy imports)
and under `if TYPE_CHECKING:` alike, with relative imports resolved, plus
`importlib.import_module("...")` / `__import__("...")` on a literal name. An edge runs from a
module to the project module it names (`from .x import name` names the submodule `x.name`
when there is one), or to a third-party distribution by its top-level name. A parent
package's `__init__` running first is not counted as an edge.

The rules (`PACKAGES`) are also the "may import" column of the package table in
docs/architecture.md, which `test_the_docs_table_says_what_the_rules_say` compares.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "jupyter_localai"
DOCS = ROOT / "docs" / "architecture.md"

# The one module that may import llama_cpp: the worker process's model owner.
LLAMA_CPP_MODULE = "jupyter_localai.worker.llama_model"
# What no module of the kernel side may import (a kernel stays light and never serves HTTP).
SERVER_STACK = frozenset({"tornado", "jupyter_server", "llama_cpp"})


@dataclass(frozen=True)
class Layer:
    """A part of the package and the parts of the package it may import (besides itself)."""

    name: str
    may_import: frozenset[str]
    never: frozenset[str] = frozenset()  # third-party distributions it must not import


# Every part of the package (a layer, or a top-level module named by its module name) and
# what it may import of the project besides itself. Anything of the project not listed is
# refused, and so is a part not listed here.
PACKAGES: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer("core", frozenset()),
        Layer("engines", frozenset({"core", "worker", "errors", "config", "models",
                                    "llama_build", "model_choice"})),
        Layer("worker", frozenset()),
        Layer("kernel", frozenset({"core", "engines", "errors", "config", "models",
                                   "model_choice"}), never=SERVER_STACK),
        Layer("server", frozenset({"core", "engines", "errors", "config", "models",
                                   "model_choice"})),
        Layer("models", frozenset({"errors", "gguf_header", "model_discovery"})),
        Layer("model_choice", frozenset({"core", "models", "model_discovery", "worker"})),
        Layer("model_discovery", frozenset({"errors", "gguf_header"})),
        Layer("gguf_header", frozenset({"errors"})),
        Layer("config", frozenset({"core"})),
        Layer("errors", frozenset({"core"})),  # re-exports core/errors.py
        Layer("llama_build", frozenset()),
    )
}
# The hard rules of issue 18, which no allow-list above may loosen: core imports nothing of
# the project but core; kernel never server; engines never kernel or server; server never
# kernel (plus SERVER_STACK for the kernel and LLAMA_CPP_MODULE, above).
FORBIDDEN: dict[str, frozenset[str]] = {
    "kernel": frozenset({"server"}),
    "engines": frozenset({"kernel", "server"}),
    "server": frozenset({"kernel"}),
}


@dataclass(frozen=True)
class Edge:
    source: str  # a module of the package, dotted
    target: str  # a module of the package, dotted, or a third-party top-level name
    line: int
    lazy: bool  # inside a function (or a class body's method)

    def __str__(self) -> str:
        where = "function-level" if self.lazy else "module-level"
        return f"{self.source} -> {self.target} (line {self.line}, {where})"


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package is its `__init__`)."""
    names: dict[str, Path] = {}
    base = package_dir.parent
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The absolute name of `from <level dots><name> import ...` written in `module`."""
    if level == 0:
        return name or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join([*parts, name] if name else parts)


def _literal_import(call: ast.Call) -> str | None:
    """`importlib.import_module("x")` / `import_module("x")` / `__import__("x")`."""
    func = call.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__") or not call.args:
        return None
    first = call.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[str, int, bool]]:
    """(absolute dotted name, line, lazy) for every import in the tree; for
    `from pkg import a` both `pkg.a` and `pkg` are given (the caller keeps what exists)."""

    def walk(node: ast.AST, lazy: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, lazy
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_package, child.level, child.module)
                for alias in child.names:
                    yield f"{base}.{alias.name}|{base}", child.lineno, lazy
            elif isinstance(child, ast.Call) and (named := _literal_import(child)):
                yield named, child.lineno, lazy
            yield from walk(child, inner)

    yield from walk(tree, False)


def import_edges(package_dir: Path) -> list[Edge]:
    """Every import of every module of the package, as edges (see the module docstring)."""
    modules = module_names(package_dir)
    root = package_dir.name
    edges: list[Edge] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for named, line, lazy in _imported_names(tree, module, is_package):
            submodule, _, base = named.partition("|")
            if submodule in modules:
                target = submodule
            elif base and base in modules:
                target = base
            elif (base or submodule).split(".")[0] == root:
                target = _nearest_module(base or submodule, modules)
            else:
                target = (base or submodule).split(".")[0]
            if target and target != module:
                edges.append(Edge(module, target, line, lazy))
    return list(dict.fromkeys(edges))  # `from x import a, b` is one edge


def _nearest_module(name: str, modules: Iterable[str]) -> str:
    """A name inside the package that is no module (an attribute): its closest module."""
    known = set(modules)
    parts = name.split(".")
    while parts and ".".join(parts) not in known:
        parts.pop()
    return ".".join(parts)


def part_of(module: str, root: str = PACKAGE) -> str | None:
    """The layer (`core`, `kernel`, ...) or top-level module (`errors`) of a project module;
    None for the package's own `__init__` and for anything outside the package."""
    parts = module.split(".")
    if parts[0] != root or len(parts) == 1:
        return None
    return parts[1]


def layer_violations(edges: Iterable[Edge], root: str = PACKAGE) -> list[str]:
    """Edges that break `PACKAGES` / `FORBIDDEN`, or import llama_cpp outside its module."""
    found: list[str] = []
    for edge in edges:
        source = part_of(edge.source, root)
        target_in_project = edge.target.split(".")[0] == root
        target = part_of(edge.target, root) if target_in_project else None
        if edge.target == "llama_cpp" and edge.source != LLAMA_CPP_MODULE.replace(
            PACKAGE, root, 1
        ):
            found.append(f"only {LLAMA_CPP_MODULE} imports llama_cpp: {edge}")
        if source is None:
            continue
        layer = PACKAGES.get(source)
        if layer is None:
            found.append(f"{source} has no rule in PACKAGES (add it, and its docs row): {edge}")
            continue
        if target_in_project:
            if target is None or target == source:
                continue
            if target not in layer.may_import:
                found.append(f"{layer.name} may not import {target}: {edge}")
        elif edge.target in layer.never:
            found.append(f"{layer.name} may not import {edge.target}: {edge}")
    return found


def cycles(edges: Iterable[Edge], root: str = PACKAGE) -> list[list[str]]:
    """The strongly connected groups of project modules (Tarjan), each a cycle or more."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if edge.target.split(".")[0] == root and edge.target != root:
            graph.setdefault(edge.source, set()).add(edge.target)
            graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def describe_cycle(group: list[str], edges: Iterable[Edge]) -> str:
    members = set(group)
    inside = sorted({str(e) for e in edges if e.source in members and e.target in members})
    return "cycle among " + ", ".join(group) + ":\n    " + "\n    ".join(inside)


# --- the package ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(ROOT / PACKAGE)


def test_the_allow_lists_keep_the_hard_rules() -> None:
    assert PACKAGES["core"].may_import == frozenset()
    for name, forbidden in FORBIDDEN.items():
        assert not PACKAGES[name].may_import & forbidden, name
    assert SERVER_STACK <= PACKAGES["kernel"].never


def test_every_layer_imports_only_what_it_may(edges: list[Edge]) -> None:
    assert layer_violations(edges) == []


def test_no_import_cycles_between_modules(edges: list[Edge]) -> None:
    assert [describe_cycle(group, edges) for group in cycles(edges)] == []


def test_llama_cpp_is_imported_by_its_one_module(edges: list[Edge]) -> None:
    importers = {e.source for e in edges if e.target == "llama_cpp"}
    assert importers == {LLAMA_CPP_MODULE}


# --- the docs ---------------------------------------------------------------------------


def docs_table(text: str) -> dict[str, str]:
    """Package -> its "may import" cell, from the table under "Packages and who imports what"."""
    section = text.split("## Packages and who imports what", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        found = re.fullmatch(r"`jupyter_localai/(\w+)(?:/|\.py)`", cells[0]) if cells else None
        if found and len(cells) >= 3:
            rows[found.group(1)] = cells[-1]
    return rows


def project_parts_named(cell: str) -> set[str]:
    """The project parts a "may import" cell allows: the words before "; " that name a
    layer or top-level module (the rest of the cell speaks of third-party libraries)."""
    parts = {p.name for p in (ROOT / PACKAGE).iterdir() if p.suffix == ".py" or p.is_dir()}
    known = {p.removesuffix(".py") for p in parts} - {"__init__", "__pycache__"}
    allowed = cell.split(";", 1)[0]
    return {word for word in re.findall(r"[a-z_]+", allowed) if word in known}


def test_the_docs_table_says_what_the_rules_say() -> None:
    table = docs_table(DOCS.read_text(encoding="utf-8"))
    assert set(PACKAGES) <= set(table), f"docs/architecture.md lacks rows for {set(PACKAGES) - set(table)}"
    for name, layer in PACKAGES.items():
        assert project_parts_named(table[name]) == set(layer.may_import), (
            f"docs/architecture.md: `{name}` may import {sorted(layer.may_import)}, "
            f"the table says {table[name]!r}"
        )


# --- the checker catches what it is for (a planted package) -------------------------------


def _plant(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / "jupyter_localai" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root / "jupyter_localai"


def test_the_checker_catches_planted_bad_edges(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "core/__init__.py": "",
            "core/tasks.py": "from ..engines import base\n",  # core -> engines
            "engines/__init__.py": "",
            "engines/base.py": "def f():\n    from ..kernel.magics import x\n",  # lazy
            "engines/a.py": "from . import b\n",
            "engines/b.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from .a import A\n"  # a cycle through a type hint
            ),
            "kernel/__init__.py": "",
            "kernel/magics.py": "import tornado.web\nx = 1\n",
            "kernel/ok.py": "from jupyter_localai.core import tasks\nfrom .. import errors\n",
            "server/__init__.py": "",
            "server/h.py": "import importlib\nimportlib.import_module('jupyter_localai.kernel.ok')\n",
            "worker/__init__.py": "",
            "worker/main.py": "import llama_cpp\n",
            "worker/llama_model.py": "from llama_cpp import Llama\n",
        },
    )
    edges = import_edges(package)
    assert Edge("jupyter_localai.kernel.ok", "jupyter_localai.core.tasks", 1, False) in edges
    assert Edge("jupyter_localai.kernel.ok", "jupyter_localai.errors", 2, False) in edges
    found = "\n".join(layer_violations(edges))
    assert "core may not import engines: jupyter_localai.core.tasks -> jupyter_localai.engines.base" in found
    assert "engines may not import kernel: jupyter_localai.engines.base -> jupyter_localai.kernel.magics (line 2, function-level)" in found
    assert "kernel may not import tornado" in found
    assert "server may not import kernel: jupyter_localai.server.h -> jupyter_localai.kernel.ok" in found
    assert "only jupyter_localai.worker.llama_model imports llama_cpp: jupyter_localai.worker.main" in found
    assert "worker.llama_model ->" not in found
    assert len(found.splitlines()) == 5, found
    assert cycles(edges) == [["jupyter_localai.engines.a", "jupyter_localai.engines.b"]]


def test_the_checker_passes_a_clean_package(tmp_path: Path) -> None:
    package = _plant(
        tmp_path,
        {
            "__init__.py": "def load():\n    from .kernel import magics\n",
            "core/__init__.py": "",
            "core/reply.py": "import json\n",
            "engines/__init__.py": "",
            "engines/fake.py": "from ..core.reply import Reply\n",
            "kernel/__init__.py": "",
            "kernel/magics.py": "from ..engines import fake\nfrom IPython.core import magic\n",
        },
    )
    edges = import_edges(package)
    assert layer_violations(edges) == [] and cycles(edges) == []
    assert Edge("jupyter_localai", "jupyter_localai.kernel.magics", 2, True) in edges
