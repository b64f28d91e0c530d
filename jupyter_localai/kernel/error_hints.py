"""Computed hints for common Python, pandas and numpy errors, for the fix prompt.

A 0.5B-1.5B model asked to fix `s.lower()` on a Series, `float('1,204')` or a `strptime`
format mismatch rarely knows the `.str` accessor, the `thousands=` option or which format
the data is really in. suggest.py adds Python's "Did you mean" hints for typos; these cover
wrong-type and wrong-format mistakes. Each hint is computed from the live exception, the
cell's source and the namespace, so it states a fact about this failure (the format the value
parses with, the type that has the method) instead of a list of generic advice.

No user-defined code runs: only values whose type comes from builtins, pandas, numpy or
datetime are inspected, class attributes are looked up with `inspect.getattr_static`, and
only such values are shown (never the `repr` of an arbitrary object).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import logging
import re
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from .suggest import names_read

logger = logging.getLogger(__name__)

MAX_HINTS = 3
MAX_HINT_CHARS = 300
_MISSING: Any = object()
_SAFE_ROOTS = frozenset({"builtins", "pandas", "numpy", "datetime"})
_SAMPLE = 20  # values of a column looked at, at most
_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # fmt: skip


def _is_safe(value: Any) -> bool:
    """Instances of builtins/pandas/numpy/datetime types; classes never (metaclasses run code)."""
    kind = type(value)  # never `isinstance`: it may read a user-defined `__class__`
    return not issubclass(kind, type) and kind.__module__.split(".")[0] in _SAFE_ROOTS


def _pandas() -> Any:
    return sys.modules.get("pandas")  # no pandas imported: no pandas object can be involved


def _pandas_kind(value: Any) -> str | None:
    """The kind of pandas container `value` is (DataFrame, Series, Index), else None."""
    pd = _pandas()
    if pd is None or issubclass(type(value), type):
        return None
    for kind in ("DataFrame", "Series", "Index"):
        if issubclass(type(value), getattr(pd, kind)):
            return kind
    return None


def _show(value: Any, limit: int = 40) -> str:
    """A short literal for plain scalars; just the type name for anything else."""
    if type(value) in (str, int, float, bool) or value is None:
        text = repr(value)
    elif _is_safe(value) and isinstance(value, datetime):
        text = repr(str(value))
    else:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _string_dtype(series: Any) -> bool:
    return series.dtype.kind in "OSU" or str(series.dtype) in ("string", "str")


class _Failure:
    """The exception with what the rules ask of it, each computed once."""

    def __init__(self, exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> None:
        self.exc, self.source, self.user_ns = exc, source, user_ns

    @cached_property
    def message(self) -> str:
        """str(exc), but only where that cannot run user code (library type, plain args)."""
        plain = all(type(a) in (str, int, float, bool, type(None)) for a in self.exc.args)
        return str(self.exc) if _is_safe(self.exc) and plain else ""

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
        """The value of `name` where the cell raised (a function's locals first), or _MISSING."""
        tb = self._cell_traceback
        scopes = [tb.tb_frame.f_locals] if tb is not None else []
        for scope in [*scopes, self.user_ns]:
            if name in scope:
                return scope[name]
        return _MISSING

    def resolve(self, node: ast.AST) -> Any:
        """The value of `x`, `df.col`, `df['col']` or `xs[0]` from safe values only, or _MISSING."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute | ast.Subscript):
            owner = self.resolve(node.value)
            if owner is _MISSING or not _is_safe(owner) or isinstance(owner, types.ModuleType):
                return _MISSING
            key = node.attr if isinstance(node, ast.Attribute) else _constant(node.slice)
            if _pandas_kind(owner) == "DataFrame" and key in _str_columns(owner):
                return owner[key]  # a column: attributes are never evaluated (cost, side effects)
            if (
                isinstance(node, ast.Subscript)
                and type(owner) in (list, tuple)
                and type(key) is int
            ):
                return owner[key] if -len(owner) <= key < len(owner) else _MISSING
        return _MISSING

    @cached_property
    def raised_in_cell(self) -> bool:
        """Whether the cell's own code raised (not a library it called)."""
        return self._cell_traceback is not None and self._cell_traceback.tb_next is None

    @cached_property
    def read_values(self) -> list[tuple[str, Any]]:
        """(name, value) of the safe variables the cell reads."""
        values = [(name, self.lookup(name)) for name in sorted(names_read(self.source))]
        return [
            (name, value) for name, value in values if value is not _MISSING and _is_safe(value)
        ]

    @cached_property
    def via_pandas(self) -> bool:
        """Whether pandas code raised it, or the cell reads a pandas object."""
        tb = self.exc.__traceback__
        while tb is not None:
            if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("pandas."):
                return True
            tb = tb.tb_next
        return any(_pandas_kind(value) for _, value in self.read_values)


def _constant(node: ast.AST) -> Any:
    return node.value if isinstance(node, ast.Constant) else _MISSING


def _str_columns(frame: Any) -> list[str]:
    return [c for c in frame.columns[:2000].tolist() if type(c) is str]


def _code(node: ast.AST, fallback: str, limit: int = 40) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else fallback


def _calls(f: _Failure) -> Iterator[ast.Call]:
    return (node for node in f.line_nodes if isinstance(node, ast.Call))


# Rule 1: the attribute belongs to another common type ------------------------------------

_NO_ATTRIBUTE = re.compile(
    r"^(type object |module )?'([\w.]+)' (?:object )?has no attribute '(\w+)'"
)
_BOTH, _FRAME, _SERIES = ("DataFrame", "Series"), ("DataFrame",), ("Series", "Index")
# Removed pandas methods: (removed in, replacement, which objects had it); hinted only where
# the installed pandas lacks them.
_PANDAS_REMOVED = {
    "append": ("2.0", "`pd.concat([{x}, {row}], ignore_index=True)`", _BOTH),
    "iteritems": ("2.0", "`{x}.items()`", _BOTH),
    "is_monotonic": ("2.0", "`{x}.is_monotonic_increasing`", _SERIES),
    "mad": ("2.0", "`({x} - {x}.mean()).abs().mean()`", _BOTH),
    "applymap": ("3.0", "`{x}.map(func)`", _FRAME), "swapaxes": ("3.0", "`{x}.transpose()`", _BOTH),
    "bool": ("3.0", "`{x}.item()`", _BOTH), "backfill": ("3.0", "`{x}.bfill()`", _BOTH),
    "pad": ("3.0", "`{x}.ffill()`", _BOTH),
    "ix": ("1.0", "`{x}.loc[...]` (labels) or `{x}.iloc[...]` (positions)", _BOTH),
    "as_matrix": ("1.0", "`{x}.to_numpy()`", _FRAME),
    "get_values": ("1.0", "`{x}.to_numpy()`", _BOTH),
    "sort": ("0.20", "`{x}.sort_values()`", _BOTH),
}  # fmt: skip
_PANDAS_MODULE_REMOVED = {
    "np": "`import numpy as np`", "datetime": "`import datetime` (or `pd.Timestamp`)",
    "Int64Index": "`pd.Index(values, dtype='int64')`",
    "Float64Index": "`pd.Index(values, dtype=float)`",
}  # fmt: skip


def _kinds() -> list[tuple[str, Any]]:
    """Common types, as named in hints; pandas and numpy only once imported."""
    kinds: list[tuple[str, Any]] = [
        ("str", str), ("list", list), ("dict", dict), ("set", set), ("tuple", tuple),
        ("int", int), ("float", float)]  # fmt: skip
    pd, np = _pandas(), sys.modules.get("numpy")
    if np is not None:
        kinds.append(("numpy.ndarray", np.ndarray))
    if pd is not None:
        kinds += [("Series", pd.Series), ("DataFrame", pd.DataFrame), ("Series.str", pd.Series.str),
                  ("Series.dt", pd.Series.dt)]  # fmt: skip
    return [*kinds, ("datetime", datetime)]


def _member(cls: Any, name: str) -> Any:
    return inspect.getattr_static(cls, name, _MISSING)


def _call_suffix(f: _Failure, name: str, member: Any) -> str:
    """`(args)` as written in the cell, `(...)` for an unseen call, `` for a property."""
    for call in _calls(f):
        if isinstance(call.func, ast.Attribute) and call.func.attr == name:
            return ast.unparse(call)[len(ast.unparse(call.func)) :]
    return "(...)" if callable(member) and not isinstance(member, property) else ""


def _owner_code(f: _Failure, name: str) -> str:
    for node in f.line_nodes:
        if isinstance(node, ast.Attribute) and node.attr == name:
            return _code(node.value, "value", 30)
    return "value"


def _convert_hint(f: _Failure, obj: Any, owner: str, name: str, member: Any) -> str | None:
    """How to get from `obj` to a value that has `name`, where the way is known."""
    x, use = _owner_code(f, name), name + _call_suffix(f, name, member)
    kind = _pandas_kind(obj)
    if kind == "Series" and owner == "Series.str":
        text = f"{x}.str" if _string_dtype(obj) else f"{x}.astype(str).str"
        return (
            f"`{name}` is a string method: on a pandas Series use the `.str` accessor: "
            f"`{text}.{use}`."
        )
    if kind == "Series" and owner == "Series.dt":
        text = f"{x}.dt" if obj.dtype.kind in "Mm" else f"pd.to_datetime({x}).dt"
        return (
            f"`{name}` is a date attribute: on a pandas Series use the `.dt` accessor: "
            f"`{text}.{use}`."
        )
    if kind == "DataFrame" and owner in ("Series", "Series.str", "Series.dt"):
        column = _column_for(obj, owner)
        via = "" if owner == "Series" else owner[len("Series.") :] + "."
        return (
            f"`{name}` works on one column (a Series), not a DataFrame: select it first, e.g. "
            f"`{x}[{column}].{via}{use}`."
        )
    if type(obj) in (list, tuple, set) and owner in ("numpy.ndarray", "Series"):
        wrap = "np.array" if owner == "numpy.ndarray" else "pd.Series"
        return (
            f"`{name}` is a {owner} method, not {type(obj).__name__}: convert first, "
            f"`{wrap}({x}).{use}`."
        )
    if type(obj) in (list, tuple, set) and owner in ("str", "int", "float", "datetime"):
        return (
            f"`{x}` is a {type(obj).__name__}; `{name}` belongs to its {owner} elements: apply it "
            f"to each, e.g. `[v.{use} for v in {x}]`."
        )
    if type(obj) in (int, float) and owner == "str":
        return (
            f"`{name}` is a method of str, not {type(obj).__name__}: convert first, e.g. "
            f"`str({x}).{use}`."
        )
    if type(obj) is dict and name == "append":
        return f"`append` is a list method; to add to a dict assign a key: `{x}[key] = value`."
    if type(obj) is str and name in ("append", "extend", "insert"):
        return (
            f"Strings cannot change in place: build a new one, e.g. `{x} = {x} + more`, or "
            f"collect parts in a list."
        )
    if owner == "list" and _is_ndarray(obj) and name == "append":
        return (
            f"`append` is a list method; numpy has `np.append({x}, values)`, which returns a new "
            f"array."
        )
    if type(obj) is str and owner == "datetime":
        found = _matching_formats(obj)
        fmt = repr(found[0][0]) if len(found) == 1 else "format"
        return (
            f"`{x}` is a string, not a date: parse it first, e.g. `datetime.strptime({x}, "
            f"{fmt}).{use}`."
        )
    return None


def _column_for(frame: Any, owner: str) -> str:
    """A real column the Series method suits (text for `.str`, dates for `.dt`), quoted."""
    for column in _str_columns(frame)[:200]:
        series = frame[column]
        if owner == "Series" or (
            _string_dtype(series) if owner == "Series.str" else series.dtype.kind == "M"
        ):
            return repr(column)
    return "'column'"


def _is_ndarray(obj: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray)


def _attribute_object(f: _Failure, name: str) -> Any:
    """The object that lacks `name`: AttributeError.obj, else `x` of an `x.name` on the line."""
    obj = getattr(f.exc, "obj", None)  # None also where Python did not set it
    if obj is not None:
        return obj
    for node in f.line_nodes:
        if isinstance(node, ast.Attribute) and node.attr == name:
            return f.resolve(node.value)
    return _MISSING


def _attribute_rule(f: _Failure) -> list[str]:
    match = _NO_ATTRIBUTE.match(f.message)
    if not isinstance(f.exc, AttributeError) or not match or match.group(3).startswith("_"):
        return []
    prefix, type_name, name = match.groups()
    if type_name == "NoneType":
        return []  # the in-place rule's case
    if prefix == "module ":
        if type_name == "pandas" and name in _PANDAS_MODULE_REMOVED:
            return [f"`pd.{name}` was removed in pandas 2.0: use {_PANDAS_MODULE_REMOVED[name]}."]
        return []
    obj = _attribute_object(f, name)
    kinds = _kinds()
    if prefix and not any(obj is kind for _, kind in kinds):
        return []  # `type object 'T'`: only the common types themselves
    if obj is _MISSING or obj is None or not (prefix or _is_safe(obj)):
        return []
    cls = obj if prefix else type(obj)
    if _member(cls, name) is not _MISSING:
        return []
    removed = _PANDAS_REMOVED.get(name)
    if removed and _pandas_kind(obj) in removed[2]:
        row = "pd.DataFrame([row])" if _pandas_kind(obj) == "DataFrame" else "pd.Series([value])"
        replacement = removed[1].format(x=_owner_code(f, name), row=row)
        return [
            (
                f"`{name}` was removed in pandas {removed[0]} (you have {_pandas().__version__}): "
                f"use {replacement} instead."
            )
        ]
    if (name == "str" and type(obj) is str) or (name == "dt" and isinstance(obj, datetime)):
        return [
            (
                f"`{_owner_code(f, name)}` is a single value, not a Series: drop `.{name}` and use "
                f"its methods directly (e.g. inside `apply`)."
            )
        ]
    owners = [(label, kind) for label, kind in kinds
              if kind is not cls and _member(kind, name) is not _MISSING]  # fmt: skip
    if not owners:
        return []
    if not prefix:
        for label, kind in owners:
            hint = _convert_hint(f, obj, label, name, _member(kind, name))
            if hint:
                return [hint]
    what = "method" if callable(_member(owners[0][1], name)) else "attribute"
    labels = " and ".join(label for label, _ in owners[:3])
    return [f"`{name}` is a {what} of {labels}, not of {type_name}."]


# Rule 2: KeyError on a DataFrame or Series --------------------------------------------------

_SEPARATORS = {";": "';'", "\t": "'\\t'", "|": "'|'", ",": "','"}


def _key_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, KeyError) or len(f.exc.args) != 1:
        return []
    key = f.exc.args[0]
    for name, value in f.read_values:
        kind = _pandas_kind(value)
        if kind == "DataFrame" and value.shape[1] == 1 and type(key) in (str, int):
            column = value.columns[0]
            counts = {sep: column.count(sep) for sep in _SEPARATORS} if type(column) is str else {}
            sep = max(counts, key=counts.__getitem__, default="")
            if counts and counts[sep] and key != column:
                return [
                    (
                        f"`{name}` has a single column named {_show(column, 60)}: the file was "
                        f"read with the wrong separator; use "
                        f"`pd.read_csv(..., sep={_SEPARATORS[sep]})`."
                    )
                ]
        if type(key) is int and kind in ("DataFrame", "Series"):
            hint = _positional_hint(f, name, value, kind, key)
            if hint:
                return [hint]
    return []


