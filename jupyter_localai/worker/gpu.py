"""GPU offload settings on their way to `Llama(...)`, and what the build did with them.

Kept apart from `llama_model.py` (the only llama_cpp importer) as plain functions of plain
values, so the parent can show the same words and tests can check the plumbing without a GPU. The
worker passes in what llama.cpp reports: `llama_supports_gpu_offload()` (true only when the
build has a GPU backend and that backend found a device), `llama_print_system_info()` and
the model's layer count.
"""

from __future__ import annotations

from typing import Any

# llama.h's `enum llama_split_mode`.
SPLIT_MODES = {"none": 0, "layer": 1, "row": 2}
# llama-cpp-python turns n_gpu_layers=-1 into this, "every layer".
_ALL_LAYERS = 0x7FFFFFFF


def llama_kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    """The GPU keyword arguments of `Llama(...)` for a load message's settings.

    Raises ValueError for a split mode llama.cpp does not have (the load then fails with
    that message instead of llama.cpp guessing).
    """
    mode = str(spec.get("split_mode") or "layer")
    if mode not in SPLIT_MODES:
        raise ValueError(f"split_mode must be one of {', '.join(SPLIT_MODES)}, not {mode!r}")
    kwargs: dict[str, Any] = {
        "n_gpu_layers": int(spec.get("n_gpu_layers") or 0),
        "main_gpu": int(spec.get("main_gpu") or 0),
        "split_mode": SPLIT_MODES[mode],
    }
    split = [float(share) for share in spec.get("tensor_split") or []]
    if split:  # None lets llama.cpp split by free memory
        kwargs["tensor_split"] = split
    return kwargs


def system_backends(system_info: str) -> list[str]:
    """Backend names in `llama_print_system_info()`: "CUDA : ARCHS = 890 | ... | CPU : SSE3
    = 1 | ..." gives ["CUDA", "CPU"]. Only backends that list features appear there."""
    names = []
    for part in system_info.split("|"):
        if " : " in part:
            names.append(part.split(" : ", 1)[0].strip())
    return [name for name in names if name]


def applied_settings(
    n_gpu_layers: int, main_gpu: int, split_mode: int, tensor_split: list[float] | None
) -> dict[str, Any]:
    """The GPU settings as the loaded `Llama` holds them, in the names `LocalAI` uses
    (n_gpu_layers -1 for "all", split_mode by name): read back from the object, so status
    shows what llama.cpp was given rather than what was asked for."""
    modes = {number: name for name, number in SPLIT_MODES.items()}
    return {
        "n_gpu_layers": -1 if n_gpu_layers >= _ALL_LAYERS else int(n_gpu_layers),
        "main_gpu": int(main_gpu),
        "split_mode": modes.get(int(split_mode), str(split_mode)),
        "tensor_split": [float(share) for share in tensor_split or []],
    }


def offload_report(
    applied: dict[str, Any], supports_gpu_offload: bool, system_info: str, n_layer: int
) -> dict[str, Any]:
    """What `status` says about the backend: names, layers offloaded, in words.

    `applied` is `applied_settings(...)`. The layer count follows llama.cpp's own rule
    (`load_tensors`: the repeating layers plus the output layer, at most n_gpu_layers of
    them, none without a GPU device).
    """
    n_gpu_layers = int(applied["n_gpu_layers"])
    backends = system_backends(system_info)
    total = n_layer + 1
    wanted = _ALL_LAYERS if n_gpu_layers < 0 else n_gpu_layers
    offloaded = min(wanted, total) if supports_gpu_offload else 0
    if not supports_gpu_offload:
        words = "CPU only (this llama-cpp-python build has no GPU backend, or it found no GPU)"
        if n_gpu_layers:
            words += f"; n_gpu_layers={n_gpu_layers} ignored"
    elif offloaded == 0:
        words = "GPU available, not used (n_gpu_layers=0)"
    else:
        words = f"{offloaded}/{total} layers on the GPU"
    return {
        "backend": " + ".join(backends) or "CPU",
        "gpu_offload": words,
        "gpu_layers_offloaded": offloaded,
        "gpu_settings": applied,
        "system_info": " ".join(system_info.split()),
    }
