"""The magics in real kernels on the real embedded model (no Jupyter server: own worker)."""

from __future__ import annotations

import ast
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from support.kernel_driver import KernelDriver, assistant_kernel

pytestmark = pytest.mark.model

SETUP = """
import pandas as pd
sales = pd.DataFrame({
    "region": ["north", "south", "north", "east", "south"],
    "units": [12, 7, 3, 9, 14],
    "unit_price": [2.5, 4.0, 2.5, 3.0, 4.0],
})
"""
WORKER_PID = ("get_ipython().magics_manager.registry['LocalAIMagics']"
              ".assistant.engine_statuses()['worker']['pid']")


@pytest.fixture(scope="module")
def kernel(default_model_path: str) -> Iterator[KernelDriver]:
    with assistant_kernel(default_model_path, SETUP) as driver:
        yield driver


def last_code(kernel: KernelDriver) -> str:
    return kernel.value("__import__('jupyter_localai').last_reply().code")


def test_generate_streams_and_gives_runnable_code(kernel: KernelDriver) -> None:
    run = kernel.execute("%%ai --max-tokens 128\n"
                         "Compute the total of the units column into a variable called total_units")
    assert run.status == "ok", run.error
    updates = run.of_type("update_display_data")
    assert len(updates) >= 3, "the answer should stream in several updates"
    assert run.final_bundle_with("application/vnd.jupyter-localai.reply+json")
    code = last_code(kernel)
    ast.parse(code)
    assert "units" in code  # the real column, from the variable summary
    # The user's explicit action: run the proposed code.
    ran = kernel.execute(code)
    assert ran.status == "ok", ran.error
    assert kernel.value("int(total_units)") == 45
    assert kernel.value("len(sales)") == 5  # the user's data was not replaced


def test_fix_repairs_the_failing_cell(kernel: KernelDriver) -> None:
    failing = kernel.execute('by_region = sales.groupby("regoin")["units"].sum()')
    assert failing.error is not None and failing.error["ename"] == "KeyError"
    run = kernel.execute("%ai fix --max-tokens 128")
    assert run.status == "ok", run.error
    code = last_code(kernel)
    assert "regoin" not in code
    ran = kernel.execute(code)
    assert ran.status == "ok", ran.error
    assert kernel.value("int(by_region['north'])") == 15


def test_fix_of_a_computed_hint_error_runs_and_verify_keeps_the_kernel(kernel: KernelDriver) -> None:
    kernel.execute('zip_codes = [2134, 90210, 501]')
    failing = kernel.execute("padded = [z.zfill(5) for z in zip_codes]")
    assert failing.error is not None and failing.error["ename"] == "AttributeError"
    run = kernel.execute("%ai fix --verify --max-tokens 96")
    assert run.status == "ok", run.error
    verified = kernel.value("__import__('jupyter_localai').last_reply().verified")
    assert verified is True
    assert kernel.value("'padded' in globals()") is False  # only the copy ran it
    ran = kernel.execute(last_code(kernel))
    assert ran.status == "ok", ran.error
    assert kernel.value("padded") == ["02134", "90210", "00501"]


def test_explain_describes_the_previous_cell(kernel: KernelDriver) -> None:
    kernel.execute("top = sales.sort_values('units', ascending=False).head(2)")
    run = kernel.execute("%ai explain --max-tokens 96")
    assert run.status == "ok", run.error
    text = kernel.value("__import__('jupyter_localai').last_reply().text")
    assert len(text.split()) >= 5
    assert "sort" in text.lower() or "units" in text.lower()


def test_insert_puts_code_in_a_new_cell_without_running_it(kernel: KernelDriver) -> None:
    kernel.execute("marker = 0")
    run = kernel.execute("%%ai --insert --max-tokens 96\nSet the variable marker to 42")
    assert run.status == "ok", run.error
    payloads = [p for p in run.reply.get("payload", []) if p.get("source") == "set_next_input"]
    assert len(payloads) == 1 and "marker" in payloads[0]["text"]
    assert payloads[0]["replace"] is False
    assert kernel.value("marker") == 0  # nothing ran behind the user's back


