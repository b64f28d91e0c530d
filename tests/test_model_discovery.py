"""model_discovery: GGUF files in the Hugging Face cache, LM Studio, Ollama and models_dir
are listed with source, size and header check, and the listed names pick them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support.model_stores import ModelStores

from jupyter_localai import model_discovery, models
from jupyter_localai.config import DEFAULT_MODEL, LocalAI
from jupyter_localai.errors import ModelNotFoundError
from jupyter_localai.gguf_header import read_gguf_header
from jupyter_localai.models import list_models, model_search_roots, resolve_model


@pytest.fixture
def stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelStores:
    """Empty stores in tmp_path, with the tools' variables pointing at them."""
    made = ModelStores(tmp_path / "stores")
    for name in ("HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in made.env().items():
        monkeypatch.setenv(name, value)
    return made


@pytest.fixture
def filled(stores: ModelStores, make_gguf, tmp_path: Path) -> dict[str, Path]:
    """One file per source, a broken one, and files discovery must leave out."""
    good = make_gguf("good.gguf", block_count=2)
    other = make_gguf("other.gguf", block_count=3)
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(good.read_bytes()[:200])  # a cut-off download
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "local-q4.gguf").write_bytes(other.read_bytes())
    (mine / "sub").mkdir()
    (mine / "sub" / "split-00001-of-00002.gguf").write_bytes(good.read_bytes())
    (mine / "sub" / "split-00002-of-00002.gguf").write_bytes(good.read_bytes())
    (mine / "mmproj-f16.gguf").write_bytes(good.read_bytes())
    return {
        "hf": stores.add_hf("Qwen/Tiny-GGUF", "tiny-q8_0.gguf", good),
        "lmstudio": stores.add_lmstudio("lmstudio-community", "Other-GGUF", "other.gguf", other),
        "ollama": stores.add_ollama("tiny-coder", "0.5b", good),
        "broken": stores.add_hf("someone/Broken-GGUF", "broken.gguf", broken),
        "mine": mine,
    }


def _rows(models_dir: str | Path) -> dict[str, dict]:
    return {row["name"]: row for row in list_models(models_dir)}


def test_lists_every_source_with_size_and_header_check(filled: dict[str, Path]) -> None:
    rows = _rows(filled["mine"])
    expected = {
        "hf:Qwen/Tiny-GGUF/tiny-q8_0.gguf": ("hf", filled["hf"]),
        "lmstudio:lmstudio-community/Other-GGUF/other.gguf": ("lmstudio", filled["lmstudio"]),
        "ollama:tiny-coder:0.5b": ("ollama", filled["ollama"]),
        "local-q4.gguf": ("models_dir", filled["mine"] / "local-q4.gguf"),
        "sub/split-00001-of-00002.gguf": ("models_dir", None),
    }
    for name, (source, path) in expected.items():
        row = rows[name]
        assert row["source"] == source
        assert row["header_ok"] is True and row["available"] is True, row
        assert row["size_bytes"] == Path(row["path"]).stat().st_size > 0
        if path is not None:
            assert Path(row["path"]) == path
    assert "qwen2" in rows["ollama:tiny-coder:0.5b"]["description"]
    assert filled["ollama"].name.startswith("sha256-")  # the blob, named by its digest
    broken = rows["hf:someone/Broken-GGUF/broken.gguf"]
    assert broken["header_ok"] is False and broken["available"] is False
    assert broken["description"].startswith("fails the header check")
    assert broken["size_bytes"] == 200
    # Later shards load through the first; vision projectors are not chat models.
    assert not any("00002-of" in name or "mmproj" in name for name in rows)
    assert rows[DEFAULT_MODEL]["source"] == "registry"


