"""An engine factory for a Jupyter server subprocess: records every prompt to a file.

The server loads it by dotted name (`--LocalAIExtension.engine_factory=support.recording_engine.make`)
with tests/ on PYTHONPATH. Each request's messages go to `prompts.jsonl` in
`$LOCALAI_RECORD_DIR`; the reply is the text of `reply.txt` there (so a test can change it
while the server runs), else a harmless code block. Used where a test must see exactly what
an engine receives (secrets, brace safety) or must be handed a dangerous reply (consent);
everything around it (server, kernels, magics, routes) is real.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from jupyter_localai.core.engine import Generation, GenerationRequest, PrefillRequest
from jupyter_localai.engines.fake import FakeEngine

RECORD_DIR_ENV = "LOCALAI_RECORD_DIR"
PROMPTS_FILE = "prompts.jsonl"
# Prefills go to their own file, so tests that count prompts are not moved by the prefill
# kernels send after every cell.
PREFILLS_FILE = "prefills.jsonl"
REPLY_FILE = "reply.txt"
DEFAULT_REPLY = "```python\nanswer = 1\n```"


class RecordingEngine(FakeEngine):
    """A FakeEngine whose prompts land in a file the test process can read."""

    supports_prefill = True  # the server's prefill route reaches it (recorded, never run)

    def __init__(self, folder: Path) -> None:
        super().__init__(self._reply_for, model="recording", n_ctx=4096)
        self.folder = folder
        self._write_lock = threading.Lock()

    def _reply_for(self, request: GenerationRequest) -> str:
        reply = self.folder / REPLY_FILE
        return reply.read_text() if reply.is_file() else DEFAULT_REPLY

    def generate(self, request: GenerationRequest) -> Generation:
        with self._write_lock, (self.folder / PROMPTS_FILE).open("a") as out:
            out.write(json.dumps(request.to_json()) + "\n")
        return super().generate(request)

    def prefill(self, request: PrefillRequest) -> bool:
        """Record what the server would have the model evaluate ahead of a request."""
        record = {"messages": request.messages(self.n_ctx()), "session_id": request.session_id}
        with self._write_lock, (self.folder / PREFILLS_FILE).open("a") as out:
            out.write(json.dumps(record) + "\n")
        return True

    def pause_prefill(self, session_id: str | None = None) -> None:
        """Nothing runs ahead here, so there is nothing to pause."""


def make(settings: object) -> RecordingEngine:
    """The factory the extension calls (its LocalAI settings are not needed here)."""
    return RecordingEngine(Path(os.environ[RECORD_DIR_ENV]))
