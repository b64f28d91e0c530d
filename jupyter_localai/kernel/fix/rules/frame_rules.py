"""Rules for pandas type errors around dates and whole-frame math: a tz-aware column compared
with a naive date, integers added to dates, a reduction over a frame with non-numeric columns,
and `fillna(method=...)`, which this pandas no longer takes.

pandas names the dtypes but not the cure (`tz=`, `pd.to_timedelta`, picking columns); these
hints give it with the cell's own names and, where the intent is plain, as an edit.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

from ..failure import Failure, constant, line_calls, pandas_kind, pandas_module, str_columns
from ..hint import Edit, Hint, code, operand, pandas_name, segment, unique_replace, with_keyword
from . import rule

# A tz-aware column compared with a naive date -----------------------------------------------

_TZ_COMPARE = re.compile(
    r"^Invalid comparison between dtype=datetime64\[\w+, ([\w/+:-]+)\] and (Timestamp|datetime)"
)
_TZ_NAME = re.compile(r"^[A-Za-z_]+(/[A-Za-z_+-]+)*$")


def _naive_date_call(f: Failure, call: ast.Call) -> str | None:
    """`Timestamp` or `to_datetime` where `call` is `pd.<that>('<literal>')` without a tz."""
    pd, func = pandas_module(), call.func
    if pd is None or not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    if f.lookup(func.value.id) is not pd or func.attr not in ("Timestamp", "to_datetime"):
        return None
    literal = len(call.args) == 1 and type(constant(call.args[0])) is str
    plain = all(k.arg not in ("tz", "utc", "tzinfo") for k in call.keywords)
    return func.attr if literal and plain else None


@rule(TypeError)
def tz_compare_rule(f: Failure) -> list[str]:
    match = _TZ_COMPARE.match(f.message)
    if not match:
        return []
    tz, other = match.groups()
    pd = pandas_name(f) or "pd"
    text = (
        f"The dates are timezone-aware ({tz}) but the {other} compared with them is naive: "
        f"compare with an aware value, `{pd}.Timestamp('2024-03-01', tz='{tz}')`, or drop the "
        f"zone first, `.dt.tz_localize(None)`."
    )
    if not _TZ_NAME.match(tz):
        return [text]
    calls = [(call, _naive_date_call(f, call)) for call in line_calls(f)]
    calls = [(call, kind) for call, kind in calls if kind]
    if len(calls) > 1:
        return [text]
    if calls:
        return [Hint(text, edit=_aware_date_edit(f, *calls[0], tz))]
    return [Hint(text, edit=_aware_name_edit(f, tz))]


# A zone set on dates that have one, or converted on dates that have none -------------------

_TZ_SWAP = re.compile(r"^(Already tz-aware, use tz_convert|Cannot localize tz-aware \w+, use "
                      r"tz_convert|Cannot convert tz-naive \w+, use tz_localize)")


@rule(TypeError)
def tz_method_rule(f: Failure) -> list[str]:
    """`tz_localize` says which zone naive dates are in; `tz_convert` moves aware dates to
    another. Aware dates given `tz_localize("Europe/Paris")` are meant to be shown in that
    zone: the edit calls `tz_convert` with it. Naive dates given `tz_convert` may be in UTC
    or already in the named zone, the user's knowledge: advice only."""
    if not _TZ_SWAP.match(f.message):
        return []
    if not f.message.startswith(("Already", "Cannot localize")):
        return [("These dates carry no zone yet, so `tz_convert` has nothing to convert from: "
                "name the zone they were recorded in first, `.tz_localize('UTC')` (or the "
                "local zone), then `.tz_convert(...)` to the zone wanted.")]
    text = ("These dates already carry a zone: `tz_localize` (which names the zone of naive "
            "dates) does not apply; `tz_convert` moves them to another zone.")
    calls = [call for call in line_calls(f) if isinstance(call.func, ast.Attribute)
             and call.func.attr == "tz_localize" and len(call.args) == 1 and not call.keywords
             and type(constant(call.args[0])) is str]
    if len(calls) != 1:
        return [text]
    [call] = calls
    new = f"{operand(f, call.func.value)}.tz_convert"
    return [Hint(text, edit=unique_replace(f, call.func, new, call))]


