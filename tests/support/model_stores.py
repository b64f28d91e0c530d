"""Fake model stores laid out as the Hugging Face hub cache, LM Studio and Ollama lay them
out, for the discovery tests (small GGUFs) and the real-model switch (links to the real file).

`ModelStores(root)` owns a temp tree; `env()` gives the variables that point the tools'
defaults at it (`HOME` for LM Studio's `~/.lmstudio`, `HF_HUB_CACHE`, `OLLAMA_MODELS`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"


class ModelStores:
    """A home folder with an HF cache, an LM Studio folder and an Ollama store in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.hf_hub = root / "hf-hub"
        self.ollama = root / "ollama"
        self.lmstudio = self.home / ".lmstudio" / "models"

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "HF_HUB_CACHE": str(self.hf_hub),
                "OLLAMA_MODELS": str(self.ollama)}

    def add_hf(self, repo_id: str, file_name: str, source: Path, *, revision: str = "a1b2c3",
               main: bool = True) -> Path:
        """Like `hf_hub_download`: the bytes in blobs/<sha>, a snapshot link to them."""
        repo = self.hf_hub / ("models--" + repo_id.replace("/", "--"))
        blob = repo / "blobs" / hashlib.sha256(str(source).encode()).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            _place(source, blob)
        link = repo / "snapshots" / revision / file_name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
        if main:
            (repo / "refs").mkdir(exist_ok=True)
            (repo / "refs" / "main").write_text(revision)
        return link

    def add_lmstudio(self, publisher: str, repo: str, file_name: str, source: Path) -> Path:
        target = self.lmstudio / publisher / repo / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        _place(source, target)
        return target

    def add_ollama(self, name: str, tag: str, source: Path, *, namespace: str = "library",
                   registry: str = "registry.ollama.ai") -> Path:
        """Like `ollama pull`: the GGUF as blobs/sha256-<hex>, a manifest naming it."""
        digest = hashlib.sha256(source.read_bytes() if source.stat().st_size < 1 << 24
                                else str(source).encode()).hexdigest()
        blob = self.ollama / "blobs" / f"sha256-{digest}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        if not blob.exists():
            _place(source, blob)
        manifest = self.ollama / "manifests" / registry / namespace / name / tag
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": "sha256:" + "0" * 64, "size": 10},
            "layers": [
                {"mediaType": OLLAMA_MODEL_LAYER, "digest": f"sha256:{digest}",
                 "size": source.stat().st_size},
                {"mediaType": "application/vnd.ollama.image.template",
                 "digest": "sha256:" + "1" * 64, "size": 10},
            ],
        }))
        return blob


def _place(source: Path, target: Path) -> None:
    """Small files are copied; big ones (the real model) are linked, to spare the disk."""
    if source.stat().st_size < 1 << 24:
        target.write_bytes(source.read_bytes())
    else:
        target.symlink_to(source)
