"""Rule 1: the attribute a value lacks belongs to another common type, or left pandas.

`s.lower()` on a Series, `n.zfill(3)` on an int, `df.append(row)` on pandas 2: the hint names
the type that has the attribute and the way from this value to it (`.str`, `str(n)`,
`pd.concat`), looked up statically so no user-defined attribute code runs. Where the way is
certain (`str(n)`, the accessor a Series' dtype needs, `pd.concat` of a row or frame) the
hint carries it as an edit of the failing expression; `arr.append(v)` on a 1-D numpy array
becomes `arr = np.append(arr, v)`.
"""

from __future__ import annotations

import ast
import re
import sys
from datetime import datetime, timedelta
from typing import Any

from ..failure import (
    MISSING,
    SAMPLE,
    Failure,
    a_or_an,
    is_safe,
    line_calls,
    pandas_kind,
    pandas_module,
    short_code,
    static_member,
    str_columns,
    string_dtype,
)
from ..hint import Edit, Hint, code, operand, pandas_name, replace, rewrite
from . import rule
from .date_rules import matching_formats

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
_CONCAT_KEYWORDS = {"ignore_index", "verify_integrity", "sort"}  # same meaning in `pd.concat`
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
    pd, np = pandas_module(), sys.modules.get("numpy")
    if np is not None:
        kinds.append(("numpy.ndarray", np.ndarray))
    if pd is not None:
        kinds += [("Series", pd.Series), ("DataFrame", pd.DataFrame), ("Series.str", pd.Series.str),
                  ("Series.dt", pd.Series.dt)]  # fmt: skip
    return [*kinds, ("datetime", datetime)]


def _call_suffix(f: Failure, name: str, member: Any) -> str:
    """`(args)` as written in the cell, `(...)` for an unseen call, `` for a property."""
    for call in line_calls(f):
        if isinstance(call.func, ast.Attribute) and call.func.attr == name:
            return ast.unparse(call)[len(ast.unparse(call.func)) :]
    return "(...)" if callable(member) and not isinstance(member, property) else ""


def _accessor_dropped(f: Failure, name: str) -> Edit | None:
    """`x.dt.days` as `x.days` (a Timedelta's own attribute), `s.str.upper()` as
    `s.upper()`: the edit when the line reads the accessor once, so it is the one that
    raised."""
    nodes = [node for node in f.line_nodes
             if isinstance(node, ast.Attribute) and node.attr == name]
    if len(nodes) != 1:
        return None
    return replace(f, nodes[0], operand(f, nodes[0].value))


def _owner_code(f: Failure, name: str) -> str:
    for node in f.line_nodes:
        if isinstance(node, ast.Attribute) and node.attr == name:
            return short_code(node.value, "value", 30)
    return "value"


def _convert_hint(f: Failure, obj: Any, owner: str, name: str, member: Any) -> str | None:
    """How to get from `obj` to a value that has `name`, where the way is known."""
    x, use = _owner_code(f, name), name + _call_suffix(f, name, member)
    kind = pandas_kind(obj)
    if kind == "Series" and owner == "Series.str":
        text = f"{x}.str" if string_dtype(obj) else f"{x}.astype(str).str"
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
        found = matching_formats(obj)
        fmt = repr(found[0][0]) if len(found) == 1 else "format"
        return (
            f"`{x}` is a string, not a date: parse it first, e.g. `datetime.strptime({x}, "
            f"{fmt}).{use}`."
        )
    return None


def _member_use(f: Failure, obj: Any, name: str) -> tuple[ast.expr, ast.expr] | None:
    """The failing use of `.name` (the call `x.name(...)`, else `x.name`) and its `x`."""
    found = [n for n in f.line_nodes if isinstance(n, ast.Attribute) and n.attr == name]
    mine = [n for n in found if f.resolve(n.value) is obj]
    node = mine[0] if mine else found[0] if len(found) == 1 else None
    if node is None:
        return None
    call = next((c for c in line_calls(f) if c.func is node), None)
    return call or node, node.value


def _convert_edit(f: Failure, obj: Any, owner: str, name: str) -> Edit | None:
    """The use of `.name` rewritten on the value that has it, where that value is certain."""
    use = _member_use(f, obj, name)
    if use is None:
        return None
    whole, receiver = use
    x, kind, new = operand(f, receiver), pandas_kind(obj), None
    if type(obj) is int and owner == "str":  # a float's text ('7.0') is rarely what was meant
        new = f"str({code(f, receiver)})"
    elif kind == "Series" and owner == "Series.str":
        if string_dtype(obj) or obj.dtype.kind in "iu":
            new = f"{x}.str" if string_dtype(obj) else f"{x}.astype(str).str"
    elif kind == "Series" and owner == "Series.dt":
        fmt, pd = _date_format(obj), pandas_name(f)
        if obj.dtype.kind in "Mm":
            new = f"{x}.dt"
        elif fmt and pd:
            new = f"{pd}.to_datetime({code(f, receiver)}, format={fmt!r}).dt"
    return rewrite(f, whole, receiver, new) if new else None


def _date_format(series: Any) -> str | None:
    """The one format every sampled text of `series` parses with, else None."""
    if not string_dtype(series):
        return None
    texts = [v for v in series.iloc[:SAMPLE].tolist() if type(v) is str]
    if not texts:
        return None
    fits = [fmt for fmt, _ in matching_formats(texts[0])
            if all(matching_formats(text, [fmt]) for text in texts[1:])]  # fmt: skip
    return fits[0] if len(fits) == 1 else None


