"""Saved KV states, one per notebook: in RAM under a byte budget (LRU), spilled to disk.

A state is the raw bytes of llama.cpp's per-sequence state plus the exact tokens it holds.
It can only ever be used for the tokens it was made from: the store is keyed by the model
file's sha256 and the context settings (a directory per model key), each file carries its
tokens, and `best_match` returns how many leading tokens a state shares with a prompt, so
the worker keeps exactly that prefix and nothing more.

A state decides what the model takes the prompt to be, so a file that someone else wrote
would be a lasting, invisible prompt injection, and a header holds a notebook's path and
prompt tokens. So the folders are private (0700, owned by this user, refused when anyone
else can write them), files are created 0600 and signed with HMAC-SHA256 under a per-user
key (`.kv-key`, 32 random bytes, 0600, made once in the states' root folder), and a file
that is not exactly what this user's worker wrote is skipped with a log line: nothing read
from disk is trusted before its signature is checked, and nothing in it can raise past the
store. One byte budget covers every model's folder under the root, oldest files first.

File layout: magic, header length (`<Q`), the header's tag, the header (JSON: session,
tokens, payload size), the payload, and the tag over everything before it. The header's
own tag lets the worker index states at start without reading tens of MB per file.

No llama_cpp here: the worker (`main.py`) turns states into KV cache and back.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import logging
import os
import queue
import secrets
import stat
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger("jupyter_localai.worker.kv")

_MAGIC = b"LAIKV2\n"
_SUFFIX = ".kv"
_KEY_FILE = ".kv-key"
_KEY_BYTES = 32
_TAG_BYTES = 32
_PREFIX = len(_MAGIC) + 8 + _TAG_BYTES  # magic, header length, header tag
_MAX_HEADER = 32 << 20  # tokens as JSON: far beyond any context window
_MAX_TOKEN = 2**31 - 1  # llama.cpp tokens are int32
_STALE_TEMP_S = 600.0  # a write takes well under a second; older temp files are leftovers
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_UID = os.geteuid() if hasattr(os, "geteuid") else None


class UnsafeStateFile(ValueError):
    """A state file or folder that this user's worker did not make, or that others could change."""


class MalformedState(ValueError):
    """A state file whose header or size is not what the worker writes."""


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
    stat_ = os.stat(path)
    key = f"{os.path.abspath(path)}|{stat_.st_size}|{stat_.st_mtime_ns}"
    record = record_dir / "hashes.json" if record_dir else None
    known: dict[str, str] = {}
    if record is not None and record.is_file():
        try:
            loaded = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            log.warning("ignoring unreadable %s: %s", record, exc)
        else:
            if isinstance(loaded, dict):
                known = {k: v for k, v in loaded.items() if isinstance(v, str)}
            else:
                log.warning("ignoring %s: not a table of hashes", record)
    if key in known:
        return known[key]
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(8 << 20), b""):
            digest.update(chunk)
    known[key] = digest.hexdigest()
    if record is not None:
        _atomic_write(record, [json.dumps(known).encode()])
    return known[key]


