"""An agent run as plain data: the plan, each step's cell and what it did in the copy, and
the user's decision per step. `AgentRun.to_json()` is the shape the panel reads (version 1,
documented in docs/architecture.md, "Agent mode")."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

AGENT_MIME = "application/vnd.jupyter-localai.agent+json"
JSON_VERSION = 1

# Run status: running; done (every planned step ran in the copy); too_big (the plan had
# more steps than the agent takes); failed (a step never ran in the copy within its
# attempts); stopped (time budget, Ctrl-C, an engine error).
RUN_STATUSES = ("running", "done", "too_big", "failed", "stopped")
# Step status: pending (not reached), ran, skipped (an existing cell already does it: the
# model handed that cell back; nothing to accept), failed (no attempt ran), stopped (killed
# at its budget on the last attempt). Decision: pending, accepted, rejected.
STEP_STATUSES = ("pending", "ran", "skipped", "failed", "stopped")


@dataclass
class Attempt:
    """One proposal of a step and why it was not kept (empty `problem`: it was kept)."""

    code: str
    problem: str = ""


@dataclass
class AgentStep:
    index: int
    title: str
    status: str = "pending"
    decision: str = "pending"
    code: str = ""
    target: int | None = None  # In[N] the cell replaces; None: a new cell
    target_source: str = ""
    output: str = ""
    error: str = ""
    stopped: str = ""
    figures: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""  # how the answer's tag was read, when not as written

    @property
    def kind(self) -> str:
        return "new" if self.target is None else "edit"

    def diff(self) -> str:
        """A unified diff of the edited cell (empty for a new cell)."""
        if self.target is None:
            return ""
        return "".join(difflib.unified_diff(
            self.target_source.splitlines(keepends=True) or [""],
            [line + "\n" for line in self.code.splitlines()],
            fromfile=f"In[{self.target}]", tofile=f"In[{self.target}] (step {self.index})"))

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index, "title": self.title, "status": self.status,
            "decision": self.decision, "kind": self.kind, "code": self.code,
            "target": None if self.target is None else {
                "execution_count": self.target, "source": self.target_source},
            "diff": self.diff() or None,
            "output": {"text": self.output, "figures": list(self.figures),
                       "error": self.error or None, "stopped": self.stopped or None,
                       "refusals": list(self.refusals)},
            "attempts": [{"code": a.code, "problem": a.problem or None} for a in self.attempts],
            "seconds": round(self.seconds, 2),
            "note": self.note or None,
        }


@dataclass
class AgentRun:
    goal: str
    model: str = ""
    status: str = "running"
    message: str = ""
    plan: list[str] = field(default_factory=list)
    steps: list[AgentStep] = field(default_factory=list)
    seconds: float = 0.0
    model_seconds: float = 0.0
    copy_seconds: float = 0.0
    step_timeout_s: float = 0.0

    def step(self, index: int) -> AgentStep:
        """Step `index` (1-based); IndexError names the steps there are."""
        if not 1 <= index <= len(self.steps):
            raise IndexError(f"There is no step {index}; this run has steps 1 to "
                             f"{len(self.steps)}." if self.steps else "This run has no steps.")
        return self.steps[index - 1]

    def ran_steps(self) -> list[AgentStep]:
        return [step for step in self.steps if step.status == "ran"]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION, "goal": self.goal, "model": self.model,
            "status": self.status, "message": self.message or None, "plan": list(self.plan),
            "steps": [step.to_json() for step in self.steps],
            "copy": {"step_timeout_s": self.step_timeout_s, "network": False,
                     "writes_files": False, "processes": False},
            "timings": {"total_s": round(self.seconds, 2),
                        "model_s": round(self.model_seconds, 2),
                        "copy_s": round(self.copy_seconds, 2)},
        }
