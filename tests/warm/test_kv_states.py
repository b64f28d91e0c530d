"""The saved-state store on its own (no model): LRU in RAM, files that survive, and
states that can never be used for tokens they were not made from."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from jupyter_localai.worker.kv_format import file_sha256
from jupyter_localai.worker.kv_states import KVStateStore, shared_prefix


def tokens(*values: int) -> np.ndarray:
    return np.asarray(values, dtype=np.int32)


def test_shared_prefix_counts_leading_equal_tokens() -> None:
    assert shared_prefix(tokens(1, 2, 3, 4), tokens(1, 2, 9)) == 2
    assert shared_prefix(tokens(1, 2), tokens(1, 2, 3)) == 2
    assert shared_prefix(tokens(5), tokens(1)) == 0
    assert shared_prefix(tokens(), tokens(1)) == 0


def test_best_match_is_the_longest_shared_prefix() -> None:
    store = KVStateStore(ram_budget=1 << 20)
    store.put("a", tokens(1, 2, 3, 4), b"A" * 10)
    store.put("b", tokens(1, 2, 7, 8, 9), b"B" * 10)
    state, shared = store.best_match(tokens(1, 2, 7, 8, 5))
    assert state is not None and state.session == "b" and shared == 4
    state, shared = store.best_match(tokens(9, 9))
    assert shared == 0


def test_ram_budget_evicts_least_recently_used() -> None:
    store = KVStateStore(ram_budget=25)
    store.put("a", tokens(1), b"x" * 10)
    store.put("b", tokens(2), b"y" * 10)
    state_a, _ = store.best_match(tokens(1))
    assert state_a is not None and store.load(state_a) == b"x" * 10  # a is now the newest
    store.put("c", tokens(3), b"z" * 10)
    assert store.stats()["kv_ram_bytes"] <= 25
    assert store.best_match(tokens(2))[1] == 0  # b went (RAM only: nothing to read back)
    assert store.best_match(tokens(1))[1] == 1 and store.best_match(tokens(3))[1] == 1


def test_states_survive_a_new_store_on_the_same_directory(tmp_path: Path) -> None:
    first = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path)
    first.put("notebook-a", tokens(4, 5, 6), b"state-bytes")
    first.flush()
    second = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path)
    state, shared = second.best_match(tokens(4, 5, 6, 7))
    assert state is not None and shared == 3
    assert state.data is None  # indexed by its tokens, read on use
    assert second.load(state) == b"state-bytes"
    assert second.stats()["kv_disk_loads"] == 1


def test_ram_eviction_keeps_the_file_and_reads_it_back(tmp_path: Path) -> None:
    store = KVStateStore(ram_budget=15, disk_dir=tmp_path)
    store.put("a", tokens(1, 1), b"a" * 10)
    store.flush()
    store.put("b", tokens(2, 2), b"b" * 10)
    store.flush()
    state, shared = store.best_match(tokens(1, 1))
    assert state is not None and shared == 2 and state.data is None
    assert store.load(state) == b"a" * 10


def test_a_tampered_state_file_is_never_used(tmp_path: Path) -> None:
    writer = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path)
    writer.put("a", tokens(1, 2, 3), b"s" * 64)
    writer.flush()
    (path,) = tmp_path.glob("*.kv")
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    store = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path)
    state, shared = store.best_match(tokens(1, 2, 3))
    assert state is not None and shared == 3
    assert store.load(state) is None  # checksum differs: refused and forgotten
    assert store.best_match(tokens(1, 2, 3))[1] == 0
    assert not path.exists()


def test_garbage_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "junk.kv").write_bytes(b"not a state")
    store = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path)
    assert store.stats()["kv_states"] == 0


def test_disk_budget_removes_the_oldest_files(tmp_path: Path) -> None:
    store = KVStateStore(ram_budget=1 << 20, disk_dir=tmp_path, disk_budget=300)
    for name in "abcd":
        store.put(name, tokens(ord(name)), name.encode() * 100)
        store.flush()
    total = sum(p.stat().st_size for p in tmp_path.glob("*.kv"))
    assert total <= 300
    assert store.best_match(tokens(ord("d")))[1] == 1


def test_file_sha256_is_remembered(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 1000)
    digest = file_sha256(model, tmp_path)
    assert len(digest) == 64 and (tmp_path / "hashes.json").is_file()
    assert file_sha256(model, tmp_path) == digest
    model.write_bytes(b"GGUF" + b"\1" * 1000)  # another file at the same path
    assert file_sha256(model, tmp_path) != digest
