"""How llama-cpp-python must be compiled to run on this CPU, and how to check a built copy.

llama-cpp-python compiles llama.cpp with `-march=native`. On Intel CPUs with AMX
(Sapphire Rapids and later, most current cloud Xeons) that pulls in llama.cpp's AMX
kernels, whose first tile instruction traps (SIGILL) in the vendored version. The fix is
to build for exactly this CPU's vector extensions (AVX2, AVX-512, VNNI, ...) and leave
AMX out; everywhere else (non-AMX x86, ARM, Apple) the native build is kept.

Standard library only, and runnable as a script before the package is installed:

    CMAKE_ARGS="$(python3 jupyter_localai/llama_build.py)" pip install ...

prints the CMake options for this machine, appended to any `CMAKE_ARGS` already set
(a CUDA or Vulkan build keeps its own options).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

# /proc/cpuinfo flag(s) -> the ggml option that compiles for them (ggml-cpu's CMakeLists).
X86_OPTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sse4_2",), "GGML_SSE42"),
    (("avx",), "GGML_AVX"),
    (("avx2",), "GGML_AVX2"),
    (("fma",), "GGML_FMA"),
    (("f16c",), "GGML_F16C"),
    (("bmi2",), "GGML_BMI2"),
    (("avx_vnni",), "GGML_AVX_VNNI"),
    (("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"), "GGML_AVX512"),
    (("avx512vbmi",), "GGML_AVX512_VBMI"),
    (("avx512_vnni",), "GGML_AVX512_VNNI"),
    (("avx512_bf16",), "GGML_AVX512_BF16"),
)
AMX_FLAGS = ("amx_tile", "amx_int8", "amx_bf16")
AMX_OPTIONS = ("GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16")
# The AMX tile instructions as objdump prints them: any of them in libggml-cpu means the
# AMX kernels were compiled in.
AMX_MNEMONICS = ("tileloadd", "tilezero", "ldtilecfg", "tilerelease", "tdpbssd", "tdpbf16ps")
LLAMA_PACKAGE = "llama-cpp-python"


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags from /proc/cpuinfo (empty where there is none: macOS, Windows)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def has_amx(flags: set[str]) -> bool:
    return any(flag in flags for flag in AMX_FLAGS)


def is_x86(machine: str | None = None) -> bool:
    return (machine or platform.machine()).lower() in {"x86_64", "amd64", "i386", "i686"}


def cmake_args_for_cpu(flags: set[str], machine: str | None = None) -> list[str]:
    """CMake options for llama.cpp on a CPU with these flags; empty means the native build.

    Only an x86 CPU with AMX needs anything: native minus AMX, spelled out option by
    option, because `-march=native` would switch AMX back on whatever comes before it.
    """
    if not is_x86(machine) or not has_amx(flags):
        return []
    args = ["-DGGML_NATIVE=OFF"]
    for needed, option in X86_OPTIONS:
        enabled = all(flag in flags for flag in needed)
        args.append(f"-D{option}={'ON' if enabled else 'OFF'}")
    args.extend(f"-D{option}=OFF" for option in AMX_OPTIONS)
    return args


def combined_cmake_args(existing: str, flags: set[str], machine: str | None = None) -> str:
    """`existing` CMAKE_ARGS with this CPU's options added (the user's own options win)."""
    given = set(re.findall(r"-D(\w+)=", existing))
    ours = [arg for arg in cmake_args_for_cpu(flags, machine)
            if arg[2:].split("=", 1)[0] not in given]
    return " ".join(part for part in (existing.strip(), *ours) if part)


def reinstall_command() -> str:
    """The one command that rebuilds llama-cpp-python for this CPU, in this very environment
    (pip's cache bypassed: a cached wheel from an earlier native build would be reused)."""
    args = combined_cmake_args(os.environ.get("CMAKE_ARGS", ""), cpu_flags())
    prefix = f'CMAKE_ARGS="{args}" ' if args else ""
    return (f"{prefix}{sys.executable} -m pip install --force-reinstall "
            f"--no-cache-dir --no-deps {LLAMA_PACKAGE}")


def cpu_library(package_dir: Path) -> Path | None:
    """The llama.cpp CPU backend library inside an installed llama_cpp package."""
    lib_dir = package_dir / "lib"
    for pattern in ("libggml-cpu*.so", "libggml-cpu*.dylib", "ggml-cpu*.dll", "libggml.so"):
        found = sorted(lib_dir.glob(pattern))
        if found:
            return found[0]
    return None


def amx_instructions(library: Path) -> list[str]:
    """The AMX mnemonics `objdump -d` finds in `library` (needs binutils' objdump)."""
    objdump = shutil.which("objdump")
    if objdump is None:
        raise FileNotFoundError("objdump (binutils) is needed to inspect the built library")
    listing = subprocess.run([objdump, "-d", "--no-show-raw-insn", str(library)],
                             capture_output=True, text=True, check=True).stdout
    found = set(re.findall(r"\s(" + "|".join(AMX_MNEMONICS) + r")\s", listing))
    return sorted(found)


def main() -> int:
    """Print CMAKE_ARGS for this machine (the install commands read it)."""
    sys.stdout.write(combined_cmake_args(os.environ.get("CMAKE_ARGS", ""), cpu_flags()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
