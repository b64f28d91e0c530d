"""Live-object-aware decoding on the real model (issue 20): with the live frame's columns
in the request, the string key the 0.5B writes after `frame["` or `frame.groupby(` is a
real column; outside key sites the suggestion is the same as without them."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from jupyter_localai.worker.completion import Completer
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel
from jupyter_localai.worker.scheduler import Scheduler

pytestmark = pytest.mark.model

CONTEXT = "# In[1]:\nimport pandas as pd\nsales = pd.read_csv('sales.csv')\n\n\n# In[ ]:\n"
# Names the model would not guess from the file's name.
KEYS = {"sales": ["unit_price", "qty_sold", "region_code"]}


class Channel:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


@pytest.fixture(scope="module")
def completer_and_model(default_model_path: str) -> tuple[Completer, LoadedModel, Channel]:
    model = LoadedModel({"model_path": default_model_path, "n_ctx": 2048, "n_threads": 2},
                        LlamaLog(io.StringIO()))
    channel = Channel()
    return Completer(channel=channel, scheduler=Scheduler()), model, channel  # type: ignore[arg-type]


def complete(setup: tuple[Completer, LoadedModel, Channel], prefix: str,
             keys: dict[str, list[str]]) -> str:
    completer, model, channel = setup
    channel.sent.clear()
    request = {"context": CONTEXT, "prefix": prefix, "suffix": "", "max_tokens": 16,
               "keys": keys}
    completer.complete(model, {"id": "k", "request": request})
    done = [m for m in channel.sent if m["type"] == "done"]
    assert done, channel.sent
    return str(done[0]["completion"]["text"])


@pytest.mark.parametrize("prefix", ['total = sales["', "x = sales[", "sales.groupby("])
def test_the_key_after_a_live_frame_is_one_of_its_columns(completer_and_model, prefix):
    text = complete(completer_and_model, prefix, KEYS)
    key = re.match(r"""\s*(["']?)(\w+)(["'])""", text)
    assert key is not None, text
    assert key.group(2) in KEYS["sales"], text


def test_outside_key_sites_the_suggestion_is_unchanged(completer_and_model):
    prefix = "def double(x):\n    return "
    assert complete(completer_and_model, prefix, KEYS) == complete(completer_and_model, prefix, {})
