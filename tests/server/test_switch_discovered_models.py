"""`GET models` lists the GGUF files other tools downloaded, as the panel's picker shows them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.model_stores import ModelStores


async def test_get_models_lists_discovered_files(
    raw_fetch, runtime, make_gguf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = ModelStores(tmp_path / "stores")
    for name, value in stores.env().items():
        monkeypatch.setenv(name, value)
    good = make_gguf("good.gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(good.read_bytes()[:100])
    stores.add_ollama("tiny-coder", "1b", good)
    stores.add_hf("org/Broken-GGUF", "broken.gguf", broken)
    response = await raw_fetch(
        "api/localai/models", headers={"Authorization": f"LocalAI {runtime.secret}"}
    )
    rows = {row["name"]: row for row in json.loads(response.body)["models"]}
    tiny = rows["ollama:tiny-coder:1b"]
    assert (tiny["source"], tiny["header_ok"], tiny["available"]) == ("ollama", True, True)
    assert tiny["size_bytes"] == good.stat().st_size
    assert Path(tiny["path"]).parent == stores.ollama / "blobs"
    bad = rows["hf:org/Broken-GGUF/broken.gguf"]
    assert (bad["header_ok"], bad["available"]) == (False, False)
