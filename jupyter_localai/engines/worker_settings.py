"""The settings a worker loads its model with: what the `load` message carries.

Plain values, so they travel as JSON and `status()` can show them; the worker passes them
on to `Llama(...)` (`worker/llama_model.py`, GPU ones through `worker/gpu.py`) and to its
saved KV states (`worker/kv_policy.py`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..worker.protocol import physical_cores

KV_DIR_ENV = "JUPYTER_LOCALAI_KV_DIR"


def load_settings(
    *,
    n_ctx: int,
    n_threads: int,
    n_batch: int,
    flash_attn: bool,
    seed: int,
    kv_dir: str | None,
    kv_ram_bytes: int,
    kv_disk_bytes: int,
    n_gpu_layers: int,
    main_gpu: int,
    split_mode: str,
    tensor_split: list[float] | None,
) -> dict[str, Any]:
    """The `load` message's settings (`n_threads=0`: one per physical core; `kv_dir=None`:
    `default_kv_dir()`)."""
    return {
        "n_ctx": n_ctx,
        "n_threads": n_threads or physical_cores(),
        "n_batch": n_batch,
        "flash_attn": flash_attn,
        "seed": seed,
        # Saved KV states per notebook: "" keeps them in RAM only. Absolute: the worker
        # runs in another directory (worker_process.py).
        "kv_dir": _absolute(default_kv_dir() if kv_dir is None else kv_dir),
        "kv_ram_bytes": kv_ram_bytes,
        "kv_disk_bytes": kv_disk_bytes,
        # GPU offload, passed to `Llama(...)` as is (`worker/gpu.py`).
        "n_gpu_layers": n_gpu_layers,
        "main_gpu": main_gpu,
        "split_mode": split_mode,
        "tensor_split": list(tensor_split or []),
    }


def default_kv_dir() -> str:
    """Where notebooks' KV states are kept between runs: $JUPYTER_LOCALAI_KV_DIR, else the
    user's cache directory."""
    import platformdirs

    configured = os.environ.get(KV_DIR_ENV)
    return configured or str(Path(platformdirs.user_cache_dir("jupyter-localai")) / "kv")


def _absolute(folder: str) -> str:
    """`folder` as an absolute path ("" stays "": no folder)."""
    return str(Path(folder).expanduser().absolute()) if folder else ""


def omp_wait_note(environ: dict[str, str]) -> str | None:
    """What this environment's OpenMP wait policy costs the worker's decoding, or None.

    llama.cpp's CPU threads meet at an OpenMP barrier after every step of the graph, a few
    hundred times per token. `OMP_WAIT_POLICY=PASSIVE` puts a waiting thread to sleep at
    each one instead of letting it spin: on an idle machine llama-bench decoded the 0.5B
    model 37% slower with it on 2 threads, while on a machine whose cores are busy
    with other work it is much faster (README, "Inline completion"). The worker inherits
    it from the server or kernel that starts it, so the log says which one it runs with.
    """
    if environ.get("OMP_WAIT_POLICY", "").strip().upper() != "PASSIVE":
        return None
    return ("OMP_WAIT_POLICY=PASSIVE: llama.cpp's threads sleep at each of their barriers; "
            "right on a machine whose cores are busy with other work, but on an idle one "
            "answers decode up to 40% slower than without it")
