"""The error-hint rules, one module per family of mistakes, and how a rule is declared.

A rule declares the exceptions it handles (`@rule(KeyError)`); the dispatcher
(`fix/hints.py`) calls it only for those, so a rule starts from the failure's message and
source, never from a type check of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..failure import Failure

Check = Callable[[Failure], list[str]]


@dataclass(frozen=True)
class Rule:
    """A hint rule: `check` gives the hints for a failure whose exception is a `handles`."""

    handles: tuple[type[BaseException], ...]
    check: Check

    @property
    def name(self) -> str:
        return self.check.__name__

    def applies_to(self, exc: BaseException) -> bool:
        return isinstance(exc, self.handles)


def rule(*handles: type[BaseException]) -> Callable[[Check], Rule]:
    """Declare the exceptions a rule handles: `@rule(TypeError, ValueError)` over its check."""

    def declare(check: Check) -> Rule:
        return Rule(handles, check)

    return declare
