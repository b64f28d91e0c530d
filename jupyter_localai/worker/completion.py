"""Inline completions on their own KV sequence, served between a chat answer's tokens.

Latency policy (also in docs/architecture.md): a completion is only worth something while
the user waits at the cursor, so it never queues behind a chat answer:

- it waits apart from the queue and the main thread takes it before any queued job;
- while a chat answer streams, it is served between two of the answer's tokens (both are
  batch steps on different sequences, so the answer's tokens are the same as without it);
- while a chat prompt evaluates (a `llama_decode` the thread cannot leave), the worker
  answers it at once with no suggestion (finish_reason "busy", `Worker.dispatch`);
- a newer completion of the same notebook cancels the older at its next token.

The completion sequence keeps the last completion's tokens: a request evaluates only the
tokens after their longest common prefix with it, cut back to a batch boundary (a multiple
of `COMPLETION_CHUNK` or the stable context's end: `batch_plan.split_batches`, the batches a
cold prompt is evaluated in, so a warm suggestion is the cold one), so after
`prefill_completion` evaluated the stable context, a keystroke costs its own few tokens
and at most COMPLETION_CHUNK - 1 before them. A completion ends at its
`max_tokens`, a stop string, the model's end of generation or after `max_lines` lines.

A completion never holds the chat up either. When its context is not warm yet (the first
keystroke after a cell ran, before the prefill finished), its prompt is evaluated in
chunks of `CHUNK` tokens with the abort callback set: a chat job that arrives, or a newer
keystroke, stops it at once; the chunks done are kept (they are the same context the next
request starts with), the completion answers with no suggestion ("busy" or "cancelled")
and the rest of its context is offered again as a prefill, for idle time. Between a chat
answer's tokens a completion may evaluate at most `BETWEEN_TOKENS_BUDGET` fresh tokens
(a keystroke's worth); one that needs more answers "busy" at once and leaves its context
to that prefill. (Measured before this rule, `benchmarks/complete_bench.py`: a chat
question asked while typing on the 50-cell notebook waited ~10 s behind a completion
evaluating its 1,100-token context cold; its own prefix was still cached.)

The model is passed in: this module never imports llama_cpp.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .batch_plan import COMPLETION_CHUNK, reusable_with_split, split_batches
from .fim import CompletionPrompt, FimTokens, completion_prompt, find_fim_tokens
from .key_guide import KeyGuide, last_logits
from .protocol import BAD_REQUEST, CONTEXT_OVERFLOW, INTERNAL, MODEL_LOAD, Channel
from .scheduler import Scheduler
from .sequences import COMPLETION_SEQ
from .text_stream import TextStream

if TYPE_CHECKING:
    from .llama_model import LoadedModel

log = logging.getLogger("jupyter_localai.worker")
# A completion stops after this many lines unless the request says otherwise.
MAX_LINES = 6
# Tokens evaluated between two looks at a newer keystroke (each `llama_decode` is one
# batch of `batch_plan.split_batches`, at most COMPLETION_CHUNK tokens).
CHUNK = 128
# Fresh tokens a completion may evaluate between two tokens of a chat answer.
BETWEEN_TOKENS_BUDGET = 64
# Fewer fresh tokens than this (a keystroke) are evaluated without the abort callback.
ABORTABLE_FROM = 32


class Interrupted(Exception):
    """A completion's prompt evaluation gave way (to a chat job, a newer keystroke, or the
    between-tokens budget); `reason` is the finish reason it answers with."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cut_at_lines(done: str, piece: str, max_lines: int) -> tuple[str, bool]:
    """`piece` cut so that `done + piece` has at most `max_lines` lines; True if cut."""
    room = max_lines - 1 - done.count("\n")  # newlines still allowed
    at = -1
    for _ in range(room + 1):
        at = piece.find("\n", at + 1)
        if at < 0:
            return piece, False
    return piece[:at], True


