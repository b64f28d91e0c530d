"""Showing an agent run in the cell's output: the plan, each step's cell, its output in the
copy, the diff of an edit, and how to accept or reject. Model text is untrusted: titles are
literal text, code, outputs and diffs are fenced (`display.py`'s rules). The bundle also
carries the run as JSON (`AGENT_MIME`) for the panel."""

from __future__ import annotations

import time
from typing import Any

from ..display import fence_code, has_rich_frontend, literal_markdown
from .state import AGENT_MIME, AgentRun, AgentStep

_UPDATE_INTERVAL_S = 0.2
_RUN_WORDS = {"running": "Working", "done": "Every step ran in the copy",
              "too_big": "Too big for this model", "failed": "Stopped at a step",
              "stopped": "Stopped"}


def render_markdown(run: AgentRun, status: str = "") -> str:
    lines = [(f"**Agent** ({_RUN_WORDS.get(run.status, run.status)}): "
             f"{literal_markdown(run.goal)}")]
    if status and run.status == "running":
        lines.append(f"_{literal_markdown(status)}_")
    if run.plan:
        lines.append("**Plan**\n\n" + "\n".join(
            f"{n}. {literal_markdown(title)}" for n, title in enumerate(run.plan, 1)))
    lines += [_step_markdown(step) for step in run.steps if step.status != "pending"]
    if run.message:
        lines.append(f"**Note:** {literal_markdown(run.message)}")
    if run.status != "running":
        lines.append(_footer(run))
    return "\n\n".join(lines)


def _step_markdown(step: AgentStep) -> str:
    what = "new cell" if step.target is None else f"edit of In[{step.target}]"
    tries = f", {len(step.attempts)} attempts" if len(step.attempts) > 1 else ""
    parts = [(f"**Step {step.index}** ({what}, {step.status} in the copy{tries}, "
             f"{step.seconds:.0f} s; {step.decision}): {literal_markdown(step.title)}")]
    if step.code:
        parts.append(fence_code(step.diff(), "diff") if step.target is not None
                     else fence_code(step.code))
    if step.output:
        parts.append("Output in the copy:\n\n" + fence_code(step.output, "text"))
    if step.figures:
        parts.append("Figures in the copy: " + literal_markdown("; ".join(step.figures)))
    if step.stopped:
        parts.append("Stopped: " + literal_markdown(step.stopped))
    elif step.error:
        parts.append("Error in the copy:\n\n" + fence_code(step.error, "text"))
    return "\n\n".join(parts)


def _footer(run: AgentRun) -> str:
    ran = [step.index for step in run.ran_steps()]
    if not ran:
        return "Nothing was changed in this notebook or kernel."
    return ("Nothing was changed in this notebook or kernel yet. `%ai agent accept all` (or "
            "`%ai agent accept N`) puts the cells that ran into the notebook, not run; "
            "`%ai agent reject` discards them. "
            f"Steps that ran in the copy: {', '.join(map(str, ran))}. "
            f"Time: {run.seconds:.0f} s (model {run.model_seconds:.0f} s, copy "
            f"{run.copy_seconds:.0f} s).")


def agent_bundle(run: AgentRun, status: str = "") -> dict[str, Any]:
    markdown = render_markdown(run, status)
    return {"text/markdown": markdown, "text/plain": markdown, AGENT_MIME: run.to_json()}


class AgentDisplay:
    """Keeps one display up to date while the run goes on (throttled); a terminal gets a
    line per status instead."""

    def __init__(self, shell: Any) -> None:
        self._rich = has_rich_frontend(shell)
        self._handle: Any = None
        self._last = 0.0

    def on_update(self, run: AgentRun, status: str) -> None:
        if not self._rich:
            print(status, flush=True)
            return
        now = time.monotonic()
        if self._handle is not None and now - self._last < _UPDATE_INTERVAL_S:
            return
        self._last = now
        self._show(agent_bundle(run, status))

    def finish(self, run: AgentRun) -> None:
        if not self._rich:
            print(render_markdown(run))
            return
        self._show(agent_bundle(run))

    def _show(self, bundle: dict[str, Any]) -> None:
        from IPython.display import display

        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)