def _subscripted(f: _Failure, name: str) -> str | None:
    """How the failing line indexes `name`: `[]` for `name[...]`, `.loc` for `name.loc[...]`."""
    for node in f.line_nodes:
        if not isinstance(node, ast.Subscript):
            continue
        if isinstance(node.value, ast.Name) and node.value.id == name:
            return "[]"
        target = node.value
        if (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == name
            and target.attr == "loc"
        ):
            return ".loc"
    return None


def _positional_hint(f: _Failure, name: str, value: Any, kind: str, key: int) -> str | None:
    """An int key looked up as a label where the labels are not ints."""
    how = _subscripted(f, name)
    labels = ", ".join(_show(label) for label in value.index[:5].tolist())
    by_row = (
        f"`.loc` takes index labels (here {labels}) and `.iloc` takes positions: "
        f"`{name}.iloc[{key}]`"
    )
    if how is None or (value.index.dtype.kind in "iu" and (kind == "Series" or how == ".loc")):
        return None
    if kind == "Series":
        return f"`{name}` has a non-integer index, so `{name}[{key}]` looks for a label: {by_row}."
    if how == ".loc":
        return f"`{name}` has a non-integer index: {by_row}."
    if value.columns.dtype.kind in "iu":
        return None
    return f"`{name}[{key}]` looks for a column named {key}; for a row, {by_row}."


