"""Evaluations on the loaded model: answers streamed token by token, and prefills.

Consecutive prompts that share a prefix reuse the KV cache (the longest common prefix,
as llama-cpp-python's `generate` keeps it); a saved state is restored first when it shares more
(`kv_policy.py`). A cancel stops an answer at the next token, or its prompt's evaluation
at the next graph node; a prefill gives way at once to any real job. An aborted or failed
evaluation is never reused. The model is passed in: this module never imports llama_cpp.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .candidates import CandidateDecoder
from .faults import die_of_sigill_at
from .kv_policy import KVPolicy
from .paced_sender import STREAM_INTERVAL_S, PacedSender
from .protocol import CONTEXT_OVERFLOW, INTERNAL, MODEL_LOAD, Channel
from .scheduler import Scheduler
from .sequences import COMPLETION_SEQ, MAX_CANDIDATES
from .text_stream import TextStream

if TYPE_CHECKING:
    from .llama_model import LoadedModel

log = logging.getLogger("jupyter_localai.worker")


class Generator:
    """Runs `generate` and `prefill` jobs on the main thread and reports them on `channel`."""

    def __init__(
        self,
        channel: Channel,
        scheduler: Scheduler,
        kv: KVPolicy,
        warm_stats: Callable[[], dict[str, Any]],
        between_tokens: Callable[[LoadedModel], None] = lambda model: None,
        stream_interval: float = STREAM_INTERVAL_S,
    ) -> None:
        self.channel = channel
        self.scheduler = scheduler
        self.kv = kv
        self.warm_stats = warm_stats
        # Called after each streamed token: serves a waiting inline completion on its own
        # sequence (`completion.py`), so completions never queue behind a long answer.
        self.between_tokens = between_tokens
        # An answer's pieces go out at most this often (the first at once): `paced_sender.py`.
        self.stream_interval = stream_interval
        self.served = 0

    def send_error(self, job_id: Any, error: str, message: str) -> None:
        self.channel.send({"type": "error", "id": job_id, "error": error, "message": message})

    # --- answers ---------------------------------------------------------------------------

    def answer(self, model: LoadedModel | None, job: dict[str, Any]) -> None:
        """Serve a `generate` job: stream its answer, or say why not."""
        job_id = str(job["id"])
        if self.scheduler.is_cancelled(job_id):  # cancelled while it waited in the queue
            self.scheduler.forget_cancel(job_id)
            return
        if model is None:
            self.send_error(job_id, MODEL_LOAD, "no model is loaded")
            return
        self.scheduler.current = job_id
        try:
            self.generate(model, job_id, job["request"])
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:
            log.exception("generation %s failed", job_id)
            model.invalidate()  # a half-done evaluation leaves nothing reusable
            self.send_error(job_id, INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            self.scheduler.current = None
            self.scheduler.forget_cancel(job_id)
            self.served += 1

    def generate(self, model: LoadedModel, job_id: str, request: dict[str, Any]) -> None:
        started = time.perf_counter()
        tokens, stops = model.prompt_tokens(request["messages"])
        stops += [s for s in request.get("stop") or [] if s]
        max_tokens = int(request.get("max_tokens") or 512)
        if len(tokens) + max_tokens > model.n_ctx:
            self.send_error(
                job_id,
                CONTEXT_OVERFLOW,
                f"the prompt has {len(tokens)} tokens and the answer may take {max_tokens}, "
                f"but the context window holds {model.n_ctx}. Shorten the prompt (less "
                "notebook context), lower max_tokens, or raise LocalAI.n_ctx.",
            )
            return
        session = request.get("session_id") or None
        model.make_consistent()
        n = self.candidates_that_fit(model, request, len(tokens), max_tokens)
        if len(tokens) + n * max_tokens + len(model.completion_tokens) > model.n_ctx:
            model.clear_sequence(COMPLETION_SEQ)  # the chat's window comes first
        self.kv.use_best_state(model, tokens, session)
        cached = model.cached_prefix(tokens)
        self.channel.send(
            {"type": "started", "id": job_id, "prompt_tokens": len(tokens), "cached_tokens": cached}
        )
        die_of_sigill_at("generate")  # where an AMX build's first matrix product traps
        cancelled = self.scheduler.is_cancelled
        decoder = None
        if n > 1:
            decoder = CandidateDecoder(
                model, tokens, request, n, stops, max_tokens, lambda: cancelled(job_id))
        model.chat_reserve = n * max_tokens
        try:
            self.stream_answer(model, job_id, tokens, request, stops, max_tokens, cached,
                               started, decoder)
        finally:
            model.chat_reserve = 0
            if decoder is not None:
                decoder.close()
        model.keep_reusable()  # the answer's own tokens are never reused
        self.kv.save_state(model, session)
        self.channel.send({"type": "warm", "stats": self.warm_stats()})  # after the answer is out: costs no latency

    @staticmethod
    def candidates_that_fit(
        model: LoadedModel, request: dict[str, Any], prompt: int, max_tokens: int
    ) -> int:
        """Candidates asked for, at most `MAX_CANDIDATES` and as many as the window holds
        (each needs `max_tokens` cells of its own); at least the one answer."""
        wanted = max(1, min(int(request.get("n_candidates") or 1), MAX_CANDIDATES))
        if model.n_seq < 2 + wanted - 1:
            return 1
        return max(1, min(wanted, (model.n_ctx - prompt) // max(1, max_tokens)))

    def stream_answer(
        self,
        model: LoadedModel,
        job_id: str,
        tokens: list[int],
        request: dict[str, Any],
        stops: list[str],
        max_tokens: int,
        cached: int,
        started: float,
        decoder: CandidateDecoder | None,
    ) -> None:
        """Stream candidate 0 (the answer) token by token, then finish the other
        candidates, and send `done` with every candidate's text."""
        llm = model.llm
        stream = TextStream(stops)
        sender = PacedSender(
            lambda text: self.channel.send({"type": "token", "id": job_id, "text": text}),
            self.stream_interval)
        finish, produced, first_at = "length", 0, 0.0
        cancelled = self.scheduler.is_cancelled
        source = (
            self.candidate_tokens(model, job_id, decoder) if decoder is not None
            else self.sampled_tokens(model, job_id, tokens, request)
        )
        for token in source:
            if model.is_end_of_generation(token):
                finish = "stop"
                break
            produced += 1
            piece, hit_stop = stream.feed(llm.detokenize([token]))
            if piece:
                if not first_at:
                    first_at = time.perf_counter()
                sender.add(piece)
            if hit_stop:
                finish = "stop"
                break
            if cancelled(job_id):
                finish = "cancelled"
                break
            if produced >= max_tokens:
                break
            self.between_tokens(model)
        else:
            if produced < max_tokens:  # the prompt's evaluation was aborted by a cancel
                finish = "cancelled"
        source.close()  # frees the sampler and batch now, not when collected
        if finish == "cancelled" and produced == 0:
            model.invalidate()  # the prompt's evaluation was cut: keep nothing of it
        tail = "" if finish == "stop" and stream.stopped else stream.flush()
        sender.add(tail)
        sender.flush()
        completion: dict[str, Any] = {
            "text": stream.text,
            "finish_reason": finish,
            "prompt_tokens": len(tokens),
            "completion_tokens": produced,
            "cached_tokens": cached,
        }
        if decoder is not None:
            if finish != "cancelled":
                decoder.finish_others(lambda: self.between_tokens(model))
            completion["candidates"] = decoder.texts(stream.text)
        ended = time.perf_counter()
        completion["worker_ttft_s"] = (first_at or ended) - started
        completion["worker_total_s"] = ended - started
        self.channel.send({"type": "done", "id": job_id, "completion": completion})

    def candidate_tokens(
        self, model: LoadedModel, job_id: str, decoder: CandidateDecoder
    ) -> Iterator[int]:
        """Candidate 0's tokens, the prompt's evaluation interruptible by a cancel (as
        `sampled_tokens`)."""
        self.scheduler.evaluating_prompt = True
        try:
            decoder.evaluate_prompt()
        except RuntimeError:  # aborted, or failed: nothing of a cut evaluation is reused
            model.invalidate()
            if not self.scheduler.is_cancelled(job_id):
                raise
            return
        finally:
            self.scheduler.evaluating_prompt = False
        yield from decoder.tokens()

    def sampled_tokens(
        self, model: LoadedModel, job_id: str, prompt: list[int], request: dict[str, Any]
    ) -> Iterator[int]:
        """The answer's tokens: the prompt evaluated in batches, then one `llama_decode` and
        one pick of llama.cpp's C sampler chain per token (`LoadedModel.chat_tokens`).

        The chain is the one `Llama.generate` builds for these settings (greedy at
        temperature 0; else top-k 40, top-p, min-p 0.05, temperature, seeded dist), so a
        request and seed answer the same tokens as through it, without its per-token Python
        (a batch rebuilt in Python, a KV removal over every sequence, the sampler wrapper).
        A cold notebook prompt takes seconds to evaluate; llama.cpp polls the abort callback
        between graph nodes, so a cancel stops it at once. The callback is set only until
        the first token.
        """
        cancelled = self.scheduler.is_cancelled
        self.scheduler.evaluating_prompt = True
        try:
            model.evaluate_prompt(prompt, lambda: cancelled(job_id))
        except RuntimeError:  # llama_decode returned 2: aborted, or failed
            # Whatever the KV cache holds, nothing of a cut evaluation may be reused.
            model.invalidate()
            if not cancelled(job_id):
                raise
            return
        finally:
            self.scheduler.evaluating_prompt = False
        sampler = model.sampler(float(request.get("temperature") or 0.0),
                                int(request.get("seed") or 0),
                                float(request.get("top_p") or 1.0))
        try:
            yield from model.chat_tokens(sampler)
        finally:
            sampler.close()

    # --- prefills --------------------------------------------------------------------------

    def prefill(self, model: LoadedModel | None, job: dict[str, Any]) -> None:
        """Extend the KV cache with a notebook's context, yielding to any real job."""
        if model is None:
            return
        started = time.perf_counter()
        session = job.get("session_id") or None
        try:
            # A whole prompt (a likely next question) is cut as a request's is.
            tokens = (model.prompt_tokens(job["messages"])[0] if job.get("whole")
                      else model.prefix_tokens(job["messages"]))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("prefill refused: %s", exc)
            return
        if not tokens or len(tokens) >= model.n_ctx - 64:
            return
        self.kv.use_best_state(model, tokens, session)
        llm = model.llm
        scheduler, warm = self.scheduler, self.scheduler.warm
        whole = bool(job.get("whole"))
        scheduler.begin_prefill(str(session or ""), job["messages"], whole)
        keep = model.cached_prefix(tokens, need_logits=False)
        evaluated = 0
        if keep < len(tokens):
            model.truncate(keep)
            # A whole prompt's last turn is evaluated apart: a question that shares only
            # the context before it stops the prefill there (a batch boundary).
            last_turn = max([at for at in model.plan.turn_starts(tokens) if at < len(tokens)]
                            or [0]) if whole else 0
            try:
                with model.abort_when(scheduler.prefill_should_yield):
                    if keep < last_turn:
                        model.eval_chunks(tokens[:last_turn], keep)
                    if not scheduler.context_followed():
                        scheduler.prefill_in_last_turn = True
                        model.eval_chunks(tokens, max(keep, last_turn))
                if llm.n_tokens < len(tokens):  # stopped for a question on the context
                    warm["prefills_preempted"] += 1
            except RuntimeError:
                # Aborted for a real request, a busy kernel (or failed): keep the whole
                # batches evaluated.
                warm["prefills_paused" if scheduler.prefill_stop else "prefills_preempted"] += 1
                model.make_consistent()
            finally:
                scheduler.end_prefill()  # also when eval raises something unexpected
            evaluated = max(0, llm.n_tokens - keep)
            warm["prefill_tokens"] += evaluated
        scheduler.end_prefill()
        # The counters change together, before the state is saved: a status read from the
        # reader thread must never see a prefill done whose seconds are not counted yet.
        warm["prefill_seconds"] += time.perf_counter() - started
        if llm.n_tokens >= len(tokens):  # the whole prefix is in the cache now
            warm["prefills_done"] += 1
            if evaluated:
                self.kv.save_state(model, session)
        self.channel.send({"type": "warm", "stats": self.warm_stats()})
