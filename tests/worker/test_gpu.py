"""GPU settings without a GPU: from `LocalAI` to the worker's `Llama(...)` keyword arguments,
and the words `status` uses for what the build did with them (`worker/gpu.py`).

What the real worker reads back from a loaded model is in tests/engines/test_gpu_plumbing.py.
"""

from __future__ import annotations

import pytest
from traitlets import TraitError

from jupyter_localai.config import LocalAI
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.worker import gpu

# llama_print_system_info() of a CUDA build (the form llama.cpp prints: backend, " : ",
# then its features) and of this machine's CPU build.
CUDA_INFO = ("CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
             "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | ")
CPU_INFO = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | REPACK = 1 | "


def test_defaults_offload_nothing() -> None:
    settings = LocalAI()
    assert (settings.n_gpu_layers, settings.main_gpu, settings.split_mode) == (0, 0, "layer")
    assert settings.tensor_split == []
    assert gpu.llama_kwargs({}) == {"n_gpu_layers": 0, "main_gpu": 0, "split_mode": 1}


def test_settings_become_llama_keyword_arguments() -> None:
    settings = LocalAI(n_gpu_layers=-1, main_gpu=1, split_mode="row", tensor_split=[3, 1])
    engine = WorkerEngine.from_config(settings)
    assert engine.status()["n_gpu_layers"] == -1  # reported before anything loads
    spec = {"n_gpu_layers": -1, "main_gpu": 1, "split_mode": "row", "tensor_split": [3, 1]}
    assert gpu.llama_kwargs(spec) == {
        "n_gpu_layers": -1, "main_gpu": 1, "split_mode": 2, "tensor_split": [3.0, 1.0],
    }
    assert gpu.llama_kwargs({"split_mode": "none"})["split_mode"] == 0


def test_unknown_split_mode_is_refused_by_name() -> None:
    with pytest.raises(TraitError):
        LocalAI(split_mode="diagonal")
    with pytest.raises(ValueError, match="split_mode must be one of none, layer, row"):
        gpu.llama_kwargs({"split_mode": "diagonal"})


def test_backends_are_read_from_the_system_info() -> None:
    assert gpu.system_backends(CUDA_INFO) == ["CUDA", "CPU"]
    assert gpu.system_backends(CPU_INFO) == ["CPU"]
    assert gpu.system_backends("") == []


def test_applied_settings_use_the_names_of_localai() -> None:
    # llama-cpp-python stores n_gpu_layers=-1 as 0x7FFFFFFF and split modes as numbers.
    applied = gpu.applied_settings(0x7FFFFFFF, 0, 2, [3.0, 1.0])
    assert applied == {"n_gpu_layers": -1, "main_gpu": 0, "split_mode": "row",
                       "tensor_split": [3.0, 1.0]}
    assert gpu.applied_settings(12, 1, 0, None)["tensor_split"] == []


@pytest.mark.parametrize(
    ("n_gpu_layers", "supports", "info", "offloaded", "words", "backend"),
    [
        (0, False, CPU_INFO, 0, "CPU only (this llama-cpp-python build has no GPU", "CPU"),
        (-1, False, CPU_INFO, 0, "n_gpu_layers=-1 ignored", "CPU"),
        (-1, True, CUDA_INFO, 25, "25/25 layers on the GPU", "CUDA + CPU"),
        (10, True, CUDA_INFO, 10, "10/25 layers on the GPU", "CUDA + CPU"),
        (99, True, CUDA_INFO, 25, "25/25 layers on the GPU", "CUDA + CPU"),
        (0, True, CUDA_INFO, 0, "GPU available, not used (n_gpu_layers=0)", "CUDA + CPU"),
    ],
)
def test_offload_report_says_what_the_build_does(
    n_gpu_layers: int, supports: bool, info: str, offloaded: int, words: str, backend: str
) -> None:
    applied = gpu.applied_settings(n_gpu_layers if n_gpu_layers >= 0 else 0x7FFFFFFF, 0, 1, [])
    report = gpu.offload_report(applied, supports, info, n_layer=24)
    assert report["gpu_layers_offloaded"] == offloaded
    assert words in report["gpu_offload"]
    assert ("ignored" in report["gpu_offload"]) == (not supports and n_gpu_layers != 0)
    assert report["backend"] == backend
    assert report["gpu_settings"]["n_gpu_layers"] == n_gpu_layers
    assert "  " not in report["system_info"] and report["system_info"].startswith(info[:4])