def private_dir(path: Path) -> Path:
    """Make `path` (0700) or check it: a directory of this user that nobody else can write.

    A folder made 0755 by an earlier version is narrowed to 0700 (it shows notebook paths);
    one owned by someone else, or writable by group or others, is refused
    (`UnsafeStateFile`): whoever can write it could swap states in.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.stat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeStateFile(f"{path} is not a directory")
    if _UID is not None and info.st_uid != _UID:
        raise UnsafeStateFile(f"{path} is owned by uid {info.st_uid}, not this user ({_UID})")
    if info.st_mode & 0o022:
        raise UnsafeStateFile(
            f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o})"
        )
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def user_key(root: Path) -> bytes:
    """This user's signing key for state files: 32 random bytes in `root/.kv-key`, 0600.

    Made once; two workers starting together agree on one key (written to a temporary file,
    then hard-linked into place, which never replaces an existing key).
    """
    path = root / _KEY_FILE
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    temp = _temp_name(path)
    try:
        _write_new(temp, [secrets.token_bytes(_KEY_BYTES)])
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another worker made it first: use theirs
    finally:
        temp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_private(path, info)
        if info.st_mode & 0o077:
            raise UnsafeStateFile(
                f"{path} is readable by other users (mode {stat.S_IMODE(info.st_mode):o})"
            )
        key = handle.read(_KEY_BYTES + 1)
    if len(key) != _KEY_BYTES:
        raise UnsafeStateFile(f"{path} is not a key ({len(key)} bytes); remove it to make one")
    return key


def _check_private(path: Path, info: os.stat_result) -> None:
    """Refuse a file that is not a regular file of this user, or that others can write."""
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeStateFile(f"{path} is not a regular file")
    if _UID is not None and info.st_uid != _UID:
        raise UnsafeStateFile(f"owned by uid {info.st_uid}, not this user ({_UID})")
    if info.st_mode & 0o022:
        raise UnsafeStateFile(f"writable by other users (mode {stat.S_IMODE(info.st_mode):o})")


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _write_new(path: Path, parts: Iterable[bytes]) -> None:
    """Create `path` (0600, never through a link, never over an existing file) with `parts`."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        for part in parts:
            handle.write(part)