# Rule 3: a string that is not a number -----------------------------------------------------

_QUOTED = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_NOT_A_NUMBER = re.compile(
    rf"(could not convert string to float|invalid literal for int\(\) with base \d+): {_QUOTED}$"
)
_PANDAS_NOT_A_NUMBER = re.compile(r"Unable to parse string ['\"](.*?)['\"](?: at position \d+)?$")
_MISSING_TOKENS = {"", "na", "n/a", "nan", "-", "--", "?", ".", "null", "none", "missing", "#n/a"}
_SYMBOLS = "$€£¥₹%"


def _converted(f: _Failure) -> str:
    """The expression being converted on the failing line, e.g. `df['price']`."""
    for call in _calls(f):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "astype":
            return _code(func.value, "s")
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("float", "int", "to_numeric") and call.args:
            return _code(call.args[0], "x")
    return "s" if f.via_pandas else "x"


def _number_hint(text: str, x: str, pandas: bool, to_int: bool) -> str | None:
    t, shown = text.strip(), _show(text)
    if t.lower() in _MISSING_TOKENS:
        if pandas:
            return (
                f"{shown} marks a missing value: `pd.to_numeric({x}, errors='coerce')` turns such "
                f"entries into NaN (or pass `na_values=[{shown}]` to `pd.read_csv`)."
            )
        return (
            f"{shown} marks a missing value: skip it or use `float('nan')` for it before "
            f"converting."
        )
    number = "int" if to_int else "float"
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", t):
        fix = f"{x}.str.replace(',', '')" if pandas else f"{x}.replace(',', '')"
        how = f"`{fix}.astype({number})`" if pandas else f"`{number}({fix})`"
        tail = " (or `thousands=','` in `pd.read_csv`)" if pandas else ""
        return (
            f"{shown} uses ',' as a thousands separator: remove it before converting, {how}{tail}."
        )
    if re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+", t):
        fix = (
            f"{x}.str.replace('.', '').str.replace(',', '.').astype(float)"
            if pandas
            else f"float({x}.replace('.', '').replace(',', '.'))"
        )
        tail = " (or `decimal=','` in `pd.read_csv`)" if pandas else ""
        return f"{shown} uses ',' as the decimal mark: `{fix}`{tail}."
    symbols = "".join(sorted({c for c in t if c in _SYMBOLS or c in ", \u00a0"}))
    if symbols and _is_float(re.sub(f"[{re.escape(symbols)}]", "", t)):
        fix = (
            f"{x}.str.replace(r'[{symbols}]', '', regex=True).astype(float)"
            if pandas
            else "float(" + x + "".join(f".replace({c!r}, '')" for c in symbols) + ")"
        )
        pct = ", then divide by 100 for a fraction" if "%" in symbols else ""
        listed = " and ".join(repr(c) for c in symbols)
        them = "them" if len(symbols) > 1 else "it"
        return f"{shown} contains {listed}: strip {them} before converting, `{fix}`{pct}."
    unit = re.fullmatch(r"([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]+)", t)
    if unit:
        fix = (
            f"{x}.str.extract(r'([-+]?[\\d.]+)', expand=False).astype(float)"
            if pandas
            else f"float({x}.removesuffix({unit.group(2)!r}))"
        )
        return f"{shown} has a unit after the number: extract the number first, `{fix}`."
    if to_int and _is_float(t):
        fix = f"{x}.astype(float).astype(int)" if pandas else f"int(float({x}))"
        return (
            f"{shown} is not a whole number: convert via float, `{fix}` (drops the fraction), or "
            f"round it."
        )
    if pandas:
        return (
            f"{shown} is not a number: `pd.to_numeric({x}, errors='coerce')` turns such entries "
            f"into NaN."
        )
    return None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, ValueError):
        return []
    match, pandas_match = _NOT_A_NUMBER.search(f.message), _PANDAS_NOT_A_NUMBER.search(f.message)
    if match:
        text, to_int = ast.literal_eval(match.group(2)), match.group(1).startswith("invalid")
    elif pandas_match:
        text, to_int = pandas_match.group(1), False
    else:
        return []
    hint = _number_hint(text, _converted(f), f.via_pandas, to_int)
    return [hint] if hint else []


