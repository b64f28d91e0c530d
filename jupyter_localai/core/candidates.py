"""Which of an answer's candidates to keep (issue 19): the first, in order, that passes
the static checks.

An engine that decodes several candidates of one prompt together
(`GenerationRequest.n_candidates`, `Engine.supports_candidates`) streams the first and
returns all of them; the ask loop keeps the first candidate whose code passes the same
checks as any answer (`checks.check_code`), so a candidate that fails costs no extra model
call, and the first candidate (the one the user saw stream) wins every tie. When none
passes, the first is kept and the retry loop goes on as before. With a verifier (the
kernel's rehearsal in a guarded copy), a candidate passes only if it also runs there
(`checked_issues`): candidates are rehearsed in order until one runs, and the ask loop
then verifies the kept one as any answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .check_types import CheckIssue
from .reply import Reply

# The code of an answer's text, as the ask loop extracts it (replayed cells dropped).
CodeOf = Callable[[str], str]
# The static issues of a piece of code (empty: it passes).
IssuesOf = Callable[[str], list[CheckIssue]]
# Runs code in a copy of the kernel: None when it ran, else the error text.
Rehearse = Callable[[str], "str | None"]


def checked_issues(check: IssuesOf, verifier: Rehearse | None) -> IssuesOf:
    """The static issues of code and, when it has none, its rehearsal's error as one."""
    def issues(code: str) -> list[CheckIssue]:
        found = check(code)
        if found or verifier is None:
            return found
        error = verifier(code)
        if error is None:
            return []
        return [CheckIssue("runtime", f"Running it in a copy of the notebook raised: {error}")]

    return issues


def first_passing(reply: Reply, texts: list[str], code_of: CodeOf, issues_of: IssuesOf) -> Reply:
    """`reply` (candidate 0, built from `texts[0]`) or the first later candidate whose code
    has no static issue, as a Reply like it (same timings and model) naming its index."""
    if len(texts) < 2 or not issues_of(reply.code):
        return reply
    for index, text in enumerate(texts[1:], start=1):
        code = code_of(text)
        if code.strip() and not issues_of(code):
            return replace(reply, text=text, code=code, candidate=index)
    return reply
