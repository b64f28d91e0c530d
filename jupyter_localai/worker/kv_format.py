"""KV state files on disk: the signed file format and the private folders they live in.

A state decides what the model takes the prompt to be, so a file that someone else wrote
would be a lasting, invisible prompt injection, and a header holds a notebook's path and
prompt tokens. So the folders are private (0700, owned by this user, refused when anyone
else can write them), files are created 0600 and signed with HMAC-SHA256 under a per-user
key (`.kv-key`, 32 random bytes, 0600, made once in the states' root folder), and a file
that is not exactly what this user's worker wrote is refused (`UnsafeStateFile`,
`MalformedState`): nothing read from disk is trusted before its signature is checked.

File layout: magic, header length (`<Q`), the header's tag, the header (JSON: session,
tokens, payload size), the payload, and the tag over everything before it. The header's
own tag lets the worker index states at start without reading tens of MB per file.

`kv_states.py` keeps the states (in RAM, written through to these files); no llama_cpp here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import struct
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

log = logging.getLogger("jupyter_localai.worker.kv")

MAGIC = b"LAIKV2\n"
SUFFIX = ".kv"
_KEY_FILE = ".kv-key"
_KEY_BYTES = 32
_TAG_BYTES = 32
_PREFIX = len(MAGIC) + 8 + _TAG_BYTES  # magic, header length, header tag
_MAX_HEADER = 32 << 20  # tokens as JSON: far beyond any context window
_MAX_TOKEN = 2**31 - 1  # llama.cpp tokens are int32
_STALE_TEMP_S = 600.0  # a write takes well under a second; older temp files are leftovers
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_UID = os.geteuid() if hasattr(os, "geteuid") else None


class UnsafeStateFile(ValueError):
    """A state file or folder that this user's worker did not make, or that others could change."""


class MalformedState(ValueError):
    """A state file whose header or size is not what the worker writes."""


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


def state_file_name(session: str) -> str:
    """The file a session's state is written to (its name shows nothing of the session)."""
    return hashlib.sha256(session.encode()).hexdigest()[:32] + SUFFIX


def is_own_file(info: os.stat_result) -> bool:
    """A regular file of this user: one that the worker may remove."""
    return stat.S_ISREG(info.st_mode) and (_UID is None or info.st_uid == _UID)


def remove_unusable(path: Path, why: BaseException) -> None:
    """Log an unusable file; remove it if it is this user's own (an older layout, a
    torn write, a key that changed): it can never be used and would hold disk space."""
    log.warning("skipping KV state %s: %s", path, why)
    try:
        if is_own_file(path.lstat()):
            path.unlink()
    except OSError as exc:
        log.debug("left %s in place: %s", path, exc)


def own_state_files(root: Path) -> list[tuple[float, int, Path]]:
    """(mtime, size, path) of this user's state files under `root` and its folders (every
    model's, and other workers' too), oldest first."""
    files: list[tuple[float, int, Path]] = []
    for path in [*root.glob("*" + SUFFIX), *root.glob("*/*" + SUFFIX)]:
        try:
            info = path.lstat()
        except OSError:
            continue  # removed meanwhile by another worker
        if is_own_file(info):
            files.append((info.st_mtime, info.st_size, path))
    files.sort(key=lambda entry: entry[0])
    return files


class StateFiles:
    """Reads and writes state files signed with this user's `key`."""

    def __init__(self, key: bytes, n_vocab: int | None = None) -> None:
        self._key = key
        self.n_vocab = n_vocab

    def _mac(self, kind: bytes, *parts: bytes) -> hmac.HMAC:
        mac = hmac.new(self._key, kind, hashlib.sha256)
        for part in parts:
            mac.update(part)
        return mac

    def read(self, path: Path, *, payload: bool) -> tuple[str, np.ndarray, bytes | None, float]:
        """Session, tokens, payload (if asked) and mtime of a file this user's worker wrote.

        Raises ValueError (`UnsafeStateFile` for owner, mode and signature) or OSError for
        anything else; the header is parsed only after its signature checked out.
        """
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            _check_private(path, info)
            prefix = handle.read(_PREFIX)
            if len(prefix) < _PREFIX or prefix[: len(MAGIC)] != MAGIC:
                raise ValueError("not a KV state file of this version")
            (length,) = struct.unpack("<Q", prefix[len(MAGIC) : len(MAGIC) + 8])
            if length > min(_MAX_HEADER, info.st_size - _PREFIX - _TAG_BYTES):
                raise ValueError(f"header length {length} does not fit the file")
            raw = handle.read(length)
            signed = prefix[: len(MAGIC) + 8]
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

    def write(self, path: Path, session: str, tokens: np.ndarray, data: bytes) -> None:
        """Write (atomically, 0600) and sign the state `data` holding exactly `tokens`."""
        header = json.dumps(
            {"session": session, "tokens": tokens.tolist(), "size": len(data)}
        ).encode()
        signed = MAGIC + struct.pack("<Q", len(header))
        header_tag = self._mac(b"H", signed, header).digest()
        tag = self._mac(b"F", signed, header, data).digest()
        _atomic_write(path, [signed, header_tag, header, data, tag])
