"""Rule 4: a date that does not match its format, answered with the format it does match;
and a `pd.Timedelta(months=3)`, a calendar step that only `pd.DateOffset` takes.

`matching_formats` is also what the attribute and string-arithmetic rules use to tell that a
text holds dates, and in which format. Where one format fits, the hint's edit swaps the
format literal of the cell for it.
"""

from __future__ import annotations

import ast
import re
from datetime import datetime
from typing import Any

from ..failure import (
    MISSING,
    QUOTED,
    SAMPLE,
    Failure,
    constant,
    line_calls,
    pandas_kind,
    pandas_module,
    short_code,
    show,
    str_columns,
    string_dtype,
)
from ..hint import (
    Hint,
    contains,
    pandas_name,
    replace,
    rewrite,
    segment,
    unique_replace,
    with_keyword,
)
from . import rule

# Rule 4: a date that does not match its format ---------------------------------------------

_DATE_FORMATS = [
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y/%m/%d", "%Y%m%d",
    "%d/%m/%y", "%m/%d/%y", "%b %d %Y", "%b %d, %Y", "%d %b %Y", "%d-%b-%Y", "%B %d, %Y",
    "%B %d %Y", "%d %B %Y", "%a, %d %b %Y", "%A, %B %d, %Y", "%Y-%m", "%b %Y", "%B %Y",
]  # fmt: skip
_TIME_SUFFIXES = ["", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S", " %H:%M:%S.%f",
                  "T%H:%M:%S.%f", " %I:%M %p", "T%H:%M:%S%z", " %H:%M:%S%z"]  # fmt: skip
_PY_DATE = re.compile(rf"time data {QUOTED} does not match format {QUOTED}")
_PD_DATE = re.compile(r'time data "(.*?)" doesn\'t match format "(.*?)"')
_PY_REMAINS = re.compile(r"^unconverted data remains: (.*)$", re.DOTALL)
_PD_REMAINS = re.compile(r'unconverted data remains when parsing with format "(.*?)": "(.*?)"')
_QUOTES = re.compile(r"[rRuU]?('''|\"\"\"|'|\")")  # how a str literal opens


def matching_formats(text: str, formats: list[str] | None = None) -> list[tuple[str, datetime]]:
    """Formats that parse `text`, one per distinct result ('%b'/'%B' both parse 'May')."""
    found: dict[datetime, str] = {}
    text = text.strip()
    for fmt in formats or [d + t for d in _DATE_FORMATS for t in _TIME_SUFFIXES]:
        try:
            found.setdefault(datetime.strptime(text, fmt), fmt)
        except ValueError:
            continue
    return [(fmt, when) for when, fmt in found.items()]


@rule(ValueError)
def date_rule(f: Failure) -> list[str]:
    py, pd_ = _PY_DATE.search(f.message), _PD_DATE.search(f.message)
    if py:
        value, given = ast.literal_eval(py.group(1)), ast.literal_eval(py.group(2))
    elif pd_:
        value, given = pd_.groups()
    else:
        return _remainder_hint(f) or _column_format_hint(f)
    found = matching_formats(value)
    if not found:
        return []
    if len(found) > 1:
        listed = " or ".join(repr(fmt) for fmt, _ in found[:3])
        return [
            (
                f"{show(value)} matches several formats, {listed} (day and month are ambiguous): "
                f"check values with a day above 12 to decide."
            )
        ]
    fmt = found[0][0]
    use = (
        f"pd.to_datetime({_converted_date(f)}, format={fmt!r})"
        if pd_
        else f"datetime.strptime({_converted_date(f)}, {fmt!r})"
    )
    text = f"{show(value)} matches format {fmt!r}, not {given!r}: `{use}`."
    edit = _format_edit(f, given, fmt)
    if edit is None and pd_:
        fitting = _column_format(f)
        edit = fitting[1] if fitting is not None and fitting[0] == fmt else None
    return [Hint(text, edit=edit)]


def _column_format(f: Failure) -> tuple[str, tuple[str, str]] | None:
    """The one format that parses every sampled value of the text column a `to_datetime`
    call on the failing line converts, and the edit that passes it as `format=` (replacing
    the call's own format or date-order options); None when no one format fits."""
    for call in line_calls(f):
        if getattr(call.func, "attr", getattr(call.func, "id", "")) != "to_datetime" or not call.args:
            continue
        column = f.resolve(call.args[0])
        if pandas_kind(column) != "Series" or not string_dtype(column):
            continue
        texts = [v for v in column.dropna().iloc[:SAMPLE].tolist() if type(v) is str]
        if not texts:
            continue
        fitting = {fmt for fmt, _ in matching_formats(texts[0])}
        for text in texts[1:]:
            fitting &= {fmt for fmt, _ in matching_formats(text, sorted(fitting))}
        if len(fitting) != 1:
            continue
        fmt = fitting.pop()
        kept = [k for k in call.keywords if k.arg not in _DATE_ORDER_OPTIONS]
        fixed = ast.Call(func=call.func, args=call.args,
                         keywords=[*kept, ast.keyword(arg="format", value=ast.Constant(fmt))])
        edit = replace(f, call, ast.unparse(fixed))
        if edit is not None:
            return fmt, edit
    return None


