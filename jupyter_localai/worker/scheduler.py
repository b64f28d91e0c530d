"""The worker's queue: real jobs in arrival order, prefills only when none waits.

The reader thread puts jobs in (`submit`, `offer_prefill`) and marks cancellations; the
main thread takes them out (`next_job`) and asks, while a prefill or a prompt evaluates,
whether it should give way (`prefill_should_yield`, `is_cancelled`). Each counter has one
writer thread, so the two threads share them without a lock; the prefills waiting (one per
notebook, a newer one replaces the older) and the one running are guarded by a lock.

Inline completions come before everything else: they wait apart, one per notebook (a
newer one replaces the older, which is answered "cancelled", and cancels it if it runs),
the main thread takes them before the next prefill, after a real job already queued
(which then serves them between its tokens) and between the tokens of a running answer
(`take_completion`), and a prefill gives way to them as to any real job. While a
chat prompt evaluates (one `llama_decode` the main thread cannot leave), the worker
answers a completion at once with no suggestion instead (`evaluating_prompt`).
"""

from __future__ import annotations

import queue
import threading
from typing import Any

# Jobs that wait in the queue in arrival order (a prefill waits apart and yields to them).
URGENT_OPS = ("generate", "load", "reset", "shutdown", "tokenize")


class Scheduler:
    """Jobs for the main thread, cancellations, and the prefill counters for `status`."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cancelled: set[str] = set()
        self.current: str | None = None  # the answer being generated, by job id
        # True while the main thread evaluates a chat prompt (it cannot serve a completion).
        self.evaluating_prompt = False
        # Completions waiting, one per notebook, and the one running (session, job id).
        self._completions: dict[str, dict[str, Any]] = {}
        self._completing: tuple[str, str] | None = None
        # A tokenize must wait for a model about to load; each counter has one writer thread.
        self._loads_queued = 0
        self._loads_done = 0
        # Real jobs waiting (a prefill yields to them); written by reader / main thread.
        self._urgent_in = 0
        self._urgent_out = 0
        # Prefills wait here, one per notebook (a newer one replaces the older).
        self._prefills: dict[str, dict[str, Any]] = {}
        self._prefills_lock = threading.Lock()
        # The notebook whose prefill runs now, and whether its kernel asked to stop it.
        self._prefilling: str | None = None
        self.prefill_stop = False
        # Its messages, whether they are a whole prompt (else the last turn is open), and
        # the real jobs queued since it began whose prompts begin with it (`_follows`):
        # all of it, or all but a whole prompt's last turn (guarded by the lock).
        self._prefill_messages: list[dict[str, Any]] = []
        self._prefill_whole = False
        self._followers = 0
        self._partial_followers = 0
        # Set by the main thread once a whole prompt's prefill is past its last turn's start.
        self.prefill_in_last_turn = False
        # What prefill did (and cost); the generation adds its own counts.
        self.warm: dict[str, Any] = {
            "prefills_done": 0,
            "prefills_preempted": 0,
            "prefills_coalesced": 0,
            "prefills_paused": 0,
            "prefill_tokens": 0,
            "prefill_seconds": 0.0,
        }

    # --- reader thread -------------------------------------------------------------------

    def submit(self, message: dict[str, Any]) -> None:
        """Queue a real job (one of `URGENT_OPS`): a running prefill gives way to it."""
        if message.get("op") == "load":
            self._loads_queued += 1
        request = message.get("request") or {}
        session = request.get("session_id")
        with self._prefills_lock:
            if message.get("op") == "generate" and session and self._prefilling == str(session):
                follows = self._follows(request.get("messages") or [])
                self._followers += follows == "all"
                self._partial_followers += follows == "context"
            self._urgent_in += 1
        self._jobs.put(message)

    def cancel(self, job_id: str) -> None:
        self._cancelled.add(job_id)

    def offer_prefill(self, message: dict[str, Any]) -> None:
        """Keep a notebook's prefill until no real job waits (replacing its older one)."""
        key = str(message.get("session_id") or "")
        with self._prefills_lock:
            if key in self._prefills:
                self.warm["prefills_coalesced"] += 1
            self._prefills[key] = message
        self._jobs.put({"op": "wake"})

    def offer_completion(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an inline completion ahead of everything; returns the older completion of
        the same notebook it replaces (still waiting), for the caller to answer. One that
        is running is marked cancelled and stops at its next token."""
        key = str((message.get("request") or {}).get("session_id") or "")
        with self._prefills_lock:
            older = self._completions.pop(key, None)
            self._completions[key] = message
            running = self._completing
            if running is not None and running[0] == key:
                self._cancelled.add(running[1])
        self._jobs.put({"op": "wake"})
        return older

    def offer_completion_prefill(self, message: dict[str, Any]) -> None:
        """A completion context to evaluate ahead of the keystrokes (as a prefill)."""
        self.offer_prefill({**message, "session_id": _completion_key(message.get("session_id"))})

    def pause_prefill(self, session_id: Any) -> None:
        """A cell starts computing in that notebook's kernel: the CPU is the user's."""
        key = str(session_id or "")
        with self._prefills_lock:
            self._prefills.pop(_completion_key(session_id), None)
            if self._prefills.pop(key, None) is not None:
                self.warm["prefills_paused"] += 1
            if self._prefilling in (key, _completion_key(session_id)):
                self.prefill_stop = True

    def load_pending(self) -> bool:
        """Whether a `load` is queued that the main thread has not finished yet."""
        return self._loads_queued != self._loads_done

    # --- main thread ---------------------------------------------------------------------

    def take_completion(self) -> dict[str, Any] | None:
        """The oldest waiting completion (now the running one), or None."""
        with self._prefills_lock:
            if not self._completions:
                return None
            key = next(iter(self._completions))
            job = self._completions.pop(key)
            self._completing = (key, str(job.get("id")))
            return job

    def end_completion(self) -> None:
        with self._prefills_lock:
            self._completing = None

    def completion_waiting(self) -> bool:
        return bool(self._completions)

    def next_job(self) -> dict[str, Any]:
        """A waiting completion first, then the next real job; a waiting prefill only when
        no real job waits. A real job already queued goes before the completions, though:
        a user typing sends one per keystroke, which would otherwise hold a chat answer in
        the queue for as long as they type (measured: its time to first token went from
        0.9 s to 85 s); the answer then serves the completions between its tokens."""
        while True:
            completion = None if self.urgent_waiting() else self.take_completion()
            if completion is not None:
                return completion
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                with self._prefills_lock:
                    prefill = self._prefills.pop(next(iter(self._prefills)), None) if (
                        self._prefills) else None
                if prefill is not None:
                    return prefill
                job = self._jobs.get()
            if job["op"] != "wake":
                self._urgent_out += 1
                return job
            if self._completions:
                continue

    def load_finished(self) -> None:
        self._loads_done += 1

    def is_cancelled(self, job_id: str) -> bool:
        return job_id in self._cancelled

    def forget_cancel(self, job_id: str) -> None:
        self._cancelled.discard(job_id)

    def _follows(self, messages: list[dict[str, Any]]) -> str:
        """How much of the running prefill a prompt of `messages` begins with: "all", its
        "context" (a whole prompt's messages but its last turn), or "" (the lock held)."""
        held = self._prefill_messages
        if not held or messages[: len(held) - 1] != held[:-1]:
            return ""
        if not self._prefill_whole or messages[: len(held)] == held:
            return "all"
        return "context"

    def begin_prefill(self, session: str, messages: list[dict[str, Any]] | None = None,
                      whole: bool = False) -> None:
        with self._prefills_lock:
            self._prefilling, self.prefill_stop = session, False
            self._prefill_messages, self._prefill_whole = list(messages or []), whole
            # Jobs already queued went before this prefill began (`next_job`): none follows it.
            self._followers = self._partial_followers = 0
            self.prefill_in_last_turn = False

    def end_prefill(self) -> None:
        self._prefilling = None

    def urgent_waiting(self) -> bool:
        return self._urgent_in != self._urgent_out

    def prefill_should_yield(self) -> bool:
        """Whether the prefill gives way now (polled between graph nodes): a cell started
        in its notebook's kernel, a completion waits, or a real job waits that does not
        follow it.

        A question asked in the prefill's own notebook whose messages begin with the
        prefill's follows it: its prompt begins with the prefill's tokens, so it would
        evaluate the rest of the prefill anyway, in the same batches (`batch_plan`). One
        that shares only the context of a whole prompt's prefill (`%ai fix`'s, prefilled
        after a failing cell; then a generate asked) follows it up to its last turn.
        Abandoning the batch in flight threw that work away, up to 255 tokens: on real
        notebooks the median first token of generate and explain asks was 2.67 s when the
        prefill gave way, 1.28 s when it ran on. It runs on to its end instead, and the
        question starts there."""
        if self.prefill_stop or self.completion_waiting():
            return True
        with self._prefills_lock:
            following = self._followers + (
                0 if self.prefill_in_last_turn else self._partial_followers)
            return self._urgent_in - self._urgent_out > following

    def context_followed(self) -> bool:
        """Whether a question waits that shares the prefill's context but not its whole
        prompt's last turn: the prefill stops where that turn begins."""
        with self._prefills_lock:
            return self._partial_followers > 0

    # --- either thread -------------------------------------------------------------------

    def aborting(self) -> bool:
        """True while llama.cpp's errors are the expected echo of our own abort (a cancel,
        or a prefill giving way), which the log need not repeat."""
        if self.current is not None and self.current in self._cancelled:
            return True
        completing = self._completing
        if completing is not None and (completing[1] in self._cancelled or self.urgent_waiting()):
            return True  # a completion's cold prompt giving way (`completion.py`)
        return self._prefilling is not None and self.prefill_should_yield()

    def queue_length(self) -> int:
        return self._jobs.qsize()

    def prefills_queued(self) -> int:
        with self._prefills_lock:
            return len(self._prefills)


def _completion_key(session_id: Any) -> str:
    """Where a notebook's completion prefill waits (apart from its chat prefill)."""
    return f"complete:{session_id or ''}"
