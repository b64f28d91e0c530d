"""The panel's chat, on the real model, through the server's ask route: the answer's code
blocks are checked against the context the panel sends (read from a real kernel with the
panel's own silent call), and a block naming a column the DataFrame lacks is never offered
unmarked. Retried or marked are both honest outcomes; an unmarked missing column fails.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from support.column_oracle import python_blocks, unmarked_missing
from support.kernel_driver import KernelDriver
from support.logged_engine import LoggedEngine

pytestmark = pytest.mark.model

SETUP = "import pandas as pd\ndf = pd.DataFrame({'price': [2.5, 4.0, 1.25], 'qty': [3, 1, 8]})"
FAILING = "df['total'] = df['price'] * df['quantity']"
QUESTION = "add a column total = price x qty"
# labextension/src/context.ts, kernelContextCode: what the panel runs, silently.
PANEL_CONTEXT_CALL = ('__import__("jupyter_localai.kernel.context", fromlist=["_"])'
                      ".context_json(get_ipython(), {!r})")


@pytest.fixture
def engine_factory(worker_engine):
    return lambda settings: LoggedEngine(worker_engine)  # borrowed: never closed


@pytest.fixture
def localai_config(default_model_path):
    return {"model": default_model_path, "max_tokens": 160, "temperature": 0.0, "seed": 0}


@pytest.fixture
def panel_context() -> Iterator[dict[str, Any]]:
    """The context the panel reads from its notebook's kernel: a frame, and a cell that
    failed on a column it lacks."""
    kernel = KernelDriver()
    try:
        for cell in ("%load_ext jupyter_localai", SETUP, FAILING):
            kernel.execute(cell, timeout=120)
        run = kernel.execute(PANEL_CONTEXT_CALL.format(QUESTION), timeout=120)
        assert run.error is None, run.error
        yield json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        kernel.shutdown()


async def test_a_chat_answer_never_offers_a_missing_column_unmarked(
    server_url, raw_fetch, runtime, parse_sse, panel_context
):
    frame = next(v for v in panel_context["variables"] if v["name"] == "df")
    assert "price" in frame["summary"] and "qty" in frame["summary"]
    assert panel_context["last_error"]["exc_type"] == "KeyError"
    body = {"task": "chat", "prompt": QUESTION, "context": panel_context, "history": [],
            "session_id": "chat-checks.ipynb", "request_id": "chat-checks-0001"}
    auth = {"Authorization": f"LocalAI {runtime.secret}"}
    response = await raw_fetch("api/localai/ask", method="POST", body=body, headers=auth,
                               request_timeout=600)
    assert response.code == 200, response.body
    events = parse_sse(response.body)
    kinds = [event["type"] for event in events]
    assert kinds[0] == "start" and kinds[-1] == "done", kinds
    reply = events[-1]["reply"]
    retries = [event for event in events if event["type"] == "attempt"]
    # The stream is honest: each retry was announced with its reason before its tokens.
    assert len(retries) == reply["attempts"] - 1
    assert all(event["reason"] for event in retries)
    assert python_blocks(reply["text"]), f"no code block to judge:\n{reply['text']}"
    assert any(block["checked"] for block in reply["blocks"]), reply["blocks"]
    problems = unmarked_missing(reply, "df", {"price", "qty"})
    assert problems == [], "\n".join(problems)
    marked = [block for block in reply["blocks"] if block["checked"] and block["issues"]]
    print(f"attempts={reply['attempts']} retry reasons={[e['reason'] for e in retries]} "
          f"marked={[b['issues'] for b in marked]}\nfinal text:\n{reply['text']}")
