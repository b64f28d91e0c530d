"""The worker imports its code from the installed packages, never from the caller's folder.

A kernel's working directory is the notebook's folder; a `numpy.py` or `llama_cpp.py` lying
there (a download, a notebook's own module) must not run inside the model worker. Here both
raise at import in the directory the engine is started from, and the real model still loads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_localai.core.engine import GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = pytest.mark.model

TRAP = "raise RuntimeError('imported {name} from the notebook folder')\n"


def test_modules_in_the_callers_folder_are_not_imported_by_the_worker(
    default_model_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("numpy", "llama_cpp", "jupyter_localai"):
        (tmp_path / f"{name}.py").write_text(TRAP.format(name=name))
    monkeypatch.chdir(tmp_path)
    engine = WorkerEngine(default_model_path, n_ctx=512, kv_dir="")
    try:
        engine.start()
        answer = engine.generate(
            GenerationRequest(messages=[{"role": "user", "content": "Say hi."}], max_tokens=4)
        ).result()
        status = engine.status()
    finally:
        engine.close()
    assert answer.completion_tokens >= 1
    assert status["state"] == "ready" and status["restarts"] == 0
