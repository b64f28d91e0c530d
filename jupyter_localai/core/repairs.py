"""Mechanical repairs of idioms whose intent is plain and whose effect is not, of a
standard-library module used without its import, and of a result left under another name
than the one asked for.

`df['age'].fillna(m, inplace=True)` means "fill the column", but under pandas' copy-on-write
it fills a temporary copy; `laps = laps.append(3.0)` means "add to the list", but sets `laps`
to None. A small model told so in a retry often writes the same line again (measured on the
evaluation tasks, DESIGN.md "Quality is measured"), so the assistant rewrites the statement
into the form that does what it says. Only whole statements on lines of their own are
rewritten; the result is checked (and, with `--verify`, run in a copy) like any answer.
So is `s.str.split('-')[0]` meant per value, where it takes one row (`str_parts`), and
so is `.dt` read on a column of date strings, which is parsed first (`text_dates`), and a
`replace` that reads a pattern as plain text or swaps whole values (`replace_calls`).

The same holds for a slip that a retry's words rarely cure with a small model (the
evaluation's failure class `wrong_name`): leaving the asked-for `onehot` in
`onehot_labels`. It is undone only where the intent is unambiguous: the code leaves
exactly one new variable. So is an answer wrapped in a function named like the result and
never called: the function is called on the notebook's variables it names. (Made-up data
is not dropped the same way: a literal that replaces the user's `readings` can carry a
conversion the model meant.)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from .age_intent import with_exact_ages
from .axis_intent import with_axis_meant
from .bar_direction_intent import with_horizontal_bars
from .call_checks import Stores, chained_inplace_target, returns_none, without_inplace
from .check_types import NamespaceView
from .checks import is_exact_copy, top_level_targets, undefined_names
from .column_target import with_column_written
from .current_axes import with_current_axes
from .fill_alignment import with_fills_aligned
from .fill_intent import with_fills_dropped
from .function_result import uncalled_definitions
from .group_column import with_group_columns
from .group_intent import with_groups
from .nan_intent import with_nan_reductions
from .percent_scale import with_percent_scale
from .percentile_intent import with_percentiles
from .pivot_request import with_asked_pivots
from .quickfix import with_import
from .replace_calls import with_replaces_meant
from .reruns import rerun_names, rerun_write
from .str_parts import with_parts_per_value
from .text_dates import with_dates_parsed
from .week_anchor_intent import with_week_anchors
from .weekday_intent import with_weekday_counts
from .wide_table_intent import with_wide_tables
from .window_mean import with_window_means


@dataclass(frozen=True)
class Repair:
    """The rewritten code and what was changed, in words for the user."""

    code: str
    notes: list[str]


def _rewrite(statement: ast.stmt, namespace: NamespaceView, stores: Stores) -> str | None:
    """The replacement text of one statement, or None when it needs none."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        target = chained_inplace_target(statement.value)
        if target is not None:
            return f"{ast.unparse(target)} = {without_inplace(statement.value)}"
        return None
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.value, ast.Call)):
        return None
    call, target = statement.value, ast.unparse(statement.targets[0])
    if not returns_none(call, namespace, stores):
        return None
    if any(k.arg == "inplace" for k in call.keywords):
        return f"{target} = {without_inplace(call)}"
    assert isinstance(call.func, ast.Attribute)  # returns_none: a list/set/dict method
    owner = ast.unparse(call.func.value)
    return ast.unparse(call) if owner == target else f"{ast.unparse(call)}\n{target} = {owner}"


def _own_lines(statement: ast.stmt, lines: list[str]) -> bool:
    """Whether the statement alone fills its lines (no `a; b`, no trailing code)."""
    first, last = lines[statement.lineno - 1], lines[(statement.end_lineno or statement.lineno) - 1]
    return (first[:statement.col_offset].strip() == ""
            and last[statement.end_col_offset or 0:].split("#", 1)[0].strip() == "")


