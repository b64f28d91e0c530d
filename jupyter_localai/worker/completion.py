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
tokens after their longest common prefix with it, so after `prefill_completion` evaluated
the stable context, a keystroke costs its own few tokens. A completion ends at its
`max_tokens`, a stop string, the model's end of generation or after `max_lines` lines.

The model is passed in: this module never imports llama_cpp.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from .fim import CompletionPrompt, FimTokens, completion_prompt, find_fim_tokens
from .protocol import BAD_REQUEST, CONTEXT_OVERFLOW, INTERNAL, MODEL_LOAD, Channel
from .scheduler import Scheduler
from .sequences import COMPLETION_SEQ
from .text_stream import TextStream

if TYPE_CHECKING:
    from .llama_model import LoadedModel

log = logging.getLogger("jupyter_localai.worker")
# A completion stops after this many lines unless the request says otherwise.
MAX_LINES = 6


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
            self.complete(model, job)

    def complete(self, model: LoadedModel | None, job: dict[str, Any]) -> None:
        """Serve one `complete` job: stream its text, or say why not."""
        job_id = str(job.get("id"))
        try:
            if self.scheduler.is_cancelled(job_id):
                self.send_done(job_id, "", "cancelled", 0, 0, 0, time.perf_counter())
            elif model is None:
                self.send_error(job_id, MODEL_LOAD, "no model is loaded")
            else:
                self.run(model, job_id, job.get("request") or {})
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

    def run(self, model: LoadedModel, job_id: str, request: dict[str, Any]) -> None:
        started = time.perf_counter()
        max_tokens = max(1, int(request.get("max_tokens") or 64))
        max_lines = max(1, int(request.get("max_lines") or MAX_LINES))
        stops = [s for s in request.get("stop") or [] if isinstance(s, str) and s]
        tokens = self.prompt(model, request).tokens
        keep = self.evaluate(model, tokens, max_tokens)
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
        cut = False
        try:
            position = len(tokens)
            while produced < max_tokens:
                token = model.sample(sampler, -1)
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

    def evaluate(self, model: LoadedModel, tokens: list[int], max_tokens: int) -> int:
        """Bring the completion sequence to `tokens` (logits of the last at index -1),
        evaluating only what follows the longest common prefix; the reused length, or -1
        when the window has no room for it."""
        held = model.completion_tokens
        same = 0
        for a, b in zip(held, tokens):
            if a != b:
                break
            same += 1
        keep = min(same, len(tokens) - 1)  # the last token anew: its logits are needed
        if len(tokens) - len(held) + max_tokens > model.free_cells():
            return -1
        model.clear_sequence(COMPLETION_SEQ, keep)
        batch = model.new_batch(min(512, max(1, len(tokens) - keep)))
        try:
            model.eval_sequence(COMPLETION_SEQ, tokens[keep:], keep, batch)
        finally:
            batch.close()
        return keep

    def prefill(self, model: LoadedModel | None, job: dict[str, Any]) -> None:
        """Evaluate a completion's stable part (`<|fim_prefix|>` + context) ahead of time,
        giving way at once to any real job or completion."""
        if model is None:
            return
        request = {"context": job.get("context") or "", "prefix": "", "suffix": ""}
        prompt = self.prompt(model, request)
        stable = prompt.tokens[: prompt.stable]
        held = model.completion_tokens
        same = 0
        for a, b in zip(held, stable):
            if a != b:
                break
            same += 1
        if same >= len(stable) or len(stable) - len(held) > model.free_cells():
            return
        model.clear_sequence(COMPLETION_SEQ, same)
        batch = model.new_batch(min(512, len(stable) - same))
        try:
            with model.abort_when(self.scheduler.prefill_should_yield):
                model.eval_sequence(COMPLETION_SEQ, stable[same:], same, batch)
        except RuntimeError:
            # Aborted for a real job (or failed): keep nothing past what is known good.
            model.clear_sequence(COMPLETION_SEQ, same)
        finally:
            batch.close()
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
