"""The failure being hinted, and the safe ways every rule inspects it.

No user-defined code runs: only values whose type comes from builtins, pandas, numpy or
datetime are inspected, class attributes are looked up with `inspect.getattr_static`, and
only such values are shown (never the `repr` of an arbitrary object).
"""

from __future__ import annotations

import ast
import inspect
import sys
import types
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from .suggest import names_read

MISSING: Any = object()
_SAFE_ROOTS = frozenset({"builtins", "pandas", "numpy", "datetime"})
# Libraries whose exceptions' text is their plain arguments (no `__str__` of their own that
# could run user code): matplotlib's ConversionError names the values it could not place.
_SAFE_ERROR_ROOTS = frozenset({"matplotlib"})
SAMPLE = 20  # values of a column looked at, at most
QUOTED = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"  # a str literal as repr() writes it
_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # fmt: skip


def is_safe(value: Any) -> bool:
    """Instances of builtins/pandas/numpy/datetime types; classes never (metaclasses run code)."""
    kind = type(value)  # never `isinstance`: it may read a user-defined `__class__`
    return not issubclass(kind, type) and kind.__module__.split(".")[0] in _SAFE_ROOTS


def pandas_module() -> Any:
    return sys.modules.get("pandas")  # no pandas imported: no pandas object can be involved


def pandas_kind(value: Any) -> str | None:
    """The kind of pandas container `value` is (DataFrame, Series, Index), else None."""
    pd = pandas_module()
    if pd is None or issubclass(type(value), type):
        return None
    for kind in ("DataFrame", "Series", "Index"):
        if issubclass(type(value), getattr(pd, kind)):
            return kind
    return None


def show(value: Any, limit: int = 40) -> str:
    """A short literal for plain scalars; just the type name for anything else."""
    if type(value) in (str, int, float, bool) or value is None:
        text = repr(value)
    elif is_safe(value) and isinstance(value, datetime):
        text = repr(str(value))
    else:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def string_dtype(series: Any) -> bool:
    return series.dtype.kind in "OSU" or str(series.dtype) in ("string", "str")


class Failure:
    """The exception with what the rules ask of it, each computed once."""

    def __init__(self, exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> None:
        self.exc, self.source, self.user_ns = exc, source, user_ns

    @cached_property
    def message(self) -> str:
        """str(exc), but only where that cannot run user code (library type, plain args)."""
        plain = all(type(a) in (str, int, float, bool, type(None)) or _numpy_descriptor(a)
                    for a in self.exc.args)
        known = is_safe(self.exc) or type(self.exc).__module__.split(".")[0] in _SAFE_ERROR_ROOTS
        return str(self.exc) if known and plain else ""

    @cached_property
    def _cell_traceback(self) -> types.TracebackType | None:
        """The same frame as call_hints.failing_line: innermost one of the cell's own code."""
        found, cell_file = None, None
        tb = self.exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if tb.tb_frame.f_globals is self.user_ns and cell_file in (None, code.co_filename):
                found, cell_file = tb, code.co_filename
            tb = tb.tb_next
        return found

    @cached_property
    def tree(self) -> ast.Module | None:
        try:
            return ast.parse(self.source)
        except (SyntaxError, ValueError):
            return None

    @cached_property
    def line_nodes(self) -> list[ast.AST]:
        """The nodes of the line that raised (headers only of compound statements)."""
        tb = self._cell_traceback
        if tb is None or self.tree is None:
            return []
        line = tb.tb_lineno
        return [
            node for node in ast.walk(self.tree)
            if isinstance(node, ast.expr | ast.stmt) and not isinstance(node, _COMPOUND)
            and node.lineno <= line <= (node.end_lineno or node.lineno)
        ]  # fmt: skip

    def lookup(self, name: str) -> Any:
        """The value of `name` where the cell raised (a function's locals first), or MISSING."""
        tb = self._cell_traceback
        scopes = [tb.tb_frame.f_locals] if tb is not None else []
        for scope in [*scopes, self.user_ns]:
            if name in scope:
                return scope[name]
        return MISSING

    def resolve(self, node: ast.AST) -> Any:
        """The value of `x`, `df.col`, `df['col']` or `xs[0]` from safe values only, or MISSING."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute | ast.Subscript):
            owner = self.resolve(node.value)
            if owner is MISSING or not is_safe(owner) or isinstance(owner, types.ModuleType):
                return MISSING
            key = node.attr if isinstance(node, ast.Attribute) else constant(node.slice)
            if pandas_kind(owner) == "DataFrame" and key in str_columns(owner):
                return owner[key]  # a column: attributes are never evaluated (cost, side effects)
            if (
                isinstance(node, ast.Subscript)
                and type(owner) in (list, tuple)
                and type(key) is int
            ):
                return owner[key] if -len(owner) <= key < len(owner) else MISSING
        return MISSING

    @cached_property
    def raised_in_cell(self) -> bool:
        """Whether the cell's own code raised (not a library it called)."""
        return self._cell_traceback is not None and self._cell_traceback.tb_next is None

    @cached_property
    def read_values(self) -> list[tuple[str, Any]]:
        """(name, value) of the safe variables the cell reads."""
        values = [(name, self.lookup(name)) for name in sorted(names_read(self.source))]
        return [(name, value) for name, value in values if value is not MISSING and is_safe(value)]

    @cached_property
    def via_pandas(self) -> bool:
        """Whether pandas code raised it, or the cell reads a pandas object."""
        tb = self.exc.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("pandas."):
                return True
            tb = tb.tb_next
        return any(pandas_kind(value) for _, value in self.read_values)


def constant(node: ast.AST) -> Any:
    return node.value if isinstance(node, ast.Constant) else MISSING


def str_columns(frame: Any) -> list[str]:
    return [c for c in frame.columns[:2000].tolist() if type(c) is str]


def has_label(index: Any, label: Any) -> bool:
    """`label in index`, but never comparing with or hashing a user-defined label."""
    if index.dtype.kind in "iufbMm" or str(index.dtype) in ("str", "string"):
        return label in index  # only library scalars can be in such an index
    plain = [v for v in index[:2000].tolist() if type(v) in (str, int, float, bool)]
    return label in plain


def short_code(node: ast.AST, fallback: str, limit: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else fallback


def line_calls(f: Failure) -> Iterator[ast.Call]:
    return (node for node in f.line_nodes if isinstance(node, ast.Call))


def static_member(cls: Any, name: str) -> Any:
    """`cls.name` without running descriptors or `__getattr__`, or MISSING."""
    return inspect.getattr_static(cls, name, MISSING)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def a_or_an(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _numpy_descriptor(value: Any) -> bool:
    """Whether `value` is a numpy dtype or ufunc, as numpy's casting errors carry in their
    args: shown by numpy's own code, never the user's."""
    np = sys.modules.get("numpy")
    return np is not None and issubclass(type(value), np.dtype | np.ufunc)  # no __class__ read
