"""The model worker: `python -m jupyter_localai.worker.main --fd N`.

The only module of the package that imports llama_cpp. It runs in its own process because
llama.cpp aborts the whole process on some malformed files and internal assertions; a crash
here costs one answer, not the user's kernel or Jupyter server.

One `Llama` object, driven by the main thread only (several threads driving one object
crashed every time). A reader thread takes messages off the socket: it answers `status`
and `tokenize` at once and marks cancellations, while `generate` and `load` wait in a
queue and run in arrival order. Consecutive prompts that share a prefix reuse the KV cache
(llama-cpp-python's `generate` keeps the longest common prefix).

Always warm: each notebook's KV state is saved after its answers and prefills
(`kv_states.py`) and restored when a prompt shares more with it than with the cache;
prefills (a notebook's context after a cell ran) run only when no real job waits and are
aborted at once when one arrives. An aborted or failed evaluation is never reused.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import llama_cpp
import numpy as np
from llama_cpp import Llama
from llama_cpp.llama_chat_format import Jinja2ChatFormatter, format_chatml

from . import gpu
from .faults import die_of_sigill_at
from .kv_states import KVStateStore, file_sha256, private_dir, shared_prefix
from .protocol import BAD_REQUEST, CONTEXT_OVERFLOW, INTERNAL, MODEL_LOAD, Channel, physical_cores
from .text_stream import TextStream

log = logging.getLogger("jupyter_localai.worker")
# ggml.h's `enum ggml_log_level` (llama-cpp-python's _logger.py comment is out of date):
# 3 warn, 4 error, 5 continues the previous line.
_GGML_WARN, _GGML_ERROR, _GGML_CONT = 3, 4, 5
# Marks where a prefill's last message would continue (a private-use character).
_MARK = "\ue000"
# Restoring a saved state costs milliseconds; only worth it for a real gain in tokens.
_RESTORE_MIN_GAIN = 16


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

    def kv_positions(self) -> int:
        """Positions sequence 0 holds in the KV cache (llama.cpp's view, not the Python one)."""
        memory = llama_cpp.llama_get_memory(self.llm._ctx.ctx)
        return int(llama_cpp.llama_memory_seq_pos_max(memory, 0)) + 1

    def invalidate(self) -> None:
        """Forget the KV cache entirely: nothing may be reused after a failed evaluation."""
        self.llm._ctx.kv_cache_clear()
        self.llm.n_tokens = 0

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


class Worker:
    """Serves one socket: a reader thread for control messages, the main thread for the model."""

    def __init__(self, channel: Channel, llama_log: LlamaLog) -> None:
        self.channel = channel
        self.llama_log = llama_log
        llama_log.aborting = self.aborting
        self.model: LoadedModel | None = None
        self.model_lock = threading.Lock()  # held while the model is (re)loaded
        self.jobs: queue.Queue[dict[str, Any]] = queue.Queue()
        self.cancelled: set[str] = set()
        self.current: str | None = None
        self.served = 0
        # A tokenize must wait for a model about to load; each counter has one writer thread.
        self.loads_queued = 0
        self.loads_done = 0
        # Real jobs waiting (a prefill yields to them); written by reader / main thread.
        self.urgent_in = 0
        self.urgent_out = 0
        # Prefills wait here, one per notebook (a newer one replaces the older).
        self.prefills: dict[str, dict[str, Any]] = {}
        self.prefills_lock = threading.Lock()
        # The notebook whose prefill runs now, and whether its kernel asked to stop it.
        self.prefilling: str | None = None
        self.prefill_stop = False
        self.states: KVStateStore | None = None
        self.warm = {
            "prefills_done": 0,
            "prefills_preempted": 0,
            "prefills_coalesced": 0,
            "prefills_paused": 0,
            "prefill_tokens": 0,
            "prefill_seconds": 0.0,
        }

    def aborting(self) -> bool:
        """True while llama.cpp's errors are the expected echo of our own abort (a cancel,
        or a prefill giving way), which the log need not repeat."""
        if self.current is not None and self.current in self.cancelled:
            return True
        return self.prefilling is not None and (self.urgent_waiting() or self.prefill_stop)

    # --- reader thread -------------------------------------------------------------------

    def read_loop(self) -> None:
        """Handle control messages at once; queue the rest. Exits the process on EOF."""
        try:
            for message in self.channel:
                self.dispatch(message)
        except (OSError, ValueError) as exc:
            log.error("worker channel failed: %s", exc)
        # The client is gone (closed or died): nothing left to serve.
        os._exit(0)

    def dispatch(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op == "cancel":
            self.cancelled.add(str(message.get("id")))
        elif op == "status":
            self.channel.send({"type": "status", "id": message.get("id"), **self.status()})
        elif op == "tokenize" and self.loads_queued == self.loads_done:
            self.tokenize(message)
        elif op == "prefill":
            key = str(message.get("session_id") or "")
            with self.prefills_lock:
                if key in self.prefills:
                    self.warm["prefills_coalesced"] += 1
                self.prefills[key] = message
            self.jobs.put({"op": "wake"})
        elif op == "pause_prefill":
            # A cell starts computing in that notebook's kernel: the CPU is the user's.
            key = str(message.get("session_id") or "")
            with self.prefills_lock:
                if self.prefills.pop(key, None) is not None:
                    self.warm["prefills_paused"] += 1
                if self.prefilling == key:
                    self.prefill_stop = True
        elif op in ("generate", "load", "reset", "shutdown", "tokenize"):
            if op == "load":
                self.loads_queued += 1
            self.urgent_in += 1
            self.jobs.put(message)
        else:
            self.channel.send(
                {
                    "type": "error",
                    "id": message.get("id"),
                    "error": BAD_REQUEST,
                    "message": f"unknown op {op!r}",
                }
            )

    def status(self) -> dict[str, Any]:
        model = self.model
        return {
            "state": "ready" if model else "empty",
            "current": self.current,
            "queue_length": self.jobs.qsize(),
            "requests_served": self.served,
            "model_path": model.path if model else None,
            "n_ctx": model.n_ctx if model else 0,
            "n_threads": model.n_threads if model else 0,
            "load_time_s": model.load_time_s if model else 0.0,
            "cached_tokens": model.llm.n_tokens if model else 0,
            "pid": os.getpid(),
            "warm": self.warm_stats(),
        }

    def warm_stats(self) -> dict[str, Any]:
        """What prefill and saved states did (and cost), for `status`."""
        stats: dict[str, Any] = dict(self.warm)
        with self.prefills_lock:
            stats["prefills_queued"] = len(self.prefills)
        if self.states is not None:
            stats.update(self.states.stats())
        return stats

    def tokenize(self, message: dict[str, Any]) -> None:
        with self.model_lock:
            model = self.model
            if model is None:
                self.send_error(message.get("id"), MODEL_LOAD, "no model is loaded")
                return
            tokens, _ = model.prompt_tokens(message["messages"])
        self.channel.send({"type": "tokens", "id": message.get("id"), "count": len(tokens)})

    # --- main thread ---------------------------------------------------------------------

    def next_job(self) -> dict[str, Any]:
        """The next real job; a waiting prefill only when no real job waits."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                with self.prefills_lock:
                    prefill = self.prefills.pop(next(iter(self.prefills)), None) if (
                        self.prefills) else None
                if prefill is not None:
                    return prefill
                job = self.jobs.get()
            if job["op"] != "wake":
                self.urgent_out += 1
                return job

    def urgent_waiting(self) -> bool:
        return self.urgent_in != self.urgent_out

    def serve(self) -> None:
        while True:
            job = self.next_job()
            op = job["op"]
            if op == "shutdown":
                if self.states is not None:
                    self.states.flush()
                return
            if op == "prefill":
                self.run_prefill(job)
                continue
            if op == "load":
                self.load(job)
                self.loads_done += 1
            elif op == "tokenize":
                self.tokenize(job)
            elif op == "reset":
                if self.model is not None:
                    self.model.invalidate()
                self.channel.send({"type": "reset", "id": job.get("id")})
            else:
                self.run_generation(job)
                # llama-cpp-python leaves each answer's sampler in a reference cycle that
                # holds its candidate array (n_vocab entries, ~1.8 MB here); until a full
                # collection happens to run they pile up (+50 MB over 30 answers). A full
                # collection takes ~10 ms, after the answer is out.
                gc.collect()

    def load(self, spec: dict[str, Any]) -> None:
        with self.model_lock:
            self.model = None  # free the old model before loading the next one
            self.llama_log.errors.clear()
            self.states = None
            try:
                self.model = LoadedModel(spec, self.llama_log)
                self.states = self.state_store(spec, self.model)
            except (ValueError, RuntimeError, OSError) as exc:
                # llama.cpp's first error says why; the exception only says "failed".
                why = next(iter(self.llama_log.errors), str(exc))
                log.error("loading %s failed: %s", spec.get("model_path"), why)
                self.channel.send({"type": "load_error", "message": why})
                return
        model = self.model
        self.channel.send(
            {
                "type": "loaded",
                "model_path": model.path,
                "n_ctx": model.n_ctx,
                "n_threads": model.n_threads,
                "load_time_s": model.load_time_s,
                "backend": model.backend,
            }
        )

    def state_store(self, spec: dict[str, Any], model: LoadedModel) -> KVStateStore:
        """Saved states for this model file and these context settings only."""
        ram = int(spec.get("kv_ram_bytes") or 256 << 20)
        root = spec.get("kv_dir")
        disk = spec.get("kv_disk_bytes")
        disk = 1 << 30 if disk is None else int(disk)
        if not root or disk <= 0:
            return KVStateStore(ram)
        root_dir = Path(root)
        try:
            # The root is checked (ours, 0700) before anything in it is read or written.
            private_dir(root_dir)
            sha = file_sha256(model.path, root_dir)
        except (OSError, ValueError) as exc:
            log.warning("saved KV states stay in RAM only: %s", exc)
            return KVStateStore(ram)
        key = (
            f"{sha[:24]}-{os.path.getsize(model.path)}-ctx{model.n_ctx}"
            f"-fa{int(bool(spec.get('flash_attn', False)))}-llama{llama_cpp.__version__}"
        )
        return KVStateStore(
            ram, root_dir / key, disk, root=root_dir, n_vocab=int(model.llm.n_vocab())
        )

    def use_best_state(self, model: LoadedModel, tokens: list[int], session: str | None) -> None:
        """Restore the saved state sharing the most with `tokens`, if it beats the cache."""
        if self.states is None:
            return
        wanted = np.asarray(tokens, dtype=np.int32)
        held = shared_prefix(model.llm.input_ids[: model.llm.n_tokens], wanted)
        state, shared = self.states.best_match(wanted, prefer=session)
        if state is None or shared < held + _RESTORE_MIN_GAIN:
            return
        data = self.states.load(state)
        if data is None:
            return
        started = time.perf_counter()
        if model.restore_state(state.tokens, data):
            self.states.restores += 1
            log.info(
                "restored %d tokens of a saved state in %.3f s",
                len(state.tokens), time.perf_counter() - started,
            )
        else:
            log.warning("a saved state did not fit this model's cache; dropped it")
            self.states.forget(state)

    def save_state(self, model: LoadedModel, session: str | None) -> None:
        if self.states is None or not session:
            return
        saved = model.save_state()
        if saved is not None:
            self.states.put(session, *saved)

    def run_prefill(self, job: dict[str, Any]) -> None:
        """Extend the KV cache with a notebook's context, yielding to any real job."""
        model = self.model
        if model is None:
            return
        started = time.perf_counter()
        session = job.get("session_id") or None
        try:
            tokens = model.prefix_tokens(job["messages"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("prefill refused: %s", exc)
            return
        if not tokens or len(tokens) >= model.n_ctx - 64:
            return
        self.use_best_state(model, tokens, session)
        llm = model.llm
        with self.prefills_lock:
            self.prefilling, self.prefill_stop = str(session or ""), False
        keep = shared_prefix(llm.input_ids[: llm.n_tokens], np.asarray(tokens, np.int32))
        keep = min(keep, len(tokens))
        evaluated = 0
        if keep < len(tokens):
            llm._ctx.kv_cache_seq_rm(-1, keep, -1)
            llm.n_tokens = keep
            abort = llama_cpp.ggml_abort_callback(
                lambda _data: self.urgent_waiting() or self.prefill_stop
            )
            llama_cpp.llama_set_abort_callback(llm._ctx.ctx, abort, None)
            try:
                llm.eval(tokens[keep:])
            except RuntimeError:
                # Aborted for a real request, a busy kernel (or failed): keep the whole
                # batches evaluated.
                self.warm["prefills_paused" if self.prefill_stop else "prefills_preempted"] += 1
                model.make_consistent()
            finally:
                self.prefilling = None  # also when eval raises something unexpected
                llama_cpp.llama_set_abort_callback(
                    llm._ctx.ctx, llama_cpp.ggml_abort_callback(), None
                )
            evaluated = max(0, llm.n_tokens - keep)
            self.warm["prefill_tokens"] += evaluated
        self.prefilling = None
        if llm.n_tokens >= len(tokens):  # the whole prefix is in the cache now
            self.warm["prefills_done"] += 1
            if evaluated:
                self.save_state(model, session)
        self.warm["prefill_seconds"] += time.perf_counter() - started
        self.channel.send({"type": "warm", "stats": self.warm_stats()})

    def send_error(self, job_id: Any, error: str, message: str) -> None:
        self.channel.send({"type": "error", "id": job_id, "error": error, "message": message})

    def run_generation(self, job: dict[str, Any]) -> None:
        job_id = str(job["id"])
        if job_id in self.cancelled:  # cancelled while it waited in the queue
            self.cancelled.discard(job_id)
            return
        if self.model is None:
            self.send_error(job_id, MODEL_LOAD, "no model is loaded")
            return
        self.current = job_id
        try:
            self.generate(self.model, job_id, job["request"])
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:
            log.exception("generation %s failed", job_id)
            self.model.invalidate()  # a half-done evaluation leaves nothing reusable
            self.send_error(job_id, INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            self.current = None
            self.cancelled.discard(job_id)
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
        self.use_best_state(model, tokens, session)
        cached = model.cached_prefix(tokens)
        self.channel.send(
            {"type": "started", "id": job_id, "prompt_tokens": len(tokens), "cached_tokens": cached}
        )
        die_of_sigill_at("generate")  # where an AMX build's first matrix product traps
        llm = model.llm
        llm.set_seed(int(request.get("seed") or 0))
        stream = TextStream(stops)
        finish, produced, first_at = "length", 0, 0.0
        for token in self.sampled_tokens(llm, job_id, tokens, request):
            if llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
                finish = "stop"
                break
            produced += 1
            piece, hit_stop = stream.feed(llm.detokenize([token]))
            if piece:
                if not first_at:
                    first_at = time.perf_counter()
                self.channel.send({"type": "token", "id": job_id, "text": piece})
            if hit_stop:
                finish = "stop"
                break
            if job_id in self.cancelled:
                finish = "cancelled"
                break
            if produced >= max_tokens:
                break
        else:
            if produced < max_tokens:  # the prompt's evaluation was aborted by a cancel
                finish = "cancelled"
        if finish == "cancelled" and produced == 0:
            model.invalidate()  # the prompt's evaluation was cut: keep nothing of it
        tail = "" if finish == "stop" and stream.stopped else stream.flush()
        if tail:
            self.channel.send({"type": "token", "id": job_id, "text": tail})
        ended = time.perf_counter()
        self.channel.send(
            {
                "type": "done",
                "id": job_id,
                "completion": {
                    "text": stream.text,
                    "finish_reason": finish,
                    "prompt_tokens": len(tokens),
                    "completion_tokens": produced,
                    "cached_tokens": cached,
                    "worker_ttft_s": (first_at or ended) - started,
                    "worker_total_s": ended - started,
                },
            }
        )
        self.save_state(model, session)
        self.channel.send({"type": "warm", "stats": self.warm_stats()})  # after the answer is out: costs no latency

    def sampled_tokens(
        self, llm: Llama, job_id: str, prompt: list[int], request: dict[str, Any]
    ) -> Iterator[int]:
        """`Llama.generate`, with the prompt's evaluation interruptible by a cancel.

        A cold notebook prompt takes seconds to evaluate; llama.cpp polls an abort callback
        between graph nodes, so a cancel stops it at once. The callback is set only until
        the first token: per node it costs a Python call, too much for every decoded token.
        """
        tokens = llm.generate(
            prompt,
            temp=float(request.get("temperature") or 0.0),
            top_p=float(request.get("top_p") or 1.0),
            top_k=40,
            min_p=0.05,
            repeat_penalty=1.0,
        )
        abort = llama_cpp.ggml_abort_callback(lambda _data: job_id in self.cancelled)
        llama_cpp.llama_set_abort_callback(llm._ctx.ctx, abort, None)
        try:
            first = next(tokens, None)
        except RuntimeError:  # llama_decode returned 2: aborted, or failed
            # llama-cpp-python counted the batches before the abort as evaluated; whatever
            # the KV cache holds, nothing of a cut evaluation may be reused.
            llm._ctx.kv_cache_clear()
            llm.n_tokens = 0
            if job_id not in self.cancelled:
                raise
            return
        finally:
            llama_cpp.llama_set_abort_callback(llm._ctx.ctx, llama_cpp.ggml_abort_callback(), None)
        if first is not None:
            yield first
            yield from tokens


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="inherited socket for messages")
    args = parser.parse_args(argv)
    # Interrupts belong to the parent, which cancels through the protocol; the worker
    # ends when its socket closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # llama.cpp may print to stdout; keep it off anything that looks like a protocol.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    worker = Worker(Channel(socket.socket(fileno=args.fd)), LlamaLog(sys.stderr))
    threading.Thread(target=worker.read_loop, name="worker-reader", daemon=True).start()
    worker.serve()


if __name__ == "__main__":
    main()
