"""Hint edits from a rehearsal's failure, applied to the candidate that failed (issue 19).

The guarded copy that rehearses a candidate describes its failure there, against the live
objects: Python's "Did you mean", a missing import, and the computed hints whose rewrite is
exact (kernel/fix/hints.py). A small model shown that description mostly answers the same
again (held-out round 2, 0.5B: 7 of the 8 tasks it was re-asked on still failed after up to
five attempts), so the rewrite is applied to the failed candidate itself, for any task that
is rehearsed, generate as well as fix. The result is checked and rehearsed like any answer;
when it fails in turn, its own failure may give the next rewrite (`MAX_STEPS` deep, at most
`MAX_REHEARSALS` copies per failed candidate). It costs no model time, only copies.
The failing cell's own quick fixes (`quick_fix`, a fix task's first attempt) chain the same
way when they raise in the copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from .check_types import CheckIssue, NamespaceView
from .checks import check_code
from .context import ErrorInfo
from .quickfix import QuickFix, hinted_fixes
from .repairs import repaired
from .reply import Reply

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


def quick_fix(
    error: ErrorInfo | None,
    model_reply: Reply,
    namespace: NamespaceView | None,
    failing: str | None,
    verifier: Rehearse | None,
    failure_of: FailureOf | None = None,
    with_repairs: bool = True,
) -> Reply | None:
    """The failing cell with Python's own hint applied, when the model's answer failed;
    then (`with_repairs`) the failing cell with the static repairs' rewrites
    (`repairs.repaired`: dates kept as text parsed before `.dt`, a row of parts read per
    value, ...), which follow from the live objects: a small model often hands such a
    cell back unchanged five times, told each time that it raises.

    Costs no model time; the candidate passes the same checks (and verification) as any
    model answer. One that fails in the copy may be rewritten again from that failure's
    hints (`failure_of`: `axes.xlabel` fixed, then `axes.ylabel`). When none runs, the
    first that cured the reported error but met another in the copy comes back unverified
    (`verified` False, the new error in `warnings`): a cell whose `ii` became the `i` the
    notebook holds, where `i` no longer fits (an older cell, run again after later ones
    changed `i`), is a better answer than the failing cell unchanged or a rewrite that
    fails the checks; the caller offers it only when no model answer passes them all.
    """
    cured: Reply | None = None
    fixes = hinted_fixes(error, failing or "")
    if with_repairs:
        fixes += _repaired_cell(failing, namespace)
    for fix in fixes:
        if check_code(fix.code, namespace=namespace, failing_source=failing):
            continue
        code, reasons, verified, raised = fix.code, [fix.reason], None, None
        if verifier is not None:
            raised = verifier(fix.code)
            verified = raised is None
            if not verified and failure_of is not None:
                further = rehearsal_fix(fix.code, failure_of, lambda candidate: check_code(
                    candidate, namespace=namespace, failing_source=failing), verifier)
                if further is not None:
                    code, reasons, verified = further.code, [*reasons, *further.reasons], True
        reply = Reply(task="fix", text=f"{' '.join(reasons)}\n\n```python\n{code}\n```",
                      code=code, model=model_reply.model, timings=model_reply.timings,
                      verified=verified)
        if verified is not False:
            return reply
        if cured is None and raised is not None and _another_error(raised, error):
            reply.warnings = [f"Running it in a copy of the notebook raised: {raised}"]
            cured = reply
    return cured


def exact_fix(error: ErrorInfo | None, model_reply: Reply, namespace: NamespaceView | None,
              failing: str | None, verifier: Rehearse,
              failure_of: FailureOf | None = None) -> Reply | None:
    """The failing cell with a computed hint's exact rewrite applied, when it passes the
    checks and runs in the copy: kept over a model answer that also ran.

    The rules give an edit only where the rewrite follows from the error and the live
    objects, so it is the smallest change that cures the error, and keeps all else the cell
    did; a small model's own answer that runs may have dropped part of the cell on the way
    (the 0.5B "fixed" `depth[depth < 0] = np.nan` on an integer array by deleting it).
    Python's spelling suggestions are not used here: they are guesses (`df.quantile` for a
    column `qty`), kept for when the model's answer fails."""
    if error is None or not error.edits:
        return None
    exact = replace(error, suggestions=[])  # the computed edits only
    reply = quick_fix(exact, model_reply, namespace, failing, verifier, failure_of,
                      with_repairs=False)
    return reply if reply is not None and reply.verified is True else None


def _repaired_cell(failing: str | None, namespace: NamespaceView | None) -> list[QuickFix]:
    """The failing cell with the static repairs applied, when they change it."""
    if not failing or namespace is None:
        return []
    repair = repaired(failing, namespace)
    if repair is None:
        return []
    return [QuickFix(repair.code, "Rewritten: " + "; ".join(repair.notes) + ".")]


def _another_error(raised: str, reported: ErrorInfo | None) -> bool:
    """Whether the copy's failure is not the reported one (the hint cured that one)."""
    return reported is None or not reported.message or reported.message not in raised


def rewritten_reply(reply: Reply, fixed: RehearsalFix) -> Reply:
    """The reply with its code rewritten as the rehearsal's hints said, marked verified."""
    note = ("It raised in the rehearsal; rewritten from the hints there, and the rewrite "
            "ran: " + " ".join(fixed.reasons))
    return replace(reply.with_code(fixed.code, note), verified=True)
