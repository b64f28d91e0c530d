"""`%ai models` in a real kernel lists fake Hugging Face, LM Studio and Ollama stores, and
`%config LocalAI.model = "ollama:..."` switches the kernel's worker to the real embedded
model found there (linked into the fake Ollama blob store), which then answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.kernel_driver import KernelDriver, own_worker_env
from support.model_stores import ModelStores

pytestmark = pytest.mark.model

OLLAMA_NAME = "ollama:qwen2.5-coder:0.5b"
HF_NAME = "hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q8_0.gguf"


@pytest.fixture(scope="module")
def stores(default_model_path: str, tmp_path_factory: pytest.TempPathFactory) -> ModelStores:
    made = ModelStores(tmp_path_factory.mktemp("stores"))
    real = Path(default_model_path)
    made.add_ollama("qwen2.5-coder", "0.5b", real)
    made.add_hf("Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
                "qwen2.5-coder-0.5b-instruct-q8_0.gguf", real)
    tiny = made.root / "tiny.gguf"
    tiny.write_bytes(real.read_bytes()[: 1 << 20])  # the header alone, cut: fails the check
    made.add_lmstudio("lmstudio-community", "Broken-GGUF", "broken-q4_k_m.gguf", tiny)
    return made


@pytest.fixture(scope="module")
def kernel(stores: ModelStores, default_model_path: str) -> Iterator[KernelDriver]:
    env = own_worker_env(default_model_path, unset=("HF_HOME", "HUGGINGFACE_HUB_CACHE"),
                         **stores.env())
    driver = KernelDriver(env=env)
    run = driver.execute("%load_ext jupyter_localai")
    assert run.status == "ok", run.error
    yield driver
    driver.shutdown()


def test_ai_models_lists_the_stores(kernel: KernelDriver, stores: ModelStores) -> None:
    listing = kernel.execute("%ai models").stdout
    assert OLLAMA_NAME in listing and HF_NAME in listing
    assert "lmstudio:lmstudio-community/Broken-GGUF/broken-q4_k_m.gguf" in listing
    assert "ollama, 469 MiB, header ok" in listing
    assert "hf, 469 MiB, header ok" in listing
    assert "lmstudio, 1 MiB, fails the header check" in listing
    assert str(stores.ollama / "blobs") in listing


def test_switch_to_a_discovered_model_answers(kernel: KernelDriver) -> None:
    assert kernel.execute(f'%config LocalAI.model = "{OLLAMA_NAME}"').status == "ok"
    run = kernel.execute("%%ai --max-tokens 48 --no-context\n"
                         "write a function add(a, b) that returns a + b")
    assert run.status == "ok", run.error
    assert "def add" in kernel.value("__import__('jupyter_localai').last_reply().code")
    status = kernel.execute("%ai status").stdout
    assert f"Configured model: {OLLAMA_NAME}" in status
    assert "/blobs/sha256-" in status  # the worker loaded Ollama's blob
