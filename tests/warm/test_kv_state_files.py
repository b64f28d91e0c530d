"""Saved KV state files as an attacker or a crash leaves them (no model).

A state decides what the model "remembers" of a prompt, so a file someone else wrote is a
lasting prompt injection, and its header holds a notebook's path and prompt. Folders are
private (0700, ours), files 0600 and signed with the user's key; every file that is not
exactly what this user's worker wrote is skipped with a log line, never an exception.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest
from support.kv_files import header_of, plant, read_state, signed_format, user_key

from jupyter_localai.worker.kv_states import KVStateStore

LOGGER = "jupyter_localai.worker.kv"
N_VOCAB = 1000


def tokens(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int32)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "kv"


@pytest.fixture
def folder(root: Path) -> Path:
    return root / "model-a"


def store_on(folder: Path, root: Path, **kwargs: int) -> KVStateStore:
    return KVStateStore(1 << 20, disk_dir=folder, root=root, n_vocab=N_VOCAB, **kwargs)


def saved(folder: Path, root: Path, session: str = "nb.ipynb", toks: tuple[int, ...] = (1, 2, 3)) -> Path:
    """One real state file written by a store, and its path."""
    writer = store_on(folder, root)
    writer.put(session, tokens(*toks), b"s" * 64)
    writer.flush()
    (path,) = folder.glob("*.kv")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folders_are_0700_and_files_0600(folder: Path, root: Path) -> None:
    path = saved(folder, root)
    assert mode(root) == 0o700 and mode(folder) == 0o700
    assert mode(path) == 0o600
    key = root / ".kv-key"
    assert key.is_file() and mode(key) == 0o600 and len(key.read_bytes()) == 32


def test_a_folder_made_0755_by_an_older_version_is_made_private(folder: Path, root: Path) -> None:
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(root, 0o755)
    os.chmod(folder, 0o755)
    saved(folder, root)
    assert mode(root) == 0o700 and mode(folder) == 0o700


def test_the_key_is_made_once_and_kept(folder: Path, root: Path) -> None:
    saved(folder, root)
    first = user_key(root)
    second = store_on(root / "model-b", root)
    second.put("x", tokens(9), b"x")
    second.flush()
    assert first is not None and user_key(root) == first


def skipped(caplog: pytest.LogCaptureFixture, path: Path) -> bool:
    return any(path.name in r.getMessage() and r.levelno >= logging.WARNING for r in caplog.records)


def test_a_state_whose_header_claims_other_tokens_is_never_used(
    folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The injection: a real state's cache under a header naming other tokens, written
    without the key (anyone who could write the folder could do this before)."""
    path = saved(folder, root)
    header, payload = read_state(path)
    header["tokens"] = [7, 7, 7, 7]
    planted = plant(folder / ("f" * 32 + ".kv"), header_of("other.ipynb", [7, 7, 7, 7], payload))
    path.unlink()
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)
    state, shared = store.best_match(tokens(7, 7, 7, 7, 8))
    assert state is None or store.load(state) is None
    assert shared == 0
    assert skipped(caplog, planted)


def test_a_signature_that_does_not_match_is_refused(
    folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = saved(folder, root)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF  # the payload's last byte, or the tag over it
    path.write_bytes(bytes(raw))
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)
    state, _ = store.best_match(tokens(1, 2, 3))
    assert state is None or store.load(state) is None
    assert skipped(caplog, path)


