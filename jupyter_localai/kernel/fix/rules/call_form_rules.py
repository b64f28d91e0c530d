"""Rules for calls whose arguments have the wrong form, where the form they need follows
from the call and the live objects alone:

- `np.zeros(rows, cols)`: the shape is one argument, a tuple (the second is read as a dtype);
- `np.where(cond, x)`: the value where the condition is false is missing; where the cell's
  own comment says what it is ("otherwise 'mild'"), it becomes the third argument;
- `df.rename(columns=[...])`: `columns` takes a mapping (or a function), so a list as long
  as the frame's columns pairs them in order, `dict(zip(df.columns, [...]))`;
- `f(series)` where `f` is the notebook's own function that tests its argument with `if`:
  it handles one value, so the Series maps it, `series.map(f)`;
- `path + "/name"`: a `pathlib.Path` does not add to text, so it is made text, `str(path)`;
- `plt.bar(counts)` with one Series or dict: the categories and the heights are two
  arguments, `plt.bar(counts.index, counts.values)`.

Each edit is the one rewrite the call's own objects allow; where they do not show it (a
list of another length, a function of the library), no edit is given.
"""

from __future__ import annotations

import ast
import inspect
import io
import pathlib
import re
import tokenize
import types

from ..failure import MISSING, Failure, line_calls, pandas_kind
from ..hint import Hint, code, operand, unique_replace
from . import rule

_SHAPE_MAKERS = {"zeros", "ones", "empty"}
_NOT_A_DTYPE = re.compile(r"^Cannot interpret '.*' as a data type$")
_WHERE_ONE_VALUE = "either both or neither of x and y should be given"
# "... otherwise "mild"", "else 0", "otherwise: -1.5" in the cell's comments.
_OTHERWISE = re.compile(r"\b(?:otherwise|else)\b[\s,:]*(\"[^\"\n]*\"|'[^'\n]*'|-?\d+(?:\.\d+)?)")
_NOT_CALLABLE_LIST = "'list' object is not callable"
_AMBIGUOUS = re.compile(r"^The truth value of a Series is ambiguous")
_PATH_PLUS = re.compile(r"^unsupported operand type\(s\) for \+: '(\w*Path)' and 'str'$|"
                        r"^unsupported operand type\(s\) for \+: 'str' and '(\w*Path)'$")
_NO_HEIGHT = re.compile(r"^(bar|barh)\(\) missing 1 required positional argument: "
                        r"'(height|width)'$")


def _numpy_call(f: Failure, call: ast.Call, names: set[str]) -> bool:
    """Whether `call` is `np.<one of names>(...)` with `np` bound to numpy here."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in names
            and isinstance(func.value, ast.Name)):
        return False
    module = f.lookup(func.value.id)
    return isinstance(module, types.ModuleType) and module.__name__ == "numpy"


@rule(TypeError)
def shape_arguments_rule(f: Failure) -> list[str]:
    """`np.zeros(3, 4)`: numpy read 4 as a dtype; the shape becomes the tuple `(3, 4)`."""
    if not _NOT_A_DTYPE.match(f.message):
        return []
    for call in line_calls(f):
        if not _numpy_call(f, call, _SHAPE_MAKERS) or len(call.args) < 2:
            continue
        sizes = call.args[:2] if len(call.args) <= 3 else []
        if not sizes or not all(_is_int(f, node) for node in sizes):
            continue
        func = code(f, call.func)
        rest = [code(f, node) for node in [*call.args[2:], *call.keywords]]
        shape = f"({', '.join(code(f, node) for node in sizes)})"
        new = f"{func}({', '.join([shape, *rest])})"
        hint = (f"`{func}` takes the shape as one argument, a tuple: its second argument is "
                f"read as a dtype. Use `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


@rule(ValueError)
def where_otherwise_rule(f: Failure) -> list[str]:
    """`np.where(cond, x)`: numpy needs the value for where `cond` is false too; the cell's
    comment may say it ("otherwise 'mild'"), and then it is passed."""
    if f.message != _WHERE_ONE_VALUE:
        return []
    for call in line_calls(f):
        if not _numpy_call(f, call, {"where"}) or len(call.args) != 2 or call.keywords:
            continue
        func = code(f, call.func)
        otherwise = _stated_otherwise(f.source)
        shown = otherwise or "<value when false>"
        new = f"{func}({code(f, call.args[0])}, {code(f, call.args[1])}, {shown})"
        hint = (f"`{func}` with a value for where the condition holds needs one for where it "
                f"does not: `{new}`.")
        edit = unique_replace(f, call, new) if otherwise else None
        return [Hint(hint, edit=edit)]
    return []


def _stated_otherwise(source: str) -> str | None:
    """The one literal the cell's comments give after "otherwise" / "else", if exactly one."""
    try:
        comments = [token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
                    if token.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return None
    found = {m.group(1) for text in comments for m in _OTHERWISE.finditer(text)}
    return found.pop() if len(found) == 1 else None


def _is_int(f: Failure, node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) is int
    value = f.resolve(node)
    return value is not MISSING and isinstance(value, int) and not isinstance(value, bool)


@rule(TypeError)
def rename_list_rule(f: Failure) -> list[str]:
    """`df.rename(columns=["a", "b"])`: `columns` wants a mapping; a list as long as the
    frame's columns pairs with them in order, `dict(zip(df.columns, [...]))`."""
    if f.message != _NOT_CALLABLE_LIST:
        return []
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "rename"):
            continue
        frame = f.resolve(func.value)
        if pandas_kind(frame) != "DataFrame":
            continue
        for keyword in call.keywords:
            if keyword.arg not in ("columns", "index") or not isinstance(keyword.value, ast.List):
                continue
            labels = frame.columns if keyword.arg == "columns" else frame.index
            if len(keyword.value.elts) != len(labels):
                continue
            owner = operand(f, func.value)
            mapping = f"dict(zip({owner}.{keyword.arg}, {code(f, keyword.value)}))"
            hint = (f"`rename({keyword.arg}=...)` takes a mapping from old to new labels, not "
                    f"a list: pair them in order with `{keyword.arg}={mapping}`.")
            return [Hint(hint, edit=unique_replace(f, keyword.value, mapping, call))]
    return []


