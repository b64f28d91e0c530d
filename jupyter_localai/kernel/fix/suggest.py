"""The "Did you mean: 'shape'?" hints Python 3.12 prints and 3.10/3.11's traceback omits.

Measured on the 0.5B model (DESIGN.md): with the hint, 12 of 14 attribute-typo fixes
succeed, without it 6. We compute hints for AttributeError (the object's attributes),
NameError (the frame's names and builtins, or a forgotten import), KeyError (the columns or
keys of the DataFrames and mappings the failing cell reads) and ImportError (the module's
names). Listing attributes may run user code (`__dir__`), so it runs under a time limit.
"""

from __future__ import annotations

import ast
import builtins
import importlib.util
import inspect
import itertools
import logging
import re
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any

from ...core.name_match import closest_names, ranked_names
from ..context.timer import time_limit

logger = logging.getLogger(__name__)

_MAX_CANDIDATES = 10_000
# Conventional aliases: a NameError on these means a forgotten import.
_ALIASES = {
    "pd": "import pandas as pd", "np": "import numpy as np",
    "plt": "import matplotlib.pyplot as plt", "sns": "import seaborn as sns",
    "tf": "import tensorflow as tf", "torch": "import torch", "sp": "import scipy as sp",
    "px": "import plotly.express as px", "pl": "import polars as pl",
    "mpl": "import matplotlib as mpl", "nx": "import networkx as nx",
    "sk": "import sklearn as sk", "dt": "import datetime as dt",
}  # fmt: skip
# Names IPython keeps in the user's namespace for its own history and output cache (`_`,
# `__`, `_ii`, `_i7`, `_7`, `_oh`, `In`, `Out`, ...). A typo of a user's variable is close to
# them too (`ii` -> `_ii`, measured on a real notebook: the fix then kept the typo), and no
# one means them; they are offered only for a name that itself looks like one.
_SHELL_NAME = re.compile(r"_+|_i{1,3}\d*|_\d+|_(?:oh|ih|dh|sh)|In|Out|get_ipython|exit|quit")
_NO_ATTRIBUTE = re.compile(r"has no attribute '([^']+)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '([^']+)'")


def names_read(source: str) -> set[str]:
    """Names a cell reads (loads), from its AST; from its identifiers if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set(re.findall(r"[A-Za-z_]\w*", source))
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def names_assigned(source: str) -> set[str]:
    """Names a cell binds (assignments, defs, imports), for finding where a variable came from."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set(re.findall(r"^\s*([A-Za-z_]\w*)\s*=", source, flags=re.MULTILINE))
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound


def _close(word: str, candidates: Iterable[Any], n: int = 1) -> list[str]:
    pool = {c for c in itertools.islice(candidates, _MAX_CANDIDATES) if isinstance(c, str)}
    pool.discard(word)
    return closest_names(word, sorted(pool), n=n, cutoff=0.6)


def _public(word: str, names: Iterable[str]) -> list[str]:
    """`names` without the private and dunder ones unless `word` is one: `hist` missing on an
    array is not `__lshift__`, and IPython's `_i3` is no variable the user meant."""
    return [n for n in names if word.startswith("_") or not n.startswith("_")]


def _did_you_mean(matches: list[str]) -> list[str]:
    """Python's wording, for the best match only (more candidates mostly mislead a model)."""
    return [f"Did you mean: {matches[0]!r}?"] if matches else []


def _safe_dir(obj: Any, seconds: float) -> list[str]:
    names: list[str] = []
    try:
        with time_limit(seconds):
            names = list(dir(obj))
    except Exception:  # an object's __dir__ may raise anything: no hint then
        logger.debug("dir() of a %s failed", type(obj).__name__, exc_info=True)
    return names


def _last_frame(exc: BaseException) -> types.FrameType | None:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame if tb is not None else None


def _attribute_owner(name: str, source: str, user_ns: Mapping[str, Any]) -> Any:
    """The object `x` of an `x.name` in the cell, when `x` is a plain variable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == name
            and isinstance(node.value, ast.Name)
            and node.value.id in user_ns
        ):
            return user_ns[node.value.id]
    return None


def _uses(name: str, source: str) -> tuple[bool, bool, str]:
    """(read as a value somewhere, called somewhere, the owner as written): how the cell
    uses `.name`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return True, True, "obj"
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.Attribute) and node.attr == name]
    owner = ast.unparse(nodes[0].value) if nodes else "obj"
    uses = [id(node) in called for node in nodes]
    return not all(uses), any(uses), owner


def _frame_columns(obj: Any) -> list[str] | None:
    """A DataFrame's text columns, else None; read from the library's own types only."""
    kind = type(obj)
    if kind.__module__.split(".")[0] != "pandas" or kind.__name__ != "DataFrame":
        return None
    return [c for c in obj.columns[:_MAX_CANDIDATES].tolist() if type(c) is str]


def _attribute_candidates(obj: Any, name: str, source: str) -> list[str]:
    """The best name for a missing `obj.name`. Read as a value (`df.quantity * df.price`),
    a DataFrame's missing attribute is a column under another name (`qty`) far more often
    than a method (`quantile`): its columns come first, and methods only where it is called."""
    as_value, called, owner = _uses(name, source)
    names = _public(name, _safe_dir(obj, 0.1))
    columns = _frame_columns(obj) if as_value else None
    if columns:
        found = _close(name, columns)
        if found:
            column = found[0]
            return [f"Did you mean: {column!r}?" if column.isidentifier() else
                    f"Did you mean the column {column!r}? `.` cannot spell it: use "
                    f"`{owner}[{column!r}]`."]
    if called:
        return _did_you_mean(_close(name, names))
    kind = type(obj)  # a method read as a value is rarer: ranked a little lower, not left out
    ranked = [(score - (0.1 if callable(inspect.getattr_static(kind, n, None)) else 0.0), n)
              for score, n in ranked_names(name, names[:_MAX_CANDIDATES])]
    best = max(ranked, key=lambda item: item[0], default=(0.0, ""))
    return _did_you_mean([best[1]]) if best[0] >= 0.6 else []


