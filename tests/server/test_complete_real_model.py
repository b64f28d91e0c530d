"""POST complete answered by the real 0.5B model (the session's worker engine, lent to the
in-process server): a suggestion after `df["` names one of the DataFrame's real columns,
taken from the variable summaries in the context."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from jupyter_localai.core.engine import CompletionRequest, Engine, Generation, GenerationRequest
from jupyter_localai.engines.worker_client import WorkerEngine

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(not WorkerEngine.supports_complete,
                       reason="the worker engine does not declare inline completion yet"),
]  # fmt: skip

# Column names no model would guess without the context: the suggestion must read them.
COLUMNS = ("wind_kmh", "rain_mm", "station_code")
CONTEXT = {
    "cells": [
        {"number": 1, "source": "import pandas as pd\nweather = pd.read_parquet('obs.parquet')"},
        {"number": 2, "source": "weather.shape", "output": "(8760, 3)"},
    ],
    "variables": [
        {"name": "weather", "type_name": "DataFrame", "relevance": 1.0,
         "summary": "DataFrame, 8760 rows x 3 columns\ncolumns: " + ", ".join(
             f"{c} ({'str' if c == 'station_code' else 'float64'})" for c in COLUMNS)},
    ],
    "imports": ["pandas as pd"],
}  # fmt: skip


class BorrowedEngine(Engine):
    """The session's worker engine, which the server must not close when it stops."""

    supports_complete = True

    def __init__(self, inner: Engine) -> None:
        self.inner = inner

    def generate(self, request: GenerationRequest) -> Generation:
        return self.inner.generate(request)

    def complete(self, request: CompletionRequest) -> Generation:
        return self.inner.complete(request)

    def prefill_completion(self, context: str, session_id: str | None = None) -> bool:
        return self.inner.prefill_completion(context, session_id)

    def status(self) -> dict[str, Any]:
        return self.inner.status()

    def n_ctx(self) -> int:
        return self.inner.n_ctx()


@pytest.fixture
def engine_factory(worker_engine):
    return lambda settings: BorrowedEngine(worker_engine)


@pytest.fixture
def localai_config(default_model_path):
    return {"model": default_model_path, "completion_wait_ms": 120_000}


def _auth(runtime: Any) -> dict[str, str]:
    return {"Authorization": f"LocalAI {runtime.secret}", "Content-Type": "application/json"}


async def _complete(raw_fetch, runtime, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = await raw_fetch("api/localai/complete", method="POST", body=body,
                               headers=_auth(runtime), request_timeout=300)  # fmt: skip
    assert response.code == 200, response.body
    return [json.loads(b[6:]) for b in response.body.decode().split("\n\n") if b]


async def test_the_model_completes_a_column_name_from_the_variables(raw_fetch, runtime):
    body = {"request_id": "real-0001", "session_id": "weather.ipynb",
            "prefix": 'windy = weather[weather["', "suffix": "", "context": CONTEXT,
            "max_tokens": 16}  # fmt: skip
    events = await _complete(raw_fetch, runtime, body)
    if events[-1].get("stop_reason") == "loading":  # the first request starts the model
        for _ in range(600):
            if runtime.engine_started:
                break
            await asyncio.sleep(0.1)
        events = await _complete(raw_fetch, runtime, body)
    done = events[-1]
    assert done["type"] == "done", events
    pieces = [e["text"] for e in events if e["type"] == "piece"]
    assert pieces and "".join(pieces) == done["text"]
    named = [c for c in COLUMNS if done["text"].startswith(c)]
    assert named, done  # the suggestion starts with one of the real columns
    assert "\n" not in done["text"]  # a statement the user started ends on its line
