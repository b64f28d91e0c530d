"""The completion sequence's record of its tokens follows the real KV cache (issue 20).

llama-cpp-python's `Llama.eval`, which evaluates the chat's prompts, first removes every
sequence's positions past the chat's own length; a completion must then re-evaluate what
was cut instead of "reusing" cells that are gone."""

from __future__ import annotations

import io

import pytest

from jupyter_localai.worker.completion import Completer
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel
from jupyter_localai.worker.scheduler import Scheduler
from jupyter_localai.worker.sequences import COMPLETION_SEQ

pytestmark = pytest.mark.model


def test_a_chat_evaluation_that_cuts_the_completion_sequence_is_seen(
    default_model_path: str,
) -> None:
    model = LoadedModel({"model_path": default_model_path, "n_ctx": 1024, "n_threads": 2},
                        LlamaLog(io.StringIO()))
    completer = Completer(channel=None, scheduler=Scheduler())  # type: ignore[arg-type]
    code = model.llm.tokenize(b"def double(x):\n    return x * 2\n" * 12)[:150]
    batch = model.new_batch(64)
    try:
        model.eval_sequence(COMPLETION_SEQ, code, 0, batch)
        assert completer.held(model, code) == 150
        chat, _ = model.prompt_tokens([{"role": "user", "content": "Say hi."}])
        assert len(chat) < 150
        model.forget_chat()
        model.llm.eval(chat)  # as the chat's prompt is evaluated
        cut = model.sequence_length(COMPLETION_SEQ)
        assert cut <= len(chat)
        assert completer.held(model, code) == cut == len(model.completion_tokens)
        # The completion then evaluates from there and holds all of it again.
        model.eval_sequence(COMPLETION_SEQ, code[cut:], cut, batch)
        assert model.sequence_length(COMPLETION_SEQ) == 150 == completer.held(model, code)
    finally:
        batch.close()
