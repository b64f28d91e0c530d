"""`WorkerEngine`: a local GGUF model served by a supervised worker process.

The parent (kernel or Jupyter server) never imports llama_cpp: it resolves and
header-checks the model file (`models.py`), starts `worker/main.py` on first use, sends it
requests over a socket pair and routes the streamed tokens back to each caller by request
id. Many threads may call `generate` at once; the worker answers one at a time in arrival
order. If the worker dies, the requests it held fail with `WorkerCrashedError` naming the
cause, `status()` counts it, and the next request starts a new worker; except a death by
an illegal instruction (a llama-cpp-python build this CPU cannot run), after which every
request fails at once with `UnsupportedBuildError` saying how to rebuild.

    engine = WorkerEngine("qwen2.5-coder-0.5b", n_ctx=8192)
    for piece in engine.generate(GenerationRequest(messages=[...])):
        ...
    engine.close()
"""

from __future__ import annotations

import itertools
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from ..core import defaults
from ..core.engine import CompletionRequest, Engine, GenerationRequest, PrefillRequest
from ..errors import (
    EngineUnavailableError,
    LocalAIError,
    ModelLoadError,
    QueueFullError,
    UnsupportedBuildError,
    WorkerCrashedError,
)
from ..models import ModelFile, model_listing, resolve_model
from .worker_generation import PendingGenerations, WorkerGeneration, worker_error
from .worker_health import WorkerHealth
from .worker_process import WorkerProcess
from .worker_settings import load_settings

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..config import LocalAI

log = logging.getLogger(__name__)
_request_ids = itertools.count(1)
# Requests queued for one worker at most: a backstop for the kernel's own engine (the
# server refuses beyond LocalAI.max_queued_requests first).
MAX_PENDING_REQUESTS = 64


