"""Prompt text is data: format fields and stray braces in a real `%%ai` evaluate nothing.

A real kernel under a real Jupyter server; the server's engine records the exact prompt it
receives. `--no-context` keeps cells and variable summaries (which do call `repr`, bounded)
out of these prompts, so whatever reaches the engine came from the interpolation alone. Canary objects record every `__format__`, `__repr__`, `__str__`, attribute and
item access, so "nothing was evaluated" is observed, not assumed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.jupyter_process import JupyterServer, ServerKernel

SETUP = """
import os
CALLS = []
class Canary:
    def __format__(self, spec): CALLS.append(('format', spec)); return 'FORM' + 'ATTED'
    def __repr__(self): CALLS.append(('repr',)); return 'REP' + 'RED'
    def __str__(self): CALLS.append(('str',)); return 'ST' + 'RED'
    def __getattr__(self, name): CALLS.append(('getattr', name)); return 'AT' + 'TR'
    def __getitem__(self, key): CALLS.append(('getitem', key)); return 'IT' + 'EM'
canary = Canary()
x = 'the-x-' + 'value'
y = 12
os.environ['PROBE_ENV_VALUE'] = 'env-probe-' + '4471'
"""

# Each line is typed into `%%ai` as is; none names a variable by itself, so the prompt must
# carry every line exactly as typed.
FIELDS = [
    "{0.__class__}",
    "{os.environ}",
    "{os.environ[PROBE_ENV_VALUE]}",
    "{x!r:>{y}}",
    "{canary!r}",
    "{canary:>10}",
    "{canary.secret_attribute}",
    "{canary[0]}",
    "{x.__class__.__mro__}",
    "{__import__('os').getcwd()}",
    "open brace { never closed",
    "close brace } never opened",
    "}{ reversed {{ doubled }}",
    "f'{x}' inside an f-string",
]


@pytest.fixture(scope="module")
def kernel(recording_server: JupyterServer) -> Iterator[ServerKernel]:
    driver = recording_server.start_kernel()
    assert driver.execute("%load_ext jupyter_localai").status == "ok"
    assert driver.execute(SETUP).status == "ok"
    yield driver
    driver.shutdown()


def test_format_fields_and_stray_braces_reach_the_engine_as_typed(
    recording_server: JupyterServer, kernel: ServerKernel, prompt_log, reliability_report
) -> None:
    mark = prompt_log.mark()
    request = "\n".join(FIELDS)
    run = kernel.execute("%%ai --no-context\nExplain these lines:\n" + request)
    assert run.status == "ok", run.error

    prompts = prompt_log.since(mark)
    assert len(prompts) == 1
    text = prompts[0]
    assert request in text  # every line arrived exactly as typed
    for leaked in ("FORMATTED", "REPRED", "STRED", "ATTR", "ITEM", "env-probe-4471",
                   "<class", "the-x-value", recording_server.notebook_dir.name):
        assert leaked not in text, leaked
    assert kernel.value("CALLS") == []  # the canary was never touched

    # Only a plain `{name}` of an existing variable expands, and only to that variable.
    mark = prompt_log.mark()
    run = kernel.execute("%%ai --no-context\nuse {x} and {y} but not {x!r} or {canary.a} or {nope}")
    assert run.status == "ok", run.error
    (text,) = prompt_log.since(mark)
    assert "use the-x-value and 12 but not {x!r} or {canary.a} or {nope}" in text
    assert kernel.value("CALLS") == []
    reliability_report.add(
        "prompt text is data",
        f"{len(FIELDS)} format fields / stray braces in a real `%%ai`",
        "all reached the engine as typed; no canary call, no env value",
        "kernel: canary untouched",
    )


def test_the_line_magic_form_is_just_as_safe(
    kernel: ServerKernel, prompt_log, reliability_report
) -> None:
    """`%ai ...` on one line, one field at a time: IPython expands (evaluating) braces in a
    line magic's arguments before the magic sees them, unless the magic opts out; a line it
    cannot format is left alone, so each field is tried on its own line."""
    fields = [f for f in FIELDS if not f.startswith("f'")]
    kernel.execute("CALLS.clear()")
    for field in fields:
        for command in ("chat", "generate"):
            mark = prompt_log.mark()
            run = kernel.execute(f"%ai --no-context {command} look at {field}")
            assert run.status == "ok", run.error
            (text,) = prompt_log.since(mark)
            assert f"look at {field}" in text, (command, field)
            assert "env-probe-4471" not in text and "<class" not in text, field
            assert kernel.value("CALLS") == [], field
    reliability_report.add(
        "prompt text is data (line magic)",
        f"`%ai chat` and `%ai generate` with each of {len(fields)} fields on one line",
        "reached the engine as typed; IPython's own brace expansion never ran",
        "kernel: canary untouched",
    )
