"""The loaded model: the worker's binding to llama.cpp, and the only module importing llama_cpp.

Everything that calls llama-cpp-python or llama.cpp's C functions is here, behind
`LoadedModel`'s methods (prompt tokens, KV cache positions, saved states, the abort
callback, sequences, batches and samplers), so the rest of the worker (`main.py`,
`scheduler.py`, `kv_policy.py`, `generation.py`, `candidates.py`, `completion.py`) is
given the model as an object and never imports llama_cpp itself.

Several KV sequences share one context (`kv_unified`: all of them draw on its n_ctx
cells, so the chat keeps its whole window): sequence 0 is the chat's (its prompts and
prefills through `Llama.eval`, which keeps llama-cpp-python's token list; its answers one
`llama_decode` and one C sampler pick per token, `chat_tokens`); `COMPLETION_SEQ` holds
inline completions (so they and the chat never evict each other); `CANDIDATE_SEQS` hold
the extra candidates of one answer while it is decoded, and are cleared after it. Those
are driven with llama.cpp's batch API and C sampler chains (`decode`, `Sampler`).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import llama_cpp
import numpy as np
from jinja2 import TemplateError
from llama_cpp import Llama
from llama_cpp._internals import LlamaContext
from llama_cpp.llama_chat_format import Jinja2ChatFormatter, format_chatml

from . import gpu
from .batch_plan import PROMPT_CHUNK, BatchPlan
from .faults import die_of_sigill_at
from .protocol import physical_cores
from .sequences import CHAT_SEQ, COMPLETION_SEQ, N_SEQ

# ggml.h's `enum ggml_log_level` (llama-cpp-python's _logger.py comment is out of date):
# 3 warn, 4 error, 5 continues the previous line.
_GGML_WARN, _GGML_ERROR, _GGML_CONT = 3, 4, 5
log = logging.getLogger("jupyter_localai.worker")
# Marks where a prefill's last message would continue (a private-use character).
_MARK = "\ue000"
_MARK2 = "\ue001"


class LlamaLog:
    """Receives llama.cpp's log: everything while a model loads (so a crash shows why),
    only warnings and errors afterwards; keeps the last errors for load-failure messages.

    llama-cpp-python's `verbose=False` sends fd 2 to /dev/null while loading, which also
    hides the GGML_ASSERT line printed before an abort, so models load with `verbose=True`
    and this callback decides what is worth keeping.
    """

    def __init__(self, stream: TextIO) -> None:
        self.loading = False
        # True while the errors llama.cpp reports are the expected echo of a cancel's abort.
        self.aborting: Callable[[], bool] = lambda: False
        self.errors: collections.deque[str] = collections.deque(maxlen=4)
        self._stream = stream
        self._last_level = 0
        self._callback = llama_cpp.llama_log_callback(self._on_log)  # kept alive by self
        llama_cpp.llama_log_set(self._callback, ctypes.c_void_p(0))

    def _on_log(self, level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        level = self._last_level if level == _GGML_CONT else level
        self._last_level = level
        line = text.decode("utf-8", errors="replace")
        if level == _GGML_ERROR and self.aborting():
            return
        if level == _GGML_ERROR and line.strip():
            self.errors.append(line.strip())
        if self.loading or level in (_GGML_WARN, _GGML_ERROR):
            self._stream.write(line)
            self._stream.flush()


class LoadedModel:
    """A `Llama` plus what generation needs from it: chat template, stops, sizes."""

    # Part of every saved state's folder name: another llama.cpp may lay states out anew.
    llama_version: str = llama_cpp.__version__

    def __init__(self, spec: dict[str, Any], llama_log: LlamaLog) -> None:
        self.path = str(spec["model_path"])
        self.n_threads = int(spec.get("n_threads") or 0) or physical_cores()
        started = time.perf_counter()
        llama_log.loading = True
        try:
            self.llm = self._load(spec)
        finally:
            llama_log.loading = False
        self.llm.verbose = False  # no per-request chatter from llama-cpp-python
        self.n_seq = int(spec.get("n_seq") or N_SEQ)
        if self.n_seq > 1:
            self._multi_sequence(self.n_seq)
        # Tokens the completion sequence holds (positions 0..len-1), kept with the cache.
        self.completion_tokens: list[int] = []
        # Its leading positions evaluated in whole batches of its prompts' plan (batch_plan.py
        # `split_batches`), and where that plan's one extra cut was: what may be reused.
        self.completion_reusable = 0
        self.completion_split: int | None = None
        # The chat's leading positions evaluated in whole batches of `plan` (batch_plan.py):
        # the most a later prompt may reuse (an answer's decoded tokens never count).
        self.reusable = 0
        # How many chat tokens the context's last logits follow, when the last `llama_decode`
        # was the final batch of `eval_chunks` (0: no such logits). A prompt of exactly
        # these tokens then needs no evaluation at all: its cold evaluation would end in the
        # same batch (`plan`), with the same logits (`cached_prefix`).
        self.logits_for = 0
        # Cells the running chat answer may still claim (its candidates' too).
        self.chat_reserve = 0
        # Inline completion as plain continuation even when the vocabulary has FIM tokens.
        self.fim_disabled = spec.get("fim") is False
        self.load_time_s = time.perf_counter() - started
        self.n_ctx = self.llm.n_ctx()
        params = self.llm.model_params  # read back: what llama.cpp was given
        self.backend = gpu.offload_report(
            gpu.applied_settings(params.n_gpu_layers, params.main_gpu, params.split_mode,
                                 self.llm.tensor_split),
            bool(llama_cpp.llama_supports_gpu_offload()),
            llama_cpp.llama_print_system_info().decode("utf-8", errors="replace"),
            int(llama_cpp.llama_model_n_layer(self.llm.model)),
        )
        model = self.llm._model  # the tokenizer's special-token texts live here
        eos_id, bos_id = self.llm.token_eos(), self.llm.token_bos()
        template = self.llm.metadata.get("tokenizer.chat_template")
        self._formatter = (
            Jinja2ChatFormatter(
                template=template,
                eos_token=model.token_get_text(eos_id) if eos_id != -1 else "",
                bos_token=model.token_get_text(bos_id) if bos_id != -1 else "",
            )
            if template
            else format_chatml
        )
        self.plan = BatchPlan(self._turn_header(),
                              answer_header=self._turn_header("assistant"))

    def _load(self, spec: dict[str, Any]) -> Llama:
        die_of_sigill_at("load")
        return Llama(
            model_path=self.path,
            n_ctx=int(spec.get("n_ctx") or 8192),
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            n_batch=int(spec.get("n_batch") or PROMPT_CHUNK),
            flash_attn=bool(spec.get("flash_attn", False)),
            seed=int(spec.get("seed") or 0),
            verbose=True,  # see LlamaLog
            **gpu.llama_kwargs(spec),
        )

    def _multi_sequence(self, n_seq: int) -> None:
        """Give the context `n_seq` KV sequences over one unified cache.

        `Llama(...)` takes no n_seq_max, so its context is made anew with the same
        parameters plus these two, and the first one freed (before anything is evaluated).
        Sequence 0 computes exactly as in a one-sequence context (tests/worker prove it
        token for token): cells of other sequences are masked out of its attention.
        """
        llm = self.llm
        llm.context_params.n_seq_max = n_seq
        llm.context_params.kv_unified = True
        old = llm._ctx
        llm._ctx = LlamaContext(model=llm._model, params=llm.context_params, verbose=False)
        old.close()

    def _turn_header(self, role: str = "user") -> list[int]:
        """The tokens the chat template puts between a message's text and a following
        `role` message's text (`<|im_end|>`, newline, `<|im_start|>user`, newline in ChatML):
        where a batch boundary lets a question reuse the whole prefill before it (user), or
        a retry the whole prompt before it (assistant)."""
        first = "user" if role == "assistant" else "system"
        try:
            text = self._formatter(messages=[{"role": first, "content": _MARK},
                                             {"role": role, "content": _MARK2}]).prompt
            header = text[text.index(_MARK) + 1 : text.index(_MARK2)]
        except (ValueError, TypeError, LookupError, TemplateError) as exc:  # refused by it
            log.warning("no %s-turn boundary for prompt batches: %s", role, exc)
            return []
        return self.llm.tokenize(header.encode("utf-8"), add_bos=False, special=True)

    def prompt_tokens(self, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        """The chat-templated prompt as tokens (exactly what will be evaluated) and stops."""
        formatted = self._formatter(messages=messages)
        tokens = self.llm.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        stop = formatted.stop or []
        return tokens, [stop] if isinstance(stop, str) else list(stop)

    def prefix_tokens(self, messages: list[dict[str, str]]) -> list[int]:
        """The tokens of a prompt whose last message is still being written (a prefill).

        The chat template closes every message, so the text is rendered with a marker at
        the end of the last message and cut there: what remains is exactly how a later
        request on these messages plus its task text begins.
        """
        marked = [*messages[:-1], {**messages[-1], "content": messages[-1]["content"] + _MARK}]
        formatted = self._formatter(messages=marked)
        text = formatted.prompt[: formatted.prompt.rindex(_MARK)]
        return self.llm.tokenize(
            text.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )

    def is_end_of_generation(self, token: int) -> bool:
        """Whether `token` ends an answer (end of turn, end of text) for this vocabulary."""
        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))

    @contextlib.contextmanager
    def abort_when(self, stop: Callable[[], bool]) -> Iterator[None]:
        """Inside the block, llama.cpp polls `stop` between graph nodes and abandons an
        evaluation (`llama_decode` returns 2, a RuntimeError) as soon as it is true.

        Set only around the evaluations that may take seconds (a prompt, a prefill): per
        node it costs a Python call, too much for every decoded token.
        """
        ctx = self.llm._ctx.ctx
        callback = llama_cpp.ggml_abort_callback(lambda _data: stop())
        llama_cpp.llama_set_abort_callback(ctx, callback, None)
        try:
            yield
        finally:
            llama_cpp.llama_set_abort_callback(ctx, llama_cpp.ggml_abort_callback(), None)

    def kv_positions(self) -> int:
        """Positions sequence 0 holds in the KV cache (llama.cpp's view, not the Python one)."""
        memory = llama_cpp.llama_get_memory(self.llm._ctx.ctx)
        return int(llama_cpp.llama_memory_seq_pos_max(memory, 0)) + 1

    def invalidate(self) -> None:
        """Forget the KV cache entirely: nothing may be reused after a failed evaluation."""
        self.llm._ctx.kv_cache_clear()
        self.llm.n_tokens = 0
        self.reusable = self.logits_for = 0
        self.completion_tokens = []
        self.completion_reusable, self.completion_split = 0, None

    def forget_chat(self) -> None:
        """Empty sequence 0 only (the completion sequence stays warm)."""
        self.clear_sequence(CHAT_SEQ)
        self.llm.n_tokens = 0
        self.reusable = self.logits_for = 0

    def truncate(self, keep: int) -> None:
        """Keep the first `keep` positions of the KV cache, to evaluate what follows anew."""
        self.llm._ctx.kv_cache_seq_rm(-1, keep, -1)
        self.llm.n_tokens = keep
        self.reusable = min(self.reusable, keep)
        if keep != self.logits_for:
            self.logits_for = 0

    def keep_reusable(self) -> None:
        """Drop the chat's positions past its reusable prefix (an answer's decoded tokens,
        a prompt's last partial batch): nothing will reuse them, and a saved state then
        holds only what a later prompt may reuse."""
        if self.llm.n_tokens > self.reusable:
            self.clear_sequence(CHAT_SEQ, self.reusable)
            self.llm.n_tokens = self.reusable
            self.logits_for = 0

    def eval_chunks(self, tokens: list[int], start: int) -> None:
        """Evaluate `tokens[start:]` (`start` a boundary of `plan`, the cache holding
        `tokens[:start]`) in the plan's batches, as a cold prompt is evaluated, so the
        cache holds the same values whatever was reused. An abort (RuntimeError) keeps the
        batches done."""
        at = start
        for end, boundary in self.plan.batches(tokens, start):
            self.logits_for = 0
            self.llm.eval(tokens[at:end])
            if boundary:
                self.reusable = end
            at = end
        if at > start:
            self.logits_for = at

    def make_consistent(self) -> None:
        """Keep only what both llama-cpp-python's token list and the KV cache hold.

        After an aborted or failed `llama_decode` the two can disagree; a prompt would then
        "reuse" a prefix that is not there. Positions beyond the shorter are removed.
        """
        held = self.kv_positions()
        if held != self.llm.n_tokens:
            self.logits_for = 0
        if held < self.llm.n_tokens:
            self.invalidate()
        elif held > self.llm.n_tokens:
            self.llm._ctx.kv_cache_seq_rm(-1, self.llm.n_tokens, -1)
        self.reusable = min(self.reusable, self.llm.n_tokens)

    def save_state(self) -> tuple[np.ndarray, bytes] | None:
        """The KV state of sequence 0 and the tokens it holds (raw llama.cpp calls)."""
        llm = self.llm
        if llm.n_tokens == 0 or self.kv_positions() != llm.n_tokens:
            return None
        ctx = llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buffer = bytearray(size)  # writable, so llama.cpp writes into it through from_buffer
        written = llama_cpp.llama_state_seq_get_data(
            ctx, (ctypes.c_uint8 * size).from_buffer(buffer), size, 0)
        if not written:
            return None
        del buffer[written:]
        return llm.input_ids[: llm.n_tokens].copy(), bytes(buffer)

    def restore_state(self, tokens: np.ndarray, data: bytes) -> bool:
        """Replace the KV cache with a saved state; False (and a cold cache) if it does not fit."""
        llm = self.llm
        self.forget_chat()
        source = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        read = llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, source, len(data), 0)
        if not read or self.kv_positions() != len(tokens):
            self.forget_chat()
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        # States are saved after `keep_reusable` (their folder name says how batches were
        # cut); should one hold more, only its whole batches are trusted.
        self.reusable = self.plan.last_boundary(tokens, len(tokens))
        llm._requires_eval = True  # the logits are not those of the restored tokens
        return True

    def cached_prefix(self, tokens: list[int], *, need_logits: bool = True) -> int:
        """Prompt tokens the KV cache holds and may reuse: the shared prefix, cut to the
        last batch boundary in it (`plan`) and, with `need_logits`, leaving the last token
        to evaluate for its logits; all of them when the last evaluation was of exactly
        these tokens (a prefill of the whole prompt: `logits_for`)."""
        if (need_logits and self.logits_for == len(tokens) == self.llm.n_tokens
                and np.array_equal(self.llm.input_ids[: len(tokens)], tokens)):
            return len(tokens)  # evaluated as this very prompt, its logits still there
        length = min(self.llm.n_tokens, len(tokens), self.reusable)
        # numpy, not a Python loop: this runs before every answer's first token.
        differ = np.flatnonzero(self.llm.input_ids[:length] != np.asarray(tokens[:length]))
        same = int(differ[0]) if differ.size else length
        if need_logits:
            same = min(same, max(len(tokens) - 1, 0))
        # The boundaries up to `same` depend only on those shared tokens, so the cache's
        # batches there are the ones this prompt would be evaluated in.
        return self.plan.last_boundary(tokens, same)

    # --- sequences other than the chat's, driven with llama.cpp's batch API --------------

    def free_cells(self) -> int:
        """KV cells left for a completion: the window less the chat's positions, what a
        running answer may still add (`chat_reserve`) and the completion sequence's."""
        chat = max(self.kv_positions(), self.llm.n_tokens)
        return self.n_ctx - chat - self.chat_reserve - len(self.completion_tokens)

    def copy_sequence(self, source: int, target: int, length: int) -> None:
        """Let `target` share `source`'s first `length` positions (same cells, no copy)."""
        memory = llama_cpp.llama_get_memory(self.llm._ctx.ctx)
        llama_cpp.llama_memory_seq_rm(memory, target, -1, -1)
        llama_cpp.llama_memory_seq_cp(memory, source, target, 0, length)

    def sequence_length(self, seq: int) -> int:
        """Positions `seq` holds in the KV cache (llama.cpp's view), against which the
        completion sequence's record of its tokens is checked."""
        memory = llama_cpp.llama_get_memory(self.llm._ctx.ctx)
        return int(llama_cpp.llama_memory_seq_pos_max(memory, seq)) + 1

    def clear_sequence(self, seq: int, keep: int = 0) -> None:
        """Drop `seq`'s positions from `keep` on (all of them by default)."""
        memory = llama_cpp.llama_get_memory(self.llm._ctx.ctx)
        llama_cpp.llama_memory_seq_rm(memory, seq, keep, -1)
        if seq == COMPLETION_SEQ:
            del self.completion_tokens[keep:]
            self.completion_reusable = min(self.completion_reusable, keep)
            if self.completion_split is not None and self.completion_split > keep:
                self.completion_split = None

    def decode(self, entries: list[tuple[int, int, int]], batch: Batch) -> None:
        """One `llama_decode` of `(seq, position, token)` entries, logits for each entry.

        Raises RuntimeError when llama.cpp refuses (no free cells) or was aborted.
        """
        batch.fill(entries, logits="all")
        self.logits_for = 0
        code = llama_cpp.llama_decode(self.llm._ctx.ctx, batch.batch)
        if code != 0:
            raise RuntimeError(f"llama_decode returned {code}")
        self.completion_tokens.extend(t for seq, _, t in entries if seq == COMPLETION_SEQ)

    def eval_sequence(self, seq: int, tokens: list[int], start: int, batch: Batch) -> None:
        """Evaluate `tokens` at positions `start`.. of `seq` in batches of `batch.size`;
        the last token's logits are at index -1 afterwards."""
        for at in range(0, len(tokens), batch.size):
            chunk = tokens[at : at + batch.size]
            entries = [(seq, start + at + i, token) for i, token in enumerate(chunk)]
            batch.fill(entries, logits="last")
            self.logits_for = 0
            code = llama_cpp.llama_decode(self.llm._ctx.ctx, batch.batch)
            if code != 0:
                raise RuntimeError(f"llama_decode returned {code}")
            if seq == COMPLETION_SEQ:
                self.completion_tokens.extend(chunk)

    def evaluate_prompt(self, tokens: list[int], stop: Callable[[], bool]) -> None:
        """The prompt on the chat's sequence in the batches of `plan`, its cached prefix
        reused up to a boundary (at least the last token is evaluated anew, for its
        logits, unless a prefill evaluated this very prompt last: `logits_for`); `stop`
        aborts it between graph nodes. May raise RuntimeError (aborted or
        failed), the cache then left for the caller to make consistent."""
        keep = self.cached_prefix(tokens)
        self.truncate(keep)
        with self.abort_when(stop):
            self.eval_chunks(tokens, keep)

    def chat_tokens(self, sampler: Sampler) -> Iterator[int]:
        """The answer's tokens after `evaluate_prompt`, each picked by llama.cpp's C sampler
        chain from the last logits; a token goes into the chat's cache (one `llama_decode`)
        only when the caller asks for the next one, as with `Llama.generate`.

        Per token: two fields of a one-entry batch, `llama_decode`, `llama_sampler_sample`
        and the token list's bookkeeping; nothing else runs in Python.
        """
        llm, ctx, chain = self.llm, self.llm._ctx.ctx, sampler.chain
        decode, sample = llama_cpp.llama_decode, llama_cpp.llama_sampler_sample
        batch = Batch(1)
        one = batch.batch
        one.n_tokens, one.n_seq_id[0], one.seq_id[0][0], one.logits[0] = 1, 1, CHAT_SEQ, True
        ids = llm.input_ids
        try:
            token = int(sample(chain, ctx, -1))
            self.logits_for = 0  # the next decode replaces the logits
            while True:
                yield token
                position = llm.n_tokens
                one.token[0], one.pos[0] = token, position
                code = decode(ctx, one)
                if code != 0:
                    raise RuntimeError(f"llama_decode returned {code}")
                ids[position] = token
                llm.n_tokens = position + 1
                token = int(sample(chain, ctx, -1))
        finally:
            batch.close()

    def new_batch(self, size: int) -> Batch:
        return Batch(size)

    def sampler(self, temperature: float, seed: int, top_p: float = 1.0) -> Sampler:
        """A sampler that picks exactly as `Llama.generate` does with these settings."""
        return Sampler(temperature, seed, top_p)

    def sample(self, sampler: Sampler, index: int) -> int:
        """The next token from the logits of batch entry `index` (-1: the last)."""
        return int(llama_cpp.llama_sampler_sample(sampler.chain, self.llm._ctx.ctx, index))

    def token_bytes(self, token: int) -> bytes:
        return self.llm.detokenize([token])

    def tokenize_text(self, text: str, *, add_bos: bool = False) -> list[int]:
        """Plain text as tokens (special-token texts in it stay text)."""
        return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=False)

    def vocab_texts(self) -> Iterator[tuple[int, str]]:
        """Every token id with its text, for looking up special tokens by name."""
        vocab = self.llm._model.vocab
        for token in range(int(llama_cpp.llama_vocab_n_tokens(vocab))):
            yield token, llama_cpp.llama_vocab_get_text(vocab, token).decode(
                "utf-8", errors="replace")

    def adds_bos(self) -> bool:
        return bool(llama_cpp.llama_vocab_get_add_bos(self.llm._model.vocab))