def _aware_date_edit(f: Failure, call: ast.Call, kind: str, tz: str,
                     *outers: ast.AST) -> Edit | None:
    """`pd.Timestamp('2024-05-02')` given the zone: `pd.Timestamp('2024-05-02', tz='UTC')`;
    `pd.to_datetime(...)` localized after."""
    if kind == "Timestamp":
        return with_keyword(f, call, f"tz={tz!r}", *outers)
    written = segment(f, call)
    return unique_replace(f, call, f"{written}.tz_localize({tz!r})", *outers) if written else None


def _aware_name_edit(f: Failure, tz: str) -> Edit | None:
    """The naive date a name on the failing line holds (`cutoff`) given the zone: where the
    cell makes it from a literal, there (so later lines get the aware value too), else
    where it is compared, `cutoff.tz_localize('UTC')`."""
    pd = pandas_module()
    names = {node.id for node in f.line_nodes if isinstance(node, ast.Name)
             and pd is not None and type(f.lookup(node.id)) is pd.Timestamp
             and f.lookup(node.id).tzinfo is None}
    if len(names) != 1 or f.tree is None:
        return None
    name = names.pop()
    made = [node for node in ast.walk(f.tree) if isinstance(node, ast.Assign)
            and [ast.unparse(t) for t in node.targets] == [name]]
    if len(made) == 1 and isinstance(made[0].value, ast.Call):
        kind = _naive_date_call(f, made[0].value)
        if kind:
            return _aware_date_edit(f, made[0].value, kind, tz, made[0])
    if made:
        return None  # made some other way, or more than once: not rewritten here
    compared = next(node for node in f.line_nodes if isinstance(node, ast.Name) and node.id == name)
    enclosing = [node for node in f.line_nodes if isinstance(node, ast.Compare)]
    return unique_replace(f, compared, f"{name}.tz_localize({tz!r})", *enclosing)


# Integers added to dates --------------------------------------------------------------------

_INT_DATES = re.compile(
    r"^Addition/subtraction of integers and integer-arrays with (DatetimeArray|Timestamp)"
)


def _is_dates(value: Any) -> bool:
    pd = pandas_module()
    if pandas_kind(value) in ("Series", "Index"):
        return value.dtype.kind == "M"
    return pd is not None and type(value) is pd.Timestamp


def _is_ints(f: Failure, node: ast.expr) -> bool:
    if type(constant(node)) is int:
        return True
    value = f.resolve(node)
    if type(value) is int:
        return True
    return pandas_kind(value) in ("Series", "Index") and value.dtype.kind in "iu"


@rule(TypeError)
def int_dates_rule(f: Failure) -> list[str]:
    if not _INT_DATES.match(f.message):
        return []
    pd = pandas_name(f) or "pd"
    for node in f.line_nodes:
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Add | ast.Sub):
            continue
        for dates, ints in ((node.left, node.right), (node.right, node.left)):
            if not (_is_dates(f.resolve(dates)) and _is_ints(f, ints)):
                continue
            n = code(f, ints)
            fixed = f"{pd}.to_timedelta({n}, unit='D')"
            text = (
                f"pandas no longer adds plain integers to dates: say what `{n}` counts, e.g. "
                f"days, `{operand(f, dates)} + {fixed}` (or `unit='h'` for hours)."
            )
            days = "day" in n.lower() and pandas_name(f) is not None
            return [Hint(text, edit=unique_replace(f, ints, fixed, node) if days else None)]
    return [(f"pandas no longer adds plain integers to dates: convert them to a duration first, "
            f"e.g. days, `{pd}.to_timedelta(n, unit='D')`.")]  # fmt: skip


# A reduction over a whole frame with non-numeric columns ------------------------------------

# What pandas says when a reduction meets text (also read by `value_rules`).
NOT_NUMERIC = re.compile(
    r"^(Accumulation \w+ not supported for|.* does not support operation '\w+'|"
    r"Could not convert .* to numeric|Cannot perform reduction '\w+' with)"
)
_REDUCTIONS = {"sum", "mean", "median", "std", "var", "prod", "cumsum", "cumprod", "cummax",
               "cummin", "min", "max", "sem", "skew", "quantile", "corr", "cov"}  # fmt: skip
