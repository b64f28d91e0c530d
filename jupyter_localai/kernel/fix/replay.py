"""The earlier cells to re-run in `--verify`'s copy, so a fix is tried on the state the
failing cell found, not the state it left behind.

A failing cell may have changed variables before it raised: `laps = laps.append(3)` leaves
`laps` None, `df['ts'] = pd.to_datetime(df['ts'], utc=True)` converts a column the next line
then trips on. The corrected cell replaces the failing one, so it should be tried where the
failing one started: in the copy, the cells that last assigned what the failing cell changes
are run again first (only in the copy; the kernel itself is never touched). The copy is
guarded (`kernel/fix/guard.py`): what a re-run cell would do outside the process, such as
writing a file or calling an API, is refused there rather than repeated.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from ..context.history import is_own_magic
from .suggest import names_assigned

_MAX_REPLAYED_CELLS = 8
# Statements whose receiver they change in place (`xs.append(3)`, `df.drop(..., inplace=True)`).
_IN_PLACE_METHODS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort",
                               "reverse", "update", "add", "discard", "setdefault", "popitem"})


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def changed_names(source: str) -> set[str]:
    """Names a cell binds, or changes through an item, attribute or in-place method."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    changed = set(names_assigned(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            changed.add(_base_name(node) or "")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and (node.func.attr in _IN_PLACE_METHODS
                     or any(k.arg == "inplace" for k in node.keywords))):
            changed.add(_base_name(node.func.value) or "")
    changed.discard("")
    return changed


def cells_to_replay(inputs: Sequence[str], failing_number: int, failing_source: str) -> list[str]:
    """The sources, oldest first, of the latest earlier cell binding each name the failing
    cell changes (the assistant's own magic cells never count)."""
    return [inputs[number] for number in replay_numbers(inputs, failing_number, failing_source)]


def replay_numbers(inputs: Sequence[str], failing_number: int, failing_source: str) -> list[int]:
    """The numbers (`In[n]`) of the cells `cells_to_replay` picks, oldest first: the copy
    says which cells it re-ran, so the user knows what was rehearsed."""
    chosen: set[int] = set()
    for name in changed_names(failing_source):
        for number in range(min(failing_number, len(inputs)) - 1, 0, -1):
            source = inputs[number]
            if not source.strip() or is_own_magic(source):
                continue
            if name in names_assigned(source):
                chosen.add(number)
                break
    return sorted(chosen)[-_MAX_REPLAYED_CELLS:]


# What can bind a name that no cell's text shows: such a cell makes "only the failing cell
# binds it" unknowable, so nothing is taken away then.
_HIDDEN_BINDERS = re.compile(r"import\s+\*|%run\b|%store\b|%load\b|\bexec\s*\(|\bglobals\s*\(|"
                             r"\blocals\s*\(|\bvars\s*\(|__dict__|setattr\s*\(")


def names_only_the_failing_cell_binds(inputs: Sequence[str], failing_number: int,
                                      failing_source: str) -> list[str]:
    """The names the failing cell binds that no other cell of the session even mentions.

    They exist in the kernel only because the failing cell ran part way (`fig, ax =
    plt.subplots()` before the line that raised). A fix replaces that cell, so it must bind
    them itself: a fix that is only the corrected line runs in the kernel as it is, and
    fails in the notebook run from the top. The copy takes them away before a fix runs."""
    others = [source for number, source in enumerate(inputs)
              if number != failing_number and source.strip() and source != failing_source]
    if any(_HIDDEN_BINDERS.search(source) for source in [failing_source, *others]):
        return []
    return sorted(name for name in names_assigned(failing_source)
                  if not any(re.search(rf"(?<![\w.]){re.escape(name)}\b", source)
                             for source in others))
