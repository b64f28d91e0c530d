"""Bad context in a real kernel: `%%ai` over a hostile session stays bounded and harmless.

A kernel under the real server builds a session no assistant should choke on: 300 cells,
a 1 MB cell source, a 1 MB printed output, binary outputs (PNG and bytes), and variables
whose repr raises, sleeps, returns 1 GB or recurses, plus C-extension objects without a
useful repr. The request names the hostile variables, so they are summarised first. Then `%%ai` runs on
the real model with a 2048-token window:
the context is collected within its time and byte budgets, the prompt fits the window,
and every variable is exactly what it was.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from support.jupyter_process import JupyterServer, ServerKernel

pytestmark = pytest.mark.model

HOSTILE = """
import sqlite3, threading, time, mmap, base64, hashlib
class Raises:
    def __repr__(self): raise RuntimeError('repr refuses')
class Sleeps:
    def __repr__(self): time.sleep(30); return 'slept'
class Gigabyte:
    def __repr__(self): return 'g' * (1 << 30)
class Recurses:
    def __repr__(self): return repr(self)
raises, sleeps, gigabyte, recurses = Raises(), Sleeps(), Gigabyte(), Recurses()
connection = sqlite3.connect(':memory:')
lock = threading.Lock()
anonymous_map = mmap.mmap(-1, 4096)
frames = {'sales': list(range(1000))}
"""
REQUEST = ("use raises, sleeps, gigabyte, recurses, connection, lock and anonymous_map "
           "to sum the sales in frames into total_sales")
BIG_CELL = "blob = '" + "b" * (1 << 20) + "'"
BIG_OUTPUT = "print('o' * (1 << 20))"
BINARY = (
    "from IPython.display import Image, display\n"
    "png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')\n"
    "display(Image(data=png))\n"
    "bytes(range(256)) * 64"
)
# What "unchanged" means for each variable: its identity and a digest of what it holds.
FINGERPRINT = """
import hashlib as _h, json as _j
def _fingerprint():
    names = sorted(n for n in globals() if not n.startswith('_') and n not in ('In', 'Out',
                   'get_ipython', 'exit', 'quit', 'open'))
    out = {}
    for n in names:
        v = globals()[n]
        data = v if isinstance(v, (str, bytes, list, dict, int)) else None
        out[n] = [type(v).__name__, id(v),
                  _h.sha256(_j.dumps(data, default=str).encode()).hexdigest()]
    return out
"""


@pytest.fixture(scope="module")
def kernel(model_server: JupyterServer) -> Iterator[ServerKernel]:
    driver = model_server.start_kernel()
    yield driver
    driver.shutdown()


def test_ai_over_a_hostile_session_is_bounded_and_changes_nothing(
    model_server: JupyterServer, kernel: ServerKernel, reliability_report: Any
) -> None:
    assert kernel.execute("%load_ext jupyter_localai" + HOSTILE).status == "ok"
    for number in range(300):
        assert kernel.execute(f"col_{number} = [{number}] * {number % 7}").status == "ok"
    for cell in (BIG_CELL, BIG_OUTPUT, BINARY):
        run = kernel.execute(cell)
        assert run.status == "ok", run.error
    assert kernel.execute(FINGERPRINT).status == "ok"
    before = kernel.value("_fingerprint()")

    # The panel's silent context call: bounded in time and bytes.
    started = time.perf_counter()
    run = kernel.execute('__import__("jupyter_localai.kernel.context", fromlist=["_"])'
                         f'.context_json(get_ipython(), {REQUEST!r})')
    collect_s = time.perf_counter() - started
    context = run.stdout.strip().splitlines()[-1]
    assert run.status == "ok", run.error
    assert len(context.encode()) < 64_000, len(context)
    parsed = json.loads(context)
    summaries = {v["name"]: v["summary"] for v in parsed["variables"]}
    assert all(len(text) <= 600 for text in summaries.values())
    named = ("raises", "sleeps", "gigabyte", "recurses", "connection", "lock", "anonymous_map")
    assert set(named) <= set(summaries), summaries.keys()
    assert collect_s < 5.0, collect_s

    # A real answer on the real model, with the whole hostile context in play.
    n_ctx = model_server.status()["n_ctx"]
    started = time.perf_counter()
    run = kernel.execute(f"%%ai --max-tokens 16\n{REQUEST}")
    answer_s = time.perf_counter() - started
    assert run.status == "ok", run.error
    reply = kernel.value("__import__('jupyter_localai').last_reply().to_json()")
    assert reply["text"] and reply["finish_reason"] in ("stop", "length"), reply
    prompt_tokens = reply["timings"]["prompt_tokens"]
    assert 500 < prompt_tokens and prompt_tokens + 16 <= n_ctx, prompt_tokens
    assert kernel.value("_fingerprint()") == before
    assert kernel.value("len(blob)") == 1 << 20 and kernel.value("frames['sales'][-1]") == 999
    reliability_report.add(
        "bad context",
        "300 cells, 1 MB cell, 1 MB output, PNG and bytes outputs, reprs that raise / sleep "
        "30 s / return 1 GB / recurse, sqlite3 connection, lock, mmap; `%%ai` naming them, "
        "in a real kernel on the real model (n_ctx 2048)",
        f"context collected in {collect_s:.2f} s, {len(context.encode()) // 1024} KB; prompt "
        f"{prompt_tokens} tokens + 16 within the {n_ctx}-token window; answered in "
        f"{answer_s:.1f} s",
        "every variable's identity and contents unchanged",
    )