@rule(ValueError)
def series_to_scalar_function_rule(f: Failure) -> list[str]:
    """`letter(df["score"])` where the notebook's own `letter` tests its one value with `if`:
    the Series maps the function over its values, `df["score"].map(letter)`."""
    if not _AMBIGUOUS.match(f.message):
        return []
    for call in line_calls(f):
        if not (isinstance(call.func, ast.Name) and len(call.args) == 1 and not call.keywords):
            continue
        function = f.lookup(call.func.id)
        if not _notebook_function(f, function):
            continue
        series = f.resolve(call.args[0])
        if pandas_kind(series) != "Series":
            continue
        new = f"{operand(f, call.args[0])}.map({call.func.id})"
        hint = (f"`{call.func.id}` decides with `if` on one value, and a whole Series has no "
                f"single truth value: apply it to each value with `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


def _notebook_function(f: Failure, function: object) -> bool:
    """A plain function defined in the notebook (its globals are the notebook's), taking
    one positional argument."""
    if not isinstance(function, types.FunctionType):
        return False
    if function.__globals__ is not f.user_ns:
        return False
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [p for p in parameters if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(required) == 1


@rule(TypeError)
def path_plus_text_rule(f: Failure) -> list[str]:
    """`folder + "/" + name` with `folder` a `pathlib.Path`: a Path joins with `/`, text
    adds with `+`; the Path operand is made text, `str(folder)`, and the rest stays."""
    if not _PATH_PLUS.match(f.message):
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
            continue
        for side in (node.left, node.right):
            if isinstance(side, ast.BinOp):
                continue
            if not isinstance(f.resolve(side), pathlib.PurePath):
                continue
            text = code(f, side)
            new = f"str({text})"
            hint = (f"`{text}` is a `pathlib.Path`, which does not add to text with `+`: make "
                    f"it text, `{new}`, or join paths with `/` (`{text} / \"name.csv\"`).")
            return [Hint(hint, edit=unique_replace(f, side, new, node))]
    return []


@rule(TypeError)
def bar_heights_rule(f: Failure) -> list[str]:
    """`plt.bar(counts)` with one Series or dict: categories and heights are two arguments,
    `plt.bar(counts.index, counts.values)` (a dict's keys and values as lists)."""
    read = _NO_HEIGHT.match(f.message)
    if read is None:
        return []
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == read.group(1)
                and len(call.args) == 1):
            continue
        data = f.resolve(call.args[0])
        name = operand(f, call.args[0])
        if pandas_kind(data) == "Series":
            pair = f"{name}.index, {name}.values"
        elif type(data) is dict:
            pair = f"list({name}.keys()), list({name}.values())"
        else:
            continue
        new = f"{code(f, func)}({', '.join([pair, *(code(f, k) for k in call.keywords)])})"
        hint = (f"`{read.group(1)}` takes the categories and the {read.group(2)}s as two "
                f"arguments; {name} holds both: `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []
