"""Variable summaries: which of the user's variables and imports the context shows.

The namespace is scanned the way `%who` lists it (IPython's own names and `_`-names left
out), imports are told apart from variables, and variables are summarised most relevant
first within a total time budget; once it is spent the rest get a summary that runs no user
code. Each value is rendered by values.py; secret-named variables are shown as `<redacted>`.
"""

from __future__ import annotations

import logging
import sys
import time
import types
from collections.abc import Iterable, Mapping
from typing import Any

from ...core.context import VariableSummary
from .redact import REDACTED, Redactor, is_secret_name
from .values import PLAIN_TYPES, cheap_summary, clip, describe, limited, safe_type_name

logger = logging.getLogger(__name__)

# IPython's own names in every user namespace (besides those starting with "_").
HIDDEN_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


def summarize_variable(
    name: str,
    value: Any,
    *,
    time_limit: float = 0.1,
    max_chars: int = 600,
    redactor: Redactor | None = None,
    relevance: float = 0.0,
) -> VariableSummary | None:
    """Summarise one variable in at most ~`time_limit` seconds and `max_chars` characters.

    Returns None for IPython's internal names. A repr that raises, hangs or is huge gives a
    short `<repr failed: ...>` / `<repr timed out>` summary; nothing propagates.
    """
    if name.startswith("_") or name in HIDDEN_NAMES:
        return None
    type_name = safe_type_name(value)
    if is_secret_name(name):
        return VariableSummary(name, type_name, REDACTED, relevance)
    redactor = redactor or Redactor()
    if type(value) in PLAIN_TYPES:  # no user code runs: no timer needed
        text = describe(value, max_chars, redactor)
    else:
        text = limited(lambda: describe(value, max_chars, redactor), time_limit)
    text = clip(redactor.redact(text), max_chars)
    return VariableSummary(name, type_name, text, relevance)


def is_import(name: str, value: Any, user_module: str = "__main__") -> bool:
    """Modules, and functions/classes defined outside the notebook (`from x import y`)."""
    if isinstance(value, types.ModuleType):
        return True
    if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType):
        module = getattr(value, "__module__", None)
        return isinstance(module, str) and module != user_module
    return False


def describe_import(name: str, value: Any) -> str:
    """`pd = pandas (2.2.3)`, `np = numpy (1.26.4)`, `os`, `DataFrame = pandas.DataFrame`.

    A library's version tells the model which API it has (`DataFrame.append` is gone in
    pandas 2), which its training data mixes up.
    """
    if isinstance(value, types.ModuleType):
        module = value.__name__
        version = getattr(value, "__version__", None) if "." not in module else None
        described = module if module == name else f"{name} = {module}"
        return f"{described} ({version})" if isinstance(version, str) else described
    module = getattr(value, "__module__", "") or ""
    qualname = getattr(value, "__qualname__", name)
    top = sys.modules.get(module.split(".")[0])
    if top is not None and getattr(top, qualname, None) is value:
        module = top.__name__  # pandas.DataFrame rather than pandas.core.frame.DataFrame
    target = f"{module}.{qualname}" if module else qualname
    return target if qualname == name and not module else f"{name} = {target}"


def user_variables(
    user_ns: Mapping[str, Any], hidden: Mapping[str, Any] | None = None
) -> Iterable[tuple[str, Any]]:
    """The (name, value) pairs a user would call their variables (as `%who` lists them)."""
    missing = object()
    for name, value in list(user_ns.items()):
        if not isinstance(name, str) or name.startswith("_") or name in HIDDEN_NAMES:
            continue
        if hidden is not None and hidden.get(name, missing) is value:
            continue
        yield name, value


def list_imports(
    user_ns: Mapping[str, Any],
    *,
    hidden: Mapping[str, Any] | None = None,
    user_module: str = "__main__",
    max_items: int = 100,
) -> list[str]:
    """The imports visible in the namespace, as `pd = pandas` lines."""
    found = [
        describe_import(name, value)
        for name, value in user_variables(user_ns, hidden)
        if is_import(name, value, user_module)
    ]
    return found[:max_items]


def summarize_namespace(
    user_ns: Mapping[str, Any],
    *,
    hidden: Mapping[str, Any] | None = None,
    relevance: Mapping[str, float] | None = None,
    user_module: str = "__main__",
    time_limit: float = 0.1,
    max_chars: int = 600,
    total_time: float = 0.5,
    max_variables: int = 200,
    redactor: Redactor | None = None,
) -> list[VariableSummary]:
    """Summaries of the user's variables (not imports), most relevant first.

    Variables are summarised in order of `relevance` (higher first, then newest first); once
    `total_time` is spent, the rest get `cheap_summary`, which runs no user code. At most
    `max_variables` are returned.
    """
    relevance = relevance or {}
    redactor = redactor or Redactor()
    candidates = [
        (name, value)
        for name, value in user_variables(user_ns, hidden)
        if not is_import(name, value, user_module)
    ]
    order = {name: i for i, (name, _) in enumerate(candidates)}
    candidates.sort(key=lambda item: (-relevance.get(item[0], 0.0), -order[item[0]]))
    deadline = time.monotonic() + total_time
    summaries = []
    for name, value in candidates[:max_variables]:
        score = relevance.get(name, 0.0)
        if time.monotonic() < deadline:
            summary = summarize_variable(
                name, value, time_limit=time_limit, max_chars=max_chars,
                redactor=redactor, relevance=score,
            )  # fmt: skip
        elif is_secret_name(name):
            summary = VariableSummary(name, safe_type_name(value), REDACTED, score)
        else:
            summary = VariableSummary(
                name, safe_type_name(value), redactor.redact(cheap_summary(value)), score
            )
        if summary is not None:
            summaries.append(summary)
    if len(candidates) > max_variables:
        logger.debug("summarised %d of %d variables", max_variables, len(candidates))
    return summaries
