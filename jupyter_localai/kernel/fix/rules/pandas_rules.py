"""Rules for pandas and numpy lookups and shapes: KeyError (wrong separator, label vs
position), pivot duplicates, axis out of range, ambiguous truth value, index out of range;
a format spec applied to a whole Series, a tuple of columns selected after `groupby`."""

from __future__ import annotations

import ast
import re
import string
from typing import Any

from ....core.str_parts import rows_of_parts_nodes
from ..failure import (
    MISSING,
    Failure,
    a_or_an,
    constant,
    count,
    has_label,
    line_calls,
    pandas_kind,
    short_code,
    show,
)
from ..hint import Edit, Hint, code, contains, operand, replace, unique_replace
from . import rule

# Rule 2: KeyError on a DataFrame or Series --------------------------------------------------

_SEPARATORS = {";": "';'", "\t": "'\\t'", "|": "'|'", ",": "','"}


@rule(KeyError)
def key_rule(f: Failure) -> list[str]:
    if len(f.exc.args) != 1:
        return []
    key = f.exc.args[0]
    for name, value in f.read_values:
        kind = pandas_kind(value)
        if kind == "DataFrame" and value.shape[1] == 1 and type(key) in (str, int):
            column = value.columns[0]
            counts = {sep: column.count(sep) for sep in _SEPARATORS} if type(column) is str else {}
            sep = max(counts, key=counts.__getitem__, default="")
            if counts and counts[sep] and key != column:
                return [
                    (
                        f"`{name}` has a single column named {show(column, 60)}: the file was "
                        f"read with the wrong separator; use "
                        f"`pd.read_csv(..., sep={_SEPARATORS[sep]})`."
                    )
                ]
        if type(key) is int and kind in ("DataFrame", "Series"):
            hint = _positional_hint(f, name, value, kind, key)
            if hint:
                return [hint]
    return []


def _subscripted(f: Failure, name: str) -> str | None:
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


def _positional_hint(f: Failure, name: str, value: Any, kind: str, key: int) -> str | None:
    """An int key looked up as a label where the labels are not ints."""
    how = _subscripted(f, name)
    labels = ", ".join(show(label) for label in value.index[:5].tolist())
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


# Rules 5-7: pivot duplicates, zero division, axis out of range -------------------------------


@rule(ValueError)
def pivot_rule(f: Failure) -> list[str]:
    if "duplicate entries, cannot reshape" not in f.message:
        return []
    for call in line_calls(f):
        if isinstance(call.func, ast.Attribute) and call.func.attr == "pivot":
            args = ", ".join(
                ast.unparse(k) for k in call.keywords if k.arg in ("index", "columns", "values")
            )
            owner = short_code(call.func.value, "df")
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


_NUMPY_AXIS = re.compile(r"axis (-?\d+) is out of bounds for array of dimension (\d+)")
_PANDAS_AXIS = re.compile(r"No axis named (\S+) for object type (DataFrame|Series)")


@rule(ValueError)
def axis_rule(f: Failure) -> list[str]:
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
        for at, item in enumerate(items[1:-1], start=1):
            # `x > 10 & x < 50` parses as `x > (10 & x) < 50`: `&` binds before `>`, so the
            # comparisons the user wrote are the two sides of that `&`.
            if isinstance(item, ast.BinOp) and isinstance(item.op, ast.BitAnd | ast.BitOr):
                left = ast.Compare(left=items[0], ops=node.ops[:at],
                                   comparators=[*items[1:at], item.left])
                right = ast.Compare(left=item.right, ops=node.ops[at:],
                                    comparators=items[at + 1:])
                return ast.BinOp(left=self.visit_Compare(left), op=item.op,
                                 right=self.visit_Compare(right))
        parts = [ast.Compare(left=a, ops=[op], comparators=[b])
                 for a, op, b in zip(items, node.ops, items[1:], strict=False)]  # fmt: skip
        return self.visit_BoolOp(ast.BoolOp(op=ast.And(), values=parts))


def _filter_edit(f: Failure, node: ast.expr, fixed: str) -> Edit | None:
    """The element-wise rewrite where the condition selects rows (`df[a and b]`,
    `df.loc[a or b, ...]`): there one True/False per row is meant. In `if a and b:` it
    could be `.any()` or `.all()`, the user's choice: no edit."""
    for outer in f.line_nodes:
        if not isinstance(outer, ast.Subscript):
            continue
        index = outer.slice
        rows = index.elts[0] if isinstance(index, ast.Tuple) and index.elts else index
        if rows is node:
            return unique_replace(f, node, fixed, outer)
    return None


