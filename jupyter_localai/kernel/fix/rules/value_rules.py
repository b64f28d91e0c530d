"""Rules for values of the wrong kind: text that is not a number, NaN into int, a zero
divisor, arithmetic on strings; each hint names the value and the conversion it needs.
A separator or currency symbol to strip, or a missing-value token under pandas, also comes
as an edit of the conversion call."""

from __future__ import annotations

import ast
import re
import sys
import types
from collections.abc import Callable
from typing import Any

from ..failure import (
    MISSING,
    QUOTED,
    SAMPLE,
    Failure,
    constant,
    line_calls,
    pandas_kind,
    short_code,
    show,
    string_dtype,
)
from ..hint import Edit, Hint, code, operand, pandas_name, replace, rewrite, segment, unique_replace
from . import rule
from .date_rules import matching_formats
from .frame_rules import NOT_NUMERIC

# Rule 3: a string that is not a number -----------------------------------------------------

# Python's own conversion failures (also read by `header_rules`).
NOT_A_NUMBER = re.compile(
    rf"(could not convert string to float|invalid literal for int\(\) with base \d+): {QUOTED}$"
)
_PANDAS_NOT_A_NUMBER = re.compile(r"Unable to parse string ['\"](.*?)['\"](?: at position \d+)?$")
_MISSING_TOKENS = {"", "na", "n/a", "nan", "-", "--", "?", ".", "null", "none", "missing", "#n/a"}
_SYMBOLS = "$€£¥₹%"
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def converted(f: Failure) -> str:
    """The expression being converted on the failing line, e.g. `df['price']`."""
    for call in line_calls(f):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "astype":
            return short_code(func.value, "s")
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("float", "int", "to_numeric") and call.args:
            return short_code(call.args[0], "x")
    return "s" if f.via_pandas else "x"


def _number_hint(text: str, x: str, pandas: bool, to_int: bool) -> str | None:
    t, shown = text.strip(), show(text)
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
    if _THOUSANDS.fullmatch(t):
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
    symbols = _symbols(t)
    if symbols and is_float(re.sub(f"[{re.escape(symbols)}]", "", t)):
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
    if to_int and is_float(t):
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


def is_float(text: str) -> bool:
    return _parses(float, text)


def _parses(convert: Callable[[str], object], text: str) -> bool:
    """Whether `convert` (float, int) reads `text` without a ValueError."""
    try:
        convert(text)
    except ValueError:
        return False
    return True


@rule(ValueError)
def number_rule(f: Failure) -> list[str]:
    match, pandas_match = NOT_A_NUMBER.search(f.message), _PANDAS_NOT_A_NUMBER.search(f.message)
    if match:
        text, to_int = ast.literal_eval(match.group(2)), match.group(1).startswith("invalid")
    elif pandas_match:
        text, to_int = pandas_match.group(1), False
    else:
        return []
    hint = _number_hint(text, converted(f), f.via_pandas, to_int)
    return [Hint(hint, edit=_number_edit(f, text))] if hint else []


def _number_edit(f: Failure, text: str) -> Edit | None:
    """The conversion call that failed, with the text cleaned where one cleaning is certain:
    separators and currency stripped, a missing-value token made NaN (pandas only)."""
    found = _conversion(f, text)
    if found is None:
        return None
    call, x = found
    value, t = f.resolve(x), text.strip()
    if value is MISSING:  # `x.astype(...)`, `pd.to_numeric(x)`: pandas; `float(x)`: a str
        series = isinstance(call.func, ast.Attribute)
        if series and not f.via_pandas:
            return None
    elif type(value) is str or (pandas_kind(value) == "Series" and _all_text(value)):
        series = type(value) is not str
    else:
        return None
    if t.lower() in _MISSING_TOKENS:
        pd = pandas_name(f)
        if not (series and pd and _to_float(call)):
            return None
        return replace(f, call, f"{pd}.to_numeric({code(f, x)}, errors='coerce')")
    symbols, grouped = _symbols(t), re.sub(r"[^\d.,+-]", "", t)
    if "," in grouped and not _THOUSANDS.fullmatch(grouped):
        return _decimal_comma_edit(f, call, x, value) if series else None
    if "%" in symbols:
        return None  # a percent: divide by 100 or not, not one certain cleaning
    if not symbols or not is_float(re.sub(f"[{re.escape(symbols)}]", "", t)):
        return None
    if series:
        chars = symbols if len(symbols) == 1 else f"[{symbols}]"
        regex = ", regex=True" if len(symbols) > 1 else ""
        cleaned = f"{operand(f, x)}.str.replace({chars!r}, ''{regex})"
    else:
        cleaned = operand(f, x) + "".join(f".replace({c!r}, '')" for c in symbols)
    return rewrite(f, call, x, cleaned)


