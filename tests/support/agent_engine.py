"""An engine factory for a Jupyter server subprocess that answers from a script, in order.

The agent asks several questions per run (the plan, then one cell per step), so one fixed
reply (`recording_engine.py`) cannot drive it. Here each request takes the next answer of
`agent_replies.json` (a JSON list of strings) in `$LOCALAI_RECORD_DIR`, and every prompt is
recorded as `recording_engine` records it. A test writes the script before it asks; when
the script runs out, the answer is `recording_engine.DEFAULT_REPLY`.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from jupyter_localai.core.engine import GenerationRequest
from support.recording_engine import DEFAULT_REPLY, RECORD_DIR_ENV, RecordingEngine

SCRIPT_FILE = "agent_replies.json"


class ScriptedEngine(RecordingEngine):
    """A RecordingEngine whose answers are the script's, one per request."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self._script_lock = threading.Lock()

    def _reply_for(self, request: GenerationRequest) -> str:
        path = self.folder / SCRIPT_FILE
        with self._script_lock:
            script = json.loads(path.read_text()) if path.is_file() else []
            if not script:
                return DEFAULT_REPLY
            path.write_text(json.dumps(script[1:]))
            return str(script[0])


def write_script(folder: Path, replies: list[str]) -> None:
    """The answers of the next requests, in order."""
    (folder / SCRIPT_FILE).write_text(json.dumps(replies))


def script_left(folder: Path) -> list[str]:
    path = folder / SCRIPT_FILE
    return json.loads(path.read_text()) if path.is_file() else []


def make(settings: object) -> ScriptedEngine:
    """The factory the extension calls (its LocalAI settings are not needed here)."""
    return ScriptedEngine(Path(os.environ[RECORD_DIR_ENV]))