@rule(ValueError)
def ambiguous_rule(f: Failure) -> list[str]:
    match = _AMBIGUOUS.search(f.message)
    if not match:
        return []
    for node in f.line_nodes:
        if isinstance(node, ast.BoolOp | ast.Compare) and (
            isinstance(node, ast.BoolOp) or len(node.ops) > 1
        ):
            fixed = ast.unparse(_ToBitwise().visit(ast.parse(ast.unparse(node), mode="eval").body))
            if len(fixed) <= 120:
                text = (f"`and`/`or`/`not` need a single True/False but "
                        f"{a_or_an(match.group(1))} holds many, and `&`/`|` bind before `<`, "
                        f"`>` and `==`: combine element-wise with `&`, `|`, `~`, each "
                        f"comparison in parentheses: `{fixed}`.")
                return [Hint(text, edit=_filter_edit(f, node, fixed))]
    return [
        (
            f"A {match.group(1)} holds many True/False values: combine conditions with `&`, "
            f"`|`, `~` (each comparison in parentheses), or reduce to one with `.any()` or "
            f"`.all()`."
        )
    ]


_BITWISE_TYPES = re.compile(r"^(ufunc 'bitwise_(and|or)' not supported for the input types|"
                            r"Cannot perform 'r?(and|or)_' with a dtyped|"
                            r"unsupported operand type\(s\) for [&|])")


@rule(TypeError)
def precedence_rule(f: Failure) -> list[str]:
    """`x > 1.5 & x < 5` on floats: `&` binds first, so it is `x > (1.5 & x) < 5` and the
    `&` gets a float. The comparisons the user wrote, parenthesized, are the edit."""
    if not _BITWISE_TYPES.match(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Compare) and any(
                isinstance(item, ast.BinOp) and isinstance(item.op, ast.BitAnd | ast.BitOr)
                for item in node.comparators[:-1])):
            continue
        fixed = ast.unparse(_ToBitwise().visit(ast.parse(ast.unparse(node), mode="eval").body))
        text = (f"`&` and `|` bind before `<`, `>` and `==`, so `{short_code(node, 'this')}` "
                f"combines the numbers, not the comparisons: put each comparison in "
                f"parentheses, `{fixed}`.")
        return [Hint(text, edit=unique_replace(f, node, fixed))]
    return []


@rule(IndexError)
def index_rule(f: Failure) -> list[str]:
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
                    f"`{code}` has {count(len(value), 'item')}: valid indexes are 0 to "
                    f"{len(value) - 1} (or -1 for the last)."
                )
            ]
        if iloc and "out-of-bounds" in f.message and pandas_kind(value) in ("Series", "DataFrame"):
            rows = len(value)
            if not rows:
                return [f"`{code}` is empty: it has no rows."]
            return [
                (
                    f"`{code}` has {count(rows, 'row')}: `.iloc` positions go "
                    f"from 0 to {rows - 1} (or -1 for the last)."
                )
            ]
    return []


# An int label that the integer index no longer has (filtered, sorted) ------------------------


@rule(KeyError)
def lost_label_rule(f: Failure) -> list[str]:
    """`top.loc[0, 'name']` after a filter or sort: the labels are the old row numbers, so
    the first row by position is `.iloc[0]`; only where `key` is not a label but a position."""
    if len(f.exc.args) != 1 or type(f.exc.args[0]) is not int:
        return []
    key = f.exc.args[0]
    for node in f.line_nodes:
        found = _label_lookup(f, node, key)
        if found is None:
            continue
        name, value, column = found
        if value.index.dtype.kind not in "iu" or has_label(value.index, key):
            continue
        if not -len(value) <= key < len(value):
            continue
        labels = ", ".join(show(label) for label in value.index[:5].tolist())
        new = f"{name}.iloc[{key}]" + (f"[{code(f, column)}]" if column is not None else "")
        text = (f"`{name}` has no label {key}: its index keeps the labels rows had before "
                f"filtering or sorting (here {labels}). For the row at position {key}: `{new}`.")
        return [Hint(text, edit=replace(f, node, new))]
    return []


