"""The panel's "Agent" task: `%%ai agent GOAL` run from the panel's silent kernel call.

The panel sends

    __import__("jupyter_localai.kernel.agent.panel", fromlist=["_"]).run_json(
        get_ipython(), "<body JSON>")

with `{"goal": str}` in a silent execute request. The run is the magic's own
(`face.AgentFace.start`): its display, with the run's JSON under `state.AGENT_MIME`, arrives
as display_data and update_display_data messages of that request, which the panel reads;
nothing goes into a cell. With `%load_ext jupyter_localai` the run becomes the kernel's
last run, so `%ai agent show` and `accept` see it too. A body or run that fails ends with
one JSON line `{"type": "error", "message": ...}` on stdout.
"""

from __future__ import annotations

import json
from typing import Any

from ...errors import LocalAIError
from ..magic_args import parse_verb_options
from ..panel_task import assistant_of, write_event
from .face import AgentFace, face_of


def run_json(shell: Any, body_json: str) -> None:
    """Run the agent on the body's goal; the run shows in this request's displays."""
    try:
        body = json.loads(body_json)
    except json.JSONDecodeError as error:
        _error(f"the body is not JSON: {error}")
        return
    goal = body.get("goal") if isinstance(body, dict) else None
    if not isinstance(goal, str) or not goal.strip():
        _error("the agent needs a goal: describe in words what the cells should do.")
        return
    assistant, owned = assistant_of(shell)
    try:
        face = _face(shell, assistant, owned)
        face.start(goal, parse_verb_options("agent", "", cell=True))
    except LocalAIError as error:
        _error(str(error))
    finally:
        if owned:
            assistant.close()


def _face(shell: Any, assistant: Any, owned: bool) -> AgentFace:
    """The magics' agent face (its last run is the kernel's), or one for this run alone."""
    if owned:
        return AgentFace(shell, assistant)
    from ..magics import LocalAIMagics

    return face_of(shell.magics_manager.registry[LocalAIMagics.__name__])


def _error(message: str) -> None:
    write_event({"type": "error", "error": "AgentError", "message": message})