class WorkerEngine(Engine):
    """A resident local model in a worker process; see the module docstring.

    `model` is a registry name (`models.REGISTRY`), an alias, or a GGUF path; `n_threads=0`
    means one per physical core. Nothing is resolved or started until `start()` or the
    first request. `check_header=False` skips the parent's GGUF header check, for an
    unusual but sound file the check refuses (a crash in the worker is still survived).
    `request.model` is not acted on: switching is explicit (`switch_model`).
    """

    supports_switch = True
    supports_prefill = True
    supports_complete = True
    supports_candidates = True

    def __init__(
        self,
        model: str = defaults.DEFAULT_MODEL,
        *,
        n_ctx: int = defaults.N_CTX,
        n_threads: int = 0,
        n_batch: int = defaults.N_BATCH,
        flash_attn: bool = False,
        seed: int = 0,
        models_dir: str = "",
        aliases: dict[str, str] | None = None,
        load_timeout: float = defaults.LOAD_TIMEOUT_S,
        check_header: bool = True,
        kv_dir: str | None = None,
        kv_ram_bytes: int = defaults.KV_RAM_BYTES,
        kv_disk_bytes: int = defaults.KV_DISK_LIMIT_MB << 20,
        n_gpu_layers: int = 0,
        main_gpu: int = 0,
        split_mode: str = "layer",
        tensor_split: list[float] | None = None,
        fim: bool = True,
    ) -> None:
        self._model_name = model
        self._check_header = check_header
        self._models_dir = models_dir
        self._aliases = dict(aliases or {})
        self._settings = load_settings(
            n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, flash_attn=flash_attn,
            seed=seed, kv_dir=kv_dir, kv_ram_bytes=kv_ram_bytes, kv_disk_bytes=kv_disk_bytes,
            n_gpu_layers=n_gpu_layers, main_gpu=main_gpu, split_mode=split_mode,
            tensor_split=tensor_split,
        )
        # False: inline completion continues context + prefix even with FIM tokens.
        self._settings["fim"] = bool(fim)
        self._load_timeout = load_timeout
        self._lock = threading.RLock()  # guards worker start/stop and model changes
        self._model_file: ModelFile | None = None
        self._worker: WorkerProcess | None = None
        self._pending = PendingGenerations()
        self._health = WorkerHealth()  # loading / ready / failed, restarts, unsupported build
        self._served = 0
        self._closed = False
        self._warm: dict[str, Any] = {}
        # Whether the loaded model completes with FIM tokens (None before a load).
        self._fim: bool | None = None

    @classmethod
    def from_config(cls, config: LocalAI) -> WorkerEngine:
        """The engine the `LocalAI` settings describe (model, n_ctx, threads, cache dir)."""
        return cls(
            config.model,
            n_ctx=config.n_ctx,
            n_threads=config.n_threads,
            n_batch=config.n_batch,
            flash_attn=config.flash_attn,
            seed=config.seed,
            models_dir=config.models_dir,
            aliases=dict(config.aliases),
            n_gpu_layers=config.n_gpu_layers,
            main_gpu=config.main_gpu,
            split_mode=config.split_mode,
            tensor_split=list(config.tensor_split),
            kv_disk_bytes=config.kv_disk_limit_mb << 20,
        )

    @classmethod
    def from_settings(cls, settings: LocalAI) -> WorkerEngine:
        """Same as `from_config` (the server calls its `LocalAI` object settings)."""
        return cls.from_config(settings)

    # --- public API ------------------------------------------------------------------------

    def start(self) -> None:
        """Resolve the model, start the worker and wait until the model is loaded."""
        with self._lock:
            self._ensure_worker()
        self._wait_loaded()

    def load(self) -> None:
        """Load the model now instead of on the first request (same as `start`)."""
        self.start()

    def generate(self, request: GenerationRequest) -> WorkerGeneration:
        """Stream an answer; with `n_candidates` > 1 the worker decodes the extra candidates
        in the same batches and `completion.candidates` has every text (streamed one first)."""
        return self._submit("generate", request.to_json())

    def complete(self, request: CompletionRequest) -> WorkerGeneration:
        """An inline completion on the worker's completion sequence (`worker/completion.py`:
        served before queued answers and between a running answer's tokens; "busy" with no
        text while a chat prompt evaluates; a newer one of the session cancels the older)."""
        return self._submit("complete", request.to_json())

    def prefill_completion(self, context: str, session_id: str | None = None) -> bool:
        """Evaluate a completion's stable part (the FIM prefix token and `context`) ahead of
        the keystrokes, at low priority; never starts a worker. Returns whether it was sent."""
        with self._lock:
            worker = self._worker
            if self._closed or worker is None:
                return False
            try:
                worker.send(
                    {"op": "prefill_completion", "context": context, "session_id": session_id}
                )
            except OSError as exc:
                log.debug("completion prefill not sent: %s", exc)
                return False
        return True

    def _submit(self, op: str, payload: dict[str, Any]) -> WorkerGeneration:
        request_id = f"r{next(_request_ids)}"
        generation = WorkerGeneration(request_id, self._model_name, self._cancel)
        try:
            with self._lock:
                if self._closed:
                    raise EngineUnavailableError("this engine was closed; create a new one")
                if len(self._pending) >= MAX_PENDING_REQUESTS:
                    raise QueueFullError(
                        f"{len(self._pending)} requests are already waiting for this model; "
                        "try again when one finished"
                    )
                worker = self._ensure_worker()
                generation.bind(worker, self._model_name)
                self._pending.add(generation)
                worker.send({"op": op, "id": request_id, "request": payload})
        except LocalAIError as exc:
            self._pending.discard(request_id)
            generation.fail(exc)
        except (TypeError, ValueError) as exc:
            # Not sendable (not JSON): never leave it pending, or status counts it forever.
            self._pending.discard(request_id)
            generation.fail(EngineUnavailableError(f"the request could not be sent: {exc}"))
        except OSError as exc:
            # The worker just died; its exit handler fails this request with the reason.
            log.debug("request %s not delivered: %s", request_id, exc)
        return generation

    def prefill(self, request: PrefillRequest, *, start: bool = False) -> bool:
        """Warm the KV cache with the start of a later request; fire and forget.

        The worker evaluates `request.messages(n_ctx)` (the request's messages up to where
        its task text would go, the last message unfinished; or, `whole`, a whole prompt
        as a request would send it) only when no real request
        waits, stops it at the next batch when one arrives, and keeps only the latest
        prefill of each session. Without `start`, nothing happens unless the worker is
        already running (a prefill never loads a model). Returns whether it was sent.
        """
        messages, session_id = request.messages(self.n_ctx()), request.session_id
        with self._lock:
            if self._closed or (self._worker is None and not start):
                return False
            try:
                worker = self._ensure_worker()
                worker.send({"op": "prefill", "messages": messages, "session_id": session_id,
                             "whole": request.whole})
            except (LocalAIError, OSError) as exc:
                log.debug("prefill not sent: %s", exc)
                return False
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        """A cell starts computing in that notebook's kernel: drop its queued prefill and
        stop its running one at once, so the model does not compete with the user's code."""
        worker = self._worker
        if worker is None:
            return
        try:
            worker.send({"op": "pause_prefill", "session_id": session_id})
        except OSError as exc:
            log.debug("pause not sent: %s", exc)

    def status(self) -> dict[str, Any]:
        """Answers at once from what the client knows; never waits for the worker."""
        worker = self._worker
        model = self._model_file
        health = self._health
        return {
            "engine": "llama",
            "state": health.state,
            "model": self._model_name,
            "model_path": str(model.path) if model else None,
            "n_ctx": health.n_ctx_loaded or self._settings["n_ctx"],
            "n_threads": self._settings["n_threads"],
            "n_gpu_layers": self._settings["n_gpu_layers"],
            # After a load: "backend", "gpu_offload" (in words), "system_info" (worker/gpu.py).
            **health.backend,
            "failure": "unsupported build" if health.unsupported else None,
            "load_time_s": health.load_time_s,
            "requests_served": self._served,
            "queue_length": self._pending.queued(),
            "in_flight": len(self._pending),
            "restarts": health.restarts,
            "last_error": health.last_error,
            "pid": worker.pid if worker else None,
            "rss_bytes": worker.rss_bytes() if worker else None,
            # Prefill and saved states, as the worker last reported them.
            "warm": dict(self._warm),
            # Inline completion fills in the middle (else: continues context + prefix).
            "fim": self._fim,
        }

    def ping(self, timeout: float = 5.0) -> dict[str, Any]:
        """The worker's own status, answered by its reader thread even mid-generation."""
        return self._call("status", timeout)

    def count_tokens(self, messages: list[dict[str, str]], timeout: float = 30.0) -> int:
        """Exact prompt tokens of `messages` after the model's chat template."""
        return int(self._call("tokenize", timeout, messages=messages)["count"])

    def reset_cache(self, timeout: float = 120.0, *, states: bool = False) -> None:
        """Forget the KV cache (benchmarks, tests); with `states`, the notebooks' saved
        states too, so that the next prompt is processed cold even in a notebook answered
        before (without, it may restore that notebook's state)."""
        self._call("reset", timeout, states=states)

    def cancel(self, request_id: str) -> bool:
        """Cancel a queued or running request by id; False if it is not pending."""
        generation = self._pending.get(request_id)
        if generation is None:
            return False
        generation.cancel()
        return True

    def n_ctx(self) -> int:
        return int(self._health.n_ctx_loaded or self._settings["n_ctx"])

    def models(self) -> list[dict[str, Any]]:
        current = self._model_file
        in_use = None
        if current is not None:
            in_use = {
                "name": current.name,
                "path": str(current.path),
                "available": True,
                "size_bytes": current.size_bytes,
                "description": f"GGUF file ({current.source})",
            }
        return model_listing(self._models_dir, self._model_name, in_use=in_use)

    def switch_model(self, name_or_path: str) -> dict[str, Any]:
        """Load another model; requests already queued finish on the current one first."""
        with self._lock:
            self._health.check_supported()  # any model would die the same way
            model_file = self._resolve(name_or_path)
            worker = self._worker
            if worker is None:
                self._model_name, self._model_file = name_or_path, model_file
                self._health.state = "idle"
                return self.status()
            previous = (self._model_name, self._model_file)
            self._model_name, self._model_file = name_or_path, model_file
            self._begin_load(worker)
        try:
            self._wait_loaded()
        except (ModelLoadError, UnsupportedBuildError):
            with self._lock:  # the worker dropped its old model: start clean on next use
                self._model_name, self._model_file = previous
                self._stop_worker()
            raise
        return self.status()

    def close(self) -> None:
        """Stop the worker; requests still pending fail with EngineUnavailableError."""
        with self._lock:
            self._closed = True
            for generation in self._pending.all():
                generation.cancel()  # so the worker is not busy when asked to exit
            self._stop_worker()
        self._pending.fail_all(EngineUnavailableError("the engine was closed"))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- worker lifecycle ------------------------------------------------------------------

    def _resolve(self, name_or_path: str) -> ModelFile:
        return resolve_model(
            name_or_path, self._models_dir, aliases=self._aliases, validate=self._check_header
        )

    def _ensure_worker(self) -> WorkerProcess:
        """The current worker, starting one (and resolving the model) if there is none.

        A worker that died stays current until its pump thread has reported the exit, so
        requests sent to it in that window fail with its crash reason, not silently.
        """
        worker = self._worker
        if worker is not None:
            return worker
        self._health.check_supported()
        if self._model_file is None:
            try:
                self._model_file = self._resolve(self._model_name)
            except LocalAIError as exc:
                self._health.state, self._health.last_error = "failed", str(exc)
                raise
        self._health.worker_starting()
        worker = WorkerProcess(self._on_message, self._on_exit)
        self._worker = worker
        log.info("started model worker %s for %s", worker.pid, self._model_file.path)
        self._begin_load(worker)
        return worker

    def _begin_load(self, worker: WorkerProcess) -> None:
        assert self._model_file is not None
        self._health.begin_load()
        worker.send({"op": "load", "model_path": str(self._model_file.path), **self._settings})

    def _wait_loaded(self) -> None:
        what = self._model_file.path if self._model_file else self._model_name
        self._health.wait_loaded(self._load_timeout, what)

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
        self._health.state = "idle"

    def _call(self, op: str, timeout: float, **fields: Any) -> dict[str, Any]:
        with self._lock:
            worker = self._ensure_worker()
        try:
            answer = worker.call(op, timeout, **fields)
        except FutureTimeout:
            raise EngineUnavailableError(f"the model worker did not answer {op!r} in {timeout} s")
        except ConnectionError as exc:
            raise WorkerCrashedError(str(exc)) from None
        if answer.get("type") == "error":
            raise worker_error(answer)
        return answer

    # --- messages from the worker (pump thread) --------------------------------------------

    def _on_message(self, worker: WorkerProcess, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind in ("token", "started", "done", "error"):
            if kind == "done":
                self._served += 1
            self._pending.route(message)
        elif kind == "warm":
            self._warm = dict(message.get("stats") or {})
        elif kind == "loaded":
            self._fim = message.get("fim")
            self._health.loaded(message)
        elif kind == "load_error":
            path = self._model_file.path if self._model_file else self._model_name
            reason = f"llama.cpp could not load {path}: {message['message']}"
            # A worker without a model is of no use: let it go, the next request starts anew.
            worker.stopping = True
            with self._lock:
                if self._worker is worker:
                    self._worker = None
            try:
                worker.send({"op": "shutdown"})
            except OSError:
                log.debug("worker %s already gone", worker.pid)
            self._on_load_failed(worker, reason)
        else:
            log.warning("unexpected message from the model worker: %.200s", message)

    def _on_load_failed(self, worker: WorkerProcess, reason: str) -> None:
        self._health.load_failed(reason)
        self._pending.fail_all(ModelLoadError(reason), worker)

    def _on_exit(self, worker: WorkerProcess, reason: str) -> None:
        with self._lock:
            if self._worker is worker:
                self._worker = None
            if worker.stopping:
                return
            path = str(self._model_file.path) if self._model_file else ""
            loading = self._health.worker_died(worker.pid, worker.proc.returncode, reason, path)
        if self._health.unsupported:
            self._health.unsupported_known()
            self._pending.fail_all(UnsupportedBuildError(self._health.unsupported), worker)
            return
        log.error("model worker %s %s", worker.pid, reason)
        if loading:
            path = self._model_file.path if self._model_file else self._model_name
            self._on_load_failed(worker, f"the model worker {reason} while loading {path}")
            return
        self._pending.fail_all(
            WorkerCrashedError(f"{self._health.last_error}; the next request starts a new worker"),
            worker,
        )

    def _cancel(self, generation: WorkerGeneration) -> None:
        worker = self._worker
        if worker is not None:
            try:
                worker.send({"op": "cancel", "id": generation.request_id})
            except OSError:
                log.debug("cancel of %s not delivered: worker gone", generation.request_id)
        self._pending.end_queued(generation)  # still queued: it ends now, the worker skips it
