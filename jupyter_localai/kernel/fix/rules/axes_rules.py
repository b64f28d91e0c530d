"""Rules for plotting calls: a grid of Axes used as one Axes (`axes[i].hist(...)` after
`plt.subplots(2, 2)`), and tick labels given where tick positions go.

`plt.subplots(rows, columns)` returns a 2-D numpy array of Axes, so `axes[i]` is a whole
row, an array, and `axes[i].hist` raises "'numpy.ndarray' object has no attribute 'hist'".
A count over the panels (`for i, ... in enumerate(...)`) means the grid in reading order,
which `axes.flat[i]` gives. Only the array's element classes are read, statically
(matplotlib attributes may run code).
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Any

from ..failure import MISSING, Failure, static_member
from ..hint import Hint, code, contains, drop_argument, segment
from . import rule

_NO_ATTRIBUTE = re.compile(r"^'numpy\.ndarray' object has no attribute '(\w+)'$")
_MAX_PANELS = 256  # a figure's grid is small; a large object array is data, not read here


def _axes_class(grid: Any, attribute: str) -> bool:
    """Whether every element of the object array `grid` is one matplotlib class that has
    `attribute`."""
    classes = {type(element) for element in grid.flat}
    if len(classes) != 1:
        return False
    [cls] = classes
    module = cls.__dict__.get("__module__") if type(cls) is type else None
    return (type(module) is str and module.split(".")[0] == "matplotlib"
            and static_member(cls, attribute) is not MISSING)


@rule(AttributeError)
def axes_grid_rule(f: Failure) -> list[str]:
    match = _NO_ATTRIBUTE.match(f.message)
    np = sys.modules.get("numpy")
    if match is None or np is None:
        return []
    attribute = match.group(1)
    for node in f.line_nodes:
        if not isinstance(node, ast.Attribute) or node.attr != attribute:
            continue
        owner = node.value
        indexed = isinstance(owner, ast.Subscript)
        grid_node = owner.value if isinstance(owner, ast.Subscript) else owner
        grid = f.resolve(grid_node)
        if type(grid) is not np.ndarray or grid.dtype != object or not 0 < grid.size <= _MAX_PANELS:
            continue
        if not _axes_class(grid, attribute):
            continue
        name = code(f, grid_node)
        single = isinstance(owner, ast.Subscript) and not isinstance(owner.slice, ast.Tuple | ast.Slice)
        if indexed and single and grid.ndim == 2:
            fixed = f"{name}.flat[{code(f, owner.slice)}]"
            text = (f"`{name}` is a {grid.shape[0]} x {grid.shape[1]} grid of Axes (from "
                    f"`plt.subplots`), so `{code(f, owner)}` is a whole row, an array: `{fixed}` "
                    f"counts the Axes in reading order; `{name}[row, column]` picks one by its place.")
            return [Hint(text, edit=_every_use(f, owner, fixed))]
        size = " x ".join(str(n) for n in grid.shape) if grid.ndim > 1 else str(grid.size)
        text = (f"`{name}` is an array of {size} Axes, not one Axes: pick one "
                f"(`{name}.flat[i]`, `{name}[row, column]`) or loop `for ax in {name}.flat:`.")
        return [text]
    return []


def _every_use(f: Failure, owner: ast.Subscript, fixed: str) -> tuple[str, str] | None:
    """The edit of the smallest statement that holds every `axes[i]` written as `owner` is,
    each one made `fixed`: the loop that titles and fills the same panel needs both."""
    written = code(f, owner)
    uses = [n for n in ast.walk(f.tree) if isinstance(n, ast.Subscript)
            and ast.dump(n) == ast.dump(owner)] if f.tree is not None else []
    holders = [n for n in ast.walk(f.tree) if isinstance(n, ast.stmt)
               and all(contains(n, use) for use in uses)] if f.tree is not None else []
    for holder in sorted(holders, key=lambda n: (n.end_lineno or 0) - n.lineno):
        old = segment(f, holder)
        if old is None or f.source.count(old) != 1:
            continue
        new = re.sub(rf"(?<![\w.]){re.escape(written)}", lambda _: fixed, old)
        return (old, new) if new != old else None
    return None


# Tick labels where tick positions go: `series.plot(kind='bar', yticks=series.index)` ----------

_NOT_UNITS = re.compile(r"^Failed to convert value\(s\) to axis units: .*['\"]", re.DOTALL)
_TICKS = ("xticks", "yticks")


@rule(TypeError, ValueError)
def tick_labels_rule(f: Failure) -> list[str]:
    """`xticks=`/`yticks=` of pandas' `plot` take positions; matplotlib's message shows the
    text values it could not place. With one such keyword on the line, dropping it is the
    exact edit: the plot already labels its category axis from the data."""
    if not _NOT_UNITS.match(f.message):
        return []
    found = [(node, keyword) for node in f.line_nodes if isinstance(node, ast.Call)
             for keyword in node.keywords if keyword.arg in _TICKS]
    if len(found) != 1:
        return []
    [(call, keyword)] = found
    written = code(f, keyword)
    text = (f"`{keyword.arg}=` takes tick positions (numbers), and `{code(f, keyword.value)}` "
            f"holds text labels: drop `{written}` (the categories label their axis already), or "
            f"set labels with `ax.set_{keyword.arg}(positions, labels)`.")
    return [Hint(text, edit=drop_argument(f, call, keyword))]
