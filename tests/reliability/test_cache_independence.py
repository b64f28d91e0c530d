"""Answers do not depend on the cache: warm answers equal cold ones, token for token.

Three notebooks (A, B, C) share their first cells, as notebooks of one project do, and
differ after. Each is first answered cold (the KV cache emptied before it); then the server
switches among them, A, B, C, A, with the cache kept, so each answer reuses whatever prefix
the previous one left. At temperature 0 every warm answer must equal its cold one, and the
second A must equal the first. The server is the real extension in process, its engine the
session's worker with the real model (which the test can empty between answers).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient
from traitlets.config import Config

from jupyter_localai.core.engine import Engine, Generation, GenerationRequest

pytestmark = pytest.mark.model

SHARED_CELLS = [
    {"number": 1, "source": "import pandas as pd\nimport numpy as np", "output": "", "error": ""},
    {"number": 2, "source": "pd.set_option('display.max_columns', 20)", "output": "",
     "error": ""},
]
NOTEBOOKS = {
    "A": ("sales = pd.read_csv('sales.csv')", "sales", ("DataFrame 120x3: region(object), "
          "units(int64), price(float64)"), "Compute the total units per region into by_region"),
    "B": ("temps = np.random.default_rng(0).normal(20, 5, 365)", "temps",
          "ndarray float64 shape (365,)", "Compute the mean of temps into avg_temp"),
    "C": ("words = open('book.txt').read().split()", "words", "list of 81234 str",
          "Count the distinct words into n_distinct"),
}


class BorrowedEngine(Engine):
    """The session's worker engine, which the server must not close when it stops."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def generate(self, request: GenerationRequest) -> Generation:
        return self.inner.generate(request)

    def status(self) -> dict[str, Any]:
        return dict(self.inner.status())

    def n_ctx(self) -> int:
        return int(self.inner.n_ctx())


@pytest.fixture
def jp_server_config(worker_engine: Any, default_model_path: str) -> Config:
    return Config({
        "ServerApp": {"jpserver_extensions": {"jupyter_localai": True}},
        "LocalAIExtension": {"engine_factory": lambda settings: BorrowedEngine(worker_engine)},
        "LocalAI": {"model": default_model_path, "retries": 0},
    })


def _body(name: str) -> dict[str, Any]:
    source, variable, summary, question = NOTEBOOKS[name]
    cell = {"number": 3, "source": source, "output": "", "error": ""}
    return {
        "task": "generate",
        "prompt": question,
        "context": {
            "cells": [*SHARED_CELLS, cell],
            "variables": [{"name": variable, "type_name": summary.split()[0],
                           "summary": summary, "relevance": 1.0}],
            "last_error": None,
            "imports": ["pandas as pd", "numpy as np"],
        },
        "max_tokens": 24,
        "temperature": 0,
        "seed": 0,
        "retries": 0,
    }


async def test_warm_answers_equal_cold_ones_across_three_notebooks(
    jp_serverapp: Any, http_server: Any, jp_http_port: int, jp_base_url: str,
    worker_engine: Any, reliability_report: Any,
) -> None:
    secret = jp_serverapp.web_app.settings["localai"].secret
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}api/localai/ask"

    async def ask(name: str) -> dict[str, Any]:
        response = await AsyncHTTPClient().fetch(
            url, method="POST", body=json.dumps(_body(name)),
            headers={"Authorization": f"LocalAI {secret}"}, request_timeout=600,
        )
        events = [json.loads(line[6:]) for line in response.body.decode().splitlines()
                  if line.startswith("data: ")]
        assert events[-1]["type"] == "done", events[-1]
        return dict(events[-1]["reply"])

    cold: dict[str, dict[str, Any]] = {}
    for name in NOTEBOOKS:
        worker_engine.reset_cache()
        cold[name] = await ask(name)
        assert cold[name]["timings"]["cached_tokens"] == 0
        assert cold[name]["text"]
    assert len({reply["text"] for reply in cold.values()}) == 3  # three different answers

    worker_engine.reset_cache()
    sequence = ["A", "B", "C", "A"]
    warm = [await ask(name) for name in sequence]
    for name, reply in zip(sequence, warm):
        assert reply["text"] == cold[name]["text"], name
        assert reply["timings"]["tokens"] == cold[name]["timings"]["tokens"], name
        assert reply["timings"]["prompt_tokens"] == cold[name]["timings"]["prompt_tokens"]
    reused = [reply["timings"]["cached_tokens"] for reply in warm]
    assert all(tokens > 0 for tokens in reused[1:]), reused  # each switch reused a prefix
    assert warm[3]["text"] == warm[0]["text"]
    reliability_report.add(
        "answers independent of the cache",
        "3 notebooks answered cold, then A, B, C, A warm (temperature 0)",
        f"4 of 4 warm answers equal their cold ones token for token (prefix tokens reused: "
        f"{', '.join(map(str, reused))})",
        "n/a (no state changes)",
    )
