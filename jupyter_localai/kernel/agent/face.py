"""`%%ai agent GOAL`, `%ai agent accept N|all`, `%ai agent reject [N]`, `%ai agent show`.

The run itself touches nothing (see `runner.py`). Accepting is the only way its cells reach
the notebook, and even then they are not run: in a kernel alone the accepted cells go into
one new cell below through IPython's `set_next_input` payload (the one new cell a kernel
can ask a frontend for per execution; an edit of an earlier cell arrives there too, marked
as a replacement of In[N], since a kernel cannot change another cell). The panel reads the
run's JSON (`state.AGENT_MIME`) and inserts or replaces each cell itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..context.collect import collect_context
from ..context.history import cell_sources, is_own_magic
from ..context.namespace import KernelNamespace
from .runner import AgentOptions, AgentRunner
from .state import AgentRun, AgentStep
from .view import AgentDisplay

USAGE = ("`%%ai agent` takes a goal in the cell body (or `%ai agent GOAL` on one line); "
         "`%ai agent accept N|all`, `%ai agent reject [N]` and `%ai agent show` act on the "
         "last run.")


class AgentFace:
    """The agent's magic face of one kernel; holds the last run for accept/reject."""

    def __init__(self, shell: Any, assistant: Any) -> None:
        self.shell = shell
        self.assistant = assistant
        self.last_run: AgentRun | None = None

    def command(self, text: str, args: Any, cell_given: bool) -> None:
        word, _, rest = text.strip().partition(" ")
        if not cell_given and word in ("accept", "reject", "show"):
            if self.last_run is None:
                print("jupyter-localai: no agent run in this kernel yet. " + USAGE)
                return
            {"accept": self.accept, "reject": self.reject, "show": self.show}[word](rest)
            return
        if not text.strip():
            print("jupyter-localai: " + USAGE)
            return
        self.start(text, args)

    def start(self, goal: str, args: Any) -> AgentRun:
        settings = self.assistant.settings
        sources = cell_sources(self.shell)
        known = {number: source for number, source in enumerate(sources)
                 if number and isinstance(source, str) and source.strip()
                 and not is_own_magic(source)}
        options = AgentOptions(
            max_tokens=args.max_tokens or settings.max_tokens,
            temperature=settings.temperature if args.temperature is None else args.temperature,
            seed=settings.seed if args.seed is None else args.seed,
            model=args.model, session_id=self.assistant.session_id(),
            context_tokens=args.context_tokens or settings.context_tokens,
            attempts=1 + (2 if args.retries is None else max(0, int(args.retries))),
            step_timeout_s=float(args.step_timeout or settings.rehearse_timeout))
        display = AgentDisplay(self.shell)
        engine = self.assistant.engine(args.model)
        runner = AgentRunner(engine, self.shell, goal, collect_context(self.shell, goal),
                             KernelNamespace(self.shell.user_ns), known, options, display)
        self.last_run = runner.run_state  # visible (and stoppable) while it runs
        run = runner.run()
        display.finish(run)
        return run

    def accept(self, which: str) -> None:
        run = self.last_run
        assert run is not None
        try:
            steps = self._chosen(run, which)
        except (ValueError, IndexError) as error:
            print(f"jupyter-localai: {error}")
            return
        for step in steps:
            step.decision = "accepted"
        skipped = [s.index for s in run.ran_steps()
                   if s.decision != "accepted" and s.index < max(x.index for x in steps)]
        self.shell.set_next_input(cell_text(steps), replace=False)
        note = (f" They were rehearsed after step(s) {', '.join(map(str, skipped))}, which "
                "you did not accept: run those first or expect a different result."
                if skipped else "")
        print(f"Accepted step(s) {', '.join(str(s.index) for s in steps)}: the code is in a "
              f"new cell below, not run.{note}")

    def reject(self, which: str) -> None:
        run = self.last_run
        assert run is not None
        try:
            steps = self._chosen(run, which or "all", pending_only=True)
        except (ValueError, IndexError) as error:
            print(f"jupyter-localai: {error}")
            return
        for step in steps:
            step.decision = "rejected"
        print(f"Rejected step(s) {', '.join(str(s.index) for s in steps)}. Nothing in the "
              "notebook or the kernel was changed.")

    def show(self, _rest: str) -> None:
        assert self.last_run is not None
        print(json.dumps(self.last_run.to_json(), indent=1))

    @staticmethod
    def _chosen(run: AgentRun, which: str, pending_only: bool = False) -> list[AgentStep]:
        which = which.strip().lower()
        if which in ("", "all"):
            steps = [s for s in run.ran_steps() if s.decision == "pending" or not pending_only]
            steps = [s for s in steps if s.decision != "rejected"]
            if not steps:
                raise ValueError("no step of the last run is left to act on (a step must "
                                 "have run in the copy).")
            return steps
        numbers = [int(n) for n in re.findall(r"\d+", which)]
        if not numbers:
            raise ValueError(f"`{which}` names no step: give step numbers or `all`.")
        steps = [run.step(n) for n in numbers]
        not_ran = [s.index for s in steps if s.status != "ran"]
        if not_ran:
            raise ValueError(f"step {not_ran[0]} did not run in the copy; only steps that "
                             "ran can be accepted.")
        return steps


def cell_text(steps: list[AgentStep]) -> str:
    """The accepted steps as the one new cell a kernel can insert."""
    if len(steps) == 1 and steps[0].target is None:
        return steps[0].code
    parts = []
    for step in steps:
        header = (f"# Step {step.index}: {_one_line(step.title)}" if step.target is None else
                  f"# Step {step.index} replaces In[{step.target}] (edit that cell, or run "
                  "this one instead)")
        parts.append(f"{header}\n{step.code.rstrip()}")
    return "\n\n".join(parts)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:100]


def face_of(magics: Any) -> AgentFace:
    """The magics' agent face, made on first use."""
    face = getattr(magics, "agent_face", None)
    if face is None:
        face = AgentFace(magics.shell, magics.assistant)
        magics.agent_face = face
    return face
