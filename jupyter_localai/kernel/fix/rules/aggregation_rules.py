"""Rule for pandas' old dict renaming in `agg`: `g["loaves"].agg({"total": "sum"})` raises
"nested renamer is not supported" since pandas 1.0.

The names the dict gave are kept as named aggregation, pandas' way of naming the result's
columns: `agg(total="sum")` for a Series or one column of a groupby, and
`agg(total=("loaves", "sum"))` for the `{"loaves": {"total": "sum"}}` form of a frame.
"""

from __future__ import annotations

import ast
import keyword

from ..failure import Failure, line_calls
from ..hint import Hint, code, unique_replace
from . import rule

_NESTED_RENAMER = "nested renamer is not supported"


@rule(Exception)  # pandas.errors.SpecificationError, without importing pandas here
def agg_renamer_rule(f: Failure) -> list[str]:
    """`.agg({...})` with renaming dicts: the same names as keyword arguments."""
    if _NESTED_RENAMER not in f.message:
        return []
    for call in line_calls(f):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr in ("agg", "aggregate")
                and len(call.args) == 1 and isinstance(call.args[0], ast.Dict)):
            continue
        named = _named_aggregations(f, call.args[0])
        if not named:
            continue
        new = f"{code(f, call.func)}({', '.join(named + [code(f, k) for k in call.keywords])})"
        hint = ("A dict that renames inside `agg` is no longer supported by pandas; name each "
                f"result column as a keyword (named aggregation): `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


def _named_aggregations(f: Failure, spec: ast.Dict) -> list[str]:
    """The arguments naming each result: `name=func` for `{name: func}` and
    `name=(column, func)` for `{column: {name: func}}`, or one `**{"a name": ...}` where a
    name is not an identifier; [] where the dict mixes the two forms or repeats a name."""
    named: list[tuple[ast.expr, str]] = []
    for key, value in zip(spec.keys, spec.values, strict=True):
        if isinstance(value, ast.Dict):  # {column: {name: func, ...}}
            if key is None:
                return []
            for inner_key, inner_value in zip(value.keys, value.values, strict=True):
                if _text(inner_key) is None or isinstance(inner_value, ast.Dict):
                    return []
                named.append((inner_key, f"({code(f, key)}, {code(f, inner_value)})"))
        elif _text(key) is None:
            return []
        else:
            named.append((key, code(f, value)))
    names = [_text(name) for name, _ in named]
    if len({isinstance(v, ast.Dict) for v in spec.values}) != 1 or len(set(names)) != len(names):
        return []
    if all(n.isidentifier() and not keyword.iskeyword(n) for n in names if n is not None):
        return [f"{_text(name)}={value}" for name, value in named]
    return ["**{" + ", ".join(f"{code(f, name)}: {value}" for name, value in named) + "}"]


def _text(node: ast.expr | None) -> str | None:
    value = node.value if isinstance(node, ast.Constant) else None
    return value if type(value) is str else None
