"""`LocalAI.model = "auto"` in a real kernel with the real embedded model: with nothing set,
"auto" picks among the models installed in a temp model folder, says which and why in
`%ai status`, measures the loaded model once (its speed lands in the speed folder), and a
later decision uses that measurement: the measured model within the limit, a bigger
unmeasured one only when its estimate (measured time x file size) fits."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.kernel_driver import KernelDriver

from jupyter_localai.config import MODEL_ENV, SERVER_URL_ENV
from jupyter_localai.model_choice import SPEED_DIR_ENV, TYPICAL_DECODE_TOKENS, TYPICAL_PROMPT_TOKENS

pytestmark = pytest.mark.model

TIMEOUT_S = 1200.0  # the shared 2-core machine is slow under load
BIG_BYTES = 4_700_000_000


@pytest.fixture(scope="module")
def folders(default_model_path: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model folder with the embedded model (linked, as if assembled there), a smaller
    GGUF, a bigger one (a tiny model's header padded to 4.7 GB, sparse: "auto" must not
    load it) and a broken one (never a candidate), and a speed folder."""
    root = tmp_path_factory.mktemp("auto")
    models = root / "models"
    models.mkdir()
    os.link(default_model_path, models / "qwen2.5-coder-0.5b.gguf")
    write_tiny_gguf(models / "tiny-coder.gguf")
    write_tiny_gguf(models / "big-coder-7b.gguf")
    with open(models / "big-coder-7b.gguf", "r+b") as big:
        big.truncate(BIG_BYTES)
    (models / "broken-coder-3b.gguf").write_bytes(Path(default_model_path).read_bytes()[:4096])
    return {"models": models, "speed": root / "speed"}


def write_tiny_gguf(path: Path) -> None:
    import numpy as np
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), "qwen2")
    writer.add_block_count(1)
    writer.add_context_length(256)
    writer.add_embedding_length(64)
    writer.add_tensor("token_embd.weight", np.zeros((32, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="module")
def kernel(folders: dict[str, Path]) -> Iterator[KernelDriver]:
    env = {k: v for k, v in os.environ.items() if k not in (MODEL_ENV, SERVER_URL_ENV)}
    env[SPEED_DIR_ENV] = str(folders["speed"])
    driver = KernelDriver(env=env)
    run = driver.execute(f"%load_ext jupyter_localai\n"
                         f"%config LocalAI.models_dir = {str(folders['models'])!r}")
    assert run.status == "ok", run.error
    yield driver
    driver.shutdown()


def test_auto_picks_measures_once_and_then_decides_on_the_measurement(
        kernel: KernelDriver, folders: dict[str, Path]) -> None:
    status = kernel.execute("%ai status")
    assert status.status == "ok", status.error
    assert "Configured model: auto (alias of qwen2.5-coder-0.5b)" in status.stdout
    assert ("auto: qwen2.5-coder-0.5b, 0.5B, no speed measured on this machine yet"
            in status.stdout), status.stdout
    assert "7B" in status.stdout  # the bigger one is named as also installed
    assert "3B" not in status.stdout  # the broken one is no candidate

    run = kernel.execute("%%ai --no-verify --max-tokens 24\nSet answer to 42.",
                         timeout=TIMEOUT_S)
    assert run.status == "ok", run.error
    assert kernel.value("__import__('jupyter_localai').last_reply().model").startswith(
        "qwen2.5-coder-0.5b")
    deadline = time.monotonic() + TIMEOUT_S
    files: list[Path] = []
    while not files and time.monotonic() < deadline:
        files = list(folders["speed"].glob("*.json")) if folders["speed"].is_dir() else []
        time.sleep(2)
    assert files, "the loaded model was not measured"
    measured = json.loads(files[0].read_text())
    assert list(measured) and all(key.startswith("qwen2.5-coder-0.5b.gguf:") for key in measured)
    speed = next(iter(measured.values()))
    assert speed["prompt_tps"] > 0 and speed["decode_tps"] > 0 and speed["n_threads"] >= 1
    typical = TYPICAL_PROMPT_TOKENS / speed["prompt_tps"] + TYPICAL_DECODE_TOKENS / speed["decode_tps"]

    def decided(max_seconds: float) -> str:
        return kernel.value(
            "__import__('jupyter_localai.model_choice', fromlist=['_']).auto_choice("
            "__import__('jupyter_localai.config', fromlist=['_']).LocalAI("
            f"models_dir={str(folders['models'])!r}, auto_max_seconds={max_seconds})).describe()")

    within = decided(typical * 1.5)
    assert within.startswith(f"auto: qwen2.5-coder-0.5b, 0.5B, {typical:.1f} s per typical ask"
                             ), within
    assert "(measured)" in within
    ratio = BIG_BYTES / (folders["models"] / "qwen2.5-coder-0.5b.gguf").stat().st_size
    bigger = decided(typical * ratio * 1.1)
    assert bigger.startswith("auto: big-coder-7b.gguf, 7B, ~"), bigger
    assert "estimated from 0.5B's measured speed x file size" in bigger
    too_slow = decided(typical / 2)
    # Neither fits: a smaller installed model, estimated from the measurement, does.
    assert too_slow.startswith("auto: tiny-coder.gguf, 0.0 GB, ~"), too_slow