_DATE_ORDER_OPTIONS = {"format", "dayfirst", "yearfirst", "infer_datetime_format"}


def _column_format_hint(f: Failure) -> list[str]:
    """A `to_datetime` that failed on a text column (any message: 'is not ISO8601 format',
    'doesn't match format'): the one format all its sampled values parse with."""
    fitting = _column_format(f)
    if fitting is None:
        return []
    fmt, (_, new) = fitting
    return [Hint(f"The values all parse with the format {fmt!r}: `{new}`.", edit=fitting[1])]


def _format_literal(f: Failure, given: str) -> ast.Constant | None:
    """The str literal that gave the format `given`: the `strptime`/`to_datetime` argument on
    the failing line, or the one assignment of the variable passed there."""
    for call in line_calls(f):
        name = getattr(call.func, "attr", getattr(call.func, "id", ""))
        if name == "strptime" and len(call.args) == 2:
            node: ast.expr | None = call.args[1]
        elif name == "to_datetime":
            node = next((k.value for k in call.keywords if k.arg == "format"), None)
        else:
            continue
        if isinstance(node, ast.Name) and f.tree is not None:
            assigned = [a.value for a in ast.walk(f.tree) if isinstance(a, ast.Assign)
                        and [getattr(t, "id", None) for t in a.targets] == [node.id]]  # fmt: skip
            node = assigned[0] if len(assigned) == 1 else None
        if isinstance(node, ast.Constant) and node.value == given:
            return node
    return None


def _format_edit(f: Failure, given: str, fmt: str) -> tuple[str, str] | None:
    """The format literal as written, and `fmt` in the same quotes (and prefix)."""
    node = _format_literal(f, given)
    old = segment(f, node) if node is not None else None
    quoted = _QUOTES.match(old or "")
    if old is None or quoted is None:
        return None
    new = quoted.group(0) + fmt + quoted.group(1)
    if "\\" in fmt or quoted.group(1)[0] in fmt or ast.literal_eval(new) != fmt:
        new = repr(fmt)
    return old, new


def _converted_date(f: Failure) -> str:
    for call in line_calls(f):
        name = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if name in ("strptime", "to_datetime") and call.args:
            return short_code(call.args[0], "text")
    return "s" if f.via_pandas else "text"


def _remainder_hint(f: Failure) -> list[str]:
    """'unconverted data remains: 10:00': the value goes on after what the format covers."""
    py, pd_ = _PY_REMAINS.search(f.message), _PD_REMAINS.search(f.message)
    if pd_:
        given, rest = pd_.groups()
    elif py:
        rest, given = py.group(1), ""
        for call in line_calls(f):
            named = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if named == "strptime" and len(call.args) == 2 and type(constant(call.args[1])) is str:
                given = constant(call.args[1])
    else:
        return []
    base = datetime(1900, 1, 1).strftime(given or "%Y")
    suffixes = [
        s for s in _TIME_SUFFIXES if s and matching_formats(base + rest, [(given or "%Y") + s])
    ]
    lead = f"The value goes on after the format ends ({rest!r} is left over)"
    if not suffixes:
        return [f"{lead}: extend the format to cover it."]
    if not given:
        return [f"{lead}: add {suffixes[0]!r} to the end of the format."]
    fixed = given + suffixes[0]
    edit = _format_edit(f, given, fixed) if len(suffixes) == 1 else None
    return [Hint(f"{lead}: use the format {fixed!r}.", edit=edit)]


# A calendar step given to `pd.Timedelta`: `pd.Timedelta(months=3)` ------------------------

_NO_TIMEDELTA = "cannot construct a Timedelta from the passed arguments"
_CALENDAR = {"years", "months"}
# The keywords `DateOffset` adds as amounts (its singular ones, `month=`, set a field).
_OFFSET_AMOUNTS = {*_CALENDAR, "weeks", "days", "hours", "minutes", "seconds",
                   "milliseconds", "microseconds", "nanoseconds"}  # fmt: skip


@rule(ValueError)
def calendar_timedelta_rule(f: Failure) -> list[str]:
    """A Timedelta is a fixed length, and months and years have none: `pd.DateOffset`
    with the same arguments adds calendar months, what `months=` meant. Not rewritten where
    the value is compared or its attributes read: there a length was meant."""
    if not f.message.startswith(_NO_TIMEDELTA):
        return []
    pd = pandas_module()
    for call in line_calls(f):
        words = {k.arg for k in call.keywords}
        alias = _timedelta_alias(f, call.func, pd)
        if alias is None or call.args or not words & _CALENDAR or not words <= _OFFSET_AMOUNTS:
            continue
        fixed = rewrite(f, call, call.func, f"{alias}.DateOffset")
        text = (f"A Timedelta is a fixed length, and months and years vary: "
                f"`{alias}.DateOffset(...)` with the same arguments adds calendar months/years.")
        used = [n for n in f.line_nodes if isinstance(n, ast.Compare | ast.Attribute)
                and any(part is call for part in ast.iter_child_nodes(n))]  # fmt: skip
        if used:
            return [("A Timedelta is a fixed length, and months and years have none: give the "
                     "length in weeks or days (e.g. `days=90`); to step calendar months from a "
                     f"date, add `{alias}.DateOffset(months=...)`.")]
        if fixed is None:
            return [text]
        statements = [n for n in f.line_nodes if isinstance(n, ast.stmt) and contains(n, call)]
        return [Hint(text, edit=unique_replace(f, call, fixed[1], *statements))]
    return []