# `12,50` or `1.249,00`: a comma for the decimal mark, dots (if any) grouping thousands.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?")
# What only a decimal comma reads: a comma not followed by exactly three digits, or a dot
# grouping before it (`1,250` alone could be either).
_ONLY_DECIMAL_COMMA = re.compile(r",(\d{1,2}|\d{4,})$|\.\d{3},")


def _decimal_comma_edit(f: Failure, call: ast.Call, x: ast.expr, value: Any) -> Edit | None:
    """The conversion of a column with dots dropped and the comma made a point, when every
    value reads as a decimal-comma number and one at least can be read no other way; else
    None. A lone str (`'3,5'`: a decimal, or two numbers?) is not proof enough."""
    if value is MISSING or type(value) is str:
        return None
    values = value.dropna().iloc[:SAMPLE].tolist()
    texts = [v.strip() for v in values if type(v) is str]
    if not texts or len(texts) != len(values):
        return None
    if not all(_DECIMAL_COMMA.fullmatch(t) for t in texts):
        return None
    if not any(_ONLY_DECIMAL_COMMA.search(t) for t in texts):
        return None
    cleaned = (f"{operand(f, x)}.str.replace('.', '', regex=False)"
               f".str.replace(',', '.', regex=False)")
    return rewrite(f, call, x, cleaned)


def _conversion(f: Failure, text: str) -> tuple[ast.Call, ast.expr] | None:
    """The conversion call of the failing line and what it converts (the one given `text`)."""
    found = []
    for call in line_calls(f):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "astype" and isinstance(func, ast.Attribute) and len(call.args) == 1:
            found.append((call, func.value))
        elif (name == "to_numeric" and call.args) or (
            name in ("float", "int") and isinstance(func, ast.Name) and len(call.args) == 1
        ):
            found.append((call, call.args[0]))
    if len(found) > 1:  # the ones given `text`; the first of those (the caller decides)
        found = [(c, x) for c, x in found if type(v := f.resolve(x)) is str and v == text]
    return found[0] if found else None


def _to_float(call: ast.Call) -> bool:
    """`x.astype(float)` or `pd.to_numeric(x)`: a float result, as `errors='coerce'` gives."""
    if getattr(call.func, "attr", "") == "to_numeric":
        return len(call.args) == 1 and not call.keywords
    target = call.args[0]
    return getattr(target, "id", "") == "float" or (
        type(constant(target)) is str and constant(target).startswith("float")
    )


def _all_text(series: Any) -> bool:
    """Whether `.str` methods reach every value (a str dtype, or sampled values all str)."""
    if str(series.dtype) in ("str", "string"):
        return True
    return string_dtype(series) and all(type(v) is str for v in series.iloc[:SAMPLE].tolist())


def _symbols(text: str) -> str:
    """The currency, percent and grouping characters of `text`, sorted."""
    return "".join(sorted({c for c in text if c in _SYMBOLS or c in ", \u00a0"}))


@rule(ZeroDivisionError)
def zero_rule(f: Failure) -> list[str]:
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


