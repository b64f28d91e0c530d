"""Saved KV states, one per notebook: in RAM under a byte budget (LRU), spilled to disk.

A state is the raw bytes of llama.cpp's per-sequence state plus the exact tokens it holds.
It can only ever be used for the tokens it was made from: the store is keyed by the model
file's sha256 and the context settings (a directory per model key), each file carries its
tokens, and `best_match` returns how many leading tokens a state shares with a prompt, so
the worker keeps exactly that prefix and nothing more.

Files are private and signed (`kv_format.py`); one that is not exactly what this user's
worker wrote is skipped with a log line, and nothing in it can raise past the store. One
byte budget covers every model's folder under the root, oldest files first.

No llama_cpp here: the worker (`kv_policy.py`, `llama_model.py`) turns states into KV
cache and back.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .kv_format import (
    SUFFIX,
    StateFiles,
    own_state_files,
    private_dir,
    remove_stale_temps,
    remove_unusable,
    state_file_name,
    user_key,
)

log = logging.getLogger("jupyter_localai.worker.kv")


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


class KVStateStore:
    """Notebook states of one model: LRU in RAM, written through to `disk_dir` if given.

    Disk writes happen on a background thread, so saving costs an answer only the copy of
    the state's bytes. States whose files were written by an earlier worker (before a
    restart) are indexed by their tokens at start and read when first used. `root` (default
    `disk_dir`) holds the key and is what `disk_budget` covers: every model's folder in it.
    If a folder or the key is not private, states stay in RAM (a warning says why).
    """

    def __init__(
        self,
        ram_budget: int,
        disk_dir: Path | None = None,
        disk_budget: int = 1 << 30,
        *,
        root: Path | None = None,
        n_vocab: int | None = None,
    ) -> None:
        self.ram_budget = ram_budget
        self.disk_budget = disk_budget
        self.n_vocab = n_vocab
        self.root = root if root is not None else disk_dir
        self._states: collections.OrderedDict[str, KVState] = collections.OrderedDict()
        self._lock = threading.Lock()
        # (state, its bytes) to write, or (None, None, event) to mark a flush.
        self._writes: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.saves = 0
        self.restores = 0
        self.disk_loads = 0
        self._files = StateFiles(b"", n_vocab)
        self.disk_dir: Path | None = None
        if disk_dir is not None and self.root is not None:
            try:
                private_dir(self.root)
                private_dir(disk_dir)
                self._files = StateFiles(user_key(self.root), n_vocab)
            except (OSError, ValueError) as exc:
                log.warning("saved KV states stay in RAM only: %s", exc)
            else:
                self.disk_dir = disk_dir
                try:
                    remove_stale_temps(self.root)
                    remove_stale_temps(disk_dir)
                    self._index_disk()
                except OSError as exc:  # the folder itself unreadable: start with what we have
                    log.warning("could not read saved KV states in %s: %s", disk_dir, exc)
                threading.Thread(target=self._write_loop, name="kv-writer", daemon=True).start()

    # --- public ---------------------------------------------------------------------------

    def put(self, session: str, tokens: np.ndarray, data: bytes) -> None:
        """Keep `data` (holding exactly `tokens`) as `session`'s latest state."""
        state = KVState(session, np.asarray(tokens, dtype=np.int32).copy(), data)
        if self.disk_dir is not None:
            state.path = self.disk_dir / state_file_name(session)
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

    def clear(self) -> None:
        """Drop every state and its file, after the writes already queued, so that the
        next prompt is evaluated cold (benchmarks and tests measuring a cold answer)."""
        self.flush()
        with self._lock:
            states = list(self._states.values())
        for state in states:
            self.forget(state)

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
        """Index the signed states in `disk_dir` by their tokens, oldest first (so the
        newest of one session wins); every other file is skipped with a log line."""
        assert self.disk_dir is not None
        found: list[tuple[float, str, np.ndarray, Path]] = []
        for path in self.disk_dir.glob("*" + SUFFIX):
            try:
                session, tokens, _, mtime = self._files.read(path, payload=False)
            except (OSError, ValueError) as exc:
                remove_unusable(path, exc)
                continue
            found.append((mtime, session, tokens, path))
        for _, session, tokens, path in sorted(found, key=lambda entry: entry[0]):
            self._states.pop(session, None)
            self._states[session] = KVState(session, tokens, None, path=path)

    def _read_data(self, state: KVState) -> bytes | None:
        assert state.path is not None
        try:
            _, tokens, data, _ = self._files.read(state.path, payload=True)
            if not np.array_equal(tokens, state.tokens):
                raise ValueError("changed on disk since it was indexed")
        except (OSError, ValueError) as exc:
            remove_unusable(state.path, exc)
            self.forget(state)
            return None
        return data

    def _write_loop(self) -> None:
        while True:
            state, data, flushed = self._writes.get()
            if flushed is not None:
                flushed.set()
                continue
            try:
                self._files.write(state.path, state.session, state.tokens, data)
                self._evict_disk()
            except OSError as exc:
                log.warning("could not save KV state to %s: %s", state.path, exc)

    def _evict_disk(self) -> None:
        """Remove the oldest state files until all under `root` (every model's folder, and
        other workers' too) fit the disk budget."""
        assert self.root is not None
        files = own_state_files(self.root)
        total = sum(size for _, size, _ in files)
        for _, size, path in files:
            if total <= self.disk_budget:
                break
            total -= size
            path.unlink(missing_ok=True)
            with self._lock:
                for session, state in list(self._states.items()):
                    if state.path == path and state.data is None:
                        del self._states[session]