def _attribute_hints(exc: AttributeError, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    if "has no attribute" not in str(exc):
        return []  # the attribute exists and refused ("Can only use .str accessor ..."): no typo
    name = getattr(exc, "name", None)
    obj = getattr(exc, "obj", None)
    if not isinstance(name, str):
        match = _NO_ATTRIBUTE.search(str(exc))
        if not match:
            return []
        name = match.group(1)
        obj = _attribute_owner(name, source, user_ns)
    elif obj is None and "'NoneType'" not in str(exc):
        obj = _attribute_owner(name, source, user_ns)
    if obj is None and "'NoneType'" not in str(exc):
        return []
    return _attribute_candidates(obj, name, source)


def _name_hints(exc: NameError, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    name = getattr(exc, "name", None)
    if not isinstance(name, str):
        match = re.search(r"name '([^']+)' is not defined", str(exc))
        if not match:
            return []
        name = match.group(1)
    frame = _last_frame(exc)
    scopes: list[Iterable[str]] = [user_ns.keys(), dir(builtins)]
    if frame is not None:
        scopes[:0] = [frame.f_locals.keys(), frame.f_globals.keys()]
    statement = _import_for(name, source)
    if statement is not None:  # a module's name: the import is meant, not a similar name
        return [f"Did you forget to import it? `{statement}`"]
    candidates: Iterable[str] = itertools.chain(*scopes)
    if not _SHELL_NAME.fullmatch(name):
        candidates = (c for c in candidates if not _SHELL_NAME.fullmatch(c))
    return _did_you_mean(_close(name, _public(name, candidates)))


def _import_for(name: str, source: str = "") -> str | None:
    """The import a forgotten `name` needs: a standard-library module, or a conventional
    alias (np, pd, plt) whose package is installed here (found, not imported).

    A module used bare (`datetime(2024, 1, 15)`, not `datetime.now()`) whose same-named
    member it must mean (datetime.datetime, pprint.pprint) gets `from name import name`.
    """
    if name in getattr(sys, "stdlib_module_names", ()) and not name.startswith("_"):
        if _used_bare(name, source) and callable(getattr(_stdlib(name), name, None)):
            return f"from {name} import {name}"
        return f"import {name}"
    statement = _ALIASES.get(name)
    if statement is None:
        return None
    package = statement.split()[1].split(".")[0]
    try:
        installed = importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):
        installed = False
    return statement if installed else None


def _used_bare(name: str, source: str) -> bool:
    """Whether `source` uses `name` other than as `name.attribute` (a call, an argument)."""
    return bool(re.search(rf"(?<![\w.]){re.escape(name)}\b(?!\s*\.)", source))


def _stdlib(name: str) -> Any:
    """The standard-library module `name` (imported: stdlib modules have no side effects
    worth guarding against); None if it cannot be."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _keys_of(value: Any) -> Iterable[Any] | None:
    kind = type(value)
    roots = {(str(c.__module__).split(".")[0], c.__qualname__) for c in kind.__mro__}
    if ("pandas", "DataFrame") in roots:
        return value.columns.tolist()
    if ("pandas", "Series") in roots:
        return value.index[:_MAX_CANDIDATES].tolist()
    if isinstance(value, Mapping):
        return itertools.islice(value.keys(), _MAX_CANDIDATES)
    return None


_GROUPBY_MISSING = re.compile(r"^Columns? not found: (.+)$")


def _key_hints(exc: KeyError, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    if not exc.args:
        return []
    key = exc.args[0]
    missing = [key] if isinstance(key, str) else []
    if isinstance(key, str) and "not in index" in key:
        missing = re.findall(r"'([^']+)'", key)  # pandas: "['colx'] not in index"
    elif isinstance(key, str) and (found := _GROUPBY_MISSING.match(key)):
        # pandas' groupby selection: "Column not found: qty", "Columns not found: 'a', 'b'"
        missing = re.findall(r"'([^']+)'", found.group(1)) or [found.group(1).strip()]
    if not missing:
        return []
    candidates: list[str] = []
    for name in sorted(names_read(source)):
        value = user_ns.get(name)
        if value is None:
            continue
        try:
            with time_limit(0.1) as limit:
                keys = _keys_of(value)
                if keys is not None:
                    candidates.extend(str(k) for k in keys)
            if limit.expired:
                logger.debug("listing the keys of %s timed out", name)
        except Exception:  # a user's mapping may raise anything: no hint from it
            logger.debug("could not list the keys of %s", name, exc_info=True)
    hints = []
    for word in missing[:5]:
        hints += _did_you_mean(_close(word, candidates))
    return hints


def _import_hints(exc: ImportError) -> list[str]:
    match = _CANNOT_IMPORT.search(str(exc))
    module = sys.modules.get(exc.name or "")
    if not match or module is None:
        return []
    return _did_you_mean(_close(match.group(1), _safe_dir(module, 0.1)))


def suggestions(exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    """Hints for `exc` raised by `source`, e.g. ["Did you mean: 'shape'?"]; [] if none."""
    if isinstance(exc, ModuleNotFoundError):
        return []
    if isinstance(exc, AttributeError):
        return _attribute_hints(exc, source, user_ns)
    if isinstance(exc, NameError):
        return _name_hints(exc, source, user_ns)
    if isinstance(exc, KeyError):
        return _key_hints(exc, source, user_ns)
    if isinstance(exc, ImportError):
        return _import_hints(exc)
    return []
