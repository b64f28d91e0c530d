"""Value rendering: what a live value is, in a few hundred characters, in milliseconds.

Cheap by construction: a DataFrame is described by its shape, column dtypes and three head
rows (never `describe()` or a deep `memory_usage()`, which take seconds on big frames); builtin
containers are walked with `islice`, never `repr`'d whole (a C-level repr of a 10M-item list
cannot be interrupted). Anything that runs user code (`__repr__`, properties) runs under a
per-object time limit (`timer.time_limit`) and its text is cut to `max_chars`. Secret-named
variables, and the values of columns, entries and attributes named like secrets, are shown
as `<redacted>`; every text is redacted before it is cut (a key cut to a few characters has
lost the shape that marks it).

pandas and numpy are recognised by class names in the object's MRO, so they are never
imported here; the summariser adds nothing to the user's namespace or history. Which
variables are shown, and in what order, is summaries.py's job.
"""

from __future__ import annotations

import inspect
import itertools
import re
import types
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from typing import Any

from .redact import REDACTED, Redactor, is_secret_name
from .text_kinds import SAMPLE_SIZE, date_tag, text_kind, text_sample
from .timer import time_limit

_MAX_ITEMS = 5  # items shown of a container, values of a Series or array
_MAX_COLUMNS = 20  # DataFrame columns listed
_HEAD_ROWS = 3
_CELL_WIDTH = 20  # characters of one DataFrame cell in the head table
_MAX_INT_BITS = 512  # larger ints are described, not printed (str(int) is quadratic)
PLAIN_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes})
_TEXT_DTYPES = frozenset({"object", "str", "string"})  # columns that may hold dates as text


def _type_names(value: Any) -> set[str]:
    """'package.Class' for each class in the MRO: how pandas/numpy are found without imports
    (pandas 3 reports `pandas.DataFrame`, pandas 2 `pandas.core.frame.DataFrame`)."""
    names = set()
    for cls in type(value).__mro__:
        package = str(getattr(cls, "__module__", "")).split(".")[0]
        names.add(f"{package}.{getattr(cls, '__qualname__', '')}")
    return names


# `<Foo object at 0x7f3d2c294d60>`: an address differs in every process, so it would make
# the same notebook a different prompt (another answer, no reuse of a saved prefix).
_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]{6,}")


def without_addresses(text: str) -> str:
    """The text with object addresses (` at 0x...`) taken out."""
    return _ADDRESS.sub("", text)


def clip(text: str, max_chars: int) -> str:
    """The text cut to `max_chars`, an ellipsis marking the cut."""
    if len(text) <= max_chars:
        return text
    return text[: max(max_chars - 1, 0)] + "…"