def _label_lookup(f: Failure, node: ast.AST, key: int) -> tuple[str, Any, ast.expr | None] | None:
    """(name, frame or Series, column node) of `name.loc[key]`, `name.loc[key, col]` or a
    Series' `name[key]` on the failing line."""
    if not isinstance(node, ast.Subscript):
        return None
    target, index = node.value, node.slice
    column = None
    if isinstance(index, ast.Tuple) and len(index.elts) == 2:
        index, column = index.elts
    if constant(index) != key or type(constant(index)) is not int:
        return None
    if isinstance(target, ast.Attribute) and target.attr == "loc" and isinstance(target.value, ast.Name):
        value = f.lookup(target.value.id)
        kind = pandas_kind(value)
        if kind == "DataFrame" or (kind == "Series" and column is None):
            return target.value.id, value, column
    if isinstance(target, ast.Name) and column is None:
        value = f.lookup(target.id)
        if pandas_kind(value) == "Series":
            return target.id, value, None
    return None


# `.str` on a column of numbers ---------------------------------------------------------------

_STR_ACCESSOR = re.compile(r"^Can only use \.str accessor with string values")


@rule(AttributeError)
def str_accessor_rule(f: Failure) -> list[str]:
    """`df['zip'].str.zfill(5)` on integers: text methods need the numbers as text first.
    The edit is made for integer and bool columns only: a float column's text (`'2116.0'`,
    `'nan'`) is rarely what a text method was meant for."""
    if not _STR_ACCESSOR.match(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Attribute) and node.attr == "str"):
            continue
        column = f.resolve(node.value)
        if pandas_kind(column) not in ("Series", "Index"):
            continue
        owner = code(f, node.value)
        fixed = f"{owner}.astype(str).str"
        text = (f"`{owner}` holds {column.dtype} values, and `.str` methods need text: "
                f"convert first, `{fixed}`.")
        exact = column.dtype.kind in "iub"
        return [Hint(text, edit=unique_replace(f, node, fixed) if exact else None)]
    return []


# A row of parts where each value's part was meant: `s.str.split('-')[0]` -------------------

@rule(ValueError, LookupError, TypeError)
def row_of_parts_rule(f: Failure) -> list[str]:
    """`df['sku'].str.split('-')[0]` takes the list of row 0 (`core/str_parts.py`); on a
    live Series the per-value form is exact. Only the line that raised is rewritten: the
    next such line, if any, shows in the rehearsal of this one's fix."""
    on_line = {id(node) for node in f.line_nodes}
    for found, node in rows_of_parts_nodes(f.source, f.tree) if f.tree is not None else []:
        owner = node.value.func.value.value  # `s` of `s.str.split(...)[k]`
        if id(node) not in on_line or pandas_kind(f.resolve(owner)) != "Series":
            continue
        text = (f"`{found.written}` takes the whole list of one row (the row labelled by that "
                f"number), not that part of each value: `{found.per_value}`.")
        return [Hint(text, edit=unique_replace(f, node, found.per_value))]
    return []


# A str format applied to a whole Series: `"{:.1f}".format(s)` -----------------------------

_SERIES_FORMAT = re.compile(r"^unsupported format string passed to Series\.__format__")


@rule(TypeError)
def series_format_rule(f: Failure) -> list[str]:
    """A format spec is for one number, and a Series holds many: formatting each value
    (`s.map("{:.1f}".format)`) is what `"{:.1f}".format(s)` meant, the same text per value.
    Only the `.format` call of a literal with the Series as its one argument is rewritten;
    an f-string gets the advice (its other parts may not be meant per value)."""
    if not _SERIES_FORMAT.match(f.message):
        return []
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "format"
                and type(constant(func.value)) is str and len(call.args) == 1
                and not call.keywords and not isinstance(call.args[0], ast.Starred)):  # fmt: skip
            continue
        series = call.args[0]
        if not _formats_a_series(f, series, constant(func.value)):
            continue
        fixed = f"{operand(f, series)}.map({code(f, func.value)}.format)"
        text = (f"`{code(f, series)}` is a Series, and a format spec formats one value: format "
                f"each value, `{fixed}`.")
        return [Hint(text, edit=unique_replace(f, call, fixed, *_statements(f, call)))]
    for node in f.line_nodes:
        if not (isinstance(node, ast.FormattedValue) and node.format_spec is not None):
            continue
        parts = node.format_spec.values if isinstance(node.format_spec, ast.JoinedStr) else []
        spec = "".join(str(p.value) for p in parts if isinstance(p, ast.Constant))
        literal = all(isinstance(p, ast.Constant) for p in parts)
        if not (spec and literal) or pandas_kind(f.resolve(node.value)) != "Series":
            continue
        name = short_code(node.value, "s")
        return [(f"`{name}` is a Series, and the format spec `:{spec}` formats one value: "
                 f"format each value, e.g. `{name}.map({'{:' + spec + '}'!r}.format)`.")]
    return [("A format spec formats one value, and a Series holds many: format each value "
             "(`s.map('{:.1f}'.format)`), or format one number of it (`s.iloc[0]`, `s.sum()`).")]


