"""The completion sequence and the chat's on the real model (issue 20): evaluating a chat
prompt from position 0 (`Llama.eval` after `forget_chat`, whose KV removal llama-cpp-python
applies to sequence 0 only) leaves the completion's cells, and the completer's record of
them, whole; a completion then reuses all of them."""

from __future__ import annotations

import io

import pytest

from jupyter_localai.worker.completion import Completer
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel
from jupyter_localai.worker.scheduler import Scheduler
from jupyter_localai.worker.sequences import CHAT_SEQ, COMPLETION_SEQ

pytestmark = pytest.mark.model


def test_a_chat_evaluation_leaves_the_completion_sequence_whole(default_model_path: str) -> None:
    model = LoadedModel({"model_path": default_model_path, "n_ctx": 1024, "n_threads": 2},
                        LlamaLog(io.StringIO()))
    completer = Completer(channel=None, scheduler=Scheduler())  # type: ignore[arg-type]
    code = model.llm.tokenize(b"def double(x):\n    return x * 2\n" * 30)[:150]
    batch = model.new_batch(64)
    try:
        model.eval_sequence(COMPLETION_SEQ, code, 0, batch)
        assert completer.held(model, code) == 150
        chat, _ = model.prompt_tokens([{"role": "user", "content": "Say hi."}])
        model.forget_chat()
        model.llm.eval(chat)  # as the chat's prompt is evaluated, from position 0
        assert model.sequence_length(CHAT_SEQ) == len(chat) < 150
        assert model.sequence_length(COMPLETION_SEQ) == 150
        assert completer.held(model, code) == 150 == len(model.completion_tokens)
        # A cut the record did not see (llama.cpp rolls back an aborted decode's cells) is
        # found: the record follows the cache.
        model.completion_tokens.extend(code[:10])
        assert completer.held(model, code) == 150 == len(model.completion_tokens)
    finally:
        batch.close()
