"""Hint edits from a rehearsal's failure, applied to the candidate that failed (issue 19).

The guarded copy that rehearses a candidate describes its failure there, against the live
objects: Python's "Did you mean", a missing import, and the computed hints whose rewrite is
exact (kernel/fix/hints.py). A small model shown that description mostly answers the same
again (held-out round 2, 0.5B: 7 of the 8 tasks it was re-asked on still failed after up to
five attempts), so the rewrite is applied to the failed candidate itself, for any task that
is rehearsed, generate as well as fix. The result is checked and rehearsed like any answer;
when it fails in turn, its own failure may give the next rewrite (`MAX_STEPS` deep, at most
`MAX_REHEARSALS` copies per failed candidate). It costs no model time, only copies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .check_types import CheckIssue
from .context import ErrorInfo
from .quickfix import hinted_fixes

# The failure the last rehearsal of this code met (None: it ran, or was not rehearsed).
FailureOf = Callable[[str], "ErrorInfo | None"]
# Static issues of code (empty: it passes); runs code in the copy (None: it ran).
IssuesOf = Callable[[str], list[CheckIssue]]
Rehearse = Callable[[str], "str | None"]

MAX_STEPS = 3
MAX_REHEARSALS = 6


@dataclass(frozen=True)
class RehearsalFix:
    """Code that ran in the copy after the rewrites in `reasons`, in order."""

    code: str
    reasons: tuple[str, ...]


def rehearsal_fix(code: str, failure_of: FailureOf, issues_of: IssuesOf,
                  rehearse: Rehearse) -> RehearsalFix | None:
    """The first rewrite of `code` (already rehearsed, failed) that passes the checks and
    runs in the copy, breadth first over chains of rewrites; None when there is none."""
    frontier: list[tuple[str, tuple[str, ...]]] = [(code, ())]
    seen = {code}
    rehearsals = 0
    for _ in range(MAX_STEPS):
        following: list[tuple[str, tuple[str, ...]]] = []
        for source, reasons in frontier:
            for fix in hinted_fixes(failure_of(source), source):
                if fix.code in seen or rehearsals >= MAX_REHEARSALS:
                    continue
                seen.add(fix.code)
                if issues_of(fix.code):
                    continue
                rehearsals += 1
                if rehearse(fix.code) is None:
                    return RehearsalFix(fix.code, (*reasons, fix.reason))
                following.append((fix.code, (*reasons, fix.reason)))
        frontier = following
    return None