class _Renderer:
    """Bounded repr of nested values: builtin containers by `islice`, others by `repr` cut;
    strings and reprs are redacted before they are cut."""

    def __init__(self, max_chars: int, redactor: Redactor | None = None) -> None:
        self.max_chars = max_chars
        self.redactor = redactor or Redactor()

    def render(self, value: Any, depth: int = 0, width: int | None = None) -> str:
        width = self.max_chars if width is None else width
        return clip(self._render(value, depth, width), width)

    def _render(self, value: Any, depth: int, width: int) -> str:
        kind = type(value)
        if kind is float and depth:
            return format(value, ".6g")  # table cells and list items: short is enough
        if value is None or kind is bool or kind is float or kind is complex:
            return repr(value)
        if kind is int:
            if value.bit_length() > _MAX_INT_BITS:
                return f"<int of ~{int(value.bit_length() * 0.30103)} digits>"
            return repr(value)
        if kind is str:
            return repr(self.redactor.redact_start(value, width)[:width])
        if kind in (bytes, bytearray):
            return repr(bytes(value[:width]))
        if depth >= 3 and isinstance(value, list | tuple | set | frozenset | dict | deque):
            return "[…]" if isinstance(value, list) else "…"
        if kind in (list, tuple, set, frozenset, deque):
            return self._sequence(value, depth, width)
        if kind is dict or isinstance(value, Mapping) and _uses_default_repr(value):
            return self._mapping(value, depth, width)
        if isinstance(value, tuple) and hasattr(kind, "_fields"):
            fields = itertools.islice(zip(kind._fields, value, strict=False), _MAX_ITEMS)
            inner = ", ".join(f"{f}={self._field(f, v, depth + 1, width // 2)}" for f, v in fields)
            return f"{kind.__name__}({inner})"
        if isinstance(value, list | tuple | set | frozenset | deque) and _uses_default_repr(value):
            return f"{kind.__name__}({self._sequence(value, depth, width)})"
        return self._repr(value, width)

    def _sequence(self, value: Any, depth: int, width: int) -> str:
        brackets = {
            list: "[]", tuple: "()", set: "{}", frozenset: "{}", deque: "[]"
        }.get(type(value), "[]")  # fmt: skip
        items = []
        used = 0
        for item in itertools.islice(value, _MAX_ITEMS):
            text = self.render(item, depth + 1, max(width // 2, 16))
            items.append(text)
            used += len(text) + 2
            if used > width:
                break
        if len(value) > len(items):
            items.append(f"… {len(value) - len(items)} more")
        return brackets[0] + ", ".join(items) + brackets[1]

    def _mapping(self, value: Mapping[Any, Any], depth: int, width: int) -> str:
        items = []
        used = 0
        for key, item in itertools.islice(value.items(), _MAX_ITEMS):
            key_text = self.render(key, depth + 1, 40)
            item_text = self._field(key, item, depth + 1, max(width // 2, 16))
            items.append(f"{key_text}: {item_text}")
            used += len(items[-1]) + 2
            if used > width:
                break
        if len(value) > len(items):
            items.append(f"… {len(value) - len(items)} more")
        return "{" + ", ".join(items) + "}"

    def _field(self, name: Any, value: Any, depth: int, width: int) -> str:
        """A value under a key, field or label: `<redacted>` when the name says secret."""
        if isinstance(name, str) and is_secret_name(name):
            return REDACTED
        return self.render(value, depth, width)

    def _repr(self, value: Any, width: int) -> str:
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError(f"__repr__ returned {type(text).__name__}")
        text = without_addresses(text)
        return self.redactor.redact_start(text, width + 1)[: width + 1]


def _uses_default_repr(value: Any) -> bool:
    """True for containers whose repr is the builtin one (OrderedDict, os.environ, UserDict)."""
    for cls in type(value).__mro__:
        if "__repr__" in vars(cls):
            return cls.__module__ in ("builtins", "collections", "os", "collections.abc")
    return True


def _element_types(values: Iterable[Any]) -> str:
    names = Counter(type(v).__name__ for v in itertools.islice(values, 20))
    return ", ".join(name for name, _ in names.most_common(3))


def _dataframe(df: Any, r: _Renderer) -> str:
    n_rows, n_cols = df.shape
    # One slice of the first rows serves the head table and the text-kind samples.
    sample = df.iloc[:SAMPLE_SIZE, :_MAX_COLUMNS]
    columns = [str(c) for c in sample.columns.tolist()]
    dtypes = [str(d) for d in sample.dtypes.tolist()]
    values = sample.values.tolist() if n_rows and columns else []
    secret = [is_secret_name(c) for c in columns]  # `password`, `api_key`: values hidden
    shown = f" (first {len(columns)})" if n_cols > len(columns) else ""
    lines = [f"DataFrame, {n_rows} rows x {n_cols} columns", f"columns{shown}: " + ", ".join(
        f"{c} ({d if secret[j] else _dtype_text(d, (row[j] for row in values))})"
        for j, (c, d) in enumerate(zip(columns, dtypes, strict=False))
    )]  # fmt: skip
    index = df.index
    if type(index).__name__ != "RangeIndex":
        lines.append(f"index: {type(index).__name__}" + (f" {index.name!r}" if index.name else ""))
    if values:
        rows = [[REDACTED if secret[j] else r.render(v, 1, _CELL_WIDTH) for j, v in enumerate(row)]
                for row in values[:_HEAD_ROWS]]  # fmt: skip
        labels = [r.render(v, 1, _CELL_WIDTH) for v in sample.index[:_HEAD_ROWS].tolist()]
        table = [["", *(clip(c, _CELL_WIDTH) for c in columns)]]
        table += [[label, *row] for label, row in zip(labels, rows, strict=False)]
        widths = [max(len(row[j]) for row in table) for j in range(len(table[0]))]
        lines.append("head:")
        lines += ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
                  for row in table]  # fmt: skip
    return "\n".join(lines)


def _column_kind(dtype: str, head: Iterable[Any]) -> str | None:
    """`date text '%Y-%m-%d'` or `numbers as text, e.g. '1,204'` for a text column whose head
    values say so (a small model otherwise calls `.dt` or `.sum()` on strings), else None."""
    return text_kind(text_sample(head)) if dtype in _TEXT_DTYPES else None


def _dtype_text(dtype: str, head: Iterable[Any]) -> str:
    kind = _column_kind(dtype, head)
    return f"{dtype}: {kind}" if kind else dtype


def _series(series: Any, r: _Renderer) -> str:
    name = f" {series.name!r}" if series.name is not None else ""
    head = series.iloc[:SAMPLE_SIZE].tolist()
    dtype = str(series.dtype)
    if isinstance(series.name, str) and is_secret_name(series.name):
        return f"Series{name}, {len(series)} values, dtype {dtype}; values {REDACTED}"
    # A row as a Series (`df.loc[3]`, `pd.Series(config)`): entries labelled like secrets.
    hidden = [isinstance(label, str) and is_secret_name(label)
              for label in series.index[:_MAX_ITEMS].tolist()]  # fmt: skip
    shown = [REDACTED if secret else value
             for secret, value in zip(hidden, head[:_MAX_ITEMS], strict=False)]  # fmt: skip
    kind = None if any(hidden) else _column_kind(dtype, head)
    dtype += f" ({kind})" if kind else ""
    values = r.render(shown)
    return f"Series{name}, {len(series)} values, dtype {dtype}; first: {values}"


def _ndarray(array: Any, r: _Renderer) -> str:
    first = array.flat[:_MAX_ITEMS].tolist() if array.ndim else [array.item()]
    return f"ndarray shape {tuple(array.shape)}, dtype {array.dtype}; first: {r.render(first)}"


def _array_like(value: Any, r: _Renderer) -> str:
    """torch/jax/cupy/xarray-style objects: shape and dtype, then their own (bounded) repr."""
    device = getattr(value, "device", None)
    where = f", device {device}" if device is not None else ""
    return f"shape {tuple(value.shape)}, dtype {value.dtype}{where}: {r.render(value, 1)}"


class _Annotation:
    """Shows a string annotation (`from __future__ import annotations`) without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _unquoted(annotation: Any) -> Any:
    return _Annotation(annotation) if isinstance(annotation, str) else annotation


def _signature(obj: Any) -> str:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    parameters = [
        p.replace(annotation=_unquoted(p.annotation)) for p in signature.parameters.values()
    ]
    return str(
        signature.replace(
            parameters=parameters, return_annotation=_unquoted(signature.return_annotation)
        )
    )


def _first_doc_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _function(func: Any) -> str:
    name = getattr(func, "__name__", None) or getattr(getattr(func, "func", None), "__name__", "")
    if not isinstance(name, str) or not name:
        name = type(func).__name__
    doc = _first_doc_line(getattr(func, "func", func) if _is_partial(func) else func)
    return f"def {name}{_signature(func)}" + (f"  # {doc}" if doc else "")


def _is_partial(value: Any) -> bool:
    return "functools.partial" in _type_names(value)


def _class(cls: type) -> str:
    bases = ", ".join(b.__name__ for b in cls.__bases__ if b is not object)
    methods = sorted(
        {
            name
            for klass in cls.__mro__[:-1]
            for name, attr in vars(klass).items()
            if not name.startswith("_") and callable(attr)
        }
    )
    text = f"class {cls.__name__}" + (f"({bases})" if bases else "")
    text += f"; {cls.__name__}{_signature(cls)}"
    if methods:
        text += "; methods: " + ", ".join(methods[:20]) + (", …" if len(methods) > 20 else "")
    doc = _first_doc_line(cls) if cls.__doc__ else ""
    return text + (f"  # {doc}" if doc else "")


def _instance(value: Any, r: _Renderer) -> str:
    text = r.render(value)
    attributes = getattr(value, "__dict__", None)
    if type(value).__repr__ is object.__repr__ and isinstance(attributes, dict) and attributes:
        # `<Foo object at 0x...>` says nothing; its public attributes do.
        public = [(k, v) for k, v in attributes.items() if not str(k).startswith("_")]
        shown = ", ".join(
            f"{k}={REDACTED if is_secret_name(str(k)) else r.render(v, 1, 60)}"
            for k, v in public[:10]
        )
        text = f"{type(value).__name__} object" + (f" with {shown}" if shown else "")
    return text


def describe(value: Any, max_chars: int = 600, redactor: Redactor | None = None) -> str:
    """A short text for `value` (runs user code: call it under `time_limit`); its strings
    and reprs are redacted (by `redactor`, else by shape) before anything is cut."""
    r = _Renderer(max_chars, redactor)
    kind = type(value)
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__}"
    if value is None or kind in (bool, int, float, complex):
        return r.render(value)
    if kind is str:
        tag = date_tag(value)  # says at once whether a long string could be a date
        return f"str{f' ({tag})' if tag else ''}, {len(value)} chars: {r.render(value)}"
    if kind in (bytes, bytearray):
        return f"{kind.__name__}, {len(value)} bytes: {r.render(value)}"
    if isinstance(value, type):
        return _class(value)
    if isinstance(value, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        return _function(value)
    names = _type_names(value)
    if "pandas.DataFrame" in names:
        return _dataframe(value, r)
    if "pandas.Series" in names:
        return _series(value, r)
    if "numpy.ndarray" in names:
        return _ndarray(value, r)
    if "numpy.generic" in names:
        return r.render(value)
    if kind in (list, tuple, set, frozenset, deque) or (
        isinstance(value, list | tuple | set | frozenset | deque) and _uses_default_repr(value)
    ):
        types_text = _element_types(value)
        of = f" of {types_text}" if types_text else ""
        return f"{kind.__name__}, {len(value)} items{of}: {r.render(value)}"
    if isinstance(value, Mapping) and (kind is dict or _uses_default_repr(value)):
        keys = _element_types(value.keys())
        return (
            f"{kind.__name__}, {len(value)} keys{f' ({keys})' if keys else ''}: {r.render(value)}"
        )
    if kind.__module__ != "builtins" and hasattr(value, "shape") and hasattr(value, "dtype"):
        return _array_like(value, r)
    if inspect.isroutine(value) or _is_partial(value):
        return _function(value)
    return _instance(value, r)


def cheap_summary(value: Any) -> str:
    """A summary that runs no user code at all: for when the time budget is spent."""
    kind = type(value)
    if kind in (list, tuple, set, frozenset, dict, str, bytes):
        return f"{kind.__name__} of length {len(value)}"
    if value is None or kind in (bool, float) or kind is int and value.bit_length() < 64:
        return repr(value)
    return f"{kind.__name__} object"


def short_text(
    value: Any, *, time_limit: float = 0.1, max_chars: int = 600, redactor: Redactor | None = None
) -> str:
    """A bounded description of any value (cell outputs), never raising; redacted before it
    is cut (by `redactor`, else by shape)."""
    redactor = redactor or Redactor()
    text = limited(lambda: describe(value, max_chars, redactor), time_limit)
    return clip(redactor.redact(without_addresses(text)), max_chars)


def limited(render: Any, seconds: float) -> str:
    """`render()` under a time limit; a failure or a timeout becomes a short text."""
    try:
        with time_limit(seconds) as limit:
            text = render()
    except RecursionError:
        return "<repr failed: RecursionError>"
    except Exception as exc:  # noqa: BLE001 - a user's __repr__ may raise anything: reported
        return f"<repr failed: {type(exc).__name__}: {clip(_safe_str(exc), 120)}>"
    return "<repr timed out>" if limit.expired else text


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception as inner:  # noqa: BLE001 - the exception's own __str__ failed: say so
        return f"<unprintable {type(inner).__name__}>"


def safe_type_name(value: Any) -> str:
    """The value's class name, even when the class lies about it."""
    name = getattr(type(value), "__name__", "object")
    return name if isinstance(name, str) else "object"
