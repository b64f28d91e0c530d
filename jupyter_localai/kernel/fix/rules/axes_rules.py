"""Rules for plotting calls: a grid of Axes used as one Axes (`axes[i].hist(...)` after
`plt.subplots(2, 2)`), tick labels given where tick positions go, and an x range one
value longer or shorter than the y values it is plotted against.

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

from ....core.source_rewrites import char_offset
from ..failure import MISSING, Failure, constant, line_calls, pandas_kind, static_member
from ..hint import Hint, code, contains, drop_argument, segment, unique_replace
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
        if indexed:
            return [text]
        return [Hint(text, edit=_one_panel_each(f, grid_node, grid))]
    return []


def _one_panel_each(f: Failure, grid_node: ast.expr, grid: Any) -> tuple[str, str] | None:
    """Where the cell has one top-level statement per panel, each a call on the whole grid
    (`ax.plot(...)`, then `ax.hist(...)` after `plt.subplots(1, 2)`), the statements drawn
    on the panels in order (`ax[0].plot`, `ax[1].hist`; `ax.flat[i]` for a grid): the
    figure was made with as many panels as there are drawings."""
    if f.tree is None or not isinstance(grid_node, ast.Name):
        return None
    name = grid_node.id
    drawings = [statement for statement in f.tree.body  # type: ignore[attr-defined]
                if isinstance(statement, ast.Expr | ast.Assign)
                and isinstance(statement.value, ast.Call)
                and isinstance(statement.value.func, ast.Attribute)
                and isinstance(statement.value.func.value, ast.Name)
                and statement.value.func.value.id == name]
    if len(drawings) != grid.size or not all(
            _axes_class(grid, drawing.value.func.attr) for drawing in drawings):  # type: ignore[attr-defined]
        return None
    lines = f.source.splitlines(keepends=True)
    first, last = drawings[0].lineno - 1, (drawings[-1].end_lineno or drawings[-1].lineno)
    old = "".join(lines[first:last])
    changed = list(lines)
    for panel, drawing in enumerate(drawings):
        line = changed[drawing.lineno - 1]
        at = char_offset(line, drawing.value.func.value.col_offset)  # type: ignore[attr-defined]
        if not line.startswith(f"{name}.", at):
            return None
        pick = f"{name}[{panel}]" if grid.ndim == 1 else f"{name}.flat[{panel}]"
        changed[drawing.lineno - 1] = line[:at] + pick + line[at + len(name):]
    new = "".join(changed[first:last])
    return (old, new) if new != old and f.source.count(old) == 1 else None


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


# Tick labels without their positions: `plt.xticks(labels=days)` -------------------------------

_LABELS_ONLY = re.compile(r"^(?:(x|y)ticks\(\): Parameter 'labels' can't be set without setting "
                          r"'ticks'|Axis\.set_ticks\(\) missing 1 required positional argument: "
                          r"'ticks')$")
_TICK_CALLS = ("xticks", "yticks", "set_xticks", "set_yticks")


@rule(TypeError)
def labels_without_ticks_rule(f: Failure) -> list[str]:
    """Tick labels need the positions they go at: where the cell draws bars or lines at
    numeric x positions it wrote (`plt.bar(range(7), ...)`, `ax.plot(years, ...)`), those;
    else the labels' own places 0, 1, 2, ... (where categories drawn from text sit),
    `range(len(labels))`."""
    if not _LABELS_ONLY.match(f.message):
        return []
    for call in line_calls(f):
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        labels = next((k.value for k in call.keywords if k.arg == "labels"), None)
        if name not in _TICK_CALLS or call.args or labels is None:
            continue
        positions = _drawn_positions(f) or f"range(len({code(f, labels)}))"
        written = segment(f, call)
        if not written or not written.startswith(code(f, func) + "("):
            continue
        new = f"{code(f, func)}({positions}, {written[len(code(f, func)) + 1:]}"
        hint = (f"`{name}` places labels at tick positions, so it needs them too: with one "
                f"label per bar or category drawn at 0, 1, 2, ..., that is `{positions}`, "
                f"`{new}`.")
        return [Hint(hint, edit=unique_replace(f, call, new))]
    return []


_DRAWERS = ("bar", "barh", "plot", "scatter", "stem", "step")


def _drawn_positions(f: Failure) -> str | None:
    """The x positions (as written) of the cell's one drawing call, where they are numbers:
    a `range(...)`/`np.arange(...)` call, or a name holding numbers."""
    found = set()
    for node in ast.walk(f.tree) if f.tree is not None else ():
        if not (isinstance(node, ast.Call) and len(node.args) >= 2 and (
                getattr(node.func, "attr", getattr(node.func, "id", "")) in _DRAWERS)):
            continue
        x = node.args[0]
        numeric_call = (isinstance(x, ast.Call) and getattr(x.func, "attr", getattr(
            x.func, "id", "")) in ("range", "arange"))
        value = f.lookup(x.id) if isinstance(x, ast.Name) else MISSING
        numbers = (type(value) in (list, tuple, range) and bool(value) and all(
            type(v) in (int, float) for v in value))  # type: ignore[union-attr]
        if numeric_call or numbers:
            found.add(code(f, x))
    return found.pop() if len(found) == 1 else None


# An x range of the wrong length: `plt.plot(range(1, 30), daily)` with 30 values ------------

_SHAPES = re.compile(r"^x and y must have same first dimension, but have shapes "
                     r"\((\d+),[^)]*\) and \((\d+),[^)]*\)")


@rule(ValueError)
def plot_length_rule(f: Failure) -> list[str]:
    """`plot(x, y)` needs one x per y value. Where x is a `range` of int literals (written
    in the call, or once assigned to the name passed), the y values decide its length: its
    stop is moved so it has as many items, the start kept (`range(1, 30)` for 30 values
    becomes `range(1, 31)`)."""
    match = _SHAPES.match(f.message)
    if match is None:
        return []
    n, m = int(match.group(1)), int(match.group(2))
    text = (f"`plot` needs one x value per y value, and x has {n} while y has {m}: make them "
            f"the same length (e.g. `range(len(y))` as x).")
    for call in line_calls(f):
        if getattr(call.func, "attr", getattr(call.func, "id", "")) != "plot":
            continue
        fmt = call.args[2:3] and type(constant(call.args[2])) is str  # `plot(x, y, "o-")`
        if not (len(call.args) == 2 or len(call.args) == 3 and fmt):
            continue
        x, y = call.args[:2]
        written = _range_call(f, x)
        if written is None or m == 0 or _length(f.resolve(y)) not in (None, m):
            continue
        *start, stop = written.args
        numbers = [constant(a) for a in written.args]
        if len(range(*numbers)) != n:  # not the pair the message is about
            continue
        new = str((numbers[0] if start else 0) + m)
        fixed = f"range({numbers[0]}, {new})" if start else f"range({new})"
        text = (f"`plot` needs one x value per y value: `{code(f, x)}` has {n} values and "
                f"`{code(f, y)}` has {m}; `{fixed}` has {m} (the stop is left out).")
        outers = [written, *_statements_of(f, stop)]
        return [Hint(text, edit=unique_replace(f, stop, new, *outers))]
    return [text]


def _length(value: Any) -> int | None:
    """len(value) for a list, tuple, range, 1-D or wider numpy array or pandas object."""
    np = sys.modules.get("numpy")
    array = np is not None and type(value) is np.ndarray and value.ndim > 0
    if type(value) in (list, tuple, range) or array or pandas_kind(value):
        return len(value)
    return None


def _range_call(f: Failure, x: ast.expr) -> ast.Call | None:
    """The `range(...)` call of int literals `x` is (or a `list(...)` of it), or the one
    assignment of its name."""
    if isinstance(x, ast.Name) and f.tree is not None:
        bound = [n for n in ast.walk(f.tree) if _binds(n, x.id)]
        assigns = [n for n in bound if isinstance(n, ast.Assign) and len(n.targets) == 1
                   and isinstance(n.targets[0], ast.Name)]  # fmt: skip
        if len(bound) != 1 or len(assigns) != 1:
            return None
        x = assigns[0].value
    if (isinstance(x, ast.Call) and getattr(x.func, "id", None) == "list" and len(x.args) == 1
            and not x.keywords and f.lookup("list") in (MISSING, list)):
        x = x.args[0]  # `list(range(1, 12))`: the range inside
    builtin = f.lookup("range") in (MISSING, range)
    if not (builtin and isinstance(x, ast.Call) and getattr(x.func, "id", None) == "range"):
        return None
    if x.keywords or not 1 <= len(x.args) <= 2:
        return None
    if not all(isinstance(a, ast.Constant) and type(a.value) is int for a in x.args):
        return None
    return x


def _binds(node: ast.AST, name: str) -> bool:
    """Whether `node` binds `name`: an assignment (of any kind), loop, import or def."""
    if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor
                  | ast.With | ast.AsyncWith | ast.NamedExpr | ast.comprehension):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [i.optional_vars for i in node.items] if isinstance(node, ast.With | ast.AsyncWith)
                   else [node.target])  # fmt: skip
        return any(isinstance(t, ast.Name) and t.id == name
                   for target in targets if target is not None for t in ast.walk(target))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == name
    if isinstance(node, ast.Import | ast.ImportFrom):
        return any((a.asname or a.name.split(".")[0]) == name for a in node.names)
    return False


def _statements_of(f: Failure, node: ast.AST) -> list[ast.stmt]:
    """The statements of the cell holding `node`, innermost first: wider texts for a unique edit."""
    holders = [n for n in ast.walk(f.tree) if isinstance(n, ast.stmt) and contains(n, node)] \
        if f.tree is not None else []  # fmt: skip
    return sorted(holders, key=lambda n: (n.end_lineno or 0) - n.lineno)


# An Axes' label given to a drawing call: `plt.hist(x, title='...')` -----------------------

_ARTIST_KEYWORD = re.compile(r"^(\w+)\.set\(\) got an unexpected keyword argument '(\w+)'$")
# What the Axes has and a drawing has not: pyplot's function and the Axes' method for each.
_AXES_KEYWORDS = {name: (name, f"set_{name}") for name in (
    "title", "xlabel", "ylabel", "xticks", "yticks", "xlim", "ylim", "xscale", "yscale")}


@rule(AttributeError, TypeError)
def drawing_label_rule(f: Failure) -> list[str]:
    """matplotlib's drawing calls pass unknown keywords on to the artists they draw
    (`Rectangle.set()`), which have no title, axis label, ticks, limits or scale: those
    belong to the Axes. Every such keyword of the call is moved to its own statement after
    the drawing's (all at once: the next would fail the same way), `plt.title(...)` on
    pyplot, `ax.set_title(...)` on an Axes."""
    match = _ARTIST_KEYWORD.match(f.message)
    if match is None or match.group(2) not in _AXES_KEYWORDS:
        return []
    label = match.group(2)
    text = (f"`{label}=` is not a keyword of the drawing call (matplotlib passed it on to a "
            f"{match.group(1)}): set it on the Axes after drawing, `plt.{label}(...)` or "
            f"`ax.set_{label}(...)`.")
    found = [call for call in line_calls(f) if isinstance(call.func, ast.Attribute)
             and any(keyword.arg == label for keyword in call.keywords)]
    if len(found) != 1:
        return [text]
    call = found[0]
    moved = [keyword for keyword in call.keywords if keyword.arg in _AXES_KEYWORDS]
    setters = [_label_setter(f, call.func, keyword.arg) for keyword in moved]  # type: ignore[arg-type]
    statement = _top_statement(f, call)
    kept = [segment(f, part) for part in sorted([*call.args, *call.keywords],
            key=lambda n: (n.lineno, n.col_offset)) if part not in moved]
    written, drawn = (segment(f, statement) if statement is not None else None), segment(f, call)
    if None in setters or None in kept or written is None or drawn is None or drawn not in written:
        return [text]
    indent = " " * statement.col_offset  # type: ignore[union-attr]
    new = written.replace(drawn, f"{code(f, call.func)}({', '.join(kept)})", 1) + "".join(
        f"\n{indent}{setter}({code(f, keyword.value)})" for setter, keyword in zip(setters, moved))
    edit = (written, new) if f.source.count(written) == 1 else None
    if len(moved) > 1:
        text += f" Here that is {', '.join(f'`{keyword.arg}=`' for keyword in moved)}."
    return [Hint(text, edit=edit)]


def _label_setter(f: Failure, func: ast.Attribute, label: str) -> str | None:
    """`plt.title` where the drawing was `plt.<draw>`, `ax.set_title` where it was
    `ax.<draw>` on an Axes; None for anything else."""
    if not isinstance(func.value, ast.Name):
        return None
    owner = f.lookup(func.value.id)
    module = getattr(owner, "__name__", None) if type(owner).__name__ == "module" else None
    pyplot, method = _AXES_KEYWORDS[label]
    if module == "matplotlib.pyplot":
        return f"{func.value.id}.{pyplot}"
    if _is_axes(owner, method):
        return f"{func.value.id}.{method}"
    return None


def _is_axes(value: Any, method: str) -> bool:
    """Whether `value` is a matplotlib object with the method `method` (read statically)."""
    module = type(value).__dict__.get("__module__") or type(value).__module__
    return (type(module) is str and module.split(".")[0] == "matplotlib"
            and static_member(type(value), method) is not MISSING)


def _top_statement(f: Failure, node: ast.AST) -> ast.stmt | None:
    """The simple top-level statement of the cell (an expression or an assignment) that
    holds `node`; None inside a loop or a function, where a line after it would run apart."""
    if f.tree is None:
        return None
    return next((statement for statement in f.tree.body  # type: ignore[attr-defined]
                 if isinstance(statement, ast.Expr | ast.Assign) and contains(statement, node)),
                None)


# A drawing's return value taken for its Axes: `ax = plt.bar(...)`, then `ax.set_title(...)`

_NOT_AXES = re.compile(r"^'(\w+)' object has no attribute '(\w+)'$")


@rule(AttributeError)
def drawing_as_axes_rule(f: Failure) -> list[str]:
    """`ax = plt.bar(...)` binds the bars (a BarContainer; `plt.plot` a list of lines), not
    the Axes they are drawn on, so `ax.set_title(...)` fails. Where the name is bound once,
    by a pyplot drawing call at the cell's top level, and the Axes has the method asked
    for, the name is bound to the Axes after drawing: `plt.bar(...)` then `ax = plt.gca()`."""
    match = _NOT_AXES.match(f.message)
    axes_class = getattr(sys.modules.get("matplotlib.axes"), "Axes", None)
    if match is None or axes_class is None or static_member(axes_class, match.group(2)) is MISSING:
        return []
    for node in f.line_nodes:
        if not (isinstance(node, ast.Attribute) and node.attr == match.group(2)
                and isinstance(node.value, ast.Name)):
            continue
        name = node.value.id
        bound = [n for n in ast.walk(f.tree) if _binds(n, name)] if f.tree is not None else []
        drawing = bound[0] if len(bound) == 1 else None
        if not (isinstance(drawing, ast.Assign) and drawing in f.tree.body  # type: ignore[union-attr]
                and len(drawing.targets) == 1 and isinstance(drawing.targets[0], ast.Name)
                and isinstance(drawing.value, ast.Call)):
            continue
        func = drawing.value.func
        pyplot = func.value.id if (isinstance(func, ast.Attribute)
                                   and isinstance(func.value, ast.Name)) else None
        module = f.lookup(pyplot) if pyplot else MISSING
        if getattr(module, "__name__", None) != "matplotlib.pyplot":
            continue
        written, drawn = segment(f, drawing), segment(f, drawing.value)
        if written is None or drawn is None or f.source.count(written) != 1:
            continue
        new = f"{drawn}\n{name} = {pyplot}.gca()"
        text = (f"`{name}` holds what `{pyplot}.{func.attr}` returns (a {match.group(1)}), "  # type: ignore[union-attr]
                f"not the Axes it drew on, which has `{match.group(2)}`: draw, then "
                f"`{name} = {pyplot}.gca()` (or `fig, {name} = {pyplot}.subplots()` first and "
                f"`{name}.{func.attr}(...)`).")  # type: ignore[union-attr]
        return [Hint(text, edit=(written, new))]
    return []
