"""What a generate request expects of the values its code leaves behind, judged once a
rehearsal has run the code in a copy of the kernel (kernel/fix/verify.py).

A candidate can run to its end and still not hold what was asked; the static checks cannot
see values, the copy can. Each expectation comes from the request's own words, through one
module each: the names it asks for (`targets`) set on the path that runs; the kind stated
next to a name (`kind_intent`); the field a mapping is keyed by (`key_intent`); a pair of
two different things (`pair_intent`); a result of each item not left empty
(`empty_result`); a value, not the uncalled function that would compute it
(`function_result`); the field holding values the request names, read (`value_intent`). The first that fails is the error the model is told.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .empty_result import asked_for_each, empty_result
from .function_result import asked_values, function_held
from .key_intent import asked_keys, key_mismatch
from .kind_intent import asked_kinds, kind_mismatch
from .pair_intent import asked_pairs, self_pair
from .targets import asked_names
from .value_intent import ignored_condition, request_words


@dataclass(frozen=True)
class ResultExpectations:
    """The asked-for names and what the request says each must hold."""

    asked: tuple[str, ...] = ()
    kinds: Mapping[str, str] = field(default_factory=dict)  # name -> kind
    keys: Mapping[str, str] = field(default_factory=dict)  # name -> field keying it
    pairs: tuple[str, ...] = ()  # names asked to pair two different things
    each: tuple[str, ...] = ()  # names asked of each item: never empty
    values: tuple[str, ...] = ()  # names asked to hold a value, not a function
    words: frozenset[str] = frozenset()  # the request's words, for values of the data it names

    @classmethod
    def of_request(cls, request: str) -> ResultExpectations:
        names = asked_names(request)  # read once: each expectation is of these names
        return cls(asked=tuple(names), kinds=asked_kinds(request, names),
                   keys=asked_keys(request, names), pairs=tuple(asked_pairs(request, names)),
                   each=tuple(asked_for_each(request, names)),
                   values=tuple(asked_values(request, names)), words=request_words(request))

    def failure(self, code: str, namespace: Mapping[str, Any]) -> str | None:
        """The error the model is told where the values `code` left miss an expectation;
        None when they meet all."""
        return (self._left_unset(code, namespace) or self._functions(namespace)
                or self._wrong_kinds(namespace)
                or self._wrong_keys(namespace) or self._self_pairs(namespace)
                or self._empty(code, namespace) or self._ignored(code, namespace))

    def _left_unset(self, code: str, namespace: Mapping[str, Any]) -> str | None:
        """The asked-for names the code assigns but left unbound when it ran to its end (a
        `try` whose `except` swallowed the failure, a branch not taken). Names the code
        never assigns are the static checks' to report."""
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return None
        assigned = {node.id for node in ast.walk(tree)
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        unset = [name for name in self.asked if name in assigned and name not in namespace]
        if not unset:
            return None
        shown = ", ".join(f"`{name}`" for name in unset)
        return (f"NameError: the code ran to its end but left {shown} unset, which the request "
                "asks for: an `except` or a branch skipped the assignment. Assign it on the "
                "path that runs, and let errors show rather than catching them.")

    def _functions(self, namespace: Mapping[str, Any]) -> str | None:
        """Asked values left holding the function that would compute them."""
        wrong = [found for name in self.values
                 if name in namespace and (found := function_held(name, namespace[name]))]
        return ("TypeError: " + "; ".join(wrong) + ".") if wrong else None

    def _wrong_kinds(self, namespace: Mapping[str, Any]) -> str | None:
        """Names left holding another kind than the request states (unset ones are the
        static checks' to report)."""
        wrong = [f"`{name}` holds {found} where the request asks for {_a_or_an(kind)}"
                 for name, kind in self.kinds.items()
                 if name in namespace and (found := kind_mismatch(namespace[name], kind))]
        return ("TypeError: " + "; ".join(wrong) + ".") if wrong else None

    def _wrong_keys(self, namespace: Mapping[str, Any]) -> str | None:
        """Mappings keyed by something else than the field the request names, or empty."""
        wrong = [found for name, word in self.keys.items() if name in namespace
                 and (found := key_mismatch(name, namespace[name], word, namespace))]
        return ("ValueError: " + "; ".join(wrong) + ".") if wrong else None

    def _self_pairs(self, namespace: Mapping[str, Any]) -> str | None:
        """Pairs of two different things left holding one thing twice."""
        wrong = [found for name in self.pairs
                 if name in namespace and (found := self_pair(name, namespace[name]))]
        return ("ValueError: " + "; ".join(wrong) + ".") if wrong else None

    def _empty(self, code: str, namespace: Mapping[str, Any]) -> str | None:
        """A result asked of each item that came out empty while the data has items."""
        found = empty_result(code, namespace, self.each) if self.each else None
        return f"ValueError: {found}." if found else None

    def _ignored(self, code: str, namespace: Mapping[str, Any]) -> str | None:
        """A condition the request states on values of the data, left out of the code."""
        found = ignored_condition(code, self.words, namespace) if self.words else None
        return f"ValueError: {found}." if found else None


def _a_or_an(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