# Rule 8: arithmetic on strings ------------------------------------------------------------

_OPERATORS = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "//": ast.FloorDiv,
              "%": ast.Mod, "**": ast.Pow, "** or pow()": ast.Pow}  # fmt: skip
_OPERAND_TYPES = re.compile(r"unsupported operand type\(s\) for (\S+): '(\w+)' and '(\w+)'")
_CONCATENATE = re.compile(r'can only concatenate str \(not "(\w+)"\) to str')


def _strings_of(value: Any) -> list[str] | None:
    """The string values of a str or a string Series (sampled), else None."""
    if type(value) is str:
        return [value]
    if pandas_kind(value) == "Series" and string_dtype(value):
        sample = [v for v in value.iloc[:SAMPLE].tolist() if type(v) is str and v.strip()]
        return sample or None
    return None


def _string_operand_hint(f: Failure, node: ast.expr) -> str | None:
    value = f.resolve(node)
    strings = _strings_of(value)
    if not strings:
        return None
    x, series = short_code(node, "value"), type(value) is not str
    holds = f"holds strings like {show(strings[0])}" if series else f"is the string {show(value)}"
    them = "them" if series else "it"
    common = [fmt for fmt, _ in matching_formats(strings[0])
              if all(matching_formats(other, [fmt]) for other in strings[1:])]  # fmt: skip
    if common:
        use = (
            f"pd.to_datetime({x}, format={common[0]!r})"
            if series
            else f"datetime.strptime({x}, {common[0]!r})"
        )
        also = f" (or {common[1]!r}: day and month are ambiguous)" if len(common) > 1 else ""
        dates = "dates" if series else "a date"
        return f"`{x}` {holds}, not {dates}: parse {them} first, `{use}`{also}."
    if all(is_float(s) for s in strings):
        use = f"`pd.to_numeric({x})`" if series else f"`float({x})` or `int({x})`"
        numbers = "numbers" if series else "a number"
        return f"`{x}` {holds}, not {numbers}: convert {them} first, {use}."
    return None


_MAX_CHECKED_STRINGS = 100_000  # a longer container is sampled, not read whole


def _number_strings(value: Any) -> list[str] | None:
    """The values of a list, tuple or string Series that holds only strings of numbers, or
    None: what `sum` cannot add, though each converts."""
    if type(value) in (list, tuple):
        items = list(value[:_MAX_CHECKED_STRINGS])
    elif pandas_kind(value) == "Series" and string_dtype(value):
        items = value.iloc[:_MAX_CHECKED_STRINGS].tolist()
    else:
        return None
    if items and all(type(v) is str and is_float(v) for v in items):
        return items
    return None


# The reductions that add or average their argument's items, by module: given strings of
# numbers each raises TypeError (sum: "unsupported operand", statistics: "can't convert type
# 'str'", numpy: "not compatible with add.reduce").
_REDUCTIONS = {
    "builtins": {"sum"},
    "math": {"fsum", "prod"},
    "statistics": {"mean", "fmean", "geometric_mean", "harmonic_mean", "stdev", "pstdev",
                   "variance", "pvariance"},
    "numpy": {"sum", "mean", "average", "median", "std", "var", "prod", "nansum", "nanmean",
              "cumsum"},
}


def _reduction_module(f: Failure, func: ast.expr) -> str | None:
    """The module of the reduction `func` names (`sum`, `statistics.mean`, `np.mean`)."""
    if isinstance(func, ast.Name):
        builtin = f.lookup(func.id) is MISSING and func.id in _REDUCTIONS["builtins"]
        return "builtins" if builtin else None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        module = f.lookup(func.value.id)
        name = getattr(module, "__name__", None) if isinstance(module, types.ModuleType) else None
        return name if func.attr in _REDUCTIONS.get(name or "", ()) else None
    return None


