"""The agent loop: plan, then for each step propose a cell, rehearse it in the copy, revise.

Nothing here touches the kernel's namespace or the notebook: every cell runs in the
lineage of `copy.py`, whose kept state is what the next step builds on. The model answers
in the fixed formats of `core/agent_format.py`; an answer that does not parse, fails the
static checks or fails in the copy is fed back, within the step's attempts and the run's
time budget. A goal the model plans in more than MAX_PLAN_STEPS steps, or a step that never
runs, ends the run with a message saying so (the steps that ran stay on offer).

Plans are sized to the goal and the model (`plan_limit`): a one-sentence goal on a small
model is one step with no planning call; a cell handed back unchanged does a step only when
that step just looks at what exists; the names the goal asks for must be assigned by the
time the last step runs; a model call that the run's time budget cannot fit (judged by the
calls so far) is not started.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ...core.agent_format import (
    MAX_PLAN_STEPS,
    AlreadyDone,
    CellEdit,
    FormatError,
    done_entry,
    fit_plan,
    look_only,
    parse_cell,
    parse_plan,
    plan_instruction,
    plan_limit,
    run_feedback,
    sentences,
    step_instruction,
)
from ...core.check_types import CallKeywords, NamespaceView
from ...core.checks import check_code
from ...core.context import NotebookContext
from ...core.engine import Engine, GenerationRequest
from ...core.prompt import PromptBudget, build_messages
from ...core.redact import redact, redact_context, redact_messages
from ...core.repairs import repaired
from ...core.targets import asked_names
from ...core.tasks import RETRY_TEMPERATURES
from ...errors import LocalAIError
from .copy import AgentCopy, CopyLost, TrialResult
from .state import AgentRun, AgentStep, Attempt


@dataclass
class AgentOptions:
    max_tokens: int = 384
    temperature: float = 0.0
    seed: int = 0
    model: str | None = None
    session_id: str | None = None
    context_tokens: int = 1500
    attempts: int = 3  # per step, the first included
    step_timeout_s: float = 30.0  # one attempt in the copy
    time_budget_s: float = 900.0  # the whole run, model time included


class AgentListener(Protocol):
    """What a face shows while the run goes on (all optional to act on)."""

    def on_update(self, run: AgentRun, status: str) -> None: ...


class _Stopped(Exception):
    """The run's time budget is spent."""


class StepNamespace:
    """The live namespace for the checks, plus the names earlier steps bound in the copy
    (about which nothing else is known)."""

    def __init__(self, live: NamespaceView, added: set[str]) -> None:
        self._live = live
        self.added = added

    def has(self, name: str) -> bool:
        return name in self.added or self._live.has(name)

    def _live_only(self, name: str, ask: Callable[[], Any]) -> Any:
        return None if name in self.added else ask()

    def attribute_names(self, name: str) -> list[str] | None:
        return self._live_only(name, lambda: self._live.attribute_names(name))

    def column_names(self, name: str) -> list[str] | None:
        return self._live_only(name, lambda: self._live.column_names(name))

    def frame_labels(self, name: str) -> list[str] | None:
        return self._live_only(name, lambda: self._live.frame_labels(name))

    def member_kinds(self, name: str, path: tuple[str, ...]) -> dict[str, str] | None:
        return self._live_only(name, lambda: self._live.member_kinds(name, path))

    def call_keywords(self, name: str, path: tuple[str, ...]) -> CallKeywords | None:
        return self._live_only(name, lambda: self._live.call_keywords(name, path))

    def holds_literal(self, name: str, value: ast.expr) -> bool:
        return bool(self._live_only(name, lambda: self._live.holds_literal(name, value)))


