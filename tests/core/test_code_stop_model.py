"""A code answer on the real embedded model ends with its code block: when the model goes on
talking after the block, the stream is stopped there and the user gets the code alone."""

from __future__ import annotations

import ast
from typing import Any

import pandas as pd
import pytest
from support.logged_engine import LoggedEngine

from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.reply import code_then_prose, fenced_blocks
from jupyter_localai.core.tasks import TaskRequest, run_task
from jupyter_localai.kernel.context.namespace import KernelNamespace

pytestmark = pytest.mark.model

SETUP = "import pandas as pd\nsales = pd.DataFrame({'region': ['n', 's', 'n'], 'units': [3, 5, 7]})"
# Asked as a question, the 0.5B answers with a sentence, the block, then a sentence more.
QUESTION = "what is the largest number of units in sales? store it in most"


class Tokens:
    """The listener's view: every piece streamed to the user."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    def on_attempt(self, attempt: int, reason: str) -> None:
        """One attempt only here (no retries)."""

    def on_token(self, text: str) -> None:
        self.pieces.append(text)


def test_the_prose_after_the_block_is_stopped_and_the_code_runs(worker_engine: Any) -> None:
    namespace: dict[str, Any] = {}
    exec(SETUP, namespace)  # noqa: S102 - the notebook's own setup cell
    sales = namespace["sales"]
    context = NotebookContext(
        cells=[CellRecord(1, SETUP)],
        variables=[VariableSummary("sales", "DataFrame", "DataFrame (3, 2): region object, units int64")],
    )
    engine = LoggedEngine(worker_engine)
    tokens = Tokens()
    worker_engine.reset_cache()
    request = TaskRequest("generate", QUESTION, context=context, max_tokens=160, retries=0,
                          temperature=0.0, seed=0)
    reply = run_task(engine, request, namespace=KernelNamespace(namespace), listener=tokens)
    # The same request left to run: what the model says when nothing stops it.
    worker_engine.reset_cache()
    full = worker_engine.generate(engine.requests[0]).result()
    stop = code_then_prose(full.text)
    assert stop is not None, f"the model wrote no prose after its block: {full.text!r}"

    assert reply.finish_reason == "stop" and reply.text == full.text[:stop]
    last = fenced_blocks(reply.text)[-1]
    assert last.tag == "python" and reply.text[last.end:] == "" and reply.text.endswith("```")
    streamed = "".join(tokens.pieces)
    assert full.text.startswith(streamed) and len(streamed) < len(full.text)
    assert "\n" not in streamed[stop:].lstrip()  # not one line of the prose was decoded
    assert reply.timings.tokens < full.completion_tokens

    ast.parse(reply.code)
    exec(reply.code, namespace)  # noqa: S102 - the test runs the model's answer on purpose
    assert namespace["most"] == sales["units"].max()
    assert isinstance(namespace["sales"], pd.DataFrame) and len(namespace["sales"]) == 3