def repaired(code: str, namespace: NamespaceView) -> Repair | None:
    """`code` with chained in-place calls, assigned in-place results, a row of parts
    read for each value (`str_parts`), text read as dates (`text_dates`), misread
    `replace` calls (`replace_calls`) and columns filled from a per-group result by index
    (`fill_alignment`) rewritten, or None when there is nothing to rewrite
    (or it does not parse)."""
    code, parts = with_parts_per_value(code)
    code, dated = with_dates_parsed(code, namespace)
    code, replaces = with_replaces_meant(code, namespace)
    code, fills = with_fills_aligned(code)
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    lines = code.splitlines()
    stores = Stores(tree)
    edits: list[tuple[ast.stmt, str]] = []
    for statement in ast.walk(tree):
        if isinstance(statement, ast.stmt) and _own_lines(statement, lines):
            replacement = _rewrite(statement, namespace, stores)
            if replacement is not None:
                edits.append((statement, replacement))
    if not edits and not parts and not dated and not replaces and not fills:
        return None
    notes = [f"`{part.written}` → `{part.per_value}`" for part in parts] + dated
    notes += [f"`{call.written}` → `{call.meant}`" for call in replaces]
    notes += [f"`{fill.written}` → `{fill.meant}`" for fill in fills]
    rewritten: list[str] = []
    for statement, replacement in sorted(edits, key=lambda e: e[0].lineno, reverse=True):
        indent = lines[statement.lineno - 1][:statement.col_offset]
        old = "\n".join(lines[statement.lineno - 1:statement.end_lineno]).strip()
        new_lines = [indent + line for line in replacement.splitlines()]
        lines[statement.lineno - 1:statement.end_lineno] = new_lines
        rewritten.append(f"`{old}` → `{replacement.replace(chr(10), '; ')}`")
    return Repair("\n".join(lines) + ("\n" if code.endswith("\n") else ""),
                  notes + rewritten[::-1])


def with_axes_bound(code: str, namespace: NamespaceView) -> Repair | None:
    """`code` with an unbound `ax` (`fig`) used only as an Axes (a Figure) bound to the
    one pyplot draws on (`current_axes`), or None when there is none."""
    rewritten, notes = with_current_axes(code, namespace)
    return Repair(rewritten, notes) if notes else None


def with_missing_imports(code: str, namespace: NamespaceView) -> Repair | None:
    """`code` with an import for each standard-library module it uses without importing
    (`statistics.mean(xs)`, `datetime.date(...)`), or None when some undefined name is not
    one (then the model must say what it meant). The module is not imported here: a name
    that some stdlib module also defines as a class (`datetime.now()`) gets `from m import m`
    only where this process has the module loaded already and that reading fits its uses."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    names = undefined_names(tree, namespace)
    if not names or not all(name in sys.stdlib_module_names and not name.startswith("_")
                            for name in names):
        return None
    statements = [_import_for(name, tree) for name in names]
    added = "\n".join(statements)
    return Repair(with_import(code, added), [f"added `{s}`" for s in statements])


def _import_for(name: str, tree: ast.AST) -> str:
    """`import m`, or `from m import m` where every use reads the class, not the module."""
    loaded = sys.modules.get(name)
    inner = getattr(loaded, name, None) if loaded is not None else None
    if not isinstance(inner, type):
        return f"import {name}"
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                  and isinstance(node.value, ast.Name) and node.value.id == name}
    called = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                 and node.func.id == name for node in ast.walk(tree))
    module_reading = all(hasattr(loaded, attr) for attr in attributes) and not called
    return f"import {name}" if module_reading else f"from {name} import {name}"


def with_asked_name(code: str, namespace: NamespaceView, asked: Sequence[str]) -> Repair | None:
    """`code` plus `name = result` when the request asked for one variable the code never
    assigns and the code leaves exactly one new variable or function (the result under
    another name). None otherwise: between two candidates, which is meant is the model's
    to say."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    missing = [name for name in asked if name not in top_level_targets(tree)]
    if len(missing) != 1:
        return None
    results = {name for name in _plainly_bound(tree) if not namespace.has(name)}
    if len(results) != 1:
        return None
    result = results.pop()
    defined = next((node for node in tree.body if isinstance(node, ast.FunctionDef)
                    and node.name == result), None)
    called = _call_on_live_names(defined, namespace) if defined else result
    if called is None:
        return None
    line = f"{missing[0]} = {called}"
    return Repair(code.rstrip("\n") + "\n" + line + ("\n" if code.endswith("\n") else ""),
                  [f"added `{line}` (the request asked for `{missing[0]}`)"])