class AgentRunner:
    """One run of the agent over one goal; `run()` returns the finished `AgentRun`."""

    def __init__(self, engine: Engine, shell: Any, goal: str, context: NotebookContext | None,
                 namespace: NamespaceView, known_cells: dict[int, str],
                 options: AgentOptions, listener: AgentListener | None = None) -> None:
        self._engine = engine
        self._shell = shell
        self._context = redact_context(context) if context is not None else None
        self._namespace = StepNamespace(namespace, set())
        self._known = known_cells
        self._options = options
        self._listener = listener
        self._budget = PromptBudget(engine.n_ctx(), options.max_tokens, options.context_tokens)
        self._started = time.monotonic()
        self._call_seconds: list[float] = []
        self._goal_names = asked_names(goal)
        self.run_state = AgentRun(goal=redact(goal.strip()), model=options.model or "",
                                  step_timeout_s=options.step_timeout_s)

    def run(self) -> AgentRun:
        state = self.run_state
        try:
            state.plan = self._plan()
            if len(state.plan) > MAX_PLAN_STEPS:
                state.status = "too_big"
                state.message = (
                    f"The model planned {len(state.plan)} steps; the agent takes at most "
                    f"{MAX_PLAN_STEPS}. This goal is too big for it in one run: split it into "
                    "smaller goals, or try a larger model (--model).")
                return state
            state.steps = [AgentStep(index, title) for index, title in enumerate(state.plan, 1)]
            self._update("Planned.")
            with AgentCopy(self._shell, self._options.step_timeout_s) as copy:
                for step in state.steps:
                    if not self._do_step(copy, step):
                        state.status = "failed"
                        state.message = self._failure_message(step)
                        return state
            state.status = "done"
            return state
        except _Stopped:
            state.status = "stopped"
            state.message = (f"The run's time budget ({self._options.time_budget_s:.0f} s) was "
                             "spent; the steps that ran in the copy are still on offer.")
            return state
        except KeyboardInterrupt:
            state.status = "stopped"
            state.message = "Stopped by the user; the steps that ran in the copy are on offer."
            return state
        except LocalAIError as error:  # the engine failed: said, with what ran so far
            state.status = "stopped"
            state.message = f"The model could not answer: {error}"
            return state
        except CopyLost as error:
            state.status = "stopped"
            state.message = f"The copy of the kernel was lost ({error}); nothing was changed."
            return state
        finally:
            state.seconds = time.monotonic() - self._started
            self._update("Finished.")

    # -- the plan -------------------------------------------------------------------------
    def _plan(self) -> list[str]:
        goal = self.run_state.goal
        limit = plan_limit(goal, self._model_name())
        if limit == 0:  # the goal is the one step: no planning call
            return [goal.splitlines()[0][:200]]
        messages = self._messages(plan_instruction(goal, limit))
        self._update("Planning…")
        problem = ""
        for attempt in range(2):
            text = self._ask(messages, attempt, max_tokens=min(96, self._options.max_tokens))
            try:
                steps = parse_plan(text)
            except FormatError as error:
                problem = str(error)
                messages = [*messages, {"role": "assistant", "content": text},
                            {"role": "user", "content": problem}]
                continue
            # A plan finer than the limit is merged; only a goal of several sentences
            # planned beyond MAX_PLAN_STEPS is too big (said by `run`).
            too_big = len(steps) > MAX_PLAN_STEPS and sentences(goal) > 1
            return steps if too_big else fit_plan(steps, limit)
        # No numbered plan twice: the goal itself is the one step (a small model often
        # answers a small goal with the code right away).
        return [self.run_state.goal.splitlines()[0][:200]]

    # -- a step ---------------------------------------------------------------------------
    def _do_step(self, copy: AgentCopy, step: AgentStep) -> bool:
        started = time.monotonic()
        state = self.run_state
        done = [done_entry(s.index, CellEdit(s.code, s.target), s.output or _figures(s))
                for s in state.ran_steps()]
        failing = self._context.last_error.cell_number if (
            self._context is not None and self._context.last_error is not None) else None
        required = self._required(step)
        messages = self._messages(step_instruction(state.goal, state.plan, step.index, done,
                                                   failing, required, self._known))
        try:
            for attempt in range(self._options.attempts):
                self._update(f"Step {step.index}, attempt {attempt + 1}: writing the cell…")
                text = self._ask(messages, attempt)
                problem = self._try(copy, step, text, failing, required)
                if not problem:
                    return True
                if _repeated(step):
                    problem = ("That is the same cell as your previous attempt, and it fails the "
                               "same way: write different code.\n" + problem)
                messages = [*messages, {"role": "assistant", "content": text},
                            {"role": "user", "content": problem}]
            return False
        finally:
            step.seconds = time.monotonic() - started

    def _required(self, step: AgentStep) -> list[str]:
        """The goal's names this step must assign: those its title names, and on the last
        step every one no earlier step assigned."""
        last = step.index == len(self.run_state.steps)
        named = asked_names(step.title)
        return [name for name in self._goal_names if name in named or (
            last and name not in self._namespace.added)]

    def _may_skip(self, step: AgentStep, cell: int, failing: int | None,
                  required: list[str]) -> bool:
        """Whether a cell handed back unchanged does `step`: only a step that looks at what
        exists, not the last one, that assigns nothing, and not the failing cell or one
        before it. Handing back a cell proves nothing about a step that changes data."""
        return (look_only(step.title) and not required
                and step.index < len(self.run_state.steps)
                and (failing is None or cell > failing))

    def _try(self, copy: AgentCopy, step: AgentStep, text: str, failing: int | None,
             required: list[str]) -> str:
        """Parse, check and rehearse one answer; the feedback for the model, or "" if kept."""
        try:
            edit = parse_cell(text, self._known)
        except AlreadyDone as done:
            if self._may_skip(step, done.cell, failing, required):
                step.status, step.output, step.code = "skipped", (
                    f"In[{done.cell}] already does this step; nothing to add."), ""
                step.attempts.append(Attempt(code=self._known.get(done.cell, "")))
                self._update(f"Step {step.index}: already done by In[{done.cell}].")
                return ""
            problem = str(done) if failing is not None and done.cell <= failing else (
                f"That is In[{done.cell}] unchanged: it ran already and does not do this step, "
                "which must change or create data. Write the new code as `CELL: new`.")
            step.attempts.append(Attempt(code="", problem=problem))
            step.status, step.error = "failed", problem
            return problem
        except FormatError as error:
            step.attempts.append(Attempt(code="", problem=str(error)))
            step.status, step.error = "failed", str(error)
            return str(error)
        step.note = edit.note
        issues = check_code(edit.code, namespace=self._namespace, required_names=required)
        if edit.target is not None and failing is not None:
            # An edit that repairs an error defines its cell's names anew: no "rebinds". When
            # nothing failed, an edit is checked like a new cell: the 0.5B "edited" a data
            # cell into made-up data of its own instead of converting the user's.
            issues = [issue for issue in issues if issue.kind != "rebinds"]
        if issues and all(issue.kind in _REPAIRABLE for issue in issues):
            edit, issues = self._repaired(edit, issues, required, failing)
        if issues:
            problem = "That cell has a problem:\n" + "\n".join(f"- {i.message}" for i in issues)
            step.attempts.append(Attempt(edit.code, problem))
            self._record(step, edit, None, problem)
            return problem + "\nReply again with the corrected cell in one ```python block."
        then = []
        if edit.target is not None and failing is not None and edit.target < failing:
            then = [(failing, self._known.get(failing, ""))]  # the edit must repair it
        self._update(f"Step {step.index}: running the cell in the copy…")
        result = copy.run(edit.code, then)
        self.run_state.copy_seconds += result.seconds
        self._record(step, edit, result, "")
        if result.ran:
            copy.keep()
            step.attempts.append(Attempt(edit.code))
            # Every name the kept cell mentions may have changed in the copy (a column added
            # with `sales['revenue'] = ...` rebinds nothing): later checks know it by name
            # only, not by the live kernel's columns (which refused `sales['revenue']`).
            self._namespace.added |= {v["name"] for v in result.variables} | _mentioned(
                edit.code)
            self._update(f"Step {step.index} ran in the copy.")
            return ""
        copy.drop()
        if result.stopped:
            problem = run_feedback(f"It was stopped: {result.stopped}.",
                                   "Make the cell finish quickly (no endless loop). ")
        else:
            problem = run_feedback(result.error)
        step.attempts.append(Attempt(edit.code, result.stopped or result.error))
        self._update(f"Step {step.index}: the cell failed in the copy; revising…")
        return problem

    def _repaired(self, edit: CellEdit, issues: list[Any], required: list[str],
                  failing: int | None) -> tuple[CellEdit, list[Any]]:
        """The cell with its in-place idioms rewritten (as `%%ai` does), when that leaves
        no issue; else as it was. Saves an attempt the small models mostly repeat."""
        repair = repaired(edit.code, self._namespace)
        if repair is None:
            return edit, issues
        left = check_code(repair.code, namespace=self._namespace, required_names=required)
        if edit.target is not None and failing is not None:
            left = [issue for issue in left if issue.kind != "rebinds"]
        return (edit, issues) if left else (CellEdit(repair.code, edit.target, edit.note), [])

    def _record(self, step: AgentStep, edit: CellEdit, result: TrialResult | None,
                problem: str) -> None:
        step.code, step.target = edit.code, edit.target
        step.target_source = self._known.get(edit.target, "") if edit.target else ""
        if result is None:
            step.status, step.error, step.output, step.stopped = "failed", problem, "", ""
            step.figures, step.refusals = [], []
            return
        step.status = "ran" if result.ran else ("stopped" if result.stopped else "failed")
        step.output, step.error, step.stopped = result.output, result.error, result.stopped
        step.figures, step.refusals = result.figures, result.refusals

    def _failure_message(self, step: AgentStep) -> str:
        model = self.run_state.model or "this model"
        return (f"Step {step.index} did not run in the copy after {len(step.attempts)} "
                f"attempts. The goal may be too big for {model}: split it into smaller "
                "goals, fix what the last error says, or try a larger model (--model). "
                + ("The steps before it ran and can be accepted." if step.index > 1 else ""))

    # -- the model ------------------------------------------------------------------------
    def _messages(self, task: str) -> list[dict[str, str]]:
        return build_messages(task, self._context, self._budget)

    def _model_name(self) -> str:
        return self._options.model or str(self._engine.status().get("model") or "")

    def _ask(self, messages: list[dict[str, str]], attempt: int,
             max_tokens: int | None = None) -> str:
        # A call the budget cannot fit is not started: judged by the mean call so far, so a
        # slow machine stops between calls instead of far past its budget.
        expected = sum(self._call_seconds) / len(self._call_seconds) if self._call_seconds else 0
        if time.monotonic() - self._started + expected > self._options.time_budget_s:
            raise _Stopped
        options = self._options
        started = time.monotonic()
        generation = self._engine.generate(GenerationRequest(
            messages=redact_messages(messages),
            max_tokens=max_tokens or options.max_tokens,
            # Retries warm up as `%%ai`'s do: at 0.5 the 0.5B repeated its failing cell.
            temperature=options.temperature if attempt == 0 else max(
                options.temperature, RETRY_TEMPERATURES[min(attempt, len(RETRY_TEMPERATURES)) - 1]),
            seed=options.seed + attempt, model=options.model, session_id=options.session_id))
        try:
            completion = generation.result()
        except KeyboardInterrupt:
            generation.cancel()
            for _ in generation:  # let the engine acknowledge, so the model is free again
                pass
            raise
        finally:
            self._call_seconds.append(time.monotonic() - started)
            self.run_state.model_seconds += self._call_seconds[-1]
        if completion.model and not self.run_state.model:
            self.run_state.model = completion.model
        return completion.text

    def _update(self, status: str) -> None:
        if self._listener is not None:
            self._listener.on_update(self.run_state, status)


_REPAIRABLE = frozenset({"inplace", "none_result", "row_of_parts"})


def _mentioned(code: str) -> set[str]:
    """Every name a cell (that parsed) mentions."""
    return {node.id for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Name)}


def _repeated(step: AgentStep) -> bool:
    """Whether the step's last attempt repeats an earlier one's code."""
    *earlier, last = step.attempts
    return bool(last.code.strip()) and any(
        attempt.code.strip() == last.code.strip() for attempt in earlier)


def _figures(step: AgentStep) -> str:
    return "; ".join(step.figures)