@rule(TypeError)
def number_strings_rule(f: Failure) -> list[str]:
    """A sum or mean over strings of numbers (a CSV's or a form's text): each converted
    first, to `int` when every one is an integer's text (the result keeps the type the text
    meant), else to `float`."""
    for call in line_calls(f):
        if not call.args or isinstance(call.args[0], ast.Starred):
            continue
        if _reduction_module(f, call.func) is None:
            continue
        values = call.args[0]
        texts = _number_strings(f.resolve(values))
        if texts is None:
            continue
        kind = "int" if all(_parses(int, v) for v in texts) else "float"
        xs = code(f, values)
        converted_items = f"[{kind}(v) for v in {xs}]"
        edit = rewrite(f, call, values, converted_items)
        new = edit[1] if edit else converted_items
        return [Hint(f"`{xs}` holds strings like {show(texts[0])}, not numbers: convert each "
                     f"first, `{new}`.", edit)]
    return []


# A pandas reduction over amounts written as text: `orders['amount'].mean()` on "$1,200.50" --

_SERIES_REDUCTIONS = frozenset({"mean", "sum", "median", "min", "max", "std", "var", "prod",
                                "sem", "quantile", "cumsum"})


@rule(TypeError)
def amounts_reduction_rule(f: Failure) -> list[str]:
    """A Series of amounts as text (a currency symbol, thousands commas) reduced: the marks
    are stripped and the text read as numbers first, `pd.to_numeric(s.str.replace(...))`.
    Not for percents (divide by 100 or not is the user's call) nor decimal commas."""
    if not NOT_NUMERIC.match(f.message):
        return []
    pd = pandas_name(f)
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr in _SERIES_REDUCTIONS):
            continue
        series = f.resolve(func.value)
        if pandas_kind(series) != "Series" or not _all_text(series):
            continue
        texts = [v.strip() for v in series.dropna().iloc[:SAMPLE].tolist() if v.strip()]
        marks = "".join(sorted({c for t in texts for c in _symbols(t)}))
        if not texts or not marks or "%" in marks or not all(_amount(t) for t in texts):
            continue
        # None of these marks is special inside a character class; a space is any space.
        pattern = "[" + marks.replace(" ", "\\s") + "]"
        xs = operand(f, func.value)
        numbers = f"{pd or 'pd'}.to_numeric({xs}.str.replace(r'{pattern}', '', regex=True))"
        edit = rewrite(f, call, func.value, numbers) if pd else None
        return [Hint(f"`{xs}` holds amounts as text like {show(texts[0])}: strip the marks and "
                     f"read them as numbers first, `{numbers}`.", edit)]
    return []


def _amount(text: str) -> bool:
    """Whether `text` is a number once its currency symbols and spaces are dropped, with
    commas only grouping thousands."""
    bare = re.sub(f"[{re.escape(_SYMBOLS)}\\s\u00a0]", "", text)
    return is_float(bare) or bool(_THOUSANDS.fullmatch(bare))


def _text_conversion(f: Failure, node: ast.expr) -> str | None:
    """`node` converted from the text it holds to what the text says: numbers
    (`pd.to_numeric(s)`, `float(x)`) or dates in the one format every sampled value has
    (`pd.to_datetime(s, format=...)`); "" for an operand that holds no text (kept as it
    is); None where the conversion is not certain (mixed text, ambiguous day and month)."""
    value = node.value if isinstance(node, ast.Constant) else f.resolve(node)
    strings = _strings_of(value)
    if strings is None:
        return "" if value is not MISSING and type(value) is not str else None
    x, series = code(f, node), type(value) is not str
    pd = pandas_name(f)
    if all(is_float(text) for text in strings):
        return f"{pd}.to_numeric({x})" if series and pd else (None if series else f"float({x})")
    common = [fmt for fmt, _ in matching_formats(strings[0])
              if all(matching_formats(other, [fmt]) for other in strings[1:])]  # fmt: skip
    if len(common) == 1 and pd and series:  # a lone date string: strptime or pandas, a choice
        return f"{pd}.to_datetime({x}, format={common[0]!r})"
    return None


