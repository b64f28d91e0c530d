"""A kernel environment with only the base install (no server, no llama-cpp-python).

The kernel side must import nothing of the server or of llama.cpp, and when it has neither a
server to ask nor a local runtime it says what to install instead of failing on an import.
The end-to-end check (a fresh venv asking a server's resident model) is
`benchmarks/light_kernel.py`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.utils.capture import capture_output

from jupyter_localai.errors import EngineUnavailableError
from jupyter_localai.kernel.assistant import KernelAssistant

KERNEL_SIDE = """
import sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "jupyter_localai")
shell.run_line_magic("ai", "models")
shell.run_line_magic("ai", "help")
import jupyter_localai.kernel.server_client, jupyter_localai.kernel.context.collect
import jupyter_localai.kernel.panel_task, jupyter_localai.engines.worker_client
import jupyter_localai.models, jupyter_localai.model_discovery
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("llama_cpp", "tornado", "jupyter_server", "jupyterlab"))
print("HEAVY", heavy)
"""


def test_kernel_side_imports_no_server_and_no_llama_cpp(tmp_path: Path) -> None:
    """What `%load_ext` and `%ai models` import stays within the base install."""
    env = {**os.environ, "HOME": str(tmp_path), "HF_HUB_CACHE": str(tmp_path / "hub"),
           "OLLAMA_MODELS": str(tmp_path / "ollama")}
    done = subprocess.run([sys.executable, "-c", KERNEL_SIDE], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert "HEAVY []" in done.stdout, done.stdout[-2000:]


@pytest.fixture
def no_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    """This environment as a base install sees it: llama_cpp cannot be found."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any, **kwargs: Any) -> Any:
        return None if name == "llama_cpp" else real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.delenv("JUPYTER_LOCALAI_SERVER_URL", raising=False)


def test_without_server_or_runtime_the_error_says_what_to_install(
    ipython_shell: Any, no_llama_cpp: None
) -> None:
    assistant = KernelAssistant(ipython_shell)
    with pytest.raises(EngineUnavailableError) as caught:
        assistant.engine()
    message = str(caught.value)
    assert "No jupyter-localai server is reachable" in message
    assert 'pip install "jupyter-localai[local]"' in message
    assert sys.prefix in message
    assert assistant.engine_statuses() == {}  # nothing was started


def test_the_magic_shows_that_error_instead_of_a_traceback(
    ipython_shell: Any, no_llama_cpp: None
) -> None:
    ipython_shell.run_line_magic("load_ext", "jupyter_localai")
    try:
        with capture_output() as captured:
            result = ipython_shell.run_cell("%ai --no-context chat hello")
        shown = captured.stdout + captured.stderr + "".join(
            str(output.data.get("text/plain", "")) for output in captured.outputs
        )
        assert result.error_in_exec is None  # shown as a message, not raised
        assert "No jupyter-localai server is reachable" in shown
        assert "jupyter-localai[local]" in shown
    finally:
        ipython_shell.run_line_magic("unload_ext", "jupyter_localai")
