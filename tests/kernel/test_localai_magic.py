"""`%localai` / `%%localai`: the same magic as `%ai`, under a name jupyter-ai does not take.

jupyter-ai's magics are also called `%ai` / `%%ai`; whichever extension loads last owns
`%ai`. The stand-in below registers its own `ai` after ours, as loading jupyter-ai would.
The last tests run real kernels on the real model, one of them with a worker that dies
of SIGILL (a llama-cpp-python build this CPU cannot run).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.kernel_driver import KernelDriver, own_worker_env

from jupyter_localai.worker.faults import SIGILL_ENV

# What loading jupyter-ai after this extension does to `%ai`, in one cell.
OTHER_AI = """
def other_ai(line, cell=None):
    print("other assistant:", line)
get_ipython().register_magic_function(other_ai, "line_cell", "ai")
"""
REINSTALL = "__import__('jupyter_localai.llama_build', fromlist=['_']).reinstall_command()"


def test_localai_is_the_same_magic_and_survives_another_ai(ipython_shell: Any) -> None:
    ipython_shell.run_line_magic("load_ext", "jupyter_localai")
    try:
        lines = ipython_shell.magics_manager.magics["line"]
        cells = ipython_shell.magics_manager.magics["cell"]
        assert lines["localai"] == lines["ai"] == cells["localai"] == cells["ai"]
        ours = lines["localai"]
        ipython_shell.run_cell(OTHER_AI)
        assert lines["ai"] is not ours and lines["localai"] == ours
    finally:
        ipython_shell.run_line_magic("unload_ext", "jupyter_localai")
    # Unloading takes our names away and leaves the other extension's `%ai` alone.
    assert "localai" not in lines and "localai" not in cells
    assert lines["ai"].__name__ == "other_ai"


@pytest.fixture
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    driver = KernelDriver(env=own_worker_env(default_model_path))
    yield driver
    driver.shutdown()


@pytest.mark.model
def test_localai_answers_in_a_kernel_where_ai_is_someone_elses(kernel: KernelDriver) -> None:
    assert kernel.execute("%load_ext jupyter_localai\n" + OTHER_AI).status == "ok"

    run = kernel.execute("%%localai --no-context -f text --max-tokens 8\nSay hi.")
    assert run.status == "ok", run.error
    assert run.final_bundle_with("application/vnd.jupyter-localai.reply+json")
    answer = kernel.value("__import__('jupyter_localai').last_reply().text")
    assert answer

    other = kernel.execute("%ai generate something")
    assert other.stdout.strip() == "other assistant: generate something"
    assert kernel.value("__import__('jupyter_localai').last_reply().text") == answer

    status = kernel.execute("%localai status").stdout
    assert "backend" in status and "gpu_offload" in status and "n_gpu_layers" in status
    assert "state            ready" in status


@pytest.mark.model
def test_sigill_worker_gives_one_clear_error_in_a_kernel(default_model_path: str) -> None:
    driver = KernelDriver(env=own_worker_env(default_model_path, **{SIGILL_ENV: "generate"}))
    try:
        assert driver.execute("%load_ext jupyter_localai\nprecious = 42").status == "ok"
        command = driver.value(REINSTALL)
        first = driver.execute("%%localai --no-context -f text --max-tokens 8\nSay hi.")
        assert first.status == "ok", first.error  # a message in the cell, no traceback
        shown = str(first.final_bundle()) + first.stdout
        assert "SIGILL" in shown and "cannot run" in shown and command in shown

        status = driver.execute("%ai status").stdout
        assert "failure          unsupported build" in status and command in status
        assert "restarts         0" in status

        again = driver.execute("%%ai --no-context -f text --max-tokens 8\nSay hi.")
        assert command in str(again.final_bundle()) + again.stdout
        pid = ("get_ipython().magics_manager.registry['LocalAIMagics']"
               ".assistant.engine_statuses()['worker']['pid']")
        assert driver.value(pid) is None  # no worker was started again
        assert driver.value("precious") == 42
    finally:
        driver.shutdown()