# Rule 4: a date that does not match its format ---------------------------------------------

_DATE_FORMATS = [
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d",
    "%d/%m/%y", "%m/%d/%y", "%b %d %Y", "%b %d, %Y", "%d %b %Y", "%d-%b-%Y", "%B %d, %Y",
    "%B %d %Y", "%d %B %Y", "%a, %d %b %Y", "%A, %B %d, %Y", "%Y-%m", "%b %Y", "%B %Y",
]  # fmt: skip
_TIME_SUFFIXES = ["", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S", " %H:%M:%S.%f",
                  "T%H:%M:%S.%f", " %I:%M %p", "T%H:%M:%S%z", " %H:%M:%S%z"]  # fmt: skip
_PY_DATE = re.compile(rf"time data {_QUOTED} does not match format {_QUOTED}")
_PD_DATE = re.compile(r'time data "(.*?)" doesn\'t match format "(.*?)"')
_PY_REMAINS = re.compile(r"^unconverted data remains: (.*)$", re.DOTALL)
_PD_REMAINS = re.compile(r'unconverted data remains when parsing with format "(.*?)": "(.*?)"')


def _matching_formats(text: str, formats: list[str] | None = None) -> list[tuple[str, datetime]]:
    """Formats that parse `text`, one per distinct result ('%b'/'%B' both parse 'May')."""
    found: dict[datetime, str] = {}
    text = text.strip()
    for fmt in formats or [d + t for d in _DATE_FORMATS for t in _TIME_SUFFIXES]:
        try:
            found.setdefault(datetime.strptime(text, fmt), fmt)
        except ValueError:
            continue
    return [(fmt, when) for when, fmt in found.items()]