def _atomic_write(path: Path, parts: Iterable[bytes]) -> None:
    """Write a private file in one step: a 0600 temporary file renamed over `path`, removed
    again if anything fails, so a reader never sees half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = _temp_name(path)
    try:
        _write_new(temp, parts)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_stale_temps(folder: Path) -> None:
    """Remove temporary files a worker left when it died mid-write (its pid is gone, or the
    file is older than any write takes)."""
    now = time.time()
    for temp in folder.glob(".*.tmp"):
        try:
            info = temp.lstat()
            pid = int(temp.name.split(".")[-3])
        except (OSError, ValueError, IndexError):
            continue
        if _UID is not None and info.st_uid != _UID:
            continue
        if now - info.st_mtime > _STALE_TEMP_S or not _pid_alive(pid):
            log.info("removing a stale temporary file %s", temp)
            temp.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # someone else's process, or no such pid number
    return True


def _parse_header(raw: bytes, n_vocab: int | None) -> tuple[str, np.ndarray, int]:
    """Session, tokens and payload size from a header; ValueError for anything else."""
    try:
        header = json.loads(raw)
    except RecursionError as exc:
        raise MalformedState("header nested too deeply") from exc
    if not isinstance(header, dict):
        raise MalformedState(f"header is a {type(header).__name__}, not an object")
    session, tokens, size = header.get("session"), header.get("tokens"), header.get("size")
    if not isinstance(session, str):
        raise MalformedState("header's session is not text")
    if not isinstance(tokens, list) or not all(type(t) is int for t in tokens):
        raise MalformedState("header's tokens are not a list of integers")
    limit = min(n_vocab, _MAX_TOKEN + 1) if n_vocab else _MAX_TOKEN + 1
    if any(t < 0 or t >= limit for t in tokens):
        raise MalformedState(f"header holds tokens outside 0..{limit - 1}")
    if type(size) is not int or size < 0:
        raise MalformedState("header's payload size is not a count")
    return session, np.asarray(tokens, dtype=np.int32), size


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
        self._key = b""
        self.disk_dir: Path | None = None
        if disk_dir is not None and self.root is not None:
            try:
                private_dir(self.root)
                private_dir(disk_dir)
                self._key = user_key(self.root)
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
        """Index the signed states in `disk_dir` by their tokens, oldest first (so the
        newest of one session wins); every other file is skipped with a log line."""
        assert self.disk_dir is not None
        found: list[tuple[float, str, np.ndarray, Path]] = []
        for path in self.disk_dir.glob("*" + _SUFFIX):
            try:
                session, tokens, _, mtime = self._read_file(path, payload=False)
            except (OSError, ValueError) as exc:
                self._skip(path, exc)
                continue
            found.append((mtime, session, tokens, path))
        for _, session, tokens, path in sorted(found, key=lambda entry: entry[0]):
            self._states.pop(session, None)
            self._states[session] = KVState(session, tokens, None, path=path)

    def _skip(self, path: Path, why: BaseException) -> None:
        """Log an unusable file; remove it if it is this user's own (an older layout, a
        torn write, a key that changed): it can never be used and would hold disk space."""
        log.warning("skipping KV state %s: %s", path, why)
        try:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and (_UID is None or info.st_uid == _UID):
                path.unlink()
        except OSError as exc:
            log.debug("left %s in place: %s", path, exc)

    def _mac(self, kind: bytes, *parts: bytes) -> hmac.HMAC:
        mac = hmac.new(self._key, kind, hashlib.sha256)
        for part in parts:
            mac.update(part)
        return mac

    def _read_file(
        self, path: Path, *, payload: bool
    ) -> tuple[str, np.ndarray, bytes | None, float]:
        """Session, tokens, payload (if asked) and mtime of a file this user's worker wrote.

        Raises ValueError (`UnsafeStateFile` for owner, mode and signature) or OSError for
        anything else; the header is parsed only after its signature checked out.
        """
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _check_private(path, info)
            prefix = handle.read(_PREFIX)
            if len(prefix) < _PREFIX or prefix[: len(_MAGIC)] != _MAGIC:
                raise ValueError("not a KV state file of this version")
            (length,) = struct.unpack("<Q", prefix[len(_MAGIC) : len(_MAGIC) + 8])
            if length > min(_MAX_HEADER, info.st_size - _PREFIX - _TAG_BYTES):
                raise ValueError(f"header length {length} does not fit the file")
            raw = handle.read(length)
            signed = prefix[: len(_MAGIC) + 8]
            if not hmac.compare_digest(prefix[-_TAG_BYTES:], self._mac(b"H", signed, raw).digest()):
                raise UnsafeStateFile("header not signed by this user's key (HMAC mismatch)")
            session, tokens, size = _parse_header(raw, self.n_vocab)
            if info.st_size != _PREFIX + length + size + _TAG_BYTES:
                raise ValueError(f"file is {info.st_size} bytes, its header says otherwise")
            if not payload:
                return session, tokens, None, info.st_mtime
            data = handle.read(size)
            tag = handle.read(_TAG_BYTES + 1)
        if len(data) != size or not hmac.compare_digest(
            tag, self._mac(b"F", signed, raw, data).digest()
        ):
            raise UnsafeStateFile("not signed by this user's key (HMAC mismatch)")
        return session, tokens, data, info.st_mtime

    def _read_data(self, state: KVState) -> bytes | None:
        assert state.path is not None
        try:
            _, tokens, data, _ = self._read_file(state.path, payload=True)
            if not np.array_equal(tokens, state.tokens):
                raise ValueError("changed on disk since it was indexed")
        except (OSError, ValueError) as exc:
            self._skip(state.path, exc)
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
                {"session": state.session, "tokens": state.tokens.tolist(), "size": len(data)}
            ).encode()
            signed = _MAGIC + struct.pack("<Q", len(header))
            header_tag = self._mac(b"H", signed, header).digest()
            tag = self._mac(b"F", signed, header, data).digest()
            try:
                _atomic_write(state.path, [signed, header_tag, header, data, tag])
                self._evict_disk()
            except OSError as exc:
                log.warning("could not save KV state to %s: %s", state.path, exc)

    def _evict_disk(self) -> None:
        """Remove the oldest state files until all under `root` (every model's folder, and
        other workers' too) fit the disk budget."""
        assert self.root is not None
        files: list[tuple[float, int, Path]] = []
        for path in [*self.root.glob("*" + _SUFFIX), *self.root.glob("*/*" + _SUFFIX)]:
            try:
                info = path.lstat()
            except OSError:
                continue  # removed meanwhile by another worker
            if stat.S_ISREG(info.st_mode) and (_UID is None or info.st_uid == _UID):
                files.append((info.st_mtime, info.st_size, path))
        files.sort(key=lambda entry: entry[0])
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
