"""Small notebooks, their requests and prefills, and engines with their own state dir."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from jupyter_localai.core.context import CellRecord, NotebookContext, VariableSummary
from jupyter_localai.core.engine import Completion, GenerationRequest, PrefillRequest
from jupyter_localai.core.prompt import PromptBudget, build_messages
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.worker.batch_plan import PROMPT_CHUNK
from jupyter_localai.worker.llama_model import LlamaLog, LoadedModel

N_CTX = 2048
MAX_TOKENS = 16
# The question the warm tests ask every notebook, warm and cold.
QUESTION = "Which file did the last cell read?"


def notebook(name: str, cells: int = 6) -> NotebookContext:
    """A small notebook whose cells differ per `name` (so notebooks share little)."""
    return NotebookContext(
        cells=[
            CellRecord(i, f"{name}_{i} = pd.read_csv('{name}_part{i}.csv')", output="")
            for i in range(1, cells + 1)
        ],
        variables=[VariableSummary(f"{name}_1", "DataFrame", "DataFrame (120, 3): id, x, y")],
        imports=["pandas as pd"],
    )


def budget() -> PromptBudget:
    return PromptBudget(N_CTX, MAX_TOKENS, 1536)


def request(context: NotebookContext, question: str, session: str | None) -> GenerationRequest:
    messages = build_messages(question, context, budget())
    return GenerationRequest(messages=messages, max_tokens=MAX_TOKENS, session_id=session)


def prefill_of(context: NotebookContext, session: str | None) -> PrefillRequest:
    """The prefill a kernel sends for `context` (the budget `request` uses)."""
    return PrefillRequest(context, session, MAX_TOKENS, budget().context_tokens)


def make_engine(model_path: str, kv_dir: Path) -> WorkerEngine:
    engine = WorkerEngine(model_path, n_ctx=N_CTX, kv_dir=str(kv_dir))
    engine.start()
    return engine


def cold(engine: WorkerEngine, name: str) -> Completion:
    """The answer to QUESTION on `name`'s notebook with nothing cached (the reference)."""
    engine.reset_cache()
    answer = engine.generate(request(notebook(name), QUESTION, None)).result()
    assert answer.cached_tokens == 0
    return answer


def whole_batches(tokens: int) -> int:
    """The most of a `tokens`-long shared prefix the worker reuses: whole PROMPT_CHUNK
    batches (a prefix evaluated in other batch shapes could change the answer)."""
    return tokens // PROMPT_CHUNK * PROMPT_CHUNK


@functools.lru_cache(maxsize=1)
def _tokenizer(model_path: str) -> LoadedModel:
    """The model's template and tokenizer, in this process (a small context)."""
    return LoadedModel({"model_path": model_path, "n_ctx": 256, "n_threads": 1, "n_seq": 1},
                       LlamaLog(io.StringIO()))


def reused_on_repeat(model_path: str, messages: list[dict[str, str]]) -> int:
    """What the worker reuses when `messages` are asked again: all but the last token,
    down to the last batch boundary there (a multiple of PROMPT_CHUNK or where a user turn
    begins, `worker/batch_plan.py`)."""
    model = _tokenizer(model_path)
    tokens, _ = model.prompt_tokens(messages)
    return model.plan.last_boundary(tokens, len(tokens) - 1)