def _date_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, ValueError):
        return []
    py, pd_ = _PY_DATE.search(f.message), _PD_DATE.search(f.message)
    if py:
        value, given = ast.literal_eval(py.group(1)), ast.literal_eval(py.group(2))
    elif pd_:
        value, given = pd_.groups()
    else:
        return _remainder_hint(f)
    found = _matching_formats(value)
    if not found:
        return []
    if len(found) > 1:
        listed = " or ".join(repr(fmt) for fmt, _ in found[:3])
        return [
            (
                f"{_show(value)} matches several formats, {listed} (day and month are ambiguous): "
                f"check values with a day above 12 to decide."
            )
        ]
    fmt = found[0][0]
    use = (
        f"pd.to_datetime({_converted_date(f)}, format={fmt!r})"
        if pd_
        else f"datetime.strptime({_converted_date(f)}, {fmt!r})"
    )
    return [f"{_show(value)} matches format {fmt!r}, not {given!r}: `{use}`."]


def _converted_date(f: _Failure) -> str:
    for call in _calls(f):
        name = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if name in ("strptime", "to_datetime") and call.args:
            return _code(call.args[0], "text")
    return "s" if f.via_pandas else "text"


def _remainder_hint(f: _Failure) -> list[str]:
    """'unconverted data remains: 10:00': the value goes on after what the format covers."""
    py, pd_ = _PY_REMAINS.search(f.message), _PD_REMAINS.search(f.message)
    if pd_:
        given, rest = pd_.groups()
    elif py:
        rest, given = py.group(1), ""
        for call in _calls(f):
            named = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if named == "strptime" and len(call.args) == 2 and type(_constant(call.args[1])) is str:
                given = _constant(call.args[1])
    else:
        return []
    base = datetime(1900, 1, 1).strftime(given or "%Y")
    suffixes = [
        s for s in _TIME_SUFFIXES if s and _matching_formats(base + rest, [(given or "%Y") + s])
    ]
    lead = f"The value goes on after the format ends ({rest!r} is left over)"
    if not suffixes:
        return [f"{lead}: extend the format to cover it."]
    if not given:
        return [f"{lead}: add {suffixes[0]!r} to the end of the format."]
    return [f"{lead}: use the format {given + suffixes[0]!r}."]


# Rules 5-7: pivot duplicates, zero division, axis out of range -------------------------------


def _pivot_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, ValueError) or "duplicate entries, cannot reshape" not in f.message:
        return []
    for call in _calls(f):
        if isinstance(call.func, ast.Attribute) and call.func.attr == "pivot":
            args = ", ".join(
                ast.unparse(k) for k in call.keywords if k.arg in ("index", "columns", "values")
            )
            owner = _code(call.func.value, "df")
            return [
                (
                    f"`pivot` needs one row per (index, columns) pair and some repeat: "
                    f"`{owner}.pivot_table({args}, aggfunc='sum')` combines them (aggfunc is your "
                    f"choice: 'sum', 'mean', 'first', ...), or use "
                    f"`groupby([...]).sum().unstack()`."
                )
            ]
    return [
        (
            "`unstack` needs unique index entries and some repeat: aggregate them first, e.g. "
            "`s.groupby(level=[0, 1]).sum().unstack()` (or `pivot_table` with an aggfunc)."
        )
    ]


def _zero_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, ZeroDivisionError):
        return []
    divisions = [n for n in f.line_nodes if isinstance(n, ast.BinOp | ast.AugAssign)
                 and isinstance(n.op, ast.Div | ast.FloorDiv | ast.Mod)]  # fmt: skip
    hint = "A denominator is 0: guard it, e.g. `a / b if b != 0 else 0`, or skip that case."
    for node in divisions if f.raised_in_cell else []:
        right = node.value if isinstance(node, ast.AugAssign) else node.right
        value, denominator, text = f.resolve(right), ast.unparse(right), ""
        if isinstance(right, ast.Constant) and right.value == 0:
            hint = f"`{ast.unparse(node)}` divides by a literal 0: use the intended denominator."
            break
        if type(value) in (int, float) and value == 0:
            text = f"`{denominator}` is 0 here"
        elif (
            isinstance(right, ast.Call)
            and getattr(right.func, "id", "") == "len"
            and right.args
            and type(seq := f.resolve(right.args[0])) in (list, tuple, dict, set, str)
            and not seq
        ):
            text = f"`{ast.unparse(right.args[0])}` is empty, so `{denominator}` is 0"
        if text or len(divisions) == 1:
            text = text or f"`{denominator}` is 0 here"
            guarded = (
                f"`{ast.unparse(node)} if {denominator} else 0`"
                if isinstance(node, ast.BinOp)
                else f"`if {denominator}:` before it"
            )
            hint = f"{text}: guard the division, e.g. {guarded}, or skip that case."
            break
    if f.via_pandas:
        hint += " (Dividing a pandas Series by 0 gives inf/NaN instead of raising.)"
    return [hint]


