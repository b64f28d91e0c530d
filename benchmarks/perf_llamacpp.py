"""llama.cpp's own C benchmark (`llama-bench`) as a column of the performance benchmark.

The binary is built from the llama.cpp sources vendored in the llama-cpp-python release
that is installed (its sdist carries `vendor/llama.cpp`), with the CMake options the
project installs it with (`jupyter_localai/llama_build.py`: native, less AMX where the CPU
has it), so it runs the same kernels as the worker. It is built once into
`<user cache>/jupyter-localai/llama-bench/<version>-<hash of the options>/` and reused.

    python benchmarks/perf_llamacpp.py --build         # fetch the sdist, build, print the path
    python benchmarks/perf_llamacpp.py --run           # build if needed, run, print JSON

`run_llama_bench` gives prompt and decode tokens/s at the worker's settings (threads,
n_batch 512, n_ubatch 512, flash attention off, f16 KV cache). Decode is measured at a
depth, i.e. after a prompt of that many tokens, as a notebook answer is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import platformdirs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jupyter_localai import llama_build

log = logging.getLogger("perf_llamacpp")
PACKAGE = "llama-cpp-python"
# Options llama-cpp-python's own CMakeLists forces, plus the build type scikit-build uses.
BASE_OPTIONS = ("-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=ON", "-DLLAMA_CURL=OFF",
                "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF",
                "-DLLAMA_BUILD_SERVER=OFF")
TARGETS = ("llama-bench",)


def installed_version() -> str:
    return metadata.version(PACKAGE)


def cmake_options() -> list[str]:
    """The options this machine's llama-cpp-python is built with, then the fixed ones."""
    cpu = llama_build.combined_cmake_args(os.environ.get("CMAKE_ARGS", ""), llama_build.cpu_flags())
    return [*cpu.split(), *BASE_OPTIONS]


def cache_dir(version: str, options: list[str]) -> Path:
    digest = hashlib.sha256(" ".join(options).encode()).hexdigest()[:12]
    root = Path(platformdirs.user_cache_dir("jupyter-localai")) / "llama-bench"
    return root / f"{version}-{digest}"


def fetch_sdist(version: str, into: Path, sdist: Path | None = None) -> Path:
    """The release's source archive: given, already in `into`, or from pip (its cache first)."""
    name = f"llama_cpp_python-{version}.tar.gz"
    target = into / name
    if target.exists():
        return target
    into.mkdir(parents=True, exist_ok=True)
    if sdist is not None:
        shutil.copyfile(sdist, target)
        return target
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={version}", "--no-deps",
         "--no-binary", ":all:", "--dest", str(into)],
        check=True,
    )
    return target


def vendored_sources(archive: Path, into: Path) -> Path:
    """`vendor/llama.cpp` of the sdist, unpacked once."""
    top = archive.name.removesuffix(".tar.gz")
    source = into / top / "vendor" / "llama.cpp"
    if (source / "CMakeLists.txt").exists():
        return source
    prefix = f"{top}/vendor/llama.cpp/"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        tar.extractall(into, members=members, filter="data")
    return source


def build(sdist: Path | None = None, jobs: int = 2) -> Path:
    """The llama-bench binary, built on first use (minutes on 2 cores) and cached."""
    version, options = installed_version(), cmake_options()
    home = cache_dir(version, options)
    binary = home / "build" / "bin" / "llama-bench"
    if binary.exists():
        return binary
    source = vendored_sources(fetch_sdist(version, home, sdist), home)
    build_dir = home / "build"
    log.info("building llama-bench %s with %s", version, " ".join(options))
    subprocess.run(["cmake", "-S", str(source), "-B", str(build_dir), *options], check=True)
    subprocess.run(["cmake", "--build", str(build_dir), "--target", *TARGETS, "-j", str(jobs)],
                   check=True)
    (home / "options.json").write_text(json.dumps({"version": version, "options": options}))
    return binary


@dataclass
class CFigures:
    """llama-bench's averages (tokens/s) and their spread."""

    prompt_tok_s: float
    prompt_stddev: float
    decode_tok_s: float
    decode_stddev: float
    n_prompt: int
    n_gen: int
    depth: int
    build: str

    def as_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def run_llama_bench(binary: Path, model: str, *, threads: int, n_prompt: int = 512,
                    n_gen: int = 96, depth: int = 512, reps: int = 5) -> CFigures:
    """Prompt processing of `n_prompt` tokens, and decoding of `n_gen` after `depth`."""
    common = _common_args(model, threads, reps)
    prompt = _bench(binary, [*common, "-p", str(n_prompt), "-n", "0"])
    decode = _bench(binary, [*common, "-p", "0", "-n", str(n_gen), "-d", str(depth)])
    return CFigures(prompt["avg_ts"], prompt["stddev_ts"], decode["avg_ts"], decode["stddev_ts"],
                    n_prompt, n_gen, depth, str(prompt.get("build_commit", "")))


def llama_bench_prompt(binary: Path, model: str, *, threads: int, n_prompt: int,
                       reps: int = 1) -> float:
    """Prompt processing of `n_prompt` tokens from an empty cache, tokens per second."""
    return float(_bench(binary, [*_common_args(model, threads, reps), "-p", str(n_prompt),
                               "-n", "0"])["avg_ts"])


def _common_args(model: str, threads: int, reps: int) -> list[str]:
    """The settings every run shares with the worker's: threads, 512-token batches, no
    flash attention, an f16 cache, JSON out."""
    return ["-m", model, "-t", str(threads), "-b", "512", "-ub", "512", "-fa", "0",
            "-ctk", "f16", "-ctv", "f16", "-r", str(reps), "-o", "json"]


def _bench(binary: Path, args: list[str]) -> dict[str, float]:
    done = subprocess.run([str(binary), *args], check=True, capture_output=True, text=True)
    rows = json.loads(done.stdout)
    return rows[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", action="store_true", help="build (or find) the binary")
    parser.add_argument("--run", action="store_true", help="run it on the model")
    parser.add_argument("--sdist", type=Path, help="a llama-cpp-python sdist to use")
    parser.add_argument("--model", default="", help="GGUF path or name (default: embedded)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--n-prompt", type=int, default=512)
    parser.add_argument("--n-gen", type=int, default=96)
    parser.add_argument("--depth", type=int, default=512)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    binary = build(args.sdist)
    log.info("%s", binary)
    if args.run:
        from jupyter_localai.config import DEFAULT_MODEL
        from jupyter_localai.models import resolve_model
        from jupyter_localai.worker.protocol import physical_cores

        path = str(resolve_model(args.model or DEFAULT_MODEL).path)
        figures = run_llama_bench(binary, path, threads=args.threads or physical_cores(),
                                  n_prompt=args.n_prompt, n_gen=args.n_gen, depth=args.depth)
        log.info("%s", json.dumps(figures.as_dict(), indent=1))


if __name__ == "__main__":
    main()