class Completer:
    """Serves `complete` and `prefill_completion` jobs for one worker on its main thread."""

    def __init__(self, channel: Channel, scheduler: Scheduler) -> None:
        self.channel = channel
        self.scheduler = scheduler
        self.served = 0
        self.prefilled_tokens = 0
        self._fim_of: tuple[int, FimTokens | None] | None = None  # (id(model), tokens)
        # Texts that are one token of the loaded model, for the key guide (id(model), map).
        self._single_of: tuple[int, dict[str, int | None]] | None = None

    # --- what the model offers -----------------------------------------------------------

    def fim(self, model: LoadedModel) -> FimTokens | None:
        """The model's FIM tokens, looked up once per loaded model."""
        if self._fim_of is None or self._fim_of[0] != id(model):
            tokens = None if model.fim_disabled else find_fim_tokens(model.vocab_texts())
            self._fim_of = (id(model), tokens)
        return self._fim_of[1]

    def status(self, model: LoadedModel | None) -> dict[str, Any]:
        known = self._fim_of is not None and model is not None and self._fim_of[0] == id(model)
        return {
            "fim": bool(self._fim_of[1]) if known else None,
            "completions_served": self.served,
            "completion_prefill_tokens": self.prefilled_tokens,
        }

    def prompt(self, model: LoadedModel, request: dict[str, Any]) -> CompletionPrompt:
        bos = [model.llm.token_bos()] if model.adds_bos() else []
        return completion_prompt(
            self.fim(model), model.tokenize_text, str(request.get("context") or ""),
            str(request.get("prefix") or ""), str(request.get("suffix") or ""), bos,
        )

    # --- jobs ------------------------------------------------------------------------------

    def serve_waiting(self, model: LoadedModel | None) -> None:
        """Answer every completion waiting now (between a chat answer's tokens)."""
        while (job := self.scheduler.take_completion()) is not None:
            self.complete(model, job, budget=BETWEEN_TOKENS_BUDGET)

    def complete(
        self, model: LoadedModel | None, job: dict[str, Any], budget: int | None = None
    ) -> None:
        """Serve one `complete` job: stream its text, or say why not. `budget`: the most
        fresh prompt tokens it may evaluate (None: any, interruptible)."""
        job_id = str(job.get("id"))
        request = job.get("request") or {}
        try:
            if self.scheduler.is_cancelled(job_id):
                self.send_done(job_id, "", "cancelled", 0, 0, 0, time.perf_counter())
            elif model is None:
                self.send_error(job_id, MODEL_LOAD, "no model is loaded")
            else:
                self.run(model, job_id, request, budget)
        except Interrupted as stop:
            self.send_done(job_id, "", stop.reason, 0, 0, 0, time.perf_counter())
            self.offer_rest(request)
        except (ValueError, TypeError, KeyError) as exc:
            self.send_error(job_id, BAD_REQUEST, f"{type(exc).__name__}: {exc}")
        except RuntimeError as exc:
            log.exception("completion %s failed", job_id)
            if model is not None:
                model.clear_sequence(COMPLETION_SEQ)  # the chat's sequence is untouched
            self.send_error(job_id, INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            self.scheduler.end_completion()
            self.scheduler.forget_cancel(job_id)
            self.served += 1

    def offer_rest(self, request: dict[str, Any]) -> None:
        """An interrupted completion's context, offered again as a prefill (idle time)."""
        self.scheduler.offer_completion_prefill({
            "op": "prefill_completion",
            "context": request.get("context") or "",
            "session_id": request.get("session_id"),
        })

    def run(
        self, model: LoadedModel, job_id: str, request: dict[str, Any], budget: int | None
    ) -> None:
        started = time.perf_counter()
        max_tokens = max(1, int(request.get("max_tokens") or 64))
        max_lines = max(1, int(request.get("max_lines") or MAX_LINES))
        stops = [s for s in request.get("stop") or [] if isinstance(s, str) and s]
        prompt = self.prompt(model, request)
        tokens = prompt.tokens
        keep = self.evaluate(model, tokens, prompt.stable, max_tokens, job_id, budget)
        if keep < 0:
            self.send_error(
                job_id, CONTEXT_OVERFLOW,
                f"the completion's prompt has {len(tokens)} tokens; with the chat's the "
                f"context window of {model.n_ctx} cannot hold it and {max_tokens} more",
            )
            return
        self.channel.send(
            {"type": "started", "id": job_id, "prompt_tokens": len(tokens), "cached_tokens": keep}
        )
        stream, produced, finish, first_at = TextStream(stops), 0, "length", 0.0
        sampler, batch = model.sampler(0.0, 0), model.new_batch(1)
        cancelled = self.scheduler.is_cancelled
        guide = self.guide(model, request)
        cut = False
        try:
            position = len(tokens)
            while produced < max_tokens:
                token = self.next_token(model, sampler, guide, stream.text)
                if model.is_end_of_generation(token):
                    finish = "stop"
                    break
                produced += 1
                done = stream.text
                piece, hit_stop = stream.feed(model.token_bytes(token))
                piece, cut = cut_at_lines(done, piece, max_lines)
                stream.text = done + piece
                if piece:
                    first_at = first_at or time.perf_counter()
                    self.channel.send({"type": "token", "id": job_id, "text": piece})
                if hit_stop or cut:
                    finish = "stop"
                    break
                if cancelled(job_id):
                    finish = "cancelled"
                    break
                if produced < max_tokens:
                    model.decode([(COMPLETION_SEQ, position, token)], batch)
                    position += 1
        finally:
            sampler.close()
            batch.close()
        if not stream.stopped and not cut:  # text held back for a stop that did not come
            done = stream.text
            tail, _ = cut_at_lines(done, stream.flush(), max_lines)
            stream.text = done + tail
            if tail:
                self.channel.send({"type": "token", "id": job_id, "text": tail})
        self.send_done(job_id, stream.text, finish, len(tokens), produced, keep, started,
                       first_at)

    def guide(self, model: LoadedModel, request: dict[str, Any]) -> KeyGuide | None:
        """The key guide of a request that names live frames' columns (`key_guide.py`)."""
        keys = request.get("keys")
        if not isinstance(keys, dict) or not keys:
            return None
        if self._single_of is None or self._single_of[0] != id(model):
            self._single_of = (id(model), {})
        known = self._single_of[1]

        def single_token(text: str) -> int | None:
            if text not in known:
                ids = model.tokenize_text(text)
                one = len(ids) == 1 and model.token_bytes(ids[0]) == text.encode("utf-8")
                known[text] = ids[0] if one else None
            return known[text]

        return KeyGuide(keys, str(request.get("prefix") or ""), single_token)

    @staticmethod
    def next_token(
        model: LoadedModel, sampler: Any, guide: KeyGuide | None, written: str
    ) -> int:
        """The next token: the guide's at a frame's key site, else the greedy sampler's."""
        if guide is not None:
            token = guide.choose(
                written, last_logits(model),
                lambda t: model.token_bytes(t).decode("utf-8", errors="replace"),
            )
            if token is not None:
                return token
        return model.sample(sampler, -1)

    def held(self, model: LoadedModel, tokens: list[int]) -> int:
        """Leading `tokens` the completion sequence really holds (its record trimmed to
        the cache first, so nothing is reused that an aborted decode rolled back)."""
        model.clear_sequence(COMPLETION_SEQ, model.sequence_length(COMPLETION_SEQ))
        same = 0
        for a, b in zip(model.completion_tokens, tokens):
            if a != b:
                break
            same += 1
        return same

    def evaluate(
        self, model: LoadedModel, tokens: list[int], stable: int, max_tokens: int,
        job_id: str, budget: int | None,
    ) -> int:
        """Bring the completion sequence to `tokens` (logits of the last at index -1),
        evaluating only what follows the longest common prefix, cut back to a batch
        boundary (`stable`, where the context ends, is one) so that the batches are those a
        cold prompt is evaluated in and a warm suggestion is the cold one; the reused
        length, or -1 when the window has no room for it. Raises `Interrupted` when it
        gives way."""
        limit = min(self.held(model, tokens), len(tokens) - 1, model.completion_reusable)
        keep = reusable_with_split(limit, model.completion_split, stable)
        if len(tokens) - len(model.completion_tokens) + max_tokens > model.free_cells():
            return -1
        model.clear_sequence(COMPLETION_SEQ, keep)
        fresh = len(tokens) - keep
        if budget is not None and fresh > budget:
            raise Interrupted("busy")
        scheduler = self.scheduler
        if fresh < ABORTABLE_FROM:
            self.eval_chunks(model, tokens, keep, stable, None)
            return keep
        # A chat job stops it at once; a newer keystroke only every CHUNK tokens, so that
        # fast typing still brings the context forward a chunk per keystroke.
        self.eval_chunks(
            model, tokens, keep, stable, scheduler.urgent_waiting,
            between=lambda: scheduler.is_cancelled(job_id),
        )
        if len(model.completion_tokens) < len(tokens):
            raise Interrupted("cancelled" if scheduler.is_cancelled(job_id) else "busy")
        return keep

    @staticmethod
    def eval_chunks(
        model: LoadedModel, tokens: list[int], start: int, split: int | None,
        give_way: Callable[[], bool] | None, between: Callable[[], bool] = lambda: False,
    ) -> None:
        """Evaluate `tokens[start:]` on the completion sequence in the batches of
        `batch_plan.split_batches` (cut at `split` too); with `give_way`, stop (between
        batches, or inside one through the abort callback) as soon as it is true, keeping
        the whole batches evaluated; `between` is asked every CHUNK tokens only."""
        batch = model.new_batch(COMPLETION_CHUNK)
        since = 0
        try:
            for at, end in split_batches(start, len(tokens), split):
                if give_way is None:
                    model.eval_sequence(COMPLETION_SEQ, tokens[at:end], at, batch)
                else:
                    if give_way():
                        return
                    if since >= CHUNK:
                        if between():
                            return
                        since = 0
                    try:
                        with model.abort_when(give_way):
                            model.eval_sequence(COMPLETION_SEQ, tokens[at:end], at, batch)
                    except RuntimeError:
                        if not give_way():
                            raise
                        # Aborted: the cut batch's cells go, the whole batches before stay.
                        model.clear_sequence(COMPLETION_SEQ, len(model.completion_tokens))
                        return
                since += end - at
                if end % COMPLETION_CHUNK == 0 or end == split:
                    model.completion_reusable = end
                    if end == split:
                        model.completion_split = split
        finally:
            batch.close()

    def prefill(self, model: LoadedModel | None, job: dict[str, Any]) -> None:
        """Evaluate a completion's stable part (`<|fim_prefix|>` + context) ahead of time,
        giving way at once to any real job or completion (keeping the chunks done)."""
        if model is None:
            return
        request = {"context": job.get("context") or "", "prefix": "", "suffix": ""}
        prompt = self.prompt(model, request)
        stable = prompt.tokens[: prompt.stable]
        same = reusable_with_split(
            min(self.held(model, stable), model.completion_reusable), model.completion_split,
            len(stable))
        if same >= len(stable) or len(stable) - len(model.completion_tokens) > model.free_cells():
            return
        model.clear_sequence(COMPLETION_SEQ, same)
        self.scheduler.begin_prefill(str(job.get("session_id") or ""))
        try:
            self.eval_chunks(model, stable, same, len(stable),
                             self.scheduler.prefill_should_yield)
        except RuntimeError:
            log.exception("completion prefill failed")
            model.clear_sequence(COMPLETION_SEQ, same)  # keep nothing past what is known good
        finally:
            self.scheduler.end_prefill()
        self.prefilled_tokens += max(0, len(model.completion_tokens) - same)

    # --- answers ---------------------------------------------------------------------------

    def send_done(
        self, job_id: str, text: str, finish: str, prompt_tokens: int, produced: int,
        cached: int, started: float, first_at: float = 0.0,
    ) -> None:
        ended = time.perf_counter()
        self.channel.send({
            "type": "done",
            "id": job_id,
            "completion": {
                "text": text,
                "finish_reason": finish,
                "prompt_tokens": prompt_tokens,
                "completion_tokens": produced,
                "cached_tokens": cached,
                "worker_ttft_s": (first_at or ended) - started,
                "worker_total_s": ended - started,
            },
        })

    def send_error(self, job_id: str, error: str, message: str) -> None:
        self.channel.send({"type": "error", "id": job_id, "error": error, "message": message})
