"""No execution without consent: a reply that would write a file is never run unasked.

The recording server's engine answers every request with code that writes `pwned.txt`
(holding the pid of whoever ran it) and sets a variable. Every face is asked in a real
kernel under a real server; the code may run only in a guarded forked copy (the default
rehearsal of generate and fix answers, and `--verify`): its guard refuses the write (no
file), and the kernel's namespace never sees the variable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.jupyter_process import JupyterServer, ServerKernel, sse_lines

DANGEROUS = (
    "Here you go:\n```python\n"
    "open('pwned.txt', 'w').write(str(__import__('os').getpid()))\n"
    "pwned = True\n```"
)
LAB_SOURCES = Path(__file__).resolve().parents[2] / "labextension" / "src"


@pytest.fixture(scope="module")
def kernel(recording_server: JupyterServer) -> Iterator[ServerKernel]:
    driver = recording_server.start_kernel()
    assert driver.execute("%load_ext jupyter_localai\nimport os").status == "ok"
    yield driver
    driver.shutdown()


def _nothing_ran(kernel: ServerKernel, cwd: Path, label: str) -> None:
    assert not (cwd / "pwned.txt").exists(), f"{label}: the reply ran"
    assert kernel.value("'pwned' in globals()") is False, f"{label}: the reply ran"


def test_no_face_runs_a_reply_unless_asked(
    recording_server: JupyterServer,
    kernel: ServerKernel,
    prompt_log,
    assistant_secret_of,
    reliability_report,
) -> None:
    prompt_log.reply_with(DANGEROUS)
    cwd = Path(kernel.value("os.getcwd()"))
    assert cwd == recording_server.notebook_dir  # where a relative open() would write
    mark = prompt_log.mark()
    faces = {
        "%%ai": "%%ai\nwrite the marker file",
        "%ai generate": "%ai generate write the marker file",
        "%ai explain": "%ai explain",
        "%ai chat": "%ai chat write the marker file",
        "%%ai --insert": "%%ai --insert\nwrite the marker file",
    }
    for face, cell in faces.items():
        run = kernel.execute(cell)
        assert run.status == "ok", (face, run.error)
        _nothing_ran(kernel, cwd, face)
        if face == "%%ai --insert":  # the code is offered for a new cell, not run
            offered = [p for p in run.reply.get("payload", []) if p.get("source") == "set_next_input"]
            assert offered and "pwned.txt" in offered[0]["text"]
    failing = kernel.execute("total = undefined_name + 1")
    assert failing.error is not None
    assert kernel.execute("%ai fix").status == "ok"
    _nothing_ran(kernel, cwd, "%ai fix")

    secret = assistant_secret_of(kernel)
    for task in ("generate", "fix", "chat"):
        response = requests.post(
            recording_server.url + "api/localai/ask",
            data=json.dumps({"task": task, "prompt": "write the marker file", "retries": 0}),
            headers={"Authorization": f"LocalAI {secret}"},
            stream=True,
            timeout=60,
        )
        done = list(sse_lines(response))[-1]
        assert done["type"] == "done" and "pwned.txt" in done["reply"]["code" if task != "chat"
                                                                        else "text"]
        _nothing_ran(kernel, cwd, f"ask {task}")
    assert len(prompt_log.since(mark)) == len(faces) + 1 + 3  # every face was answered

    # --verify: the user asked for candidates to run, in a guarded forked copy of the kernel,
    # whose guard refuses the write (`kernel/fix/guard.py`): the candidate fails with the reason.
    for cell in ("%ai fix --verify", "%%ai --verify\nwrite the marker file"):
        if "fix" in cell:
            assert kernel.execute("total = undefined_name + 1").error is not None
        run = kernel.execute(cell)
        assert run.status == "ok", run.error
        assert not (cwd / "pwned.txt").exists(), f"{cell}: the guarded copy let the write through"
        reply = "__import__('jupyter_localai').last_reply()"
        assert kernel.value(f"{reply}.verified") is False
        warnings = kernel.value(f"{reply}.warnings")
        assert any("the guarded copy refused to write pwned.txt" in w for w in warnings), warnings
        assert kernel.value("'pwned' in globals()") is False
    reliability_report.add(
        "no execution without consent",
        f"a file-writing reply through {len(faces) + 1} magics forms and 3 `ask` tasks; "
        "then `--verify` twice",
        "never ran; with --verify it ran only in the guarded forked copy, which refused its "
        "write (no file; not verified, the refusal in the warnings)",
        "kernel namespace unchanged",
    )


def test_the_panel_runs_nothing_in_the_kernel_but_its_own_calls() -> None:
    """The side panel's kernel executions are the silent context call and, when the user
    ticks Verify, the silent call that answers the fix in the kernel (its candidates run only
    in a forked copy, `kernel/fix/verify.py`); its buttons insert or replace cells, they never
    run them."""
    sources = {p.name: p.read_text() for p in LAB_SOURCES.glob("*.ts*")}
    assert sources, LAB_SOURCES
    executes = {name: len(re.findall(r"requestExecute\(", text)) for name, text in sources.items()}
    assert {name: n for name, n in executes.items() if n} == {"kernelContext.ts": 1,
                                                              "kernelAsk.ts": 1,
                                                              "agentKernel.ts": 1}
    # agentKernel.ts: the Agent task's run, whose steps run only in the agent's forked copy.
    for name, code in (("kernelContext.ts", r"kernelContextCode\(requestText\)"),
                       ("kernelAsk.ts", r"kernelAskCode\(body\)"),
                       ("agentKernel.ts", r"agentKernelCode\(goal\)")):
        call = sources[name].split("requestExecute(", 1)[1][:200]
        assert re.search(rf"code:\s*{code}", call), name
        assert re.search(r"silent:\s*true", call) and re.search(r"store_history:\s*false", call)
    assert "jupyter_localai.kernel.panel_task" in sources["kernelAsk.ts"]
    assert "jupyter_localai.kernel.agent.panel" in sources["agentKernel.ts"]
    running = re.compile(r"NotebookActions\.run\w*\(|\.execute\(\s*\{|CodeCell\.execute\(")
    # The one exception: the agent view's "Accept and run" button, an explicit user action
    # (agentNotebook.ts runs the accepted cell; agentState.ts calls it only when `run`).
    assert [name for name, text in sources.items() if running.search(text)] == \
        ["agentNotebook.ts"]
    assert len(running.findall(sources["agentNotebook.ts"])) == 1
    state = sources["agentState.ts"]
    assert state.count("notebook.run(") == 1
    assert re.search(r"if \(run\) \{.{0,400}?notebook\.run\(cellId\)", state, re.DOTALL)
