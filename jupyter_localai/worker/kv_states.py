"""Saved KV states, one per notebook: in RAM under a byte budget (LRU), spilled to disk.

A state is the raw bytes of llama.cpp's per-sequence state plus the exact tokens it holds.
It can only ever be used for the tokens it was made from: the store is keyed by the model
file's sha256 and the context settings (a directory per model key), each file carries its
tokens and the sha256 of its bytes, and `best_match` returns how many leading tokens a
state shares with a prompt, so the worker keeps exactly that prefix and nothing more.

No llama_cpp here: the worker (`main.py`) turns states into KV cache and back.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import queue
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger("jupyter_localai.worker.kv")

_MAGIC = b"LAIKV1\n"
_SUFFIX = ".kv"


@dataclass
class KVState:
    """One notebook's KV state: `tokens` are exactly the positions `data` holds."""

    session: str
    tokens: np.ndarray
    data: bytes | None  # None: on disk only, read on use
    path: Path | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


def shared_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """Leading tokens `a` and `b` have in common."""
    length = min(len(a), len(b))
    differ = np.flatnonzero(a[:length] != b[:length])
    return int(differ[0]) if differ.size else length


def file_sha256(path: str | os.PathLike[str], record_dir: Path | None) -> str:
    """The model file's sha256, remembered per (path, size, mtime) so it is hashed once."""
    stat = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
    record = record_dir / "hashes.json" if record_dir else None
    known: dict[str, str] = {}
    if record is not None and record.is_file():
        try:
            known = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", record, exc)
    if key in known:
        return known[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(8 << 20), b""):
            digest.update(chunk)
    known[key] = digest.hexdigest()
    if record is not None:
        _atomic_write(record, json.dumps(known).encode())
    return known[key]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
    os.replace(temp, path)


