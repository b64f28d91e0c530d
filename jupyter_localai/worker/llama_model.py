"""The loaded model: the worker's binding to llama.cpp, and the only module importing llama_cpp.

Everything that calls llama-cpp-python or llama.cpp's C functions is here, behind
`LoadedModel`'s methods (prompt tokens, KV cache positions, saved states, the abort
callback), so the rest of the worker (`main.py`, `scheduler.py`, `kv_policy.py`,
`generation.py`) is given the model as an object and never imports llama_cpp itself.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter, format_chatml

from . import gpu
from .faults import die_of_sigill_at
from .protocol import physical_cores

# ggml.h's `enum ggml_log_level` (llama-cpp-python's _logger.py comment is out of date):
# 3 warn, 4 error, 5 continues the previous line.
_GGML_WARN, _GGML_ERROR, _GGML_CONT = 3, 4, 5
# Marks where a prefill's last message would continue (a private-use character).
_MARK = "\ue000"


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

    def _load(self, spec: dict[str, Any]) -> Llama:
        die_of_sigill_at("load")
        return Llama(
            model_path=self.path,
            n_ctx=int(spec.get("n_ctx") or 8192),
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            n_batch=int(spec.get("n_batch") or 512),
            flash_attn=bool(spec.get("flash_attn", False)),
            seed=int(spec.get("seed") or 0),
            verbose=True,  # see LlamaLog
            **gpu.llama_kwargs(spec),
        )

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

    def truncate(self, keep: int) -> None:
        """Keep the first `keep` positions of the KV cache, to evaluate what follows anew."""
        self.llm._ctx.kv_cache_seq_rm(-1, keep, -1)
        self.llm.n_tokens = keep

    def make_consistent(self) -> None:
        """Keep only what both llama-cpp-python's token list and the KV cache hold.

        After an aborted or failed `llama_decode` the two can disagree; a prompt would then
        "reuse" a prefix that is not there. Positions beyond the shorter are removed.
        """
        held = self.kv_positions()
        if held < self.llm.n_tokens:
            self.invalidate()
        elif held > self.llm.n_tokens:
            self.llm._ctx.kv_cache_seq_rm(-1, self.llm.n_tokens, -1)

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
        self.invalidate()
        source = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        read = llama_cpp.llama_state_seq_set_data(llm._ctx.ctx, source, len(data), 0)
        if not read or self.kv_positions() != len(tokens):
            self.invalidate()
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        llm._requires_eval = True  # the logits are not those of the restored tokens
        return True

    def cached_prefix(self, tokens: list[int]) -> int:
        """Prompt tokens the KV cache already holds (what `Llama.generate` will reuse)."""
        length = min(self.llm.n_tokens, len(tokens))
        # numpy, not a Python loop: this runs before every answer's first token.
        differ = np.flatnonzero(self.llm.input_ids[:length] != np.asarray(tokens[:length]))
        same = int(differ[0]) if differ.size else length
        return min(same, max(len(tokens) - 1, 0))