def test_interrupt_stops_generation_and_keeps_state(kernel: KernelDriver) -> None:
    kernel.execute("keep_me = [1, 2, 3]")
    first_token = threading.Event()

    def on_message(message: dict) -> None:
        if message["msg_type"] == "update_display_data":
            first_token.set()

    def interrupt_when_streaming() -> None:
        if first_token.wait(120):
            time.sleep(0.3)
            kernel.interrupt()

    threading.Thread(target=interrupt_when_streaming, daemon=True).start()
    started = time.monotonic()
    run = kernel.execute("%%ai -f text --max-tokens 400\nWrite a long essay about pandas.",
                         on_message=on_message)
    assert first_token.is_set()
    assert time.monotonic() - started < 60
    assert run.status == "ok", run.error  # stopped cleanly, no traceback
    assert kernel.value("__import__('jupyter_localai').last_reply().finish_reason") == "cancelled"
    assert kernel.value("keep_me") == [1, 2, 3]
    again = kernel.execute("%%ai --max-tokens 48\nPrint the number of rows of sales")
    assert again.status == "ok"
    assert last_code(kernel).strip()


def test_worker_killed_mid_answer_is_reported_and_recovered(kernel: KernelDriver) -> None:
    kernel.execute("%%ai --max-tokens 8\nsay hi")  # make sure a worker is running
    pid = kernel.value(WORKER_PID)
    first_token = threading.Event()

    def on_message(message: dict) -> None:
        if message["msg_type"] == "update_display_data":
            first_token.set()

    def kill_when_streaming() -> None:
        if first_token.wait(120):
            os.kill(pid, signal.SIGKILL)

    threading.Thread(target=kill_when_streaming, daemon=True).start()
    run = kernel.execute("%%ai -f text --max-tokens 400\nWrite a long essay about numpy.",
                         on_message=on_message)
    assert run.status == "ok", run.error
    shown = str(run.final_bundle())
    assert "worker" in shown.lower()
    assert kernel.value("len(sales)") == 5
    # Room for a whole answer: what is tested is the recovery, not how short the model is
    # (at 48 tokens an answer that spelled out a DataFrame was cut mid-literal).
    again = kernel.execute("%%ai --max-tokens 160\nPrint the mean of the units column of sales")
    assert again.status == "ok"
    # Recovered: a new worker answered the next request with code that compiles. (Which
    # column it uses is the model's choice: the notebook here also holds `by_region`.)
    assert kernel.value(WORKER_PID) != pid
    compile(last_code(kernel), "<answer>", "exec")
    assert last_code(kernel).strip()
    assert kernel.value(WORKER_PID) != pid
    status = kernel.execute("%ai status").stdout
    assert "restarts" in status


def test_missing_model_gives_a_clear_error_and_kernel_survives(kernel: KernelDriver,
                                                               tmp_path) -> None:
    missing = tmp_path / "nope.gguf"
    run = kernel.execute(f"%%ai --model {missing}\nhello")
    assert run.status == "ok"
    shown = str(run.final_bundle()) + run.stdout
    assert "nope.gguf" in shown
    assert kernel.value("len(sales)") == 5


def test_corrupt_model_gives_a_clear_error(kernel: KernelDriver, tmp_path) -> None:
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"this is not a gguf file" * 100)
    run = kernel.execute(f"%%ai --model {corrupt}\nhello")
    assert run.status == "ok"
    shown = str(run.final_bundle()) + run.stdout
    assert "corrupt.gguf" in shown
    ok = kernel.execute("%%ai --max-tokens 32\nPrint the columns of sales")
    assert ok.status == "ok"
    assert kernel.is_alive()
