"""Rule for several values passed where a method takes one collection of them:
`s.isin("Paris", "Rome")`, `df.sort_values("city", "amount")`, `df.drop("a", "b")`.

Python's message says how many positional arguments the method takes; the live method's
signature says what its one argument is (`values`, `by`, `labels`, ...): a name that holds
several. The values the user listed become one list, the rest of the call kept. Likewise
arrays given to numpy's stacking functions as a generator: a list of them.
"""

from __future__ import annotations

import ast
import inspect
import re

from ..failure import MISSING, Failure, line_calls, static_member
from ..hint import Hint, code, unique_replace
from . import rule

_TOO_MANY = re.compile(r"^(?:[\w.]+\.)?(\w+)\(\) takes (?:from \d+ to )?(\d+) positional "
                       r"arguments? but (\d+) (?:positional arguments? )?(?:\(and [^)]*\) )?"
                       r"(?:were|was) given$")
# Parameters that take several values at once, by the name libraries give them.
_COLLECTIONS = frozenset({"values", "by", "labels", "keys", "items", "subset", "columns",
                          "names", "index", "cols"})
_LIBRARIES = ("pandas", "numpy")


@rule(TypeError)
def values_list_rule(f: Failure) -> list[str]:
    """A pandas/numpy method whose one positional parameter holds several values, given
    them as separate arguments: they become one list."""
    match = _TOO_MANY.match(f.message)
    if match is None or int(match.group(2)) != 2:  # `self` and one argument
        return []
    method_name = match.group(1)
    for call in line_calls(f):
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == method_name
                and len(call.args) >= 2
                and not any(isinstance(a, ast.Starred) for a in call.args)):
            continue
        parameter = _one_parameter(f.resolve(func.value), method_name)
        if parameter is None:
            continue
        values = ", ".join(code(f, a) for a in call.args)
        rest = [code(f, k) for k in call.keywords]
        new = f"{code(f, func)}({', '.join([f'[{values}]', *rest])})"
        hint = (f"`{method_name}` takes the values as one argument, `{parameter}` (a list); "
                f"listed one by one, they are more arguments than it takes. Use `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


def _one_parameter(owner: object, method_name: str) -> str | None:
    """The name of the method's one positional parameter (after `self`), where the owner
    is a pandas/numpy object and that name holds several values; else None."""
    if owner is MISSING or type(owner).__module__.split(".")[0] not in _LIBRARIES:
        return None
    method = static_member(type(owner), method_name)
    if method is MISSING or not callable(method):
        return None
    try:
        parameters = list(inspect.signature(method).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) != 1 or positional[0].name not in _COLLECTIONS:
        return None
    return positional[0].name


# Arrays to stack given as a generator -----------------------------------------------------------

_NOT_A_SEQUENCE = re.compile(r"^(arrays to stack must be passed as a \"sequence\" type|"
                             r"The first input argument needs to be a sequence)")


@rule(TypeError)
def stack_generator_rule(f: Failure) -> list[str]:
    """`np.column_stack(x for x in parts)`: numpy's stacking functions take a list (they
    need the length first); the generator becomes a list comprehension."""
    if not _NOT_A_SEQUENCE.match(f.message):
        return []
    for call in line_calls(f):
        if not (call.args and isinstance(call.args[0], ast.GeneratorExp)):
            continue
        generator = call.args[0]
        listed = ast.unparse(ast.ListComp(elt=generator.elt, generators=generator.generators))
        rest = [code(f, a) for a in call.args[1:]] + [code(f, k) for k in call.keywords]
        new = f"{code(f, call.func)}({', '.join([listed, *rest])})"
        hint = (f"`{code(f, call.func)}` takes the arrays as a list (a generator has no length "
                f"to stack by): `{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []
