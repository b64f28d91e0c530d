"""The model worker: `python -m jupyter_localai.worker.main --fd N`.

It runs in its own process because llama.cpp aborts the whole process on some malformed
files and internal assertions; a crash here costs one answer, not the user's kernel or
Jupyter server. llama_cpp is imported by `llama_model.py` only, in this process only.

One `Llama` object, driven by the main thread only (several threads driving one object
crashed every time). A reader thread takes messages off the socket: it answers `status`
and `tokenize` at once and marks cancellations, while `generate` and `load` wait in a
queue and run in arrival order (`scheduler.py`).

Always warm: each notebook's KV state is saved after its answers and prefills and restored
when a prompt shares more with it than with the cache (`kv_policy.py`); prefills (a
notebook's context after a cell ran) run only when no real job waits and are aborted at
once when one arrives (`generation.py`). An aborted or failed evaluation is never reused.

Several KV sequences share the one context (`sequences.py`): the chat's, the inline
completions' (`completion.py`, served before queued jobs and between a chat answer's
tokens) and an answer's extra candidates (`candidates.py`).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any

from .completion import Completer
from .generation import Generator
from .kv_policy import KVPolicy, state_store
from .llama_model import LlamaLog, LoadedModel
from .protocol import BAD_REQUEST, MODEL_LOAD, Channel
from .scheduler import URGENT_OPS, Scheduler

log = logging.getLogger("jupyter_localai.worker")


class Worker:
    """Serves one socket: a reader thread for control messages, the main thread for the model."""

    def __init__(self, channel: Channel, llama_log: LlamaLog) -> None:
        self.channel = channel
        self.llama_log = llama_log
        self.model: LoadedModel | None = None
        self.model_lock = threading.Lock()  # held while the model is (re)loaded
        self.scheduler = Scheduler()
        llama_log.aborting = self.scheduler.aborting
        self.kv = KVPolicy()
        self.completer = Completer(channel, self.scheduler)
        self.generator = Generator(
            channel, self.scheduler, self.kv, self.warm_stats,
            between_tokens=self.completer.serve_waiting,
        )

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
            self.scheduler.cancel(str(message.get("id")))
        elif op == "status":
            self.channel.send({"type": "status", "id": message.get("id"), **self.status()})
        elif op == "tokenize" and not self.scheduler.load_pending():
            self.tokenize(message)
        elif op == "complete":
            self.offer_completion(message)
        elif op == "prefill_completion":
            self.scheduler.offer_completion_prefill(message)
        elif op == "prefill":
            self.scheduler.offer_prefill(message)
        elif op == "pause_prefill":
            self.scheduler.pause_prefill(message.get("session_id"))
        elif op in URGENT_OPS:
            self.scheduler.submit(message)
        else:
            self.channel.send(
                {
                    "type": "error",
                    "id": message.get("id"),
                    "error": BAD_REQUEST,
                    "message": f"unknown op {op!r}",
                }
            )

    def offer_completion(self, message: dict[str, Any]) -> None:
        """Queue a completion ahead of everything; while a chat prompt evaluates (the main
        thread cannot serve it for seconds), answer at once with no suggestion."""
        if self.scheduler.evaluating_prompt:
            self.completer.send_done(str(message.get("id")), "", "busy", 0, 0, 0, 0.0)
            return
        older = self.scheduler.offer_completion(message)
        if older is not None:  # replaced before it started: it ends now
            self.completer.send_done(str(older.get("id")), "", "cancelled", 0, 0, 0, 0.0)

    def status(self) -> dict[str, Any]:
        model = self.model
        return {
            "state": "ready" if model else "empty",
            "current": self.scheduler.current,
            "queue_length": self.scheduler.queue_length(),
            "requests_served": self.generator.served,
            "model_path": model.path if model else None,
            "n_ctx": model.n_ctx if model else 0,
            "n_threads": model.n_threads if model else 0,
            "load_time_s": model.load_time_s if model else 0.0,
            "cached_tokens": model.llm.n_tokens if model else 0,
            "pid": os.getpid(),
            "warm": self.warm_stats(),
            **self.completer.status(model),
        }

    def warm_stats(self) -> dict[str, Any]:
        """What prefill and saved states did (and cost), for `status`."""
        stats: dict[str, Any] = dict(self.scheduler.warm)
        stats["prefills_queued"] = self.scheduler.prefills_queued()
        stats.update(self.kv.stats())
        return stats

    def tokenize(self, message: dict[str, Any]) -> None:
        with self.model_lock:
            model = self.model
            if model is None:
                self.generator.send_error(message.get("id"), MODEL_LOAD, "no model is loaded")
                return
            tokens, _ = model.prompt_tokens(message["messages"])
        self.channel.send({"type": "tokens", "id": message.get("id"), "count": len(tokens)})

    # --- main thread ---------------------------------------------------------------------

    def serve(self) -> None:
        while True:
            job = self.scheduler.next_job()
            op = job["op"]
            if op == "shutdown":
                self.kv.flush()
                return
            if op == "prefill":
                self.generator.prefill(self.model, job)
                continue
            if op == "prefill_completion":
                self.completer.prefill(self.model, job)
                continue
            if op == "complete":
                self.completer.complete(self.model, job)
                continue
            if op == "load":
                self.load(job)
                self.scheduler.load_finished()
            elif op == "tokenize":
                self.tokenize(job)
            elif op == "reset":
                if self.model is not None:
                    self.model.invalidate()
                if job.get("states") and self.kv.states is not None:
                    self.kv.states.clear()
                self.channel.send({"type": "reset", "id": job.get("id")})
            else:
                self.generator.answer(self.model, job)
                # llama-cpp-python leaves each answer's sampler in a reference cycle that
                # holds its candidate array (n_vocab entries, ~1.8 MB here); until a full
                # collection happens to run they pile up (+50 MB over 30 answers). A full
                # collection takes ~10 ms, after the answer is out.
                gc.collect()

    def load(self, spec: dict[str, Any]) -> None:
        with self.model_lock:
            self.model = None  # free the old model before loading the next one
            self.llama_log.errors.clear()
            self.kv.states = None
            try:
                self.model = LoadedModel(spec, self.llama_log)
                self.kv.states = state_store(spec, self.model)
                self.completer.fim(self.model)  # one vocabulary scan, so status knows
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
                "fim": self.completer.status(model)["fim"],
            }
        )


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