def with_function_called(code: str, namespace: NamespaceView,
                         asked: Sequence[str]) -> Repair | None:
    """`code` plus `name = name(args)` where an asked-for name is bound only by a `def` the
    code never calls (`function_result`), and each parameter it needs names a notebook
    variable: the model wrapped the answer in a function named like the result. None
    otherwise: where the arguments are not plain, what to pass is the model's to say."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    lines = [f"{defined.name} = {call}" for defined in uncalled_definitions(tree, asked)
             if (call := _call_on_live_names(defined, namespace)) is not None]
    if not lines:
        return None
    return Repair(code.rstrip("\n") + "\n" + "\n".join(lines) + ("\n" if code.endswith("\n") else ""),
                  [f"added `{line}` (the request asked for the value, the code only defined "
                   "the function)" for line in lines])


def _call_on_live_names(defined: ast.FunctionDef, namespace: NamespaceView) -> str | None:
    """`f(a, b)` where each parameter of `defined` without a default names a notebook
    variable; None where one does not (or it takes `*args`/keyword-only ones)."""
    args = defined.args
    required_keywords = any(default is None for default in args.kw_defaults)
    if args.vararg or args.posonlyargs or required_keywords:
        return None
    needed = [a.arg for a in args.args[:len(args.args) - len(args.defaults)]]
    if not all(namespace.has(name) for name in needed):
        return None
    return f"{defined.name}({', '.join(needed)})"


def _plainly_bound(tree: ast.Module) -> list[str]:
    """Names the module binds by a plain assignment to one name or by a `def`: where a
    result lives (a loop variable, an import or an unpacked pair is none)."""
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target = node.target
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
            continue
        else:
            continue
        if isinstance(target, ast.Name):
            names.append(target.id)
    return names


def with_axis(code: str, namespace: NamespaceView, request_text: str) -> Repair | None:
    """`code` with the axis a per-column (per-row) request asked for passed to each
    reduction of a whole NumPy array (`axis_intent`), or None when there is none."""
    rewritten, notes = with_axis_meant(code, namespace, request_text)
    return Repair(rewritten, notes) if notes else None


def with_group(code: str, namespace: NamespaceView, request_text: str) -> Repair | None:
    """`code` with each whole-column order-dependent operation grouped by the column a
    per-group request names (`group_intent`), or None when there is none."""
    rewritten, notes = with_groups(code, namespace, request_text)
    return Repair(rewritten, notes) if notes else None


def with_percentile(code: str, namespace: NamespaceView, request_text: str) -> Repair | None:
    """`code` with each percentile the request names by number computed from the data it
    bounds, where the code used the number itself (`percentile_intent`), or None."""
    rewritten, notes = with_percentiles(code, request_text, _numpy_name(code, namespace))
    return Repair(rewritten, notes) if notes else None


def _numpy_name(code: str, namespace: NamespaceView) -> str | None:
    """The name numpy goes by in `code` (its own import first), or in the namespace."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "numpy":
                    return alias.asname or "numpy"
    attributes = namespace.attribute_names("np") if namespace.has("np") else None
    return "np" if attributes and "percentile" in attributes else None