class KVStateStore:
    """Notebook states of one model: LRU in RAM, written through to `disk_dir` if given.

    Disk writes happen on a background thread, so saving costs an answer only the copy of
    the state's bytes. States whose files were written by an earlier worker (before a
    restart) are indexed by their tokens at start and read when first used.
    """

    def __init__(
        self, ram_budget: int, disk_dir: Path | None = None, disk_budget: int = 1 << 30
    ) -> None:
        self.ram_budget = ram_budget
        self.disk_dir = disk_dir
        self.disk_budget = disk_budget
        self._states: collections.OrderedDict[str, KVState] = collections.OrderedDict()
        self._lock = threading.Lock()
        # (state, its bytes) to write, or (None, None, event) to mark a flush.
        self._writes: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.saves = 0
        self.restores = 0
        self.disk_loads = 0
        if disk_dir is not None:
            self._index_disk()
            threading.Thread(target=self._write_loop, name="kv-writer", daemon=True).start()

    # --- public ---------------------------------------------------------------------------

    def put(self, session: str, tokens: np.ndarray, data: bytes) -> None:
        """Keep `data` (holding exactly `tokens`) as `session`'s latest state."""
        state = KVState(session, np.asarray(tokens, dtype=np.int32).copy(), data)
        if self.disk_dir is not None:
            state.path = self.disk_dir / (hashlib.sha256(session.encode()).hexdigest()[:32] + _SUFFIX)
        with self._lock:
            self._states.pop(session, None)
            self._states[session] = state
            self.saves += 1
            self._evict_ram()
        if self.disk_dir is not None:
            self._writes.put((state, data, None))

    def best_match(self, tokens: np.ndarray, prefer: str | None = None) -> tuple[KVState | None, int]:
        """The state sharing the longest prefix with `tokens` (ties go to `prefer`)."""
        best: tuple[KVState | None, int] = (None, 0)
        with self._lock:
            states = list(self._states.values())
        for state in states:
            shared = shared_prefix(state.tokens, tokens)
            if shared > best[1] or (shared == best[1] and shared and state.session == prefer):
                best = (state, shared)
        return best

    def load(self, state: KVState) -> bytes | None:
        """The state's bytes (read from disk if needed, verified); None if unusable."""
        data = state.data
        if data is None and state.path is not None:
            data = self._read_data(state)
            if data is not None:
                self.disk_loads += 1
                with self._lock:
                    if self._states.get(state.session) is state:
                        state.data = data
                        self._states.move_to_end(state.session)
                        self._evict_ram()
        elif data is not None:
            with self._lock:
                if self._states.get(state.session) is state:
                    self._states.move_to_end(state.session)
        return data

    def forget(self, state: KVState) -> None:
        """Drop a state that turned out unusable (and its file)."""
        with self._lock:
            if self._states.get(state.session) is state:
                del self._states[state.session]
        if state.path is not None:
            try:
                state.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove %s: %s", state.path, exc)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until pending disk writes are done (tests, shutdown)."""
        if self.disk_dir is None:
            return
        done = threading.Event()
        self._writes.put((None, None, done))
        done.wait(timeout)

    def stats(self) -> dict[str, int]:
        with self._lock:
            states = list(self._states.values())
        return {
            "kv_states": len(states),
            "kv_states_in_ram": sum(1 for s in states if s.data is not None),
            "kv_ram_bytes": sum(s.size for s in states),
            "kv_saves": self.saves,
            "kv_restores": self.restores,
            "kv_disk_loads": self.disk_loads,
        }

    # --- internals ------------------------------------------------------------------------

    def _evict_ram(self) -> None:
        """Drop the least recently used bytes over budget (their files stay on disk)."""
        total = sum(s.size for s in self._states.values())
        for session in list(self._states):
            if total <= self.ram_budget:
                break
            state = self._states[session]
            if state.data is None:
                continue
            total -= state.size
            if state.path is not None:
                state.data = None  # still found through its tokens; read back on use
            else:
                del self._states[session]

    def _index_disk(self) -> None:
        assert self.disk_dir is not None
        if not self.disk_dir.is_dir():
            return
        files = sorted(self.disk_dir.glob("*" + _SUFFIX), key=lambda p: p.stat().st_mtime)
        for path in files:
            header = self._read_header(path)
            if header is None:
                continue
            session = str(header["session"])
            tokens = np.asarray(header["tokens"], dtype=np.int32)
            self._states[session] = KVState(session, tokens, None, path=path)

    @staticmethod
    def _read_header(path: Path) -> dict | None:
        try:
            with open(path, "rb") as handle:
                if handle.read(len(_MAGIC)) != _MAGIC:
                    raise ValueError("not a KV state file")
                (length,) = struct.unpack("<Q", handle.read(8))
                return json.loads(handle.read(length))
        except (OSError, ValueError, struct.error) as exc:
            log.warning("ignoring KV state %s: %s", path, exc)
            return None

    def _read_data(self, state: KVState) -> bytes | None:
        assert state.path is not None
        try:
            with open(state.path, "rb") as handle:
                if handle.read(len(_MAGIC)) != _MAGIC:
                    raise ValueError("not a KV state file")
                (length,) = struct.unpack("<Q", handle.read(8))
                header = json.loads(handle.read(length))
                data = handle.read()
        except (OSError, ValueError, struct.error) as exc:
            log.warning("KV state %s unreadable: %s", state.path, exc)
            self.forget(state)
            return None
        same_tokens = np.array_equal(np.asarray(header.get("tokens"), np.int32), state.tokens)
        if not same_tokens or hashlib.sha256(data).hexdigest() != header.get("sha256"):
            log.warning("KV state %s changed on disk or is corrupt; not used", state.path)
            self.forget(state)
            return None
        return data

    def _write_loop(self) -> None:
        while True:
            state, data, flushed = self._writes.get()
            if flushed is not None:
                flushed.set()
                continue
            header = json.dumps(
                {
                    "session": state.session,
                    "tokens": state.tokens.tolist(),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            ).encode()
            try:
                _atomic_write(state.path, _MAGIC + struct.pack("<Q", len(header)) + header + data)
                self._evict_disk()
            except OSError as exc:
                log.warning("could not save KV state to %s: %s", state.path, exc)

    def _evict_disk(self) -> None:
        """Remove the oldest state files beyond the disk budget."""
        assert self.disk_dir is not None
        files = sorted(self.disk_dir.glob("*" + _SUFFIX), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files:
            if total <= self.disk_budget:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)
            with self._lock:
                for session, state in list(self._states.items()):
                    if state.path == path and state.data is None:
                        del self._states[session]