class Batch:
    """A `llama_batch` of up to `size` entries, one sequence each, freed with the object."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.batch = llama_cpp.llama_batch_init(size, 0, 1)

    def fill(self, entries: list[tuple[int, int, int]], logits: str) -> None:
        batch = self.batch
        batch.n_tokens = len(entries)
        for i, (seq, position, token) in enumerate(entries):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq
            batch.logits[i] = logits == "all" or i == len(entries) - 1

    def close(self) -> None:
        if self.batch is not None:
            llama_cpp.llama_batch_free(self.batch)
            self.batch = None

    def __del__(self) -> None:
        self.close()


class Sampler:
    """A llama.cpp sampler chain: greedy at temperature 0, else the chain `Llama.generate`
    builds (top-k 40, typical 1, top-p, min-p 0.05, temperature, seeded dist), so the
    same logits give the same tokens as the chat path."""

    def __init__(self, temperature: float, seed: int, top_p: float = 1.0) -> None:
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        if temperature <= 0.0:
            parts = [llama_cpp.llama_sampler_init_greedy()]
        else:
            parts = [
                llama_cpp.llama_sampler_init_top_k(40),
                llama_cpp.llama_sampler_init_typical(1.0, 1),
                llama_cpp.llama_sampler_init_top_p(top_p, 1),
                llama_cpp.llama_sampler_init_min_p(0.05, 1),
                llama_cpp.llama_sampler_init_temp(temperature),
                llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF),
            ]
        for part in parts:
            llama_cpp.llama_sampler_chain_add(chain, part)  # the chain owns its parts
        self.chain = chain

    def close(self) -> None:
        if self.chain is not None:
            llama_cpp.llama_sampler_free(self.chain)
            self.chain = None

    def __del__(self) -> None:
        self.close()
