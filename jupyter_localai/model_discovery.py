"""GGUF files other tools already downloaded, found where those tools keep them.

A user who ran `huggingface-cli download`, LM Studio or `ollama pull` has models on disk;
listing them saves a second multi-gigabyte download. Each source has its own layout:

- Hugging Face hub cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`):
  `models--org--name/snapshots/<rev>/**.gguf`, symlinks into `blobs/`; named
  `hf:org/name/file.gguf`.
- LM Studio (`~/.lmstudio/models`, older `~/.cache/lm-studio/models`):
  `<publisher>/<repo>/*.gguf`; named `lmstudio:publisher/repo/file.gguf`.
- Ollama (`$OLLAMA_MODELS`, `~/.ollama/models`): JSON manifests under
  `manifests/<registry>/<namespace>/<name>/<tag>` whose model layer names a blob
  `blobs/sha256-<hex>`, itself a GGUF file; named `ollama:name:tag` as `ollama run` spells it.
- `LocalAI.models_dir`: folder(s) of GGUF files (separated by the OS path separator);
  named by their path relative to the folder, e.g. `my-model-q4_k_m.gguf`.

Listing never loads a model: each file gets the fast header check (~30 ms), cached by
(path, mtime, size) so a second listing costs a few stats. Split models list their first
shard only (llama.cpp loads the rest from it); vision projectors (`mmproj*`) are skipped.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import LocalAIError
from .gguf_header import GGUFInfo, read_gguf_header

log = logging.getLogger(__name__)

HF, LMSTUDIO, OLLAMA, MODELS_DIR = "hf", "lmstudio", "ollama", "models_dir"
PREFIXES = {HF: "hf:", LMSTUDIO: "lmstudio:", OLLAMA: "ollama:"}
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_DEFAULT_REGISTRY = "registry.ollama.ai"
_LATER_SHARD = re.compile(r"-(\d{5})-of-\d{5}\.gguf$")
_MAX_DEPTH = 4  # models_dir: folder/publisher/repo/file.gguf at most

HeaderCheck = Callable[[Path], GGUFInfo]


@dataclass(frozen=True)
class FoundModel:
    """A GGUF file on disk and the name that picks it (`%config LocalAI.model = name`)."""

    name: str
    path: Path  # as the tool lays it out (an HF snapshot link, an Ollama blob, ...)
    source: str  # hf / lmstudio / ollama / models_dir

    def size_bytes(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class HeaderVerdict:
    """The header check of one file version: ok, or the reason it fails."""

    ok: bool
    error: str = ""
    description: str = ""


# --- where each tool keeps its files ------------------------------------------------------


def split_dirs(models_dir: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """`LocalAI.models_dir` as folders: one path, or several joined by os.pathsep."""
    if isinstance(models_dir, (str, os.PathLike)):
        parts = [part for part in os.fspath(models_dir).split(os.pathsep) if part.strip()]
    else:
        parts = [os.fspath(part) for part in models_dir if os.fspath(part).strip()]
    return [Path(part).expanduser() for part in parts]


def hf_hub_dir() -> Path:
    """The Hugging Face hub cache, with huggingface_hub's own precedence of variables."""
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "huggingface" / "hub"


def lmstudio_dirs() -> list[Path]:
    return [Path("~/.lmstudio/models").expanduser(), Path("~/.cache/lm-studio/models").expanduser()]


def ollama_dir() -> Path:
    return Path(os.environ.get("OLLAMA_MODELS") or "~/.ollama/models").expanduser()


def search_roots(models_dirs: Sequence[Path]) -> list[Path]:
    """Every folder discovery reads files from (whether or not it exists yet)."""
    return [*models_dirs, hf_hub_dir(), *lmstudio_dirs(), ollama_dir()]


# --- candidates per source: a few globs and small JSON reads, no header checks -----------


def _is_listed_gguf(path: Path) -> bool:
    name = path.name
    if not name.endswith(".gguf") or name.startswith(("mmproj", ".")):
        return False
    shard = _LATER_SHARD.search(name)
    return shard is None or int(shard.group(1)) == 1


def _hf_models(hub: Path) -> Iterator[FoundModel]:
    """One entry per repository file; the revision `refs/main` points at wins, else the newest."""
    for repo_dir in sorted(hub.glob("models--*")):
        repo_id = repo_dir.name.removeprefix("models--").replace("--", "/", 1)
        main = repo_dir / "refs" / "main"
        main_rev = main.read_text().strip() if main.is_file() else ""
        chosen: dict[str, tuple[bool, float, Path]] = {}
        for snapshot in (repo_dir / "snapshots").glob("*"):
            for found in snapshot.rglob("*.gguf"):
                if not _is_listed_gguf(found) or not found.is_file():
                    continue
                relative = found.relative_to(snapshot).as_posix()
                rank = (snapshot.name == main_rev, found.stat().st_mtime, found)
                if relative not in chosen or rank[:2] > chosen[relative][:2]:
                    chosen[relative] = rank
        for relative, (_, _, path) in sorted(chosen.items()):
            yield FoundModel(f"{PREFIXES[HF]}{repo_id}/{relative}", path, HF)