_NUMPY_AXIS = re.compile(r"axis (-?\d+) is out of bounds for array of dimension (\d+)")
_PANDAS_AXIS = re.compile(r"No axis named (\S+) for object type (DataFrame|Series)")


def _axis_rule(f: _Failure) -> list[str]:
    numpy_axis, pandas_axis = _NUMPY_AXIS.search(f.message), _PANDAS_AXIS.search(f.message)
    if numpy_axis and "AxisError" in {c.__name__ for c in type(f.exc).__mro__}:
        axis, ndim = int(numpy_axis.group(1)), int(numpy_axis.group(2))
        if ndim == 0:
            return [f"The array is 0-D (a single value): it has no axis {axis}; leave `axis` out."]
        if ndim == 1:
            return [
                f"The array is 1-D: its only axis is 0 (or -1), not {axis}; or leave `axis` out."
            ]
        hint = (
            f"The array is {ndim}-D: valid axes are 0 to {ndim - 1} (or -1 to -{ndim}), not {axis}."
        )
        if ndim == 2:
            hint += (
                " `axis=0` reduces down the rows (one value per column), `axis=1` one value per "
                "row."
            )
        return [hint]
    if pandas_axis and pandas_axis.group(2) == "DataFrame":
        return [
            (
                "A DataFrame has axes 0 (or 'index': down the rows, one value per column) and 1 "
                f"(or 'columns': one value per row), not {pandas_axis.group(1)}."
            )
        ]
    if pandas_axis:
        return [f"A Series has only axis 0 (or 'index'), not {pandas_axis.group(1)}."]
    return []


# Rule 8: arithmetic on strings ------------------------------------------------------------

_OPERATORS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
              "%": ast.Mod, "**": ast.Pow, "** or pow()": ast.Pow}  # fmt: skip
_OPERAND_TYPES = re.compile(r"unsupported operand type\(s\) for (\S+): '(\w+)' and '(\w+)'")
_CONCATENATE = re.compile(r'can only concatenate str \(not "(\w+)"\) to str')


def _strings_of(value: Any) -> list[str] | None:
    """The string values of a str or a string Series (sampled), else None."""
    if type(value) is str:
        return [value]
    if _pandas_kind(value) == "Series" and _string_dtype(value):
        sample = [v for v in value.iloc[:_SAMPLE].tolist() if type(v) is str and v.strip()]
        return sample or None
    return None


def _string_operand_hint(f: _Failure, node: ast.expr) -> str | None:
    value = f.resolve(node)
    strings = _strings_of(value)
    if not strings:
        return None
    x, series = _code(node, "value"), type(value) is not str
    holds = f"holds strings like {_show(strings[0])}" if series else f"is the string {_show(value)}"
    them = "them" if series else "it"
    common = [fmt for fmt, _ in _matching_formats(strings[0])
              if all(_matching_formats(other, [fmt]) for other in strings[1:])]  # fmt: skip
    if common:
        use = (
            f"pd.to_datetime({x}, format={common[0]!r})"
            if series
            else f"datetime.strptime({x}, {common[0]!r})"
        )
        also = f" (or {common[1]!r}: day and month are ambiguous)" if len(common) > 1 else ""
        dates = "dates" if series else "a date"
        return f"`{x}` {holds}, not {dates}: parse {them} first, `{use}`{also}."
    if all(_is_float(s) for s in strings):
        use = f"`pd.to_numeric({x})`" if series else f"`float({x})` or `int({x})`"
        numbers = "numbers" if series else "a number"
        return f"`{x}` {holds}, not {numbers}: convert {them} first, {use}."
    return None


def _string_arithmetic_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, TypeError):
        return []
    operands, concat = _OPERAND_TYPES.search(f.message), _CONCATENATE.search(f.message)
    if not (concat or (operands and "str" in operands.group(2, 3))):
        return []
    symbol = "+" if concat else operands.group(1)
    op = _OPERATORS.get(symbol.rstrip("="))
    hints: list[str] = []
    for node in f.line_nodes:
        if isinstance(node, ast.BinOp | ast.AugAssign) and op and isinstance(node.op, op):
            sides = (
                (node.target, node.value)
                if isinstance(node, ast.AugAssign)
                else (node.left, node.right)
            )
            for side in sides:
                hint = _string_operand_hint(f, side)
                if hint and hint not in hints:
                    hints.append(hint)
    if hints:
        return hints[:2]
    if concat:
        return [
            (
                f"`+` cannot join str and {concat.group(1)}: convert the number with `str(n)`, or "
                f"use an f-string, e.g. `f'total: {{n}}'`."
            )
        ]
    left, right = operands.group(2, 3)
    if left == right == "str":
        return [
            (
                f"`{symbol}` is not defined for two strings: convert them first (to numbers "
                f"or dates, whichever the text holds)."
            )
        ]
    if {left, right} <= {"str", "int", "float"}:
        return [
            (
                f"`{symbol}` between {left} and {right}: convert the text to a number "
                f"(`float(...)`) or the number to text (`str(...)`) first."
            )
        ]
    return []