def _formats_a_series(f: Failure, argument: ast.expr, template: str) -> bool:
    """Whether `template.format(argument)` is what passed a Series to `__format__`: the
    argument is one, or (an expression such as `s * 100`, not evaluated here) it is the one
    value of a template with one field, so the error says it is."""
    value = f.resolve(argument)
    if value is not MISSING:
        return pandas_kind(value) == "Series"
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return False
    return len(fields) == 1 and fields[0] in ("", "0")


# A tuple of columns after `groupby`: `df.groupby('k')['a', 'b']` ---------------------------

_TUPLE_COLUMNS = "Cannot subset columns with a tuple with more than one element"


@rule(ValueError)
def column_tuple_rule(f: Failure) -> list[str]:
    """pandas 2 no longer reads `g['a', 'b']` as a list of columns: the list is the
    selection meant, `g[['a', 'b']]`. Only a tuple subscript of a groupby (a `.groupby(...)`
    call or a name bound to its result) is rewritten, and only where the line has one."""
    if not f.message.startswith(_TUPLE_COLUMNS):
        return []
    found = [node for node in f.line_nodes if isinstance(node, ast.Subscript)
             and isinstance(node.slice, ast.Tuple) and len(node.slice.elts) > 1
             and _grouped(f, node.value)]  # fmt: skip
    if len(found) != 1:
        return ["Select several columns with a list, not a tuple: `g[['a', 'b']]`."]
    [node] = found
    fixed = "[" + ", ".join(code(f, elt) for elt in node.slice.elts) + "]"
    text = f"Select several columns with a list, not a tuple: `{code(f, node.value)}[{fixed}]`."
    edit = unique_replace(f, node.slice, fixed, node, *_statements(f, node))
    return [Hint(text, edit=edit)]


def _grouped(f: Failure, node: ast.expr) -> bool:
    """Whether `node` is a `.groupby(...)` call or a name bound to a pandas groupby."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and node.func.attr == "groupby"
    value = f.lookup(node.id) if isinstance(node, ast.Name) else None
    kind = type(value)
    return kind.__module__.startswith("pandas.") and "GroupBy" in kind.__name__


def _statements(f: Failure, node: ast.AST) -> list[ast.stmt]:
    """The statements of the failing line that hold `node`: wider texts for a unique edit."""
    return [n for n in f.line_nodes if isinstance(n, ast.stmt) and contains(n, node)]


# Weights that no longer line up: `np.average(ratings, weights=df['n'])` after a dropna --

_WEIGHTS_DIFFER = re.compile(r"^(Axis must be specified when shapes of a and weights differ|"
                             r"Length of weights not compatible with specified axis)")


@rule(TypeError, ValueError)
def weights_rows_rule(f: Failure) -> list[str]:
    """`np.average(values, weights=w)` where rows were dropped from the values (a dropna, a
    filter) and not from the weights: the weights of the rows kept, `w.loc[values.index]`."""
    if not _WEIGHTS_DIFFER.match(f.message):
        return []
    for call in line_calls(f):
        func = call.func
        weights = next((k.value for k in call.keywords if k.arg == "weights"),
                       call.args[2] if len(call.args) > 2 else None)
        if not (isinstance(func, ast.Attribute) and func.attr == "average"
                and call.args and weights is not None):
            continue
        values, kept = f.resolve(call.args[0]), f.resolve(weights)
        if not (pandas_kind(values) == "Series" and pandas_kind(kept) == "Series"
                and len(values) < len(kept) and values.index.isin(kept.index).all()):
            continue
        fixed = f"{operand(f, weights)}.loc[{operand(f, call.args[0])}.index]"
        return [Hint(f"`{code(f, call.args[0])}` has {len(values)} rows and the weights "
                     f"{len(kept)}: rows were dropped from the values only; weigh the rows kept, "
                     f"`{fixed}`.", unique_replace(f, weights, fixed, call))]
    return []
