"""Signatures of the calls on the line that raised, for the fix prompt.

A ValueError from `pd.to_datetime(...)` or a KeyError from `df.drop(...)` is usually a wrong
or missing argument, and a small model recalls parameter names badly. The signature of the
very function called, taken from the live object, names the options it has (`errors=`,
`format=`, `axis=`) for the library version the user actually runs.

Resolving `df.drop` must not run user code: names come from the namespace, attributes only
when a static lookup shows a plain function or method (never a property, which could run).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import types
from collections.abc import Iterator, Mapping
from typing import Any

from ...core.check_types import CallKeywords

MAX_SIGNATURES = 3
MAX_SIGNATURE_CHARS = 300
# Builtins everyone knows: their signatures would only cost tokens.
_TRIVIAL = {"print", "len", "str", "int", "float", "bool", "list", "dict", "tuple", "set", "range"}
# Exceptions that say nothing about a call's arguments: the call is not the problem.
_NOT_ABOUT_ARGUMENTS = (NameError, AttributeError, SyntaxError, ImportError, KeyboardInterrupt)
_CALLABLE_KINDS = (
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    classmethod,
    staticmethod,
    type,
)


def failing_line(exc: BaseException, user_ns: Mapping[str, Any]) -> int | None:
    """The line of the cell that raised: the innermost frame of the cell's own code (the
    cell, or a function it defines), the first frame run in the user's namespace."""
    line, cell_file = None, None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if tb.tb_frame.f_globals is user_ns and cell_file in (None, code.co_filename):
            line, cell_file = tb.tb_lineno, code.co_filename
        tb = tb.tb_next
    return line


def _calls_on_line(source: str, line: int) -> Iterator[ast.Call]:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):  # outermost calls first
        if isinstance(node, ast.Call) and node.lineno <= line <= (node.end_lineno or node.lineno):
            yield node


def _resolve(node: ast.expr, user_ns: Mapping[str, Any]) -> Any:
    """The object a `name` or `name.attr.attr` expression names, or None; runs no user code."""
    if isinstance(node, ast.Name):
        return user_ns[node.id] if node.id in user_ns else getattr(builtins, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, user_ns)
        return None if owner is None else _attribute(owner, node.attr)
    return None


def _attribute(owner: Any, name: str) -> Any:
    """`owner.name` where reading it runs no user code: a module's member, or a plain
    function or method found by a static lookup; else None."""
    if isinstance(owner, types.ModuleType):
        return inspect.getattr_static(owner, name, None)
    static = inspect.getattr_static(owner, name, None)
    if not isinstance(static, _CALLABLE_KINDS):
        return None  # a property, a descriptor of unknown kind, or missing: do not touch
    return getattr(owner, name, None)


def _column(owner: Any, step: str) -> Any:
    """A DataFrame's column for a `[col]` step (pandas objects only), else None."""
    kind = type(owner)
    if kind.__module__.split(".")[0] != "pandas" or kind.__name__ != "DataFrame":
        return None
    column = step[1:-1]
    return owner[column] if column in owner.columns else None


def call_keywords(user_ns: Mapping[str, Any], name: str, path: tuple[str, ...]) -> CallKeywords | None:
    """The keywords of the callable `name.path...` (`df.sort_values`, `np.linspace`,
    `pd.DataFrame`, `df['a'].fillna`), from its live signature; None when it cannot be
    resolved without running user code, or has no signature."""
    if name not in user_ns:
        return None
    target = user_ns[name]
    for step in path:
        target = _column(target, step) if step.startswith("[") else _attribute(target, step)
        if target is None:
            return None
    if isinstance(target, (classmethod, staticmethod)):
        target = target.__func__
    if not callable(target):
        return None
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # builtins without a text signature
        return None
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return CallKeywords(
        accepted=tuple(p.name for p in parameters if p.kind in named),
        any_keyword=any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters),
    )


def _signature(expression: str, target: Any) -> str | None:
    if isinstance(target, (classmethod, staticmethod)):
        target = target.__func__
    if not callable(target):
        return None
    try:
        full = inspect.signature(target)
    except (TypeError, ValueError):  # builtins without a text signature
        return None
    # Without annotations: the names and defaults are what the model needs; the type
    # hints of a library like pandas would double the length.
    empty = inspect.Parameter.empty
    signature = str(full.replace(
        parameters=[p.replace(annotation=empty) for p in full.parameters.values()],
        return_annotation=inspect.Signature.empty,
    ))
    text = f"{expression}{signature}"
    return text if len(text) <= MAX_SIGNATURE_CHARS else text[: MAX_SIGNATURE_CHARS - 4] + " ...)"


def call_signatures(exc: BaseException, source: str, user_ns: Mapping[str, Any]) -> list[str]:
    """`df.drop(labels=None, *, axis=0, ...)` for the calls on the line that raised."""
    if isinstance(exc, _NOT_ABOUT_ARGUMENTS):
        return []
    line = failing_line(exc, user_ns)
    if line is None:
        return []
    found: list[str] = []
    for call in _calls_on_line(source, line):
        expression = ast.unparse(call.func)
        if expression in _TRIVIAL or any(text.startswith(f"{expression}(") for text in found):
            continue
        target = _resolve(call.func, user_ns)
        if target is None:
            continue
        signature = _signature(expression, target)
        if signature is not None:
            found.append(signature)
        if len(found) >= MAX_SIGNATURES:
            break
    return found