# Rule 9: the result of an in-place method ---------------------------------------------------

_IN_PLACE = {"append", "extend", "insert", "sort", "reverse", "update", "add", "clear", "remove",
             "discard", "shuffle"}  # fmt: skip


def _in_place(call: ast.Call) -> str | None:
    """How a call changes its object in place: `inplace` (the keyword), a method name, or None."""
    if any(k.arg == "inplace" and _constant(k.value) is True for k in call.keywords):
        return "inplace"
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    return name if name in _IN_PLACE else None


def _none_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, TypeError | AttributeError) or "NoneType" not in f.message:
        return []
    if f.tree is None:
        return []
    standalone = {id(s.value) for s in ast.walk(f.tree) if isinstance(s, ast.Expr | ast.Assign)}
    for node in ast.walk(f.tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            how = _in_place(node.value)
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if how and names and all(f.lookup(n) is None for n in names):
                return [
                    _none_hint(
                        node.value,
                        how,
                        f"`{names[0]} = {ast.unparse(node.value)}`",
                        f"stores None in `{names[0]}`",
                    )
                ]
        if isinstance(node, ast.Call) and id(node) not in standalone and _in_place(node):
            owner = f.resolve(node.func.value) if isinstance(node.func, ast.Attribute) else _MISSING
            if _in_place(node) == "inplace" or type(owner) in (list, dict, set):
                return [
                    _none_hint(
                        node,
                        _in_place(node) or "",
                        f"`{ast.unparse(node)}`",
                        "returns None, so its result cannot be used",
                    )
                ]
    return []


def _none_hint(call: ast.Call, how: str, code: str, what: str) -> str:
    owner = ast.unparse(call.func.value) if isinstance(call.func, ast.Attribute) else "the object"
    if how == "shuffle" and call.args:
        owner = ast.unparse(call.args[0])
    if how == "inplace":
        return (
            f"{code} {what}: with `inplace=True` pandas changes `{owner}` and returns None; "
            f"drop `inplace=True` and keep the result instead."
        )
    extra = f" (or use `sorted({owner})` for a new list)" if how == "sort" else ""
    return (
        f"{code} {what}: `{how}` changes `{owner}` in place and returns None; call it on its "
        f"own line and then use `{owner}`{extra}."
    )


# Rules 10-12: not callable, ambiguous truth value, unhashable -------------------------------

_NOT_CALLABLE = re.compile(r"'([\w.]+)' object is not callable")
_INDEXABLE = {"dict", "list", "tuple", "str", "Series", "DataFrame", "ndarray"}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"


def _is_data_attribute(f: _Failure, func: ast.Attribute) -> bool:
    """Whether `owner.attr` is a property or column of a library object (so not callable)."""
    owner = f.resolve(func.value)
    if owner is _MISSING or not _is_safe(owner) or isinstance(owner, types.ModuleType):
        return False
    if _pandas_kind(owner) == "DataFrame" and func.attr in _str_columns(owner):
        return True
    static = _member(type(owner), func.attr)
    return static is not _MISSING and (isinstance(static, property) or not callable(static))


def _callable_rule(f: _Failure) -> list[str]:
    match = _NOT_CALLABLE.search(f.message)
    if not isinstance(f.exc, TypeError) or not match:
        return []
    type_name = match.group(1).split(".")[-1]
    for call in _calls(f):
        func, value, code = call.func, f.resolve(call.func), ast.unparse(call.func)
        if isinstance(func, ast.Constant) and type(func.value) in (int, float):
            return [
                (
                    f"`{ast.unparse(call)}` calls a number: to multiply write "
                    f"`{func.value!r} * ({', '.join(ast.unparse(a) for a in call.args)})`."
                )
            ]
        if isinstance(func, ast.Attribute) and _is_data_attribute(f, func):
            return [
                (
                    f"`{code}` is an attribute (here {_a(type_name)}), not a method: drop the "
                    f"parentheses, `{code}`."
                )
            ]
        if value is _MISSING or type(value).__name__ != type_name:
            continue
        if isinstance(func, ast.Name) and hasattr(builtins, code):
            return [
                (
                    f"`{code}` is a Python builtin, but your variable `{code}` ({_a(type_name)}) "
                    f"hides it: rename the variable, then `del {code}` to get the builtin back."
                )
            ]
        if type_name in _INDEXABLE and len(call.args) == 1 and not call.keywords:
            indexed = ast.unparse(ast.Subscript(value=func, slice=call.args[0]))
            return [
                (
                    f"`{code}` is {_a(type_name)}: look items up with square brackets, "
                    f"`{indexed}`, not `{ast.unparse(call)}`."
                )
            ]
    return []


_AMBIGUOUS = re.compile(r"The truth value of (?:a|an) (Series|DataFrame|array)\b.* is ambiguous")


class _ToBitwise(ast.NodeTransformer):
    """`a and b` -> `a & b`, `not a` -> `~a`, `lo < x < hi` -> `(lo < x) & (x < hi)`."""

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        values = [self.visit(v) for v in node.values]
        result = values[0]
        for value in values[1:]:
            result = ast.BinOp(left=result, op=op, right=value)
        return result

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Invert(), operand=self.visit(node.operand))
        return self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        if len(node.ops) < 2:
            return node
        items = [node.left, *node.comparators]
        parts = [ast.Compare(left=a, ops=[op], comparators=[b])
                 for a, op, b in zip(items, node.ops, items[1:], strict=False)]  # fmt: skip
        return self.visit_BoolOp(ast.BoolOp(op=ast.And(), values=parts))


def _ambiguous_rule(f: _Failure) -> list[str]:
    match = _AMBIGUOUS.search(f.message)
    if not isinstance(f.exc, ValueError) or not match:
        return []
    for node in f.line_nodes:
        if isinstance(node, ast.BoolOp | ast.Compare) and (
            isinstance(node, ast.BoolOp) or len(node.ops) > 1
        ):
            fixed = ast.unparse(_ToBitwise().visit(ast.parse(ast.unparse(node), mode="eval").body))
            if len(fixed) <= 120:
                return [
                    (
                        f"`and`/`or`/`not` need a single True/False but a {match.group(1)} "
                        f"holds many: combine element-wise with `&`, `|`, `~`, each comparison "
                        f"in parentheses: `{fixed}`."
                    )
                ]
    return [
        (
            f"A {match.group(1)} holds many True/False values: combine conditions with `&`, "
            f"`|`, `~` (each comparison in parentheses), or reduce to one with `.any()` or "
            f"`.all()`."
        )
    ]


_UNHASHABLE = re.compile(r"unhashable type: '([\w.]+)'")


def _unhashable_rule(f: _Failure) -> list[str]:
    match = _UNHASHABLE.search(f.message)
    if not isinstance(f.exc, TypeError) or not match:
        return []
    kind = match.group(1)
    for name, value in f.read_values:
        if _pandas_kind(value) == "DataFrame":
            for column in _str_columns(value):
                if value[column].dtype.kind == "O" and any(
                    type(v).__name__ == kind for v in value[column].iloc[:_SAMPLE].tolist()
                ):
                    return [
                        (
                            f"Column {column!r} of `{name}` holds {kind}s, which cannot be hashed "
                            f"(grouped, deduplicated, counted): convert them first, "
                            f"`{name}[{column!r}] = {name}[{column!r}].apply(tuple)`."
                        )
                    ]
    fixes = {"list": "a tuple, `tuple(values)`", "set": "a frozenset, `frozenset(values)`",
             "dict": "a tuple of its items, `tuple(sorted(d.items()))`",
             "numpy.ndarray": "a tuple, `tuple(arr)`"}  # fmt: skip
    if kind in fixes:
        return [
            (
                f"A {kind} cannot be a dict key, set member or groupby key because it can change: "
                f"use {fixes[kind]}, instead."
            )
        ]
    return []


# Extra rules: NaN to int, index out of range --------------------------------------------------


def _nan_int_rule(f: _Failure) -> list[str]:
    if f.message == "cannot convert float NaN to integer" and not f.via_pandas:
        return [
            (
                "The value is NaN (missing), which has no int: check `math.isnan(x)` first, or "
                "fill missing values before converting."
            )
        ]
    if isinstance(f.exc, ValueError) and (
        "NaN to integer" in f.message or "non-finite values" in f.message
    ):
        x = _converted(f)
        return [
            (
                f"The data has missing values (NaN), which int cannot hold: fill them "
                f"(`{x}.fillna(0).astype(int)`), drop them, or use the nullable "
                f"`{x}.astype('Int64')`."
            )
        ]
    return []


def _index_rule(f: _Failure) -> list[str]:
    if not isinstance(f.exc, IndexError):
        return []
    sequence = re.match(r"(list|tuple|string) index out of range", f.message)
    for node in f.line_nodes:
        if not isinstance(node, ast.Subscript):
            continue
        iloc = isinstance(node.value, ast.Attribute) and node.value.attr == "iloc"
        owner_node = node.value.value if iloc else node.value
        value, code = f.resolve(owner_node), ast.unparse(owner_node)
        kinds = {"list": list, "tuple": tuple, "string": str}
        if sequence and type(value) is kinds[sequence.group(1)]:
            if not value:
                return [f"`{code}` is empty: check `if {code}:` before indexing it."]
            return [
                (
                    f"`{code}` has {_count(len(value), 'item')}: valid indexes are 0 to "
                    f"{len(value) - 1} (or -1 for the last)."
                )
            ]
        if iloc and "out-of-bounds" in f.message and _pandas_kind(value) in ("Series", "DataFrame"):
            rows = len(value)
            if not rows:
                return [f"`{code}` is empty: it has no rows."]
            return [
                (
                    f"`{code}` has {_count(rows, 'row')}: `.iloc` positions go "
                    f"from 0 to {rows - 1} (or -1 for the last)."
                )
            ]
    return []


_RULES: list[Callable[[_Failure], list[str]]] = [
    _attribute_rule, _key_rule, _number_rule, _date_rule, _pivot_rule, _zero_rule, _axis_rule,
    _string_arithmetic_rule, _none_rule, _callable_rule, _ambiguous_rule, _unhashable_rule,
    _nan_int_rule, _index_rule,
]  # fmt: skip


def error_hints(exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    """At most MAX_HINTS short hints for `exc` raised by the cell `source`; [] if none apply."""
    failure = _Failure(exc, source, user_ns)
    hints: list[str] = []
    for rule in _RULES:
        try:
            found = rule(failure)
        except Exception:  # any failure: a hint is optional, so that rule gives none
            logger.debug("error hint rule %s failed", rule.__name__, exc_info=True)
            continue
        for hint in found:
            hint = hint if len(hint) <= MAX_HINT_CHARS else hint[: MAX_HINT_CHARS - 3] + "..."
            if hint not in hints:
                hints.append(hint)
        if len(hints) >= MAX_HINTS:
            break
    return hints[:MAX_HINTS]
