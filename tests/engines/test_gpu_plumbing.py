"""GPU settings on the real model in a real worker, on whatever build is installed.

No GPU here: the tests check that the settings reach `Llama(...)` in the worker (read back
from the loaded object, or refused by llama-cpp-python itself) and that status says what
the build did with them. On a CPU build that is "CPU only; n_gpu_layers ignored" and the
answer still comes.
"""

from __future__ import annotations

import llama_cpp
import pytest

from jupyter_localai.config import LocalAI
from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.errors import ModelLoadError

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Say hi."}]
# Asked in this process, independently of the worker: does this build offload at all?
OFFLOADS = bool(llama_cpp.llama_supports_gpu_offload())


@pytest.mark.parametrize("n_gpu_layers", [0, -1])
def test_status_reports_backend_and_offload(default_model_path: str, n_gpu_layers: int) -> None:
    settings = LocalAI(model=default_model_path, n_ctx=512, n_gpu_layers=n_gpu_layers,
                       main_gpu=1, split_mode="row", tensor_split=[3, 1])
    with WorkerEngine.from_config(settings) as engine:
        answer = engine.generate(GenerationRequest(messages=QUESTION, max_tokens=4)).result()
        assert answer.text
        status = engine.status()
    # What the loaded Llama holds, read back in the worker: the settings got there.
    assert status["gpu_settings"] == {"n_gpu_layers": n_gpu_layers, "main_gpu": 1,
                                      "split_mode": "row", "tensor_split": [3.0, 1.0]}
    assert status["n_gpu_layers"] == n_gpu_layers
    assert "CPU" in status["backend"] and "CPU :" in status["system_info"]
    if OFFLOADS:
        assert status["gpu_layers_offloaded"] == (0 if n_gpu_layers == 0 else 25)
    else:
        assert status["gpu_layers_offloaded"] == 0
        assert status["gpu_offload"].startswith("CPU only")
        assert ("n_gpu_layers=-1 ignored" in status["gpu_offload"]) == (n_gpu_layers == -1)


def test_tensor_split_reaches_llama_cpp_python(default_model_path: str) -> None:
    """llama-cpp-python's own check refuses more shares than devices it can address: the
    list got as far as `Llama(...)` in the worker."""
    with (WorkerEngine(default_model_path, n_ctx=512, tensor_split=[1.0] * 17) as engine,
          pytest.raises(ModelLoadError, match="LLAMA_MAX_DEVICES")):
        engine.start()


def test_unknown_split_mode_fails_the_load_by_name(default_model_path: str) -> None:
    with (WorkerEngine(default_model_path, n_ctx=512, split_mode="diagonal") as engine,
          pytest.raises(ModelLoadError, match="split_mode must be one of")):
        engine.start()
