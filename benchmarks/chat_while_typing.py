"""A chat question asked while the user types, on the synthetic 50-cell notebook (issue 20).

    python benchmarks/chat_while_typing.py [--chars 30] [--ask-at 10]

The direct reproduction behind the "chat while typing" row of `complete_bench.py`: the
50 cells run for real, the chat is asked twice alone (warm), then the cell's completion
context is offered as a prefill and, 3 s later, the user types the next cell at 180 ms per
key (one completion per key, as JupyterLab's 0 ms debounce sends them) and asks the chat
after `--ask-at` keys. Printed: the chat's time to first token as its caller sees it (queue
wait included) and its cached / prompt tokens, alone and while typing, and each
completion's finish, cached tokens and seconds. Run it under the CPU lock.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complete_notebooks import run_cells
from perf_notebooks import notebook_cells

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.completion_prompt import completion_context, completion_prompt
from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.engine import CompletionRequest, GenerationRequest
from jupyter_localai.core.prompt import PromptBudget, build_messages
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.models import resolve_model

QUESTION = "Which region has the highest revenue?"


def ask(engine: WorkerEngine, context: NotebookContext) -> str:
    messages = build_messages(QUESTION, context, PromptBudget(engine.n_ctx(), 16))
    result = engine.generate(GenerationRequest(messages=messages, max_tokens=16,
                                               session_id="typing")).result()  # fmt: skip
    return (f"TTFT {result.ttft_s:.3f} s, cached {result.cached_tokens} of "
            f"{result.prompt_tokens} prompt tokens")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=30, help="characters typed")
    parser.add_argument("--ask-at", type=int, default=10, help="keys typed before the chat")
    args = parser.parse_args(argv)
    cells = notebook_cells(53)
    context = run_cells(cells[:50] + ["pass"])[-1].context
    engine = WorkerEngine(str(resolve_model(DEFAULT_MODEL).path), n_ctx=8192)
    engine.start()
    lines = [f"load average at the start {os.getloadavg()}"]
    lines += [f"chat alone: {ask(engine, context)}" for _ in range(2)]
    engine.prefill_completion(completion_context(context), "typing")
    time.sleep(3.0)
    typed = cells[50][: args.chars]
    readers: list[threading.Thread] = []
    chat: list[str] = []
    for n in range(1, len(typed) + 1):
        prompt = completion_prompt(context, typed[:n], "")
        generation = engine.complete(CompletionRequest(
            context=prompt.context, prefix=prompt.prefix, suffix=prompt.suffix,
            max_tokens=48, stop=prompt.stop, max_lines=4, session_id="typing"))
        asked = time.perf_counter()

        def read(generation=generation, n=n, asked=asked) -> None:
            list(generation)
            done = generation.completion
            lines.append(f"key {n}: {done.finish_reason}, cached {done.cached_tokens} of "
                         f"{done.prompt_tokens}, {time.perf_counter() - asked:.2f} s")

        readers.append(threading.Thread(target=read, daemon=True))
        readers[-1].start()
        if n == args.ask_at:
            asker = threading.Thread(target=lambda: chat.append(ask(engine, context)))
            asker.start()
        time.sleep(0.18)
    asker.join()
    for reader in readers:
        reader.join()
    lines.append(f"chat while typing: {chat[0]}")
    lines.append(f"chat after: {ask(engine, context)}")
    lines.append(f"load average at the end {os.getloadavg()}")
    engine.close()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
