"""Session-wide test setup: no network beyond loopback, one real model, one worker.

Expensive things are fixtures owned by the session: the embedded model is assembled (or
found already assembled) once in the user's model cache, and one `WorkerEngine` serves
every test that only needs answers. Tests that break or reconfigure a worker make their own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from gguf import GGUFWriter

from jupyter_localai.config import DEFAULT_MODEL, MODEL_ENV, WARM_ON_LOAD_ENV
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.engines.worker_settings import KV_DIR_ENV
from jupyter_localai.model_choice import SPEED_DIR_ENV
from jupyter_localai.models import resolve_model

LOOPBACK_HOSTS = "127.0.0.1,localhost,::1"


def _fresh_kv_states(config: pytest.Config) -> None:
    """Saved KV states of earlier runs would make a test's "cold" prompt warm: the session,
    and every kernel, server and worker it starts, keeps its states in a directory of its own."""
    if KV_DIR_ENV not in os.environ:
        os.environ[KV_DIR_ENV] = tempfile.mkdtemp(prefix="localai-kv-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(KV_DIR_ENV), ignore_errors=True))


def _pinned_model(config: pytest.Config) -> None:
    """The tests' kernels, servers and workers use the embedded model, as before "auto"
    (which picks by this machine's measured speed, and measures the picked model once)
    became the default; tests/test_model_choice*.py and tests/kernel/test_model_choice_model.py
    set "auto" themselves. Measurements go to a folder of the session's own."""
    os.environ.setdefault(MODEL_ENV, DEFAULT_MODEL)
    if SPEED_DIR_ENV not in os.environ:
        os.environ[SPEED_DIR_ENV] = tempfile.mkdtemp(prefix="localai-speed-")
        config.add_cleanup(lambda: shutil.rmtree(os.environ.pop(SPEED_DIR_ENV), ignore_errors=True))


def _no_warm_on_load() -> None:
    """`%load_ext` starts the model in the background by default (`LocalAI.warm_on_load`).
    Dozens of test kernels load the extension to test other things; each would start a
    worker and load a model for nothing, on a 2-core machine. tests/warm/test_warm_on_load*.py
    turn it on, and the real-kernel test there runs the default path end to end."""
    os.environ.setdefault(WARM_ON_LOAD_ENV, "0")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Everything runs offline: pytest-socket blocks connects to anything but loopback.

    Runs before pytest-socket reads its options, so `--allow-hosts` need not be typed;
    an explicit `--allow-hosts` or `--force-enable-socket` on the command line wins.
    """
    _fresh_kv_states(config)
    _pinned_model(config)
    _no_warm_on_load()
    if config.getoption("--allow-hosts", default=None) or config.getoption(
        "--force-enable-socket", default=False
    ):
        return
    config.option.allow_hosts = LOOPBACK_HOSTS
    config.option.allow_unix_socket = True


@pytest.fixture(scope="session")
def default_model_path() -> str:
    """The embedded default model, assembled and verified once (then found in the cache)."""
    return str(resolve_model(DEFAULT_MODEL, progress=lambda done, total: None).path)


@pytest.fixture(scope="session")
def worker_engine(default_model_path: str) -> Iterator[WorkerEngine]:
    """One loaded worker engine for the session; tests must leave it serving."""
    engine = WorkerEngine(default_model_path, n_ctx=4096)
    engine.start()
    yield engine
    engine.close()


GGUFFactory = Callable[..., Path]


@pytest.fixture
def make_gguf(tmp_path: Path) -> GGUFFactory:
    """Write a tiny qwen2-shaped GGUF with llama.cpp's own writer (`gguf.GGUFWriter`).

    `block_count` is what the header claims; `layers` is how many blocks get tensors
    (defaults to the claim). Such files have no vocabulary: llama.cpp refuses them
    cleanly, or aborts when the header is absurd, which is what the tests need.
    """

    def make(name: str = "tiny.gguf", *, block_count: int = 2, layers: int | None = None) -> Path:
        path = tmp_path / name
        writer = GGUFWriter(str(path), "qwen2")
        writer.add_block_count(block_count)
        writer.add_context_length(256)
        writer.add_embedding_length(64)
        writer.add_feed_forward_length(128)
        writer.add_head_count(4)
        writer.add_head_count_kv(4)
        writer.add_layer_norm_rms_eps(1e-6)
        writer.add_tensor("token_embd.weight", np.zeros((32, 64), dtype=np.float32))
        for index in range(block_count if layers is None else layers):
            writer.add_tensor(f"blk.{index}.attn_norm.weight", np.ones(64, dtype=np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path

    return make


@pytest.fixture
def truncated_model(default_model_path: str, tmp_path: Path) -> Path:
    """The real model's header plus the first 4 MB of its tensor data: a cut-off download."""
    source = Path(default_model_path)
    path = tmp_path / "truncated.gguf"
    with source.open("rb") as src, path.open("wb") as out:
        out.write(src.read(10 << 20))  # the header is ~6 MB (vocabulary), then tensors
    return path


@pytest.fixture
def not_a_model(tmp_path: Path) -> Path:
    path = tmp_path / "notes.gguf"
    path.write_text("these are notes, not a model\n" * 100)
    return path
