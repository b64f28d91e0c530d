"""llama.cpp is built for the CPU it runs on, without the AMX kernels that trap (SIGILL).

The decision (which CMake options for which CPU) is tested for every kind of CPU from its
flags, so it is checked on any machine; the installed library is inspected with objdump,
which finds AMX tile instructions whatever CPU runs the test.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_localai import llama_build

ROOT = Path(__file__).resolve().parents[1]
ZEN3 = {"fpu", "sse4_2", "avx", "f16c", "avx2", "bmi2", "fma"}
SAPPHIRE_RAPIDS = ZEN3 | {
    "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "avx_vnni", "avx512_bf16",
    "avx512vbmi", "avx512_vnni", "avx512_fp16", "amx_bf16", "amx_tile", "amx_int8",
}


def test_amx_cpu_gets_its_vector_extensions_without_amx() -> None:
    args = llama_build.cmake_args_for_cpu(SAPPHIRE_RAPIDS, machine="x86_64")
    assert "-DGGML_NATIVE=OFF" in args
    for option in ("GGML_AVX2", "GGML_AVX512", "GGML_AVX512_VNNI", "GGML_AVX512_BF16",
                   "GGML_AVX_VNNI", "GGML_FMA", "GGML_F16C"):
        assert f"-D{option}=ON" in args
    for option in llama_build.AMX_OPTIONS:
        assert f"-D{option}=OFF" in args
    assert not [arg for arg in args if "AMX" in arg and arg.endswith("=ON")]


def test_amx_cpu_without_avx512_keeps_it_off() -> None:
    flags = (SAPPHIRE_RAPIDS - {"avx512bw"})
    assert "-DGGML_AVX512=OFF" in llama_build.cmake_args_for_cpu(flags, machine="x86_64")


@pytest.mark.parametrize(
    ("flags", "machine"),
    [(ZEN3, "x86_64"), ({"fp", "asimd", "sve"}, "aarch64"), (set(), "arm64"),
     (SAPPHIRE_RAPIDS, "aarch64")],
)
def test_other_cpus_keep_the_native_build(flags: set[str], machine: str) -> None:
    assert llama_build.cmake_args_for_cpu(flags, machine=machine) == []


def test_the_users_own_cmake_args_are_kept_and_win() -> None:
    combined = llama_build.combined_cmake_args(
        "-DGGML_CUDA=on -DGGML_AVX512=OFF", SAPPHIRE_RAPIDS, machine="x86_64")
    assert combined.startswith("-DGGML_CUDA=on -DGGML_AVX512=OFF")
    assert combined.count("GGML_AVX512=") == 1
    assert "-DGGML_AMX_TILE=OFF" in combined
    assert llama_build.combined_cmake_args("", ZEN3, machine="x86_64") == ""


def test_cpu_flags_read_from_cpuinfo_text() -> None:
    cpuinfo = "processor\t: 0\nflags\t\t: fpu avx2 amx_tile\nbugs\t\t: spectre\n"
    assert llama_build.cpu_flags(cpuinfo) == {"fpu", "avx2", "amx_tile"}
    assert llama_build.cpu_flags("") == set()


def test_reinstall_command_rebuilds_without_pips_cache() -> None:
    command = llama_build.reinstall_command()
    assert "--force-reinstall" in command and "--no-cache-dir" in command
    assert command.endswith("llama-cpp-python")
    if llama_build.is_x86() and llama_build.has_amx(llama_build.cpu_flags()):
        assert "GGML_AMX_TILE=OFF" in command


def test_install_commands_build_for_this_cpu() -> None:
    """The README's two commands and CI's install llama-cpp-python with this CPU's options."""
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    marker = 'CMAKE_ARGS="$(python3 jupyter_localai/llama_build.py)" pip install'
    assert readme.count(marker) >= 2
    assert marker in ci


def test_script_prints_the_options_for_this_machine() -> None:
    env = {key: value for key, value in os.environ.items() if key != "CMAKE_ARGS"}
    out = subprocess.run([sys.executable, str(ROOT / "jupyter_localai" / "llama_build.py")],
                         capture_output=True, text=True, check=True, env=env)
    expected = llama_build.combined_cmake_args("", llama_build.cpu_flags())
    assert out.stdout.strip() == expected


x86_with_objdump = pytest.mark.skipif(
    not llama_build.is_x86() or shutil.which("objdump") is None,
    reason="AMX exists on x86 only; objdump (binutils) inspects the library",
)


@x86_with_objdump
def test_objdump_check_finds_tile_instructions(tmp_path: Path) -> None:
    """The check itself can fail: a tiny object built with AMX enabled is caught."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build an AMX sample")
    source = tmp_path / "tile.c"
    source.write_text("#include <immintrin.h>\nvoid clear(void) { _tile_release(); }\n")
    obj = tmp_path / "tile.o"
    built = subprocess.run([cc, "-O2", "-mamx-tile", "-c", str(source), "-o", str(obj)],
                           check=False, capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"this compiler cannot emit AMX: {built.stderr.strip()[:200]}")
    assert llama_build.amx_instructions(obj) == ["tilerelease"]


@x86_with_objdump
def test_installed_llama_cpp_has_no_amx_tile_instructions() -> None:
    """The install commands leave AMX out (its kernels trap in the vendored llama.cpp), on
    an AMX CPU as on any other x86 CPU."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        pytest.skip("llama-cpp-python is not installed (kernel-side install)")
    library = llama_build.cpu_library(Path(spec.origin).parent)
    assert library is not None, "no libggml-cpu found in the installed llama_cpp"
    assert llama_build.amx_instructions(library) == [], (
        f"{library.name} contains AMX tile instructions; rebuild with: "
        f"{llama_build.reinstall_command()}"
    )

