"""`LocalAI.model = "auto"`: the largest installed model that answers at interactive speed
on this machine.

Interactive means a typical ask (`TYPICAL_PROMPT_TOKENS` prompt tokens evaluated cold, then
`TYPICAL_DECODE_TOKENS` decoded) is expected within `LocalAI.auto_max_seconds`. The expected
time comes from a measurement: once per machine and model file, right after the model
first loads under "auto", one short timed generation (`measure`) gives its prompt and
decode tokens per second; they are cached on disk (`SpeedStore`, next to the model store)
with the cores and GPU offload they were measured with, so later sessions decide at once.

A bigger installed model that was never measured here is judged by an estimate: the
measured time of a smaller model times the ratio of their file sizes (on a CPU both prompt
and decode speed are bound by reading every weight once per step, so time grows with the
weights' bytes; measured 0.5B against 1.5B here, benchmarks/results/eval_table.md). With no
measurement at all, "auto" is the embedded default. A wrong estimate corrects itself: the
picked model is measured at its first load, and the next session decides on that.

Installed means present on this machine, never downloaded: a registry model whose file was
assembled in the model store or whose part packages are installed, and the GGUF files in
`LocalAI.models_dir` (the folders the user keeps for this assistant; the Hugging Face, LM
Studio and Ollama stores hold models of any kind, embedders included, so they are not
candidates). An explicit model setting always wins over all of this.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .core import defaults

log = logging.getLogger(__name__)

AUTO = "auto"
TYPICAL_PROMPT_TOKENS = 1200
TYPICAL_DECODE_TOKENS = 150
DEFAULT_MAX_SECONDS = 10.0  # LocalAI.auto_max_seconds
SPEED_DIR_ENV = "JUPYTER_LOCALAI_SPEED_DIR"
_MEASURE_DECODE_TOKENS = 48


@dataclass(frozen=True)
class Candidate:
    """An installed model "auto" may pick."""

    name: str  # what `LocalAI.model` would say to pick it
    path: Path
    size_bytes: int

    @property
    def label(self) -> str:
        """Its size in parameters when the name says it (`1.5B`), else in GB."""
        found = re.search(r"(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])", self.name)
        return f"{found.group(1)}B" if found else f"{self.size_bytes / 1e9:.1f} GB"

    def file_key(self) -> str:
        """The file as measured: a replaced file (new size or time) is measured again."""
        stat = self.path.stat() if self.path.exists() else None
        stamp = f"{stat.st_size}:{stat.st_mtime_ns}" if stat else str(self.size_bytes)
        return f"{self.path.name}:{stamp}"


@dataclass(frozen=True)
class Speed:
    """One measurement of a loaded model on this machine."""

    prompt_tps: float
    decode_tps: float
    n_threads: int
    gpu_offload: str
    measured_at: float

    def typical_ask_s(self) -> float:
        return (TYPICAL_PROMPT_TOKENS / self.prompt_tps
                + TYPICAL_DECODE_TOKENS / self.decode_tps)


@dataclass(frozen=True)
class AutoChoice:
    """What "auto" picked, and why, in the words `%ai status` shows."""

    name: str
    reason: str
    typical_ask_s: float | None = None
    measured: bool = False

    def describe(self) -> str:
        return f"auto: {self.reason}"


def speed_dir() -> Path:
    """Where measurements are kept: $JUPYTER_LOCALAI_SPEED_DIR, else `speed/` in the user's
    cache folder, next to the model store."""
    import platformdirs

    configured = os.environ.get(SPEED_DIR_ENV)
    return Path(configured) if configured else (
        Path(platformdirs.user_cache_dir("jupyter-localai")) / "speed")


def machine_key(n_threads: int, n_gpu_layers: int) -> str:
    """This machine as far as speed goes: host, CPU model and count, the threads and GPU
    layers the model runs with (another setting is another measurement)."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in
                    cpuinfo.read_text(errors="replace").splitlines()
                    if line.startswith("model name")), "")
    text = "|".join([platform.node(), platform.machine(), cpu or platform.processor(),
                     str(os.cpu_count()), str(n_threads), str(n_gpu_layers)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class SpeedStore:
    """Measurements of one machine, one JSON file per machine key: {file key: Speed}."""

    def __init__(self, folder: Path, machine: str) -> None:
        self.path = folder / f"{machine}.json"

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning("ignoring unreadable speed measurements %s: %s", self.path, error)
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, candidate: Candidate) -> Speed | None:
        entry = self._read().get(candidate.file_key())
        try:
            return Speed(**entry) if isinstance(entry, dict) else None
        except TypeError:
            return None  # written by another version: measured again

    def put(self, candidate: Candidate, speed: Speed) -> None:
        data = self._read()
        data[candidate.file_key()] = asdict(speed)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{uuid.uuid4().hex}.tmp")
        partial.write_text(json.dumps(data, indent=1))
        partial.replace(self.path)  # atomic: a reader sees the old or the new file


def installed_candidates(models_dir: str = "") -> list[Candidate]:
    """Every installed model "auto" may pick, largest first (nothing is downloaded or
    assembled here: a registry model whose parts are installed is assembled at load). A
    file of the model folders counts only when its header checks out."""
    from .model_discovery import HEADER_CACHE, MODELS_DIR, discover, split_dirs
    from .models import REGISTRY, models_cache_dir, parts_installed

    store = models_cache_dir(models_dir)
    found: dict[str, Candidate] = {}
    for entry in REGISTRY.values():
        assembled = store / f"{entry.name}.gguf"
        in_store = assembled.is_file() and assembled.stat().st_size == entry.size_bytes
        if in_store or parts_installed(entry):
            found[entry.name] = Candidate(entry.name, assembled, entry.size_bytes)
    registry_files = {candidate.path.resolve() for candidate in found.values()}
    for model in discover(split_dirs(models_dir)):
        if (model.source == MODELS_DIR and model.path.resolve() not in registry_files
                and model.name not in found and HEADER_CACHE.verdict(model.path).ok):
            found[model.name] = Candidate(model.name, model.path, model.size_bytes())
    return sorted(found.values(), key=lambda c: (-c.size_bytes, c.name))


def choose(candidates: list[Candidate], speeds: dict[str, Speed], *, max_seconds: float,
           default: str = defaults.DEFAULT_MODEL) -> AutoChoice:
    """The pick among `candidates` (largest first) given the `speeds` measured here (by
    candidate name): the largest whose typical ask is measured, or estimated from a
    measured one by file size, within `max_seconds`."""
    if not candidates:
        return AutoChoice(default, f"{default} (no installed model found; the embedded "
                                   "default is assembled from its packages at first load)")
    measured = [(c, speeds[c.name]) for c in candidates if c.name in speeds]
    others = [c.label for c in candidates]
    cores = f" on {measured[0][1].n_threads} cores" if measured else ""
    for candidate in candidates:
        also = _also(others, candidate)
        if candidate.name in speeds:
            seconds = speeds[candidate.name].typical_ask_s()
            if seconds <= max_seconds:
                return AutoChoice(candidate.name, f"{candidate.name}, {candidate.label}, "
                                  f"{seconds:.1f} s per typical ask{cores} (measured){also}",
                                  seconds, measured=True)
            continue
        if measured:
            base, speed = min(measured, key=lambda m: abs(m[0].size_bytes - candidate.size_bytes))
            seconds = speed.typical_ask_s() * candidate.size_bytes / base.size_bytes
            if seconds <= max_seconds:
                return AutoChoice(candidate.name, f"{candidate.name}, {candidate.label}, "
                                  f"~{seconds:.1f} s per typical ask{cores} (estimated from "
                                  f"{base.label}'s measured speed x file size){also}", seconds)
    if measured:
        smallest = candidates[-1]
        seconds = (speeds[smallest.name].typical_ask_s() if smallest.name in speeds else None)
        shown = f"{seconds:.1f} s" if seconds is not None else "unmeasured"
        return AutoChoice(smallest.name, f"{smallest.name}, {smallest.label}, the smallest "
                          f"installed: none answers a typical ask within {max_seconds:g} s "
                          f"here ({shown}){_also(others, smallest)}", seconds,
                          measured=seconds is not None)
    pick = next((c for c in candidates if c.name == default), candidates[-1])
    return AutoChoice(pick.name, f"{pick.name}, {pick.label}, no speed measured on this "
                      f"machine yet (measured at its first load){_also(others, pick)}")


def _also(labels: list[str], chosen: Candidate) -> str:
    rest = [label for label in labels if label != chosen.label]
    return f"; {', '.join(rest)} also installed" if rest else ""


def auto_choice(settings: Any) -> AutoChoice:
    """"auto" decided once per settings object (a kernel's or the server's `LocalAI`), so a
    measurement written during the session never switches models under the user; again
    only when the model folders, the threshold, the threads or the GPU layers change."""
    inputs = (settings.models_dir, settings.auto_max_seconds, settings.n_threads,
              settings.n_gpu_layers)
    cached = getattr(settings, "_auto_choice", None)
    if isinstance(cached, tuple) and cached[0] == inputs:
        return cached[1]
    candidates = installed_candidates(settings.models_dir)
    store = SpeedStore(speed_dir(), _machine_of(settings))
    speeds = {c.name: speed for c in candidates if (speed := store.get(c)) is not None}
    choice = choose(candidates, speeds, max_seconds=float(settings.auto_max_seconds))
    settings._auto_choice = (inputs, choice)
    log.info("jupyter_localai: %s", choice.describe())
    return choice


def _machine_of(settings: Any) -> str:
    from .worker.protocol import physical_cores

    return machine_key(settings.n_threads or physical_cores(), settings.n_gpu_layers)


def measure(engine: Any, timeout_s: float = 300.0) -> Speed:
    """Time one cold generation on `engine` (loaded): a prompt nothing cached begins with
    (a fresh nonce), then `_MEASURE_DECODE_TOKENS` decoded tokens at temperature 0."""
    from .core.engine import GenerationRequest

    nonce = uuid.uuid4().hex
    lines = "\n".join(f"row_{i} = {nonce[:8]}_{i} * {i}" for i in range(40))
    prompt = (f"[{nonce}]\n{lines}\n\nCount from 1 to 200, separated by commas, "
              "with nothing else.")
    generation = engine.generate(GenerationRequest(
        messages=[{"role": "user", "content": prompt}],
        max_tokens=_MEASURE_DECODE_TOKENS, temperature=0.0, seed=0))
    deadline = time.monotonic() + timeout_s
    for _ in generation:
        if time.monotonic() > deadline:
            generation.cancel()
    completion = generation.completion
    if completion is None or completion.completion_tokens < 8 or completion.ttft_s <= 0:
        raise ValueError("the measuring generation was too short to time")
    evaluated = max(1, completion.prompt_tokens - completion.cached_tokens)
    decode_s = max(1e-6, completion.total_s - completion.ttft_s)
    status = engine.status()
    return Speed(prompt_tps=evaluated / completion.ttft_s,
                 decode_tps=(completion.completion_tokens - 1) / decode_s,
                 n_threads=int(status.get("n_threads") or 0),
                 gpu_offload=str(status.get("gpu_offload") or status.get("n_gpu_layers") or 0),
                 measured_at=time.time())


def measure_in_background(engine: Any, settings: Any,
                          wait_s: float = 3600.0) -> threading.Thread | None:
    """Under "auto", measure the picked model once, after the first question loaded it, in
    a daemon thread: it starts no load of its own and queues one short generation behind
    the question (a few seconds, once per machine and model file). None when the model is
    measured already."""
    choice = auto_choice(settings)
    candidate = next((c for c in installed_candidates(settings.models_dir)
                      if c.name == choice.name), None)
    store = SpeedStore(speed_dir(), _machine_of(settings))
    if candidate is None or store.get(candidate) is not None:
        return None

    def run() -> None:
        deadline = time.monotonic() + wait_s
        while engine.status().get("state") != "ready":
            if time.monotonic() > deadline:
                return
            time.sleep(1.0)
        if engine.status().get("model") != candidate.name:
            return  # switched to another model before it was measured
        try:
            speed = measure(engine)
        except Exception as error:  # noqa: BLE001 - a failed measurement only means "unmeasured"
            log.warning("jupyter_localai: could not measure %s: %s", candidate.name, error)
            return
        store.put(candidate, speed)
        log.info("jupyter_localai: %s measured: %.0f prompt tok/s, %.1f decode tok/s, "
                 "%.1f s per typical ask", candidate.name, speed.prompt_tps, speed.decode_tps,
                 speed.typical_ask_s())

    thread = threading.Thread(target=run, name="localai-measure", daemon=True)
    thread.start()
    return thread