def _concat_edit(f: Failure, obj: Any) -> Edit | None:
    """`X.append(row or frame, ...)` as the `pd.concat` call that does the same."""
    use, pd = _member_use(f, obj, "append"), pandas_name(f)
    if use is None or pd is None or not isinstance(use[0], ast.Call):
        return None
    call, receiver = use
    if len(call.args) != 1 or any(k.arg not in _CONCAT_KEYWORDS for k in call.keywords):
        return None
    added, kind = call.args[0], pandas_kind(obj)
    value = f.resolve(added)
    if kind == "DataFrame" and (isinstance(added, ast.Dict) or type(value) is dict):
        other = f"{pd}.DataFrame([{code(f, added)}])"
    elif pandas_kind(value) == kind:
        other = code(f, added)
    else:
        return None
    keywords = "".join(f", {code(f, k)}" for k in call.keywords)
    return replace(f, call, f"{pd}.concat([{code(f, receiver)}, {other}]{keywords})")


def _np_append_edit(f: Failure, obj: Any) -> Edit | None:
    """`arr.append(v)`, a statement of its own, as `arr = np.append(arr, v)`: numpy returns
    a new array, so the name is bound to it. Only for a 1-D array (`np.append` flattens
    others) named at the cell's top level (in a function the assignment would make the
    name local), with numpy bound to a name."""
    np = sys.modules.get("numpy")
    if np is None or not _is_ndarray(obj) or obj.ndim != 1 or f.tree is None:
        return None
    alias = "np" if f.lookup("np") is np else next(
        (k for k, v in list(f.user_ns.items()) if v is np and type(k) is str and k.isidentifier()),
        None)  # fmt: skip
    inside = {id(n) for d in ast.walk(f.tree) if isinstance(d, _SCOPES) for n in ast.walk(d)}
    for node in f.line_nodes:
        call = node.value if isinstance(node, ast.Expr) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "append" and isinstance(call.func.value, ast.Name)
                and len(call.args) == 1 and not call.keywords
                and not isinstance(call.args[0], ast.Starred)):  # fmt: skip
            continue
        name = call.func.value.id
        if alias is None or id(node) in inside or f.lookup(name) is not obj:
            return None
        new = f"{name} = {alias}.append({name}, {code(f, call.args[0])})"
        edit = replace(f, node, new)
        return edit if edit is not None and f.source.count(edit[0]) == 1 else None
    return None


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _column_for(frame: Any, owner: str) -> str:
    """A real column the Series method suits (text for `.str`, dates for `.dt`), quoted."""
    for column in str_columns(frame)[:200]:
        series = frame[column]
        if owner == "Series" or (
            string_dtype(series) if owner == "Series.str" else series.dtype.kind == "M"
        ):
            return repr(column)
    return "'column'"


def _is_ndarray(obj: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray)


def _attribute_object(f: Failure, name: str) -> Any:
    """The object that lacks `name`: AttributeError.obj, else `x` of an `x.name` on the line."""
    obj = getattr(f.exc, "obj", None)  # None also where Python did not set it
    if obj is not None:
        return obj
    for node in f.line_nodes:
        if isinstance(node, ast.Attribute) and node.attr == name:
            return f.resolve(node.value)
    return MISSING


@rule(AttributeError)
def attribute_rule(f: Failure) -> list[str]:
    match = _NO_ATTRIBUTE.match(f.message)
    if not match or match.group(3).startswith("_"):
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
    if obj is MISSING or obj is None or not (prefix or is_safe(obj)):
        return []
    cls = obj if prefix else type(obj)
    if static_member(cls, name) is not MISSING or _elements_have(obj, name):
        return []
    removed = _PANDAS_REMOVED.get(name)
    if removed and pandas_kind(obj) in removed[2]:
        row = "pd.DataFrame([row])" if pandas_kind(obj) == "DataFrame" else "pd.Series([value])"
        replacement = removed[1].format(x=_owner_code(f, name), row=row)
        text = (
            f"`{name}` was removed in pandas {removed[0]} (you have {pandas_module().__version__}): "
            f"use {replacement} instead."
        )
        return [Hint(text, edit=_concat_edit(f, obj) if name == "append" else None)]
    if (name == "str" and type(obj) is str) or (
            name == "dt" and isinstance(obj, datetime | timedelta)):
        return [
            Hint(
                f"`{_owner_code(f, name)}` is a single value, not a Series: drop `.{name}` and use "
                f"its methods directly (e.g. inside `apply`).", _accessor_dropped(f, name))
        ]
    owners = [(label, kind) for label, kind in kinds
              if kind is not cls and static_member(kind, name) is not MISSING]  # fmt: skip
    if not owners:
        return []
    if not prefix:
        for label, kind in owners:
            hint = _convert_hint(f, obj, label, name, static_member(kind, name))
            if hint:
                edit = (_np_append_edit(f, obj) if label == "list" and name == "append"
                        else _convert_edit(f, obj, label, name))  # fmt: skip
                return [Hint(hint, edit=edit)]
    what = "method" if callable(static_member(owners[0][1], name)) else "attribute"
    labels = " and ".join(label for label, _ in owners[:3])
    return [f"`{name}` is {a_or_an(what)} of {labels}, not of {type_name}."]


_MAX_ELEMENTS_READ = 256  # an object array's elements are read only when it is this small


def _elements_have(obj: Any, name: str) -> bool:
    """Whether `obj` is a small numpy object array whose elements all have `name` (the
    Axes of `plt.subplots(1, 2)`): the grid rule's case, where naming the types that have
    `name` (Series, DataFrame) would mislead."""
    np = sys.modules.get("numpy")
    if np is None or type(obj) is not np.ndarray or obj.dtype != object:
        return False
    if not 0 < obj.size <= _MAX_ELEMENTS_READ:
        return False
    return all(static_member(type(element), name) is not MISSING for element in obj.flat)