def with_percent(code: str, request_text: str) -> Repair | None:
    """`code` with each `pct_change` scaled to percent where the request asks in percent
    (`percent_scale`), or None when there is none."""
    rewritten, notes = with_percent_scale(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_exact_age(code: str, request_text: str) -> Repair | None:
    """`code` with each short count of an age written in full years where the request
    asks for an age (`age_intent`), or None when there is none."""
    rewritten, notes = with_exact_ages(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_asked_pivot(code: str, namespace: NamespaceView, required: list[str],
                     request_text: str) -> Repair | None:  # fmt: skip
    """`code` with the asked-for table written as the pivot the request names, where the
    code reshapes nothing (`pivot_request`), or None."""
    rewritten, notes = with_asked_pivots(code, namespace, required, request_text)
    return Repair(rewritten, notes) if notes else None


def with_asked_column(code: str, request_text: str) -> Repair | None:
    """`code` with the variable it made written into the frame as the column the request
    adds (`column_target`), or None."""
    rewritten, notes = with_column_written(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_week_anchor(code: str, request_text: str) -> Repair | None:
    """`code` with each weekly frequency ending its weeks on the day the request's weeks
    end (`week_anchor_intent`), or None."""
    rewritten, notes = with_week_anchors(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_bar_direction(code: str, request_text: str) -> Repair | None:
    """`code` with its upright bars drawn lying where the request asks for horizontal bars
    (`bar_direction_intent`), or None."""
    rewritten, notes = with_horizontal_bars(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_group_columns_per_row(code: str) -> Repair | None:
    """`code` with each column set from a per-group aggregation of its own frame computed
    per row by `transform` (`group_column`), or None."""
    rewritten, notes = with_group_columns(code)
    return Repair(rewritten, notes) if notes else None


def with_nan_skipped(code: str, request_text: str) -> Repair | None:
    """`code` with each plain numpy reduction replaced by its NaN-ignoring twin where the
    request asks to leave missing values out (`nan_intent`), or None."""
    rewritten, notes = with_nan_reductions(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_weekdays(code: str, request_text: str) -> Repair | None:
    """`code` with each day count of a date difference counting weekdays where the request
    asks for business days (`weekday_intent`), or None."""
    rewritten, notes = with_weekday_counts(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_wide_table(code: str, request_text: str) -> Repair | None:
    """`code` with a two-key aggregation unstacked into the columns the request asks for,
    and pivots summing where it asks for totals (`wide_table_intent`), or None."""
    rewritten, notes = with_wide_tables(code, request_text)
    return Repair(rewritten, notes) if notes else None


def without_fills(code: str, request_text: str) -> Repair | None:
    """`code` without the statements that only fill missing values the request keeps
    (`fill_intent`), or None when there is none."""
    rewritten, notes = with_fills_dropped(code, request_text)
    return Repair(rewritten, notes) if notes else None


def with_window_mean(code: str, request_text: str) -> Repair | None:
    """`code` with each convolution window of ones divided by its length where the request
    asks for an average (`window_mean`), or None when there is none."""
    rewritten, notes = with_window_means(code, request_text)
    return Repair(rewritten, notes) if notes else None


def without_data_copies(code: str, namespace: NamespaceView) -> Repair | None:
    """`code` without the top-level assignments that re-type a live variable exactly as it
    is (`x = np.array([...])` copied from the notebook), or None when it has none: the
    rest of the answer then works on the user's own object, unchanged."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    lines = code.splitlines()
    copies: list[tuple[ast.Assign, str]] = [
        (node, node.targets[0].id) for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
        and _own_lines(node, lines) and is_exact_copy(tree, node, namespace)]
    if not copies:
        return None
    for node, _ in reversed(copies):
        del lines[node.lineno - 1:node.end_lineno]
    names = ", ".join(f"`{name}`" for _, name in copies)
    return Repair("\n".join(lines) + ("\n" if code.endswith("\n") else ""),
                  [f"dropped the re-typed copy of {names} (the notebook holds it already)"])


def without_reruns(code: str, namespace: NamespaceView, ran: Collection[str],
                   keep: Collection[str]) -> Repair | None:
    """`code` without the top-level statements that run the notebook's own earlier
    assignments again (`reruns.py`), or None when it has none; a statement binding a name
    in `keep` (asked for, or the failing cell's own) stays."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    lines = code.splitlines()
    reruns = [(node, names) for node in tree.body
              if (names := rerun_names(node, ran, namespace)) and not set(names) & set(keep)
              and _own_lines(node, lines)]
    writes = [node for node in tree.body if rerun_write(node, ran) and _own_lines(node, lines)]
    if not reruns and not writes:
        return None
    for node in sorted([*(n for n, _ in reruns), *writes], key=lambda n: n.lineno, reverse=True):
        del lines[node.lineno - 1:node.end_lineno]
    names = ", ".join(f"`{name}`" for _, found in reruns for name in found)
    notes = [f"dropped the notebook's own earlier statement run again (it reset {names})"] if names else []
    notes += [f"dropped the notebook's own earlier `{rerun_write(n, ran)}` run again"
              for n in writes]
    return Repair("\n".join(lines) + ("\n" if code.endswith("\n") else ""), notes)