def _lmstudio_models(root: Path) -> Iterator[FoundModel]:
    for found in sorted(root.glob("*/*/*.gguf")):
        if _is_listed_gguf(found) and found.is_file():
            relative = found.relative_to(root).as_posix()
            yield FoundModel(f"{PREFIXES[LMSTUDIO]}{relative}", found, LMSTUDIO)


def ollama_display_name(manifest: Path, manifests_root: Path) -> str:
    """`name:tag` for the default registry's library, else as `ollama pull` was given it."""
    registry, namespace, *rest = manifest.relative_to(manifests_root).parts
    model, tag = "/".join(rest[:-1]), rest[-1]
    if registry == OLLAMA_DEFAULT_REGISTRY:
        prefix = "" if namespace == "library" else f"{namespace}/"
    else:
        prefix = f"{registry}/{namespace}/"
    return f"{prefix}{model}:{tag}"


def _ollama_blob(manifest: Path, blobs: Path) -> Path | None:
    """The model layer's blob named by a manifest, or None (unreadable, no model layer)."""
    try:
        layers = json.loads(manifest.read_text()).get("layers") or []
    except (OSError, ValueError, AttributeError) as error:
        log.info("skipping Ollama manifest %s: %s", manifest, error)
        return None
    for layer in layers:
        if isinstance(layer, dict) and layer.get("mediaType") == OLLAMA_MODEL_LAYER:
            algorithm, _, digest = str(layer.get("digest", "")).partition(":")
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                return None
            for blob in (blobs / f"{algorithm}-{digest}", blobs / f"{algorithm}:{digest}"):
                if blob.is_file():
                    return blob
    return None


def _ollama_models(root: Path) -> Iterator[FoundModel]:
    manifests = root / "manifests"
    for manifest in sorted(manifests.glob("*/*/*/*")):
        if not manifest.is_file():
            continue
        blob = _ollama_blob(manifest, root / "blobs")
        if blob is not None:
            name = ollama_display_name(manifest, manifests)
            yield FoundModel(f"{PREFIXES[OLLAMA]}{name}", blob, OLLAMA)


def _folder_models(folder: Path) -> Iterator[FoundModel]:
    for current, dirs, files in os.walk(folder):
        depth = len(Path(current).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and depth < _MAX_DEPTH - 1)
        for file_name in sorted(files):
            found = Path(current) / file_name
            if _is_listed_gguf(found) and found.is_file():
                yield FoundModel(found.relative_to(folder).as_posix(), found, MODELS_DIR)


def discover(models_dirs: Sequence[Path] = ()) -> list[FoundModel]:
    """GGUF files of every source, models_dir first; one entry per (name, source)."""
    found: list[FoundModel] = []
    seen: set[str] = set()
    sources: list[Iterator[FoundModel]] = [_folder_models(folder) for folder in models_dirs]
    sources += [_hf_models(hf_hub_dir())]
    sources += [_lmstudio_models(root) for root in lmstudio_dirs()]
    sources += [_ollama_models(ollama_dir())]
    for source in sources:
        try:
            for model in source:
                if model.name not in seen:
                    seen.add(model.name)
                    found.append(model)
        except OSError as error:  # one unreadable folder must not hide the others
            log.warning("could not list models: %s", error)
    return found


def find_model(name: str, models_dirs: Sequence[Path] = ()) -> FoundModel | None:
    """The discovered file `name` picks: a listed name (`ollama:qwen2.5-coder` means its
    `:latest` tag), or a bare file name found in any source."""
    name = name.strip()
    if name.startswith(PREFIXES[OLLAMA]) and ":" not in name.removeprefix(PREFIXES[OLLAMA]):
        name += ":latest"
    candidates = discover(models_dirs)
    for model in candidates:
        if model.name == name:
            return model
    if "/" not in name and os.sep not in name and name.endswith(".gguf"):
        for model in candidates:
            if model.path.name == name or model.name.rsplit("/", 1)[-1] == name:
                return model
    return None


# --- header checks, cached per file version ----------------------------------------------


class HeaderCache:
    """Header verdicts keyed by (path, mtime, size): a changed file is checked again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verdicts: dict[tuple[str, int, int], HeaderVerdict] = {}

    def verdict(self, path: Path, check: HeaderCheck = read_gguf_header) -> HeaderVerdict:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._verdicts.get(key)
        if cached is not None:
            return cached
        try:
            info = check(path)
        except LocalAIError as error:
            verdict = HeaderVerdict(False, str(error))
        else:
            verdict = HeaderVerdict(True, description=_describe(info))
        with self._lock:
            self._verdicts[key] = verdict
        return verdict


def _describe(info: GGUFInfo) -> str:
    parts = [info.name or "", info.architecture, f"{info.block_count} layers"]
    if info.context_length:
        parts.append(f"context {info.context_length:,}")
    return ", ".join(part for part in parts if part)


HEADER_CACHE = HeaderCache()
