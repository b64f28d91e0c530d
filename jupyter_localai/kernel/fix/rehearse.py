"""Rehearsal by default: generate and fix candidates run first in a guarded forked copy of
the kernel, and the answer says how that went.

The copy is `kernel/fix/verify.py`'s (a `fork()` of the kernel, guarded by
`kernel/fix/guard.py`, killed after each run): a candidate meets the user's real variables,
imports and data, while the kernel itself, the user's files, the network and other
processes are untouched. A candidate that raises there is fed back to the model with its
error (the retry loop of `core/tasks.py`); the first that runs and passes the checks is kept.

Three ways to ask, one decision (`rehearsal_mode`):
- by default (`LocalAI.rehearse`, True), leniently: a candidate the copy had to stop (it
  wrote a file, used the network, ran past `LocalAI.rehearse_timeout`) is kept and marked
  as rehearsed only up to there; what a rehearsal cannot do is no error of the code;
- `--verify` (explicit), strictly, as before: every candidate must run to its end in the
  copy; a refusal or the time limit fails it and is fed back;
- `--no-verify` or `%config LocalAI.rehearse = False`: no copy.

Where the kernel cannot fork (Windows has no `fork()`), nothing is rehearsed and the answer
says so: a spawned process would start without the user's variables, which is no rehearsal.
"""

from __future__ import annotations

import os
from typing import Any

from ...core.reply import Reply
from ...core.result_expectations import ResultExpectations
from ...core.tasks import TaskRequest
from .verify import ForkVerifier

REHEARSED_TASKS = ("generate", "fix")
STRICT = "strict"
LENIENT = "lenient"


def fork_unavailable() -> str | None:
    """Why this kernel cannot rehearse, or None when it can."""
    if not hasattr(os, "fork"):
        return ("this kernel's platform has no fork() (Windows): a rehearsal needs a copy of "
                "the running kernel, with its variables")
    return None


def rehearsal_mode(task: str, verify: bool | None, settings: Any) -> str | None:
    """STRICT (`--verify`), LENIENT (the default rehearsal) or None (no rehearsal)."""
    if task not in REHEARSED_TASKS or verify is False:
        return None
    if verify:
        return STRICT
    return LENIENT if settings.rehearse else None


def verify_choice(verify: bool, no_verify: bool) -> bool | None:
    """The per-call choice of `--verify` / `--no-verify`: True, False, or None (the
    setting decides). Both at once is the caller's error."""
    if verify and no_verify:
        raise ValueError("`--verify` and `--no-verify` contradict each other: give one.")
    if verify:
        return True
    return False if no_verify else None


def rehearsal_verifier(shell: Any, request: TaskRequest, mode: str | None,
                       settings: Any) -> ForkVerifier | None:
    """The verifier `run_task` calls for each candidate, or None (no rehearsal, or no fork:
    `mark_reply` says so)."""
    if mode is None or fork_unavailable() is not None:
        return None
    generate = request.task == "generate"
    return ForkVerifier(shell, request.context, float(settings.rehearse_timeout),
                        replay=request.task == "fix", judge_stops=mode == STRICT,
                        expect=ResultExpectations.of_request(request.prompt) if generate else None)


def mark_reply(reply: Reply, mode: str | None, verifier: ForkVerifier | None) -> None:
    """Set `reply.verified` from what the copy did with the kept code, and add what the
    copy re-ran, refused or stopped at to the reply's warnings.

    verified: True (ran to its end), False (no candidate ran), None (not rehearsed, or
    stopped before its end: the warning says where)."""
    if mode is None or reply.task not in REHEARSED_TASKS or reply.finish_reason == "cancelled":
        return
    if verifier is None:
        why = fork_unavailable()
        if why is not None:
            reply.verified = None
            reply.warnings.append(f"Not rehearsed: {why}.")
        return
    result = verifier.results.get(reply.code, "")
    if result.startswith("stopped: "):
        reply.verified = None
        reply.warnings.append(
            "Rehearsed in a guarded copy only up to where it stopped: "
            f"{result.removeprefix('stopped: ')}. A rehearsal does not write files, use the "
            "network or start processes, and stops after its time limit; the rest was not "
            "rehearsed.")
    reply.warnings += [note for note in verifier.notes if note not in reply.warnings]
