"""Inline completion benchmark: a user typing a new cell, ours beside the peer way, one run.

    python benchmarks/complete_bench.py [--model NAME] [--threads N] [--char-ms 180]
        [--max-chars 120] [--peer-requests 4]

On the synthetic 50-cell notebook (`perf_notebooks.py`) and the example notebook
(`example_notebooks/quickstart.ipynb`), both run for real so their variable summaries are
real, a user types the notebook's next cells character by character. JupyterLab's inline
completer debounces by 0 ms by default (`debouncerDelay: 0` in @jupyterlab/completer's
provider defaults), so every keystroke asks: each request goes to the worker engine as the
`complete` route sends it (prompt from `core/completion_prompt.py`, stream through
`core/completion_rules.py`), and a newer keystroke cancels the older request. At word
boundaries (after a space, bracket, dot, comma, `=` or newline) the user waits for the
suggestion, then `--pause-ms` more: those requests give the headline, time from request to
the first suggestion token (p50, p90); mid-word requests are reported as the share answered
before the next keystroke.

Peer, measured in the same run at the same word boundaries: what notebook-intelligence
does, the neighbouring cells rebuilt into a fresh fill-in-the-middle prompt per request and
no KV reuse (llama-cpp-python driven directly, `reset()` before each request), with the
same cells as ours (ours adds a hint line per variable the cell names).

Chat while completions run: a chat question's time to first token on the same engine, alone
and while the user types (the completion must not hold the chat answer up).

The requests go to the engine directly with exactly what the route sends it (the route
adds an HTTP round trip on loopback and the SSE framing).

Writes benchmarks/results/complete_bench.json, .md, complete_ttft.png and the
`complete_*` keys of ratios.json. The machine's load average is recorded: on a shared CPU
the figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from complete_notebooks import code_cells, run_cells
from perf_notebooks import notebook_cells

from jupyter_localai.config import DEFAULT_MODEL
from jupyter_localai.core.completion_prompt import completion_context, completion_prompt
from jupyter_localai.core.completion_rules import CompletionLimits, Cursor, SuggestionFilter
from jupyter_localai.core.context import NotebookContext
from jupyter_localai.core.engine import CompletionRequest, GenerationRequest
from jupyter_localai.core.prompt import PromptBudget, build_messages
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.models import resolve_model
from jupyter_localai.worker.protocol import physical_cores

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
MAX_TOKENS = 48
BOUNDARY = set(" ([.,=\n")
CHAT_QUESTION = "Which region has the highest revenue?"
TARGETS = {"p50_ms": 300, "p90_ms": 600, "peer_ratio": 5.0}


@dataclass
class Notebook:
    """A notebook run up to the cell being typed, and the cells the user types."""

    name: str
    context: NotebookContext
    typed: list[str]


def notebooks(max_chars: int) -> list[Notebook]:
    synthetic = notebook_cells(53)
    # The context once the 50 cells ran (collected before a placeholder 51st).
    final = run_cells(synthetic[:50] + ["pass"])[-1].context
    quick = code_cells(ROOT / "example_notebooks" / "quickstart.ipynb")
    plain = [c for c in quick if not c.lstrip().startswith("%")]
    # The quickstart's data cell runs; the user then types its analysis cells.
    data_runs = run_cells(plain[:1] + ["pass"])
    typed_quick = [c for c in plain[1:] if "jupyter_localai" not in c] or plain[-1:]
    return [
        Notebook("synthetic-50", final, typed_cells(synthetic[50:53], max_chars)),
        Notebook("quickstart", data_runs[-1].context, typed_cells(typed_quick, max_chars)),
    ]


@dataclass
class Keystroke:
    """One request: the cell's text before and after the cursor, and what came back."""

    prefix: str
    suffix: str
    boundary: bool
    sent_s: float = 0.0
    first_token_s: float | None = None
    first_visible_s: float | None = None
    ended_s: float | None = None
    text: str = ""
    reason: str = ""
    finish: str = ""
    superseded_before_token: bool = False
    cached_tokens: int = 0
    prompt_tokens: int = 0


def keystrokes(cell: str) -> list[Keystroke]:
    """The requests a user typing `cell` at the end of a new cell sends (one per key)."""
    return [Keystroke(cell[:i], "", cell[i - 1] in BOUNDARY) for i in range(1, len(cell) + 1)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class Typist:
    """Sends a completion per keystroke to the engine, as the route does, and times it."""

    def __init__(self, engine: WorkerEngine, session: str, context_text: str) -> None:
        self.engine = engine
        self.session = session
        self.context_text = context_text
        self.limits = CompletionLimits()

    def send(self, key: Keystroke, notebook: NotebookContext) -> threading.Thread:
        prompt = completion_prompt(notebook, key.prefix, key.suffix)
        assert prompt.context == self.context_text  # byte-stable while typing
        request = CompletionRequest(context=prompt.context, prefix=prompt.prefix,
                                    suffix=prompt.suffix, max_tokens=MAX_TOKENS,
                                    stop=prompt.stop, max_lines=self.limits.max_lines,
                                    session_id=self.session,
                                    keys=prompt.keys)  # fmt: skip  (as the route sends it)
        started = time.perf_counter()
        key.sent_s = started
        generation = self.engine.complete(request)
        rules = SuggestionFilter(Cursor(key.prefix, key.suffix), self.limits)

        def read() -> None:
            for piece in generation:
                now = time.perf_counter() - started
                if key.first_token_s is None:
                    key.first_token_s = now
                if rules.done:
                    continue
                if rules.push(piece) and key.first_visible_s is None:
                    key.first_visible_s = now
                if rules.done:
                    generation.cancel()
            if not rules.done:
                rules.finish()
            key.ended_s = time.perf_counter() - started
            key.text, key.reason = rules.text, rules.reason
            completion = generation.completion
            if completion is not None:
                key.finish = completion.finish_reason
                key.cached_tokens = completion.cached_tokens
                key.prompt_tokens = completion.prompt_tokens

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        return thread


def typed_cells(cells: list[str], max_chars: int) -> list[str]:
    """The first `max_chars` characters the user types, cell by cell."""
    out: list[str] = []
    for cell in cells:
        room = max_chars - sum(len(c) for c in out)
        if room <= 0:
            break
        out.append(cell[:room])
    return out


def wait_first_token(key: Keystroke, thread: threading.Thread, timeout_s: float) -> None:
    """A user at a word boundary looks at the ghost as soon as it starts, then types on
    (which cancels the rest of it)."""
    deadline = time.perf_counter() + timeout_s
    while key.first_token_s is None and thread.is_alive() and time.perf_counter() < deadline:
        time.sleep(0.005)


def type_cells(engine: WorkerEngine, notebook: Notebook, char_ms: float, pause_ms: float,
               chat: dict[str, Any] | None = None) -> list[Keystroke]:
    """Type the notebook's next cells; a chat question is asked mid-way when `chat` is set."""
    session = f"bench-{notebook.name}"
    context_text = completion_context(notebook.context)
    engine.prefill_completion(context_text, session)
    time.sleep(3.0)  # the cell ran; the user reads its output before typing
    typist = Typist(engine, session, context_text)
    keys: list[Keystroke] = []
    for cell in notebook.typed:
        cell_keys = keystrokes(cell)
        for index, key in enumerate(cell_keys):
            if chat is not None and not chat.get("sent") and len(keys) >= 10:
                chat["thread"] = _ask_chat(engine, notebook.context, session, chat)
            thread = typist.send(key, notebook.context)
            keys.append(key)
            if key.boundary:
                wait_first_token(key, thread, 10.0)  # the user waits for the suggestion
                time.sleep(pause_ms / 1000)
            else:
                time.sleep(char_ms / 1000)
                if key.first_token_s is None and index + 1 < len(cell_keys):
                    key.superseded_before_token = True
        thread.join(timeout=10)
    return keys


def _ask_chat(engine: WorkerEngine, context: NotebookContext, session: str,
              chat: dict[str, Any]) -> threading.Thread:
    chat["sent"] = True

    def ask() -> None:
        chat["during_typing_s"] = chat_ttft(engine, context, session)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    return thread


def chat_ttft(engine: WorkerEngine, context: NotebookContext, session: str) -> float:
    budget = PromptBudget(engine.n_ctx(), 16)
    messages = build_messages(CHAT_QUESTION, context, budget)
    request = GenerationRequest(messages=messages, max_tokens=16, session_id=session)
    return round(engine.generate(request).result().ttft_s, 3)


class PeerFIM:
    """notebook-intelligence's way: a fresh FIM prompt of the neighbouring cells per request,
    llama-cpp-python driven directly with its cache reset (no KV reuse). Qwen's FIM tokens,
    as notebook-intelligence's per-family template has them."""

    def __init__(self, path: str, threads: int) -> None:
        from llama_cpp import Llama

        self.llm = Llama(path, n_ctx=8192, n_threads=threads, n_threads_batch=threads,
                         seed=0, verbose=False)  # fmt: skip

    def ttft(self, cells_text: str, prefix: str, suffix: str) -> tuple[float, int]:
        prompt = f"<|fim_prefix|>{cells_text}{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
        started = time.perf_counter()
        self.llm.reset()
        tokens = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        for _ in self.llm.generate(tokens, temp=0.0, top_k=40, min_p=0.05, top_p=1.0):
            return time.perf_counter() - started, len(tokens)
        return time.perf_counter() - started, len(tokens)


def _median(values: list[int]) -> float:
    return statistics.median(values) if values else 0


def summarize(keys: list[Keystroke]) -> dict[str, Any]:
    """Headline: time to the first suggestion token at word boundaries, over the requests
    that got one (an empty answer, e.g. "busy" while a chat prompt evaluates, is fast but
    shows nothing: it is counted apart, by its finish reason, never in the percentiles)."""
    at_boundary = [k for k in keys if k.boundary]
    waited_ms = [1000 * k.first_token_s for k in at_boundary if k.first_token_s is not None]
    empty: dict[str, int] = {}
    for key in at_boundary:
        if key.first_token_s is None:
            empty[key.finish or "unanswered"] = empty.get(key.finish or "unanswered", 0) + 1
    mid = [k for k in keys if not k.boundary]
    return {
        "requests": len(keys),
        "boundary_requests": len(at_boundary),
        "boundary_with_token": len(waited_ms),
        "boundary_without_token_by_finish": empty,
        "ttft_p50_ms": round(percentile(waited_ms, 0.5), 1),
        "ttft_p90_ms": round(percentile(waited_ms, 0.9), 1),
        "mid_word_answered_before_next_key": round(
            sum(not k.superseded_before_token for k in mid) / max(1, len(mid)), 3),
        "empty_suggestions_at_boundaries": sum(1 for k in keys if k.boundary and not k.text),
        "cached_tokens_median": _median([k.cached_tokens for k in keys if k.boundary]),
        "prompt_tokens_median": _median([k.prompt_tokens for k in keys if k.boundary]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    path = str(resolve_model(args.model).path)
    books = notebooks(args.max_chars)
    engine = WorkerEngine(path, n_ctx=8192, n_threads=args.threads)
    engine.start()
    out: dict[str, Any] = {"model": args.model, "threads": args.threads,
                           "max_chars": args.max_chars, "peer_requests": args.peer_requests,
                           "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
                           "char_ms": args.char_ms, "pause_ms": args.pause_ms,
                           "debounce_ms": 0, "notebooks": {}}  # fmt: skip
    all_keys: list[Keystroke] = []
    for book in books:
        chat: dict[str, Any] = {}
        alone = chat_ttft(engine, book.context, f"bench-{book.name}")
        alone = chat_ttft(engine, book.context, f"bench-{book.name}")  # warm, as a user sees it
        keys = type_cells(engine, book, args.char_ms, args.pause_ms, chat=chat)
        if "thread" in chat:
            chat.pop("thread").join(timeout=60)
        all_keys += keys
        out["notebooks"][book.name] = {
            **summarize(keys),
            "chat_ttft_alone_s": alone,
            "chat_ttft_while_typing_s": chat.get("during_typing_s"),
            "typed_cells": book.typed,
            "samples": [asdict(k) for k in keys if k.boundary][:40],
        }
    engine.close()
    peer = PeerFIM(path, args.threads)
    peer_ms: list[float] = []
    for book in books:
        cells_text = completion_context(book.context)
        rows = []
        boundary = [k for cell in book.typed for k in keystrokes(cell) if k.boundary]
        step = max(1, len(boundary) // max(1, args.peer_requests))
        for key in boundary[::step][: args.peer_requests]:  # spread over the typing
            seconds, n_tokens = peer.ttft(cells_text, key.prefix, key.suffix)
            peer_ms.append(1000 * seconds)
            rows.append(n_tokens)
        out["notebooks"][book.name]["peer_prompt_tokens_median"] = statistics.median(rows)
    ours = summarize(all_keys)
    out["ours"] = ours
    out["peer"] = {"ttft_p50_ms": round(percentile(peer_ms, 0.5), 1),
                   "ttft_p90_ms": round(percentile(peer_ms, 0.9), 1),
                   "requests": len(peer_ms)}  # fmt: skip
    out["ours_ms"] = [round(1000 * k.first_token_s, 1) for k in all_keys
                      if k.boundary and k.first_token_s is not None]  # fmt: skip
    out["peer_ms"] = [round(v, 1) for v in peer_ms]
    out["load_average"] = os.getloadavg()
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} logical CPUs"
    return out


def ratios(out: dict[str, Any]) -> dict[str, float]:
    return {
        "complete_ttft_p50_ms": out["ours"]["ttft_p50_ms"],
        "complete_ttft_p90_ms": out["ours"]["ttft_p90_ms"],
        "peer_complete_ttft_over_ours": round(
            out["peer"]["ttft_p50_ms"] / out["ours"]["ttft_p50_ms"], 2),
    }


def report(out: dict[str, Any]) -> str:
    r = ratios(out)
    lines = [
        "# Inline completion benchmark",
        "",
        (f"`{'OMP_WAIT_POLICY=' + out['omp_wait_policy'] + ' ' if out.get('omp_wait_policy') else ''}"
         f"python benchmarks/complete_bench.py --threads {out['threads']} --max-chars "
         f"{out.get('max_chars')} --peer-requests {out.get('peer_requests')}`; model "
         f"{out['model']}, {out['threads']} threads, typing {out['char_ms']} ms per "
         f"character, debounce {out['debounce_ms']} ms (JupyterLab's default), a pause of "
         f"{out['pause_ms']} ms after each word boundary; load average during the run "
         f"{', '.join(f'{v:.1f}' for v in out['load_average'])} ({out['machine']})."),
        "",
        "| | ours p50 | ours p90 | peer p50 | peer p90 | peer / ours (p50) | target |",
        "|---|---|---|---|---|---|---|",
        (f"| time to first suggestion token, word boundaries | {r['complete_ttft_p50_ms']} ms "
         f"| {r['complete_ttft_p90_ms']} ms | {out['peer']['ttft_p50_ms']} ms | "
         f"{out['peer']['ttft_p90_ms']} ms | {r['peer_complete_ttft_over_ours']}x | "
         f"<= {TARGETS['p50_ms']} / {TARGETS['p90_ms']} ms, >= {TARGETS['peer_ratio']:g}x |"),
        "",
        ("| notebook | requests | at boundaries (with a token; empty by finish) | p50 | p90 "
         "| mid-word answered before the next key | cached / prompt tokens (median) | peer "
         "prompt tokens | chat TTFT alone / while typing |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in out["notebooks"].items():
        empty = ", ".join(f"{k} {v}" for k, v in row["boundary_without_token_by_finish"].items())
        lines.append(
            f"| {name} | {row['requests']} | {row['boundary_requests']} "
            f"({row['boundary_with_token']}; {empty or 'none'}) | "
            f"{row['ttft_p50_ms']} ms | {row['ttft_p90_ms']} ms | "
            f"{row['mid_word_answered_before_next_key']:.0%} | {row['cached_tokens_median']} / "
            f"{row['prompt_tokens_median']} | {row['peer_prompt_tokens_median']} | "
            f"{row['chat_ttft_alone_s']} s / {row['chat_ttft_while_typing_s']} s |")
    lines += ["", "Suggestions at word boundaries (first of each notebook):", ""]
    for name, row in out["notebooks"].items():
        for sample in row["samples"][:8]:
            lines.append(f"- {name}: `{sample['prefix'][-40:]!r}` -> `{sample['text']!r}` "
                         f"({sample['reason'] or sample['finish']})")
    return "\n".join(lines) + "\n"


def plot(out: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.boxplot([out["ours_ms"], out["peer_ms"]], vert=False, whis=(10, 90), showfliers=False)
    ax.set_yticks([1, 2], ["ours (warm KV)", "peer (fresh FIM prompt)"])
    ax.axvline(TARGETS["p50_ms"], color="green", linestyle="--", label="target p50 300 ms")
    ax.axvline(TARGETS["p90_ms"], color="orange", linestyle="--", label="target p90 600 ms")
    ax.set_xlabel("time to first suggestion token (ms), boxes p25-p75, whiskers p10-p90")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"Inline completion while typing, {out['model']}, {out['threads']} threads")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=physical_cores())
    parser.add_argument("--char-ms", type=float, default=180.0)
    parser.add_argument("--pause-ms", type=float, default=400.0)
    parser.add_argument("--max-chars", type=int, default=120,
                        help="characters typed per notebook (its next cells, in order)")
    parser.add_argument("--peer-requests", type=int, default=4,
                        help="peer requests per notebook, spread over its word boundaries")
    parser.add_argument("--render", action="store_true", help="redraw from the last JSON")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    json_path = RESULTS / "complete_bench.json"
    if args.render:
        out = json.loads(json_path.read_text())
    else:
        out = run(args)
        json_path.write_text(json.dumps(out, indent=1))
    (RESULTS / "complete_bench.md").write_text(report(out))
    plot(out, RESULTS / "complete_ttft.png")
    ratio_path = RESULTS / "ratios.json"
    existing = json.loads(ratio_path.read_text()) if ratio_path.exists() else {}
    existing.update(ratios(out))
    ratio_path.write_text(json.dumps(existing, indent=2) + "\n")
    print(report(out))


if __name__ == "__main__":
    main()