def test_listed_names_resolve_to_the_listed_files(filled: dict[str, Path]) -> None:
    mine = filled["mine"]
    for row in list_models(mine):
        if row["source"] in ("registry",) or not row["header_ok"]:
            continue
        model = resolve_model(row["name"], mine)
        assert model.path == Path(row["path"])
        assert model.source == row["source"]
        assert model.info is not None
    assert resolve_model("ollama:tiny-coder:0.5b").path == filled["ollama"]
    assert resolve_model("local-q4.gguf", mine).source == "models_dir"
    assert resolve_model("tiny-q8_0.gguf").source == "hf"  # a bare file name is enough
    with pytest.raises(ModelNotFoundError, match="%ai models"):
        resolve_model("ollama:tiny-coder:7b")


def test_ollama_latest_tag_and_other_namespaces(stores: ModelStores, make_gguf) -> None:
    good = make_gguf("good.gguf")
    stores.add_ollama("coder", "latest", good)
    stores.add_ollama("coder", "q4", good, namespace="someone")
    stores.add_ollama("repo-GGUF", "Q8_0", good, namespace="bartowski", registry="hf.co")
    names = {row["name"] for row in list_models("")}
    assert {"ollama:coder:latest", "ollama:someone/coder:q4",
            "ollama:hf.co/bartowski/repo-GGUF:Q8_0"} <= names
    assert resolve_model("ollama:coder").name == "ollama:coder:latest"


def test_hf_lists_the_main_revision_once(stores: ModelStores, make_gguf) -> None:
    old, new = make_gguf("old.gguf", block_count=2), make_gguf("new.gguf", block_count=3)
    stores.add_hf("org/Model-GGUF", "model.gguf", old, revision="0ld", main=False)
    current = stores.add_hf("org/Model-GGUF", "model.gguf", new, revision="n3w")
    rows = [row for row in list_models("") if row["name"] == "hf:org/Model-GGUF/model.gguf"]
    assert [Path(row["path"]) for row in rows] == [current]


def test_header_checks_are_cached_per_file_version(
    filled: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []

    def counting(path: Path):
        calls.append(path)
        return read_gguf_header(path)

    monkeypatch.setattr(model_discovery, "HEADER_CACHE", model_discovery.HeaderCache())
    monkeypatch.setattr(models, "HEADER_CACHE", model_discovery.HEADER_CACHE)
    monkeypatch.setattr(models, "validate_gguf", counting)
    list_models(filled["mine"])
    first = len(calls)
    assert first >= 5
    started = time.perf_counter()
    list_models(filled["mine"])
    assert len(calls) == first  # nothing checked twice
    assert time.perf_counter() - started < 1.0
    target = filled["mine"] / "local-q4.gguf"
    target.write_bytes(target.read_bytes() + b"\0" * 32)  # a new version of the file
    list_models(filled["mine"])
    assert calls[first:] == [target]


def test_search_roots_name_every_store(filled: dict[str, Path], stores: ModelStores) -> None:
    roots = model_search_roots(LocalAI(models_dir=str(filled["mine"])))
    assert filled["mine"] in roots
    assert {stores.hf_hub, stores.ollama, stores.lmstudio} <= set(roots)
    # Every listed file lives under one of them (after its links are followed, or before).
    for row in list_models(filled["mine"]):
        path = Path(row["path"])
        assert any(path.is_relative_to(root) or path.resolve().is_relative_to(root.resolve())
                   for root in roots), path
    default = model_search_roots(LocalAI())
    assert models.models_cache_dir("") in default


def test_models_dir_takes_several_folders(stores: ModelStores, make_gguf, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, name in ((first, "one.gguf"), (second, "two.gguf")):
        folder.mkdir()
        (folder / name).write_bytes(make_gguf(name).read_bytes())
    joined = f"{first}{os.pathsep}{second}"
    names = {row["name"] for row in list_models(joined)}
    assert {"one.gguf", "two.gguf"} <= names
    assert models.models_cache_dir(joined) == first
    assert resolve_model("two.gguf", joined).path == second / "two.gguf"