# What `df.corr()` / `df.cov()` raise on a text column (numpy's conversion, a ValueError).
_TEXT_TO_FLOAT = re.compile(r"^could not convert string to float: ")
_NUMERIC_SHOWN = 4


def _numeric_only_edit(f: Failure, call: ast.Call, frame: Any, grouped: bool) -> Edit | None:
    """The reduction with `numeric_only=True` added, where the installed pandas' method
    takes it (read from its signature) and the call does not pass it already: the
    smallest edit that leaves the text columns out, as the hint's selection does."""
    if any(keyword.arg == "numeric_only" for keyword in call.keywords):
        return None
    method_name = call.func.attr  # type: ignore[union-attr]
    owner = frame.groupby(frame.columns[0]) if grouped else frame
    try:
        parameters = inspect.signature(getattr(type(owner), method_name)).parameters
    except (AttributeError, TypeError, ValueError):
        return None
    return with_keyword(f, call, "numeric_only=True") if "numeric_only" in parameters else None


def _reduced_frame(f: Failure, call: ast.Call) -> tuple[ast.expr, Any, list[str]] | None:
    """(frame node, frame, group keys) of `df.<reduction>()` or `df.groupby(k).<reduction>()`."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in _REDUCTIONS:
        return None
    owner, keys = call.func.value, []
    if (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Attribute)
        and owner.func.attr == "groupby"
        and owner.args
    ):
        key = constant(owner.args[0])
        keys = [key] if type(key) is str else []
        owner = owner.func.value
    frame = f.resolve(owner)
    return (owner, frame, keys) if pandas_kind(frame) == "DataFrame" else None


@rule(TypeError, ValueError)
def frame_reduction_rule(f: Failure) -> list[str]:
    """A reduction (or `corr` / `cov`) over a frame with text columns: numeric_only."""
    converted = isinstance(f.exc, ValueError) and _TEXT_TO_FLOAT.match(f.message)
    if not (NOT_NUMERIC.match(f.message) or (converted and f.via_pandas)):
        return []
    for call in line_calls(f):
        found = _reduced_frame(f, call)
        if found is None:
            continue
        node, frame, keys = found
        columns = [c for c in str_columns(frame) if c not in keys]
        numeric = [c for c in columns if frame[c].dtype.kind in "iuf"]
        other = [c for c in columns if c not in numeric]
        if not numeric or not other:
            continue
        name, method = operand(f, node), call.func.attr  # type: ignore[union-attr]
        picked = repr(numeric[:_NUMERIC_SHOWN])
        if keys:
            use = f"`{name}.groupby({keys[0]!r})[{picked}].{method}()`"
        else:
            use = f"`{name}[{picked}].{method}()`"
        return [
            Hint(
                f"`{method}` runs on every column of `{name}`, and {', '.join(map(repr, other[:3]))} "
                f"{'is' if len(other) == 1 else 'are'} not numeric: select the numeric column(s) "
                f"first, {use}.", _numeric_only_edit(f, call, frame, grouped=bool(keys)))
        ]
    return []


# fillna(method=...), a keyword pandas 2.1 deprecated and the installed pandas may refuse --

_FILL_METHOD = re.compile(r"fillna\(\) got an unexpected keyword argument 'method'")
_FILL_BY_METHOD = {"ffill": "ffill", "pad": "ffill", "bfill": "bfill", "backfill": "bfill"}


@rule(TypeError)
def fillna_method_rule(f: Failure) -> list[str]:
    if not _FILL_METHOD.search(f.message):
        return []
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "fillna") or call.args:
            continue
        method = next((k for k in call.keywords if k.arg == "method"), None)
        way = _FILL_BY_METHOD.get(str(constant(method.value))) if method is not None else None
        if way is None:
            continue
        kept = ", ".join(code(f, k) for k in call.keywords if k is not method)
        fixed = f"{operand(f, func.value)}.{way}({kept})"
        text = (f"This pandas no longer takes `fillna(method=...)`: "
                f"`{segment(f, call) or 'fillna(method=...)'}` is now `{fixed}`.")
        return [Hint(text, edit=unique_replace(f, call, fixed))]
    return [("This pandas no longer takes `fillna(method=...)`: use `.ffill()` (carry the last "
            "value forward) or `.bfill()` (the next value backward) instead.")]