MALFORMED = {
    "list_header": {"header": [1, 2, 3]},
    "string_tokens": {"header": {"session": "s", "tokens": "abc", "sha256": "", "size": 64}},
    "huge_length": {"header": header_of("s", [1], b"p" * 64), "length": (1 << 64) - 1},
    "length_beyond_file": {"header": header_of("s", [1], b"p" * 64), "length": 1 << 40},
    "tokens_out_of_int32": {"header": header_of("s", [1, 1 << 40], b"p" * 64)},
    "negative_tokens": {"header": header_of("s", [1, -5], b"p" * 64)},
    "tokens_beyond_vocab": {"header": header_of("s", [1, N_VOCAB + 3], b"p" * 64)},
    "session_not_text": {"header": {"session": [1], "tokens": [1], "sha256": "", "size": 64}},
    "not_json": {"header": b"\xff{{{"},
    "truncated": {"header": header_of("s", [1, 2], b"p" * 64), "cut": 40},
    "deep_nesting": {"header": b"[" * 100_000 + b"]" * 100_000},
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_malformed_files_are_skipped_with_a_log_line(
    name: str, signed: bool, folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Signed: made with the user's own key, so the parser itself is what is tested."""
    saved(folder, root, session="good", toks=(4, 4))
    key = user_key(root) if signed else None
    if signed and key is None:
        pytest.skip("this layout has no key")
    planted = plant(folder / f"{name}.kv", **MALFORMED[name], key=key)  # type: ignore[arg-type]
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)  # must not raise
    assert skipped(caplog, planted)
    assert store.stats()["kv_states"] == 1  # only the good one
    good, shared = store.best_match(tokens(4, 4))
    assert good is not None and shared == 2 and store.load(good) == b"s" * 64


def test_a_file_owned_by_another_user_is_refused(
    folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a file's owner needs root")
    path = saved(folder, root)
    os.chown(path, 12345, 12345)
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)
    state, _ = store.best_match(tokens(1, 2, 3))
    assert state is None or store.load(state) is None
    assert skipped(caplog, path)


def test_a_world_writable_file_is_refused(
    folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = saved(folder, root)
    os.chmod(path, 0o666)
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)
    state, _ = store.best_match(tokens(1, 2, 3))
    assert state is None or store.load(state) is None
    assert skipped(caplog, path)


@pytest.mark.parametrize("which", ["folder", "root"])
def test_a_world_writable_folder_is_not_used(
    which: str, folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    saved(folder, root)
    os.chmod(folder if which == "folder" else root, 0o777)
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)  # RAM only, with a warning
    assert store.best_match(tokens(1, 2, 3))[1] == 0
    store.put("new", tokens(5), b"n")
    store.flush()
    assert store.best_match(tokens(5))[1] == 1  # still serves from RAM
    assert len(list(folder.glob("*.kv"))) == 1  # nothing written there
    assert any("writable" in r.getMessage() for r in caplog.records)


def test_a_folder_owned_by_another_user_is_not_used(
    folder: Path, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() != 0:
        pytest.skip("changing a folder's owner needs root")
    saved(folder, root)
    os.chown(folder, 12345, 12345)
    caplog.set_level(logging.INFO, logger=LOGGER)
    store = store_on(folder, root)
    assert store.best_match(tokens(1, 2, 3))[1] == 0
    assert any("owned by" in r.getMessage() for r in caplog.records)


def test_the_disk_cap_spans_every_model_folder_and_evicts_the_oldest(root: Path) -> None:
    """Each model and context setting has its own folder; one cap covers them all."""
    first = store_on(root / "model-a", root, disk_budget=1000)
    for name in "ab":
        first.put(name, tokens(ord(name)), name.encode() * 300)
        first.flush()
        time.sleep(0.02)
    second = store_on(root / "model-b", root, disk_budget=1000)
    for name in "cd":
        second.put(name, tokens(ord(name)), name.encode() * 300)
        second.flush()
        time.sleep(0.02)
    files = sorted(root.glob("*/*.kv"), key=lambda p: p.stat().st_mtime)
    assert sum(p.stat().st_size for p in files) <= 1000
    left = {read_state(p)[0]["session"] for p in files}
    assert "d" in left and "a" not in left  # the newest kept, the oldest gone first


def test_stale_temporary_files_are_removed(folder: Path, root: Path) -> None:
    saved(folder, root)
    stale = folder / ".abc.kv.999999999.1.tmp"  # a worker that died mid-write
    stale.write_bytes(b"half a state")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    store_on(folder, root)
    assert not stale.exists()
    assert not list(root.rglob("*.tmp"))  # and a write leaves none behind


def test_the_signed_layout_is_in_use() -> None:
    assert signed_format()


def test_clear_drops_every_state_and_its_file_after_the_queued_writes(
    folder: Path, root: Path,
) -> None:
    store = store_on(folder, root)
    store.put("a.ipynb", tokens(1, 2, 3), b"a" * 64)
    store.put("b.ipynb", tokens(4, 5, 6), b"b" * 64)
    store.clear()
    assert store.stats()["kv_states"] == 0
    assert not list(folder.glob("*.kv"))
    assert store.best_match(tokens(1, 2, 3)) == (None, 0)
    assert store_on(folder, root).stats()["kv_states"] == 0  # nothing for a restarted worker
