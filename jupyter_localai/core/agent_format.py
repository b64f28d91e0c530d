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
# A goal of one sentence, or a model of at most this many billion parameters, gets at most
# SMALL_PLAN_STEPS steps: the 0.5B split one-sentence goals into four trivial steps ("read
# the list", "show it", ...) and then had nothing to write for them.
SMALL_MODEL_BILLIONS = 1.0
SMALL_PLAN_STEPS = 2
# Step titles that only look at what exists: a cell handed back unchanged may do them.
_LOOK_ONLY = re.compile(r"^\s*(?:load|read|import|show|display|print|inspect|look|view|check|"
                        r"explore|examine|review|understand|get familiar)\b", re.IGNORECASE)
_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*b\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s+(?=[A-Z0-9`'\"(])|\s*\n)|\n\s*\n|\n\s*(?:[-*]|\d+[.)])\s")
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
    earlier cell In[`target`]. `note` says when the tag was read differently from how it
    was written (an edit of a cell that does not exist)."""

    code: str
    target: int | None = None
    note: str = ""

    @property
    def kind(self) -> str:
        return "new" if self.target is None else "edit"


def model_billions(model: str) -> float | None:
    """The parameter count a model's name declares ("qwen2.5-coder-0.5b" -> 0.5), or None."""
    sizes = [float(match) for match in _SIZE.findall(model or "")]
    return sizes[-1] if sizes else None


def sentences(goal: str) -> int:
    """How many sentences (or list items, or paragraphs) a goal has."""
    text = goal.strip()
    return len([part for part in _SENTENCE_END.split(text) if part.strip()]) if text else 0


def plan_limit(goal: str, model: str) -> int:
    """How many steps the agent may plan for `goal` on `model`; 0: no plan at all, the goal
    is one step. A small model's plan of a one-sentence goal is trivial steps (measured on
    the 0.5B), so it writes that goal as one cell; a one-sentence goal or a small model
    gets at most SMALL_PLAN_STEPS steps; others MAX_PLAN_STEPS."""
    billions = model_billions(model)
    small = billions is not None and billions <= SMALL_MODEL_BILLIONS
    one_sentence = sentences(goal) <= 1
    if small and one_sentence:
        return 0
    return SMALL_PLAN_STEPS if small or one_sentence else MAX_PLAN_STEPS


def fit_plan(steps: list[str], limit: int) -> list[str]:
    """`steps` merged in order into at most `limit` steps (a plan finer than the limit is
    kept whole in content: neighbouring steps become one cell)."""
    if len(steps) <= limit or limit < 1:
        return steps
    size, extra = divmod(len(steps), limit)
    merged, start = [], 0
    for group in range(limit):
        end = start + size + (1 if group < extra else 0)
        merged.append("; then ".join(title.rstrip(". ") for title in steps[start:end]))
        start = end
    return merged


def look_only(title: str) -> bool:
    """Whether a step only loads or shows what exists (so a cell that ran may do it)."""
    return bool(_LOOK_ONLY.match(title))


def plan_instruction(goal: str, limit: int = MAX_PLAN_STEPS) -> str:
    """What the model is asked for first: the goal split into 1-`limit` one-cell steps."""
    return (
        f"Goal: {goal.strip()}\n\n"
        f"Plan how to reach this goal in this notebook in 1 to {limit} steps. Each "
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
                     failing_cell: int | None = None, required: list[str] | None = None,
                     known_cells: dict[int, str] | None = None) -> str:
    """The request of step `index` (1-based): the goal, the plan, what earlier steps did
    in the copy (`done`, already formatted), the names the cell must assign (`required`),
    and the one format to answer in. A run of one step that is the goal itself shows no
    plan (a plan that repeats the goal only lengthens the prompt). Editing an existing
    cell is offered only when a cell failed (`failing_cell`): offered always, the 0.5B
    "edited" cells that had nothing wrong, where a new cell was the goal."""
    done_text = ("\n\nDone so far (run in a copy of this notebook):\n" + "\n\n".join(done)
                 if done else "")
    cause = ""
    if failing_cell is not None:
        cause = (f" In[{failing_cell}] fails.{_definitions(failing_cell, known_cells or {})} "
                 "If its error comes from an earlier cell, fix that cell instead: write "
                 "`CELL: edit In[N]` (N its number) on the line before the block, and the "
                 "whole corrected cell in the block.")
    names = ""
    if required:
        names = ("The cell must assign " + ", ".join(f"`{name}`" for name in required)
                 + " at its top level. ")
    if len(plan) == 1 and plan[0].strip() == goal.strip().splitlines()[0].strip()[:200]:
        head, what = f"Goal: {goal.strip()}{done_text}\n\n", "Write the goal as one notebook cell."
    else:
        plan_text = "\n".join(f"{number}. {title}" for number, title in enumerate(plan, 1))
        head = (f"Goal: {goal.strip()}\nPlan:\n{plan_text}{done_text}\n\n"
                f"Now do step {index}: {plan[index - 1]}\n\n")
        what = "Write this step as one notebook cell."
    # The code block first and the tag only for an edit: asked for `CELL: new` then a
    # block, the 0.5B often wrote the tag line alone and stopped (measured on 6 of 10
    # goals of benchmarks/agent_goals at temperature 0).
    return (f"{head}{what} Use the variables that exist. {names}Reply with the whole cell in "
            f"one ```python block.{cause}")


def _definitions(failing: int, known_cells: dict[int, str]) -> str:
    """ "It reads `prices`, which In[2] defines." for the names the failing cell reads that
    an earlier cell assigns: where a root cause usually is."""
    source = known_cells.get(failing, "")
    if not parses(source):
        return ""
    read = {node.id for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    found = []
    for name in sorted(read):
        cells = [n for n, cell in sorted(known_cells.items())
                 if n < failing and parses(cell) and name in _bound_names(cell)]
        if cells:
            found.append(f"`{name}`, which In[{cells[-1]}] defines")
    return f" It reads {', '.join(found)}." if found else ""


def parse_cell(text: str, known_cells: dict[int, str]) -> CellEdit:
    """The cell an answer proposes. A missing tag means a new cell (what small models
    usually mean); an edit must name a cell of `known_cells` (number -> source) and change
    it. Raises FormatError with the feedback for a retry."""
    # The tag line is no code (`CELL: new` even parses, as an annotation).
    code = extract_code(_TAG_LINE.sub("", text)).strip("\n")
    if not code.strip():
        raise FormatError("The reply has no code. Reply with the cell's code in one ```python "
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
        return _retarget(code, target, known_cells)
    if _same(code, known_cells[target]):
        raise AlreadyDone(target)
    return CellEdit(code, target)


def _retarget(code: str, named: int, known_cells: dict[int, str]) -> CellEdit:
    """An edit of a cell that does not exist, read as what the code shows: an edit of the
    latest cell that assigns the same names (the cell the model meant, numbered wrong), or
    else a new cell. Small models number cells wrong far more often than they mean a cell
    that is not there; asking again cost a whole attempt and rarely fixed the number."""
    bound = _bound_names(code)
    same = [number for number, source in sorted(known_cells.items())
            if bound and parses(source) and bound & _bound_names(source)]
    if same:
        target = same[-1]
        if _same(code, known_cells[target]):
            raise AlreadyDone(target)
        return CellEdit(code, target, f"In[{named}] does not exist; read as an edit of "
                                      f"In[{target}], which assigns the same names.")
    same_source = [number for number, source in known_cells.items() if _same(code, source)]
    if same_source:
        raise AlreadyDone(same_source[-1])
    return CellEdit(code, None, f"In[{named}] does not exist; read as a new cell.")


def _bound_names(code: str) -> set[str]:
    """Names a cell assigns, defines or imports at its top level."""
    names: set[str] = set()
    for node in ast.parse(code).body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        for target in targets:  # x = ..., a, b = ...; not x[k] = ... (that keeps x)
            parts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            names |= {part.id for part in parts if isinstance(part, ast.Name)}
    return names


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
            "Reply again with the corrected cell in one ```python block.")


def _same(code: str, other: str) -> bool:
    return [line.rstrip() for line in code.strip().splitlines()] == [
        line.rstrip() for line in other.strip().splitlines()]