def _converted_operands(f: Failure, node: ast.BinOp) -> Edit | None:
    """`end - start` over text columns with each text side converted: the edit, when each
    side's conversion is certain and the operation is written as one `left op right`."""
    written, left, right = segment(f, node), segment(f, node.left), segment(f, node.right)
    if not written or not left or not right:
        return None
    if not written.startswith(left) or not written.endswith(right) or len(written) < len(
            left) + len(right):
        return None
    sides = [_text_conversion(f, node.left), _text_conversion(f, node.right)]
    if None in sides or not any(sides):
        return None
    middle = written[len(left):len(written) - len(right)]
    new_left = sides[0] or left
    new_right = sides[1] or right
    return unique_replace(f, node, f"{new_left}{middle}{new_right}")


@rule(TypeError)
def string_arithmetic_rule(f: Failure) -> list[str]:
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
            found = [hint for side in sides if (hint := _string_operand_hint(f, side))]
            edit = _converted_operands(f, node) if isinstance(node, ast.BinOp) else None
            for hint in found:
                if hint not in hints:
                    hints.append(Hint(hint, edit) if edit and not hints else hint)
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


# Extra rules: NaN to int, index out of range --------------------------------------------------


@rule(ValueError)
def nan_int_rule(f: Failure) -> list[str]:
    if f.message == "cannot convert float NaN to integer" and not f.via_pandas:
        into_array = _nan_into_int_array(f)
        if into_array is not None:
            return [into_array]
        return [
            (
                "The value is NaN (missing), which has no int: check `math.isnan(x)` first, or "
                "fill missing values before converting."
            )
        ]
    if "NaN to integer" in f.message or "non-finite values" in f.message:
        x = converted(f)
        return [
            Hint(
                f"The data has missing values (NaN), which int cannot hold: fill them "
                f"(`{x}.fillna(0).astype(int)`), drop them, or use the nullable "
                f"`{x}.astype('Int64')`.",
                edit=_nullable_edit(f),
            )
        ]
    return []


def _nan_into_int_array(f: Failure) -> Hint | None:
    """`a[a == 0] = np.nan` on an int array: an int array cannot hold NaN, so the array is
    made float first, on the line before (the values stay; only their type changes)."""
    np = sys.modules.get("numpy")
    for node in f.line_nodes:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Subscript)):
            continue
        target = node.targets[0].value
        array = f.resolve(target)
        if np is None or type(array) is not np.ndarray or array.dtype.kind not in "iub":
            continue
        name, statement = code(f, target), segment(f, node)
        if not isinstance(target, ast.Name) or statement is None or f.source.count(statement) != 1:
            return Hint(f"`{name}` is an integer array, which cannot hold NaN: make it float "
                        f"first, `{name} = {name}.astype(float)`.")
        indent = " " * node.col_offset
        text = (f"`{name}` is an integer array ({array.dtype}), which cannot hold NaN: make it "
                f"float first, `{name} = {name}.astype(float)`.")
        return Hint(text, edit=(statement, f"{name} = {name}.astype(float)\n{indent}{statement}"))
    return None


_INT_NAMES = {"int", "int64", "int32"}


def _nullable_edit(f: Failure) -> Edit | None:
    """`.astype(int)` -> `.astype('Int64')`: of the three ways out, the one that keeps every
    value and row (filling or dropping changes the data, which is the user's choice)."""
    for call in line_calls(f):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "astype"
                and len(call.args) == 1 and not call.keywords):
            continue
        arg = call.args[0]
        named = arg.id if isinstance(arg, ast.Name) else constant(arg)
        if named in _INT_NAMES and (not isinstance(arg, ast.Name) or f.lookup(arg.id) is MISSING
                                    or f.lookup(arg.id) is int):
            width = "Int32" if named == "int32" else "Int64"
            return unique_replace(f, arg, repr(width), call)
    return None
