"""Bad models: each is refused with an error naming the file and the fix, and the server
and a kernel keep serving the model they had.

Switching is `POST models` on the real server holding the real model: a truncated download,
a file that is not GGUF, a missing path, a header claiming 1000 layers, a `general.alignment`
stored as a string, and a (sparse) file whose tensors need twice this machine's memory. Each
file lies in the server's model folder (`LocalAI.models_dir`), the only place a switch may
take a file from. After each, the resident model answers the
next request and the kernel's variables are as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.gguf_files import bigger_than_memory, string_alignment
from support.jupyter_process import JupyterServer

pytestmark = pytest.mark.model

# (case, make the file, expected HTTP status, words the error must contain besides the path)
CASES: list[tuple[str, str, int, tuple[str, ...]]] = [
    ("truncated download", "truncated_model", 422, ("truncated", "Re-download")),
    ("not a GGUF file", "not_a_model", 422, ("not a GGUF", "pick another model")),
    ("missing path", "missing_model", 404, ("no model file", "Use one of")),
    ("header claims 1000 layers", "thousand_layers", 422, ("1000 layers", "pick another model")),
    ("general.alignment is a string", "text_alignment", 422,
     ("general.alignment", "pick another model")),
    ("too large for memory", "huge_model", 422, ("memory", "smaller")),
]


@pytest.fixture
def missing_model(tmp_path: Path) -> Path:
    return tmp_path / "gone" / "model.gguf"


@pytest.fixture
def thousand_layers(make_gguf: Callable[..., Path]) -> Path:
    return make_gguf("thousand.gguf", block_count=1000)


@pytest.fixture
def text_alignment(tmp_path: Path) -> Path:
    return string_alignment(tmp_path / "text-alignment.gguf")


@pytest.fixture
def huge_model(tmp_path: Path) -> Path:
    return bigger_than_memory(tmp_path / "huge.gguf")


def _answer(server: JupyterServer) -> dict[str, Any]:
    response = server.post("api/localai/v1/chat/completions", {
        "model": "any", "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_bad_models_are_refused_and_the_resident_model_keeps_serving(
    request: pytest.FixtureRequest, model_server: JupyterServer, reliability_report: Any
) -> None:
    kernel = model_server.start_kernel()
    try:
        assert kernel.execute("%load_ext jupyter_localai\nwork = {'rows': 42}").status == "ok"
        before = model_server.status()
        server_pid = model_server.process.pid  # type: ignore[union-attr]
        for case, fixture, code, words in CASES:
            made = request.getfixturevalue(fixture)
            path = model_server.models_dir / fixture / made.name  # rename: sparse stays sparse
            if made.exists():
                path.parent.mkdir(exist_ok=True)
                made.rename(path)
            response = model_server.post("api/localai/models", {"model": str(path)}, timeout=120)
            assert response.status_code == code, (case, response.status_code, response.text)
            message = response.json()["message"]
            assert str(path) in message, (case, message)
            for word in words:
                assert word in message, (case, word, message)
            status = model_server.status()
            assert status["model"] == before["model"], case
            assert status["state"] in ("ready", "idle"), (case, status)
            answer = _answer(model_server)  # the previous model answers at once
            assert answer["choices"][0]["message"]["content"], case
            assert answer["model"] == before["model"], case
            model_server.assert_alive()
        assert model_server.process.pid == server_pid  # type: ignore[union-attr]
        assert model_server.status()["restarts"] == before["restarts"]
        assert kernel.value("work") == {"rows": 42}
        run = kernel.execute("%%ai --no-context -f text --max-tokens 8\nSay hi.")
        assert run.status == "ok" and kernel.value(
            "__import__('jupyter_localai').last_reply().text")
    finally:
        kernel.shutdown()
    reliability_report.add(
        "bad models",
        "; ".join(case for case, *_ in CASES) + " (each `POST models` to the live server)",
        "each refused before any worker saw it, naming the file and the fix (422/404)",
        "previous model kept and answering; no worker restart; kernel variables unchanged",
    )
