"""The agent's fixed answer formats: a short numbered plan, then one tagged cell per step.

Small models write tool calls as prose and break JSON, but they reliably write a numbered
list and a fenced ```python block. So the agent asks for exactly those, with one tag line
naming what the cell is (`CELL: new`, or `CELL: edit In[N]` to replace an earlier cell),
and every answer is parsed and validated here; what fails validation is fed back as a
retry, like a failed check. Pure text in, plain data out: no engine, no kernel.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .reply import extract_code, parses

MAX_PLAN_STEPS = 4
_PLAN_LINE = re.compile(r"^\s*(?:[-*]\s*)?(?:\*\*)?(?:step\s*)?(\d{1,2})\s*[.):]\s*(?:\*\*)?\s*(.+?)\s*$",
                        re.IGNORECASE)
_TAG_LINE = re.compile(r"^[ \t]*CELL[ \t]*:.*$", re.IGNORECASE | re.MULTILINE)
_TAG = re.compile(r"CELL\s*:\s*(new|edit)\b(?:[^\n\d]*?(\d+))?", re.IGNORECASE)


class FormatError(ValueError):
    """An answer that does not follow the asked format; its message is the model's feedback."""


class AlreadyDone(FormatError):
    """The answer hands back an existing cell as it is: that cell may already do the step
    (small models plan "load the data" for data the notebook has). The caller decides."""

    def __init__(self, cell: int) -> None:
        super().__init__(f"That is In[{cell}] unchanged. Change what is wrong, or write "
                         "`CELL: new` with new code.")
        self.cell = cell


@dataclass(frozen=True)
class CellEdit:
    """One step's proposal: a new cell (`target` None), or the whole new source of the
    earlier cell In[`target`]."""

    code: str
    target: int | None = None

    @property
    def kind(self) -> str:
        return "new" if self.target is None else "edit"


def plan_instruction(goal: str) -> str:
    """What the model is asked for first: the goal split into 1-4 one-cell steps."""
    return (
        f"Goal: {goal.strip()}\n\n"
        f"Plan how to reach this goal in this notebook in 1 to {MAX_PLAN_STEPS} steps. Each "
        "step is one short notebook cell. A small goal needs only 1 or 2 steps. The "
        "notebook's cells have run and their variables exist: plan only the new work, no step "
        "that loads, reads or shows what exists. Reply with "
        "the numbered steps only, one short line each, in this form:\n"
        "1. <what the first cell does, for this goal>\n2. <what the next cell does>"
    )


def parse_plan(text: str) -> list[str]:
    """The plan's steps, in order. Raises FormatError when there is no numbered step.

    A list may be longer than MAX_PLAN_STEPS: the caller says the goal is too big."""
    steps: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced  # a numbered line inside a code block is code, not a step
            continue
        match = None if fenced else _PLAN_LINE.match(line)
        if match is None:
            continue
        title = match.group(2).replace("**", "").strip()
        if title.startswith("<") and title.endswith(">"):
            continue  # the form's placeholder handed back, not a step
        if title and title not in steps:
            steps.append(title)
    if not steps:
        raise FormatError("That is not a numbered plan. Reply with the numbered steps only, "
                          "one line each, like `1. Load the data`.")
    return steps


def step_instruction(goal: str, plan: list[str], index: int, done: list[str],
                     failing_cell: int | None = None) -> str:
    """The request of step `index` (1-based): the goal, the plan, what earlier steps did
    in the copy (`done`, already formatted), and the one format to answer in."""
    plan_text = "\n".join(f"{number}. {title}" for number, title in enumerate(plan, 1))
    done_text = ("\n\nDone so far (run in a copy of this notebook):\n" + "\n\n".join(done)
                 if done else "")
    cause = ""
    if failing_cell is not None:
        cause = (f" If the error of In[{failing_cell}] comes from an earlier cell, fix that "
                 "cell instead: write `CELL: edit In[N]` with N its number, then the whole "
                 "corrected cell.")
    return (
        f"Goal: {goal.strip()}\nPlan:\n{plan_text}{done_text}\n\n"
        f"Now do step {index}: {plan[index - 1]}\n\n"
        "Write this step as one notebook cell. Use the variables that exist. Reply in this "
        "format:\nCELL: new\n```python\n<the code of the cell>\n```\n"
        f"To change an existing cell instead, write `CELL: edit In[N]`.{cause}"
    )


def parse_cell(text: str, known_cells: dict[int, str]) -> CellEdit:
    """The cell an answer proposes. A missing tag means a new cell (what small models
    usually mean); an edit must name a cell of `known_cells` (number -> source) and change
    it. Raises FormatError with the feedback for a retry."""
    # The tag line is no code (`CELL: new` even parses, as an annotation).
    code = extract_code(_TAG_LINE.sub("", text)).strip("\n")
    if not code.strip():
        raise FormatError("The reply has no code. Reply with `CELL: new` and one ```python "
                          "block.")
    if not parses(code):
        raise FormatError("The code does not parse as Python. Reply with the corrected cell "
                          "in one ```python block.")
    if not ast.parse(code).body:
        raise FormatError("The cell holds only comments. Reply with the code that does the "
                          "step, in one ```python block.")
    before_code = text.split("```", 1)[0]
    tag = _TAG.search(before_code)
    if tag is None or tag.group(1).lower() == "new":
        same = [number for number, source in known_cells.items() if _same(code, source)]
        if same:
            raise AlreadyDone(same[-1])
        return CellEdit(code)
    if tag.group(2) is None:
        raise FormatError("`CELL: edit` needs the cell's number, like `CELL: edit In[3]`.")
    target = int(tag.group(2))
    if target not in known_cells:
        numbers = ", ".join(f"In[{n}]" for n in sorted(known_cells)) or "none"
        raise FormatError(f"There is no cell In[{target}] to edit (cells: {numbers}). Use "
                          "`CELL: new` for a new cell.")
    if _same(code, known_cells[target]):
        raise AlreadyDone(target)
    return CellEdit(code, target)


def done_entry(index: int, edit: CellEdit, output: str, limit: int = 400) -> str:
    """How an earlier step is shown to the model in later steps' requests."""
    what = "new cell" if edit.target is None else f"edited In[{edit.target}]"
    shown = output.strip()
    shown = shown if len(shown) <= limit else shown[:limit] + " ..."
    return (f"Step {index} ({what}):\n```python\n{edit.code.rstrip()}\n```"
            + (f"\nOutput: {shown}" if shown else "\nIt ran without output."))


def run_feedback(error: str, extra: str = "") -> str:
    """The retry request after the cell failed in the copy."""
    return (f"Running that cell in a copy of the notebook failed:\n{error.strip()}\n{extra}"
            "Reply again in the same format (`CELL: ...` then one ```python block) with the "
            "corrected cell.")


def _same(code: str, other: str) -> bool:
    return [line.rstrip() for line in code.strip().splitlines()] == [
        line.rstrip() for line in other.strip().splitlines()]