def _timedelta_alias(f: Failure, func: ast.expr, pd: object) -> str | None:
    """The name pandas is called by in `<alias>.Timedelta`, or where `Timedelta` itself is
    the name, the one pandas is bound to; None when `func` is not pandas' Timedelta."""
    if pd is None:
        return None
    if isinstance(func, ast.Attribute) and func.attr == "Timedelta":
        owner = func.value
        if isinstance(owner, ast.Name) and f.lookup(owner.id) is pd:
            return owner.id
    if isinstance(func, ast.Name) and f.lookup(func.id) is getattr(pd, "Timedelta", MISSING):
        return pandas_name(f)
    return None


# A time-based method on a frame whose dates are a column, not the index ---------------------

_NOT_TIME_INDEX = re.compile(
    r"^Only valid with DatetimeIndex, TimedeltaIndex or PeriodIndex, but got an instance of "
    r"'(\w+)'"
)
_TIME_METHODS_ON = {"resample"}  # the methods that take the dates' column as `on=`


@rule(TypeError)
def time_index_rule(f: Failure) -> list[str]:
    """`visits.resample('W')` where the dates are the column `date`: where the frame has
    exactly one datetime column, `on='date'` names it (the index stays as it is)."""
    match = _NOT_TIME_INDEX.match(f.message)
    if not match:
        return []
    for call in line_calls(f):
        func = call.func
        if not isinstance(func, ast.Attribute) or func.attr not in _TIME_METHODS_ON:
            continue
        if any(keyword.arg in ("on", "level") for keyword in call.keywords):
            continue
        frame = f.resolve(func.value)
        if pandas_kind(frame) != "DataFrame":
            parsed = _text_index_parsed(f, func.value)
            if parsed:
                return [parsed]
            continue
        dates = [c for c in frame.columns if type(c) is str and frame[c].dtype.kind == "M"]
        if len(dates) != 1:
            named = ", ".join(map(repr, dates[:3])) or "none"
            return [(f"`{func.attr}` needs dates in the index (it has a {match.group(1)}); "
                     f"the datetime columns are {named}: pass one as `on=`, or "
                     f"`.set_index(...)` first.")]
        return [Hint(f"`{func.attr}` needs dates in the index (it has a {match.group(1)}); "
                     f"the dates are the column {dates[0]!r}: name it, `...{func.attr}(..., "
                     f"on={dates[0]!r})`.", with_keyword(f, call, f"on={dates[0]!r}"))]
    return []


def _text_index_parsed(f: Failure, indexed: ast.expr) -> Hint | None:
    """`usage.set_index('timestamp').resample('D')` where the column holds dates as text:
    the index it makes is text, so the column is parsed first (`assign` leaves `usage`
    itself as it is)."""
    if not (isinstance(indexed, ast.Call) and isinstance(indexed.func, ast.Attribute)
            and indexed.func.attr == "set_index" and len(indexed.args) == 1
            and not indexed.keywords):
        return None
    column = constant(indexed.args[0])
    frame = f.resolve(indexed.func.value)
    pd = pandas_name(f)
    if (type(column) is not str or pandas_kind(frame) != "DataFrame" or pd is None
            or column not in str_columns(frame) or not _dates_as_text(frame[column])):
        return None
    owner = segment(f, indexed.func.value)
    if owner is None:
        return None
    parsed = f"{pd}.to_datetime({owner}[{column!r}])"
    assigned = f"{column}={parsed}" if column.isidentifier() else f"**{{{column!r}: {parsed}}}"
    new = f"{owner}.assign({assigned}).set_index({column!r})"
    text = (f"Column {column!r} of `{owner}` holds dates as text, so the index made of it is "
            f"text: parse it first, `{owner}[{column!r}] = {parsed}`.")
    return Hint(text, edit=unique_replace(f, indexed, new))


def _dates_as_text(column: Any) -> bool:
    """Whether a sample of the column's values are all strings that parse as dates."""
    pd = pandas_module()
    sample = column.dropna().iloc[:SAMPLE].tolist()
    if pd is None or not sample or not all(type(v) is str for v in sample):
        return False
    try:
        pd.to_datetime(pd.Series(sample), format="mixed")
    except (ValueError, TypeError, OverflowError):
        return False
    return True
