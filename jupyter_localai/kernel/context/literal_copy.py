"""Whether a literal in a model's answer rebuilds a live variable exactly as it is.

Small models often open an answer by re-typing the user's data (`sales = pd.DataFrame({...})`)
copied from the notebook's cells. Where the copy is exact, dropping it loses nothing and
lets the rest of the answer work on the user's own object (a copy typed differently is
made-up data, and stays the model's to explain). Nothing of the answer runs here: the
literal is read with `ast.literal_eval`, and only `np.array(...)`/`np.asarray(...)`,
`pd.DataFrame({...})` and `pd.Series([...])` with one literal argument are understood.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

_ARRAY_MAKERS = frozenset({"array", "asarray"})


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None  # not a plain literal: nothing to compare


def _maker(node: ast.expr) -> tuple[str, ast.expr] | None:
    """("array" | "DataFrame" | "Series", the literal argument) of a supported call."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and len(node.args) == 1
            and not node.keywords):
        return None
    module, name = node.func.value.id, node.func.attr
    if module in ("np", "numpy") and name in _ARRAY_MAKERS:
        return "array", node.args[0]
    if module in ("pd", "pandas") and name in ("DataFrame", "Series"):
        return name, node.args[0]
    return None


def rebuilds(value: Any, node: ast.expr) -> bool:
    """Whether the expression `node` builds exactly `value` (same kind, same contents)."""
    if isinstance(node, ast.List | ast.Dict | ast.Tuple | ast.Set | ast.Constant):
        ok, literal = _literal(node)
        return ok and type(literal) is type(value) and isinstance(
            value, list | dict | tuple | set | str | int | float) and literal == value
    made = _maker(node)
    if made is None:
        return False
    kind, argument = made
    ok, literal = _literal(argument)
    if not ok:
        return False
    if kind == "array":
        numpy = sys.modules.get("numpy")
        return (numpy is not None and isinstance(value, numpy.ndarray)
                and _same_array(numpy, value, literal))
    if type(value).__name__ != kind or type(value).__module__.split(".")[0] != "pandas":
        return False
    if kind == "Series":
        return (isinstance(literal, list) and _default_index(value)
                and value.tolist() == literal)
    return (isinstance(literal, dict) and _default_index(value)
            and [str(c) for c in value.columns] == [str(k) for k in literal]
            and all(isinstance(v, list) and value[k].tolist() == v for k, v in literal.items()))


def _same_array(numpy: Any, value: Any, literal: Any) -> bool:
    try:
        built = numpy.array(literal)
    except (ValueError, TypeError):
        return False  # ragged or mixed: not what a live array holds
    return built.shape == value.shape and bool(numpy.array_equal(built, value))


def _default_index(value: Any) -> bool:
    """A 0..n-1 index: what a constructor without `index=` gives."""
    return type(value.index).__name__ == "RangeIndex" and value.index.start == 0 and \
        value.index.step == 1
