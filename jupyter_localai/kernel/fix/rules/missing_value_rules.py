"""Rule for `None` among numbers given to numpy's NaN tests: `np.isnan(np.array([1.5, None]))`.

`np.array` keeps a list holding `None` as an object array, and `isnan`/`isinf`/`isfinite`
take numbers only. Asked for floats (`dtype=float`), numpy turns each `None` into NaN, which
is what the test looks for. Only where every value is a number or None (a text would not
convert), read from the live array, never computed.
"""

from __future__ import annotations

import ast
import numbers
import re

from ..failure import Failure, line_calls
from ..hint import Hint, code, operand, unique_replace, with_keyword
from . import rule

_NAN_TEST = re.compile(r"^ufunc '(isnan|isinf|isfinite)' not supported for the input types")
_ARRAY_MAKERS = ("array", "asarray")
_MAX_VALUES = 100_000


@rule(TypeError)
def none_in_numbers_rule(f: Failure) -> list[str]:
    """An object array of numbers and None given to `np.isnan`: made with `dtype=float`
    where the cell makes it (the one edit fixes every later use), else converted in the call."""
    match = _NAN_TEST.match(f.message)
    if match is None:
        return []
    for call in line_calls(f):
        if not (_is_numpy_call(f, call, match.group(1)) and len(call.args) == 1):
            continue
        argument = call.args[0]
        maker = _making_call(f, argument)
        values = f.resolve(argument)
        if maker is argument:  # `np.isnan(np.array(values))`: the list it is made of
            values = f.resolve(maker.args[0])
            values = values if type(values) is list else None
        if not _numbers_or_none(values):
            continue
        text = (f"`{code(f, argument)}` holds None among numbers, so numpy kept it as objects "
                f"and `{match.group(1)}` cannot test it: made as floats (`dtype=float`), each "
                f"None becomes NaN.")
        if maker is not None:
            return [Hint(text, edit=with_keyword(f, maker, "dtype=float"))]
        new = (f"{code(f, call.func.value)}.array({code(f, argument)}, dtype=float)"  # type: ignore[attr-defined]
               if type(values) is list else f"{operand(f, argument)}.astype(float)")
        return [Hint(text, edit=unique_replace(f, argument, new, call))]
    return []


def _is_numpy_call(f: Failure, call: ast.Call, name: str) -> bool:
    """`np.<name>(...)` with `np` the live numpy module."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == name
            and isinstance(func.value, ast.Name)):
        return False
    module = f.lookup(func.value.id)
    return getattr(module, "__name__", None) == "numpy"


def _numbers_or_none(values: object) -> bool:
    """Whether `values` (an object ndarray or Series, or the list one is made of) holds only
    numbers and None, at least one None."""
    items = _items(values)
    plain = all(item is None or (isinstance(item, numbers.Real) and type(item) is not bool)
                for item in items)
    return bool(items) and plain and any(item is None for item in items)


def _items(values: object) -> list[object]:
    """The values of a list, or of a numpy/pandas object array; [] for anything else."""
    if type(values) is list:
        return values if len(values) <= _MAX_VALUES else []
    library = type(values).__module__.split(".")[0] in ("numpy", "pandas")
    if not library or getattr(getattr(values, "dtype", None), "kind", None) != "O":
        return []
    array = values.to_numpy() if hasattr(values, "to_numpy") else values
    return list(array.ravel()) if array.size <= _MAX_VALUES else []


def _making_call(f: Failure, argument: ast.expr) -> ast.Call | None:
    """The `np.array(values)` call that makes `argument`: itself, or the one assignment of
    its name in the cell, without a dtype of its own."""
    node: ast.AST = argument
    if isinstance(argument, ast.Name) and f.tree is not None:
        assigned = [n.value for n in ast.walk(f.tree) if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == argument.id for t in n.targets)]
        if len(assigned) != 1:
            return None
        node = assigned[0]
    if not (isinstance(node, ast.Call) and len(node.args) == 1
            and not any(k.arg in ("dtype", None) for k in node.keywords)):
        return None
    return node if any(_is_numpy_call(f, node, name) for name in _ARRAY_MAKERS) else None
