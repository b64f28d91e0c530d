"""A scripted completion engine for a Jupyter server subprocess (the inline completion
browser tests), loaded by dotted name:
`--LocalAIExtension.engine_factory=support.completion_engine.make`, tests/ on PYTHONPATH.

Its suggestion comes from the request it is given, never from the test: at an open `[` or
`(` it names the first column of the first DataFrame hint line in the completion prompt
(`# df: DataFrame ...: 'a' (int64), ...`, made from the kernel's variables as the front end
sent them), quoted and closed; with no such line it has no suggestion. So a ghost naming a real column shows that the kernel's
variables went all the way from the kernel, through the front end and the server's prompt,
to the engine. It streams one character every `$LOCALAI_COMPLETION_DELAY_S` seconds and
stops at once when cancelled. Every completion and prefill is recorded (wall-clock
times included) as JSON lines in `$LOCALAI_COMPLETION_DIR`, for the test to read.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from jupyter_localai.core.engine import Completion, CompletionRequest, Generation
from jupyter_localai.engines.fake import FakeEngine

RECORD_DIR_ENV = "LOCALAI_COMPLETION_DIR"
DELAY_ENV = "LOCALAI_COMPLETION_DELAY_S"
COMPLETIONS_FILE = "completions.jsonl"
ENDS_FILE = "completion_ends.jsonl"
PREFILLS_FILE = "completion_prefills.jsonl"

# A DataFrame's hint line above the cell (`core/completion_prompt.hint_line`):
# `# df: DataFrame 3 rows x 2 columns: 'a' (int64), 'b' (object)`.
_HINT_COLUMN = re.compile(r"^#\s+\w+: [^\n]*?: '([^'\n]+)' \(", re.MULTILINE)
_OPENER = re.compile(r"([\[(])([\"']?)$")


def first_column(prompt_text: str) -> str | None:
    """The first column named by a DataFrame hint line of a completion prompt's text."""
    match = _HINT_COLUMN.search(prompt_text)
    return match.group(1) if match else None


def scripted_suggestion(request: CompletionRequest) -> str:
    """At `df[`, `df["` or `df.groupby(`: the hint line's first column, quoted and closed."""
    opener = _OPENER.search(request.prefix)
    column = first_column(request.prefix)
    if opener is None or column is None:
        return ""
    bracket, quote = opener.groups()
    closer = "]" if bracket == "[" else ")"
    return f"{'' if quote else chr(34)}{column}{quote or chr(34)}{closer}"


class _Suggestion(Generation):
    """One character per `delay_s`; a cancel ends it at once. Reports how it ended."""

    def __init__(self, text: str, delay_s: float, report: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self._text = text
        self._delay_s = delay_s
        self._report = report
        self._cancelled_at: float | None = None

    def cancel(self) -> None:
        if self._cancelled_at is None:
            self._cancelled_at = time.time()
        super().cancel()

    def __iter__(self) -> Iterator[str]:
        produced = ""
        finish = "stop"
        for char in self._text:
            if self._cancelled.wait(self._delay_s):
                finish = "cancelled"
                break
            produced += char
            yield char
        self.completion = Completion(text=produced, model="scripted", finish_reason=finish)
        end = {"produced": produced, "finish": finish, "ended_at": time.time()}
        self._report({**end, "cancelled_at": self._cancelled_at})


class CompletionEngine(FakeEngine):
    """A FakeEngine whose inline completions follow `scripted_suggestion`, recorded."""

    def __init__(self, folder: Path, delay_s: float) -> None:
        super().__init__(model="scripted-completion")
        self.folder = folder
        self.delay_s = delay_s
        self._write_lock = threading.Lock()

    def _record(self, name: str, record: dict[str, Any]) -> None:
        with self._write_lock, (self.folder / name).open("a") as out:
            out.write(json.dumps(record) + "\n")

    def complete(self, request: CompletionRequest) -> Generation:
        text = scripted_suggestion(request)
        started = {**request.to_json(), "reply": text, "started_at": time.time()}
        self._record(COMPLETIONS_FILE, started)

        def report(end: dict[str, Any]) -> None:
            self._record(ENDS_FILE, {"request_id": request.request_id, **end})

        return _Suggestion(text, self.delay_s, report)

    def prefill_completion(self, context: str, session_id: str | None = None) -> bool:
        record = {"context": context, "session_id": session_id, "at": time.time()}
        self._record(PREFILLS_FILE, record)
        return True


def read_records(folder: Path, name: str) -> list[dict[str, Any]]:
    """The JSON lines the engine wrote to `name` so far."""
    path = folder / name
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def make(settings: object) -> CompletionEngine:
    """The factory the extension calls (its LocalAI settings are not needed here)."""
    return CompletionEngine(
        Path(os.environ[RECORD_DIR_ENV]), float(os.environ.get(DELAY_ENV, "0.05"))
    )
