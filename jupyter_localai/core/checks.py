"""Static checks of generated code, before the user ever runs it.

Small models fail in characteristic ways (DESIGN.md, "Quality is measured"): code that does
not parse, sample data that overwrites the user's variables, names that were never defined,
the asked-for result never assigned, attributes and columns that do not exist, and, for
fixes, the failing cell handed back unchanged. Each check names the problem in words the
model can act on when it is fed back for a retry.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Collection, Iterable

from .age_intent import age_messages
from .axis_intent import axis_messages
from .bar_direction_intent import bar_direction_messages, bar_order_messages
from .call_checks import call_issues
from .case_intent import case_messages
from .check_types import CheckIssue, EmptyNamespace, NamespaceView
from .column_target import column_target_messages
from .drawing_intent import drawing_messages
from .fill_alignment import misaligned_fills
from .fill_intent import fill_messages
from .function_result import asked_values, uncalled_definitions
from .group_column import group_column_messages
from .group_intent import group_messages
from .name_match import closest_names
from .nan_intent import nan_messages
from .percent_scale import percent_messages
from .percentile_intent import percentile_messages
from .replace_calls import misread_replaces
from .reruns import rerun_names, rerun_write
from .scaling_intent import min_max_messages
from .str_parts import rows_of_parts
from .targets import asked_names
from .week_anchor_intent import week_anchor_messages
from .weekday_intent import weekday_messages
from .wide_table_intent import wide_table_messages
from .window_mean import window_messages

__all__ = ["ContextNamespace", "asked_names", "check_code", "program_key", "same_program",
           "top_level_targets"]

_BUILTIN_NAMES = frozenset(dir(builtins)) | {"__name__", "__file__", "display", "get_ipython"}


class ContextNamespace(EmptyNamespace):
    """Names known from a NotebookContext alone (the server and panel have no live kernel)."""

    def __init__(self, variable_names: Iterable[str], imports: Iterable[str] = ()) -> None:
        self._names = set(variable_names)
        for line in imports:  # "pd = pandas (2.2.3)", "pandas as pd" or "pandas"
            entry = line.split(" (", 1)[0]
            if " = " in entry:
                self._names.add(entry.split(" = ")[0].strip())
            elif " as " in entry:
                self._names.add(entry.rsplit(" as ", 1)[1].strip())
            else:
                self._names.add(entry.strip().split(".")[0])

    def has(self, name: str) -> bool:
        return name in self._names


class _Names(ast.NodeVisitor):
    """Collects what a piece of code defines and what it reads, with the reads' positions."""

    def __init__(self) -> None:
        self.defined: set[str] = set()
        self.top_level_assigned: set[str] = set()
        self.reads: list[ast.Name] = []

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.defined.add(node.id)
        else:
            self.reads.append(node)

    def _define_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        args = node.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                self.defined.add(arg.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.defined.add(node.name)
        self._define_function(node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._define_function(node)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.defined.add(node.name)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.defined.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.defined.add(alias.asname or alias.name)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.defined.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.defined.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.name:
            self.defined.add(node.name)
        self.generic_visit(node)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.defined.add(node.name)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _module_scope_stores(node: ast.AST) -> set[str]:
    """Names a statement binds in the module's scope: inside `if`/`for`/`with`/`try` too,
    never inside a function, class or comprehension (those are their own scopes)."""
    names: set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        names.add(node.id)
    elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
        names.add(node.target.id)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            names |= _module_scope_stores(child)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(child.name)
    return names


def top_level_targets(tree: ast.Module) -> set[str]:
    """Names the code leaves bound in the notebook: what a request's target must be among."""
    names: set[str] = set()
    for node in tree.body:
        names |= _module_scope_stores(node)
    return names


def _names_read(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _check_rebinds(tree: ast.Module, namespace: NamespaceView, allowed: Iterable[str],
                   ran: Collection[str] = ()) -> list[CheckIssue]:
    """An existing variable replaced by a value built from none of the user's variables:
    made-up data, a literal copy of it, or the notebook's own earlier statement run again
    (`ran`, core/reruns.py)."""
    issues = []
    allowed_names = set(allowed)
    for node in tree.body:
        if writer := rerun_write(node, ran):
            issues.append(CheckIssue(
                "copies_data", f"`{ast.unparse(node)[:60]}` runs the notebook's own earlier "
                f"`{writer}` again: what it writes is there already; drop that line."))
            continue
        if not isinstance(node, ast.Assign):
            continue
        reads = _names_read(node.value)
        uses_user_data = any(namespace.has(name) and namespace.column_names(name) is not None
                             or namespace.has(name) and name not in _module_like(namespace, name)
                             for name in reads)
        rerun = [] if uses_user_data else rerun_names(node, ran, namespace)
        if rerun and not allowed_names & set(rerun):
            names = ", ".join(f"`{name}`" for name in rerun)
            issues.append(CheckIssue(
                "copies_data", f"`{ast.unparse(node)[:60]}` runs the notebook's own earlier "
                f"statement again: {names} already holds its result (and what later cells did "
                "to it); drop that line and use it as it is."))
            continue
        for target in node.targets:
            if not isinstance(target, ast.Name):
                continue
            name = target.id
            if name in allowed_names or not namespace.has(name) or uses_user_data:
                continue
            if _is_literal_data(node.value) and is_exact_copy(tree, node, namespace):
                issues.append(CheckIssue(
                    "copies_data",
                    f"`{name} = ...` re-types `{name}` exactly as the notebook already holds "
                    f"it: drop that line and use the existing `{name}`."))
            elif _is_literal_data(node.value):
                issues.append(CheckIssue(
                    "rebinds",
                    f"`{name}` already exists in the notebook, but the code replaces it with "
                    f"made-up data. Use the existing `{name}` as it is; do not create sample data.",
                ))
    return issues


def is_exact_copy(tree: ast.Module, node: ast.Assign, namespace: NamespaceView) -> bool:
    """Whether `name = <literal>` re-types the live variable exactly, as data: not empty
    (`counts = {}` starts an accumulator again), and, for a list, dict or set, not changed
    in place afterwards (the assignment is then a reset the code relies on)."""
    target = node.targets[0] if len(node.targets) == 1 else None
    if not isinstance(target, ast.Name) or not namespace.holds_literal(target.id, node.value):
        return False
    if isinstance(node.value, ast.List | ast.Dict | ast.Set | ast.Tuple):
        return bool(node.value.keys if isinstance(node.value, ast.Dict) else node.value.elts) \
            and not _changed_in_place(tree, target.id)
    return True


def _changed_in_place(tree: ast.Module, name: str) -> bool:
    """`name[k] = ...`, `name.append(...)` and the like anywhere in the code."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del)
                and isinstance(node.value, ast.Name) and node.value.id == name):
            return True
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == name):
            return True
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                and node.target.id == name:
            return True
    return False


def _module_like(namespace: NamespaceView, name: str) -> set[str]:
    """Names that are modules (pd, np): reading them is not reading the user's data."""
    attributes = namespace.attribute_names(name)
    if attributes is not None and "__path__" in attributes or attributes and "__file__" in attributes:
        return {name}
    return set()


def _is_literal_data(value: ast.expr) -> bool:
    """A literal, or a constructor call fed only literals: what invented sample data looks like."""
    if isinstance(value, (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.Constant)):
        return True
    if isinstance(value, ast.Call):
        arguments = [*value.args, *(k.value for k in value.keywords)]
        return bool(arguments) and all(
            isinstance(a, (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.Constant, ast.Call))
            and not _names_read(a) - {"range", "np", "pd", "numpy", "pandas"}
            for a in arguments
        )
    return False


def _attribute_suggestion(owner: str, attr: str, called: bool, namespace: NamespaceView) -> str:
    """" Did you mean ...?" for a missing `owner.attr`, or "".

    Used as a value (`df.quantity * df.price`), a missing attribute of a DataFrame is most
    likely a column under another name (`qty`), never a method (`quantile`); called, it is a
    method.
    """
    attributes = namespace.attribute_names(owner) or []
    columns = namespace.column_names(owner) if not called else None
    if columns and (namespace.frame_labels(owner) is not None):
        column = closest_names(attr, columns)
        if column:
            use = f"{owner}.{column[0]}" if column[0].isidentifier() else f"{owner}[{column[0]!r}]"
            return f" Did you mean the column {column[0]!r} (`{use}`)?"
    kinds = namespace.member_kinds(owner, ()) or {}
    wanted = "method" if called else "data"
    pool = [a for a in attributes if kinds.get(a, wanted) == wanted] if kinds else attributes
    hint = closest_names(attr, pool)
    return f" Did you mean `{owner}.{hint[0]}`?" if hint else ""


def _check_attributes(tree: ast.Module, namespace: NamespaceView, redefined: set[str]) -> list[CheckIssue]:
    issues = []
    seen: set[tuple[str, str]] = set()
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
            continue
        owner = node.value.id
        if owner in redefined or not namespace.has(owner) or (owner, node.attr) in seen:
            continue
        seen.add((owner, node.attr))
        attributes = namespace.attribute_names(owner)
        if attributes is None or node.attr in attributes or isinstance(node.ctx, ast.Store):
            continue
        suggestion = _attribute_suggestion(owner, node.attr, id(node) in called, namespace)
        issues.append(CheckIssue("attribute", f"`{owner}` has no attribute `{node.attr}`.{suggestion}"))
    return issues


def assigned_columns(tree: ast.Module) -> set[str]:
    """The column labels the code may create or rename: their live dtype says nothing."""
    columns = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            # df["c"] = ..., df[["first", "last"]] = ..., df.loc[:, ["a", "b"]] = ...
            columns |= {part.value for part in ast.walk(node.slice)
                        if isinstance(part, ast.Constant) and isinstance(part.value, str)}
        if isinstance(node, ast.keyword) and node.arg:
            columns.add(node.arg)  # df.assign(new=...), rename(columns=...) targets
        if isinstance(node, ast.Dict):
            columns |= {k.value for k in node.values if isinstance(k, ast.Constant)
                        and isinstance(k.value, str)}
    return columns


def _check_columns(tree: ast.Module, namespace: NamespaceView, redefined: set[str]) -> list[CheckIssue]:
    issues = []
    created = assigned_columns(tree)
    seen: set[tuple[str, str]] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)):
            continue
        owner = node.value.id
        key = node.slice
        if owner in redefined or not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if isinstance(node.ctx, ast.Store) or key.value in created or (owner, key.value) in seen:
            continue
        seen.add((owner, key.value))
        columns = namespace.column_names(owner) if namespace.has(owner) else None
        if columns is None or key.value in columns:
            continue
        hint = closest_names(key.value, columns, cutoff=0.5)
        suggestion = f" Did you mean `{hint[0]!r}`?" if hint else ""
        known = ", ".join(repr(c) for c in columns[:30])
        issues.append(CheckIssue(
            "column", f"`{owner}` has no column or key {key.value!r}.{suggestion} It has: {known}."))
    return issues


def _normalized(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines() if line.strip())


def program_key(code: str) -> str:
    """What a cell does, comments and layout aside: its syntax tree, or (for a cell that
    does not parse, e.g. with IPython magics) its non-blank lines."""
    try:
        return ast.dump(ast.parse(code))
    except SyntaxError:
        return _normalized(code)


def same_program(code: str, other: str) -> bool:
    """Whether two cells are the same code, comments and layout aside (a model that hands
    back the failing cell with a comment added has changed nothing)."""
    return program_key(code) == program_key(other)


def _undefined(collected: _Names, namespace: NamespaceView) -> list[str]:
    return sorted({
        n.id for n in collected.reads
        if n.id not in collected.defined and n.id not in _BUILTIN_NAMES and not namespace.has(n.id)
    })


def undefined_names(tree: ast.AST, namespace: NamespaceView) -> list[str]:
    """The names `tree` reads that neither it nor the notebook defines (sorted)."""
    collected = _Names()
    collected.visit(tree)
    return _undefined(collected, namespace)


def cell_targets(source: str | None) -> set[str]:
    """The names a cell assigns at its top level (none when it does not parse)."""
    if not source:
        return set()
    try:
        return top_level_targets(ast.parse(source))
    except SyntaxError:
        return set()


def check_code(
    code: str,
    *,
    namespace: NamespaceView | None = None,
    required_names: Iterable[str] = (),
    failing_source: str | None = None,
    request_text: str = "",
    ran: Collection[str] = (),
) -> list[CheckIssue]:
    """Problems of `code` as a reply; an empty list means it passed every check.
    `request_text` is what a generate request asked, for what the code must do per column
    or per row (`axis_intent`) or per group of rows (`group_intent`), percentiles by number (`percentile_intent`), parts of a chart (`drawing_intent`),
    percent (`percent_scale`), values kept missing (`fill_intent`), ages in full years
    (`age_intent`), weekdays (`weekday_intent`), min-max scaling (`scaling_intent`) or one
    column per category (`wide_table_intent`), a column added to a frame
    (`column_target`), the day weeks end on (`week_anchor_intent`), horizontal bars
    (`bar_direction_intent`), letter case ignored (`case_intent`) or missing values left out
    (`nan_intent`); `ran` the notebook's own top-level assignments
    (`reruns.ran_statements`), which an answer must not run again."""
    namespace = namespace or EmptyNamespace()
    if not code.strip():
        return [CheckIssue("empty", "The reply contains no Python code. Reply with a ```python block.")]
    python = "\n".join(
        "pass" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())
    try:
        tree = ast.parse(python)
    except SyntaxError as error:
        return [CheckIssue("syntax", f"The code does not parse: {error.msg} (line {error.lineno}).")]
    if failing_source is not None and same_program(code, failing_source):
        return [CheckIssue("unchanged", "That is the same code as the failing cell, so it fails the same way.")]
    collected = _Names()
    collected.visit(tree)
    issues: list[CheckIssue] = []
    undefined = _undefined(collected, namespace)
    if undefined:
        names = ", ".join(f"`{n}`" for n in undefined)
        asked = _asked_functions(tree, undefined, request_text)
        write = (f" The request asks for `{asked[0]}(...)` itself: define it with "
                 f"`def {asked[0]}(...):` before the code calls it.") if asked else ""
        issues.append(CheckIssue(
            "undefined", f"The code reads {names}, which the notebook does not define and the code "
            f"does not import or assign.{write}"))
    required = list(required_names)
    top_level = top_level_targets(tree)
    missing = [name for name in required if name not in top_level]
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        issues.append(CheckIssue(
            "missing", f"The request asks for the result in {names}, but the code never assigns it. "
            f"End with `{missing[0]} = ...`."))
    issues += [CheckIssue(
        "uncalled_function", f"The request asks for the value of `{d.name}`, and the code only "
        f"defines a function `{d.name}` that nothing calls: call it on the notebook's data and "
        f"store what it returns, `{d.name} = {d.name}(...)`.")
        for d in uncalled_definitions(tree, asked_values(request_text, required))]
    issues += _check_aliases(tree, namespace, required)
    # A fix replaces the failing cell: re-creating what that cell itself assigned
    # (`counts = {}` before its loop) is the cell's own doing, not made-up data.
    issues += _check_rebinds(tree, namespace, [*required, *cell_targets(failing_source)],
                             ran)
    issues += _check_attributes(tree, namespace, collected.defined)
    issues += _check_columns(tree, namespace, collected.defined)
    issues += call_issues(tree, namespace, assigned_columns(tree))
    issues += [CheckIssue("row_of_parts", f"`{found.written}` takes the whole list of the row "
                          "labelled by that number, not that part of each value: write "
                          f"`{found.per_value}`.") for found in rows_of_parts(python, tree)]
    issues += [CheckIssue("replace_call", f"`{call.written}`: {call.why}: write `{call.meant}`.")
               for call in misread_replaces(python, tree, namespace)]
    issues += [CheckIssue("fill_alignment", f"`{fill.written}`: `fillna` lines the values up "
                          "by index, and a groupby result is indexed by its groups, not by the "
                          f"rows, so nothing is filled: write `{fill.meant}` (each row's own "
                          f"`{fill.key}` group).") for fill in misaligned_fills(python, tree)]
    issues += [CheckIssue("axis", message)
               for message in axis_messages(tree, python, namespace, request_text)]
    issues += [CheckIssue("window_mean", message)
               for message in window_messages(tree, python, request_text)]
    issues += [CheckIssue("group", message)
               for message in group_messages(tree, python, namespace, request_text)]
    issues += [CheckIssue("percentile", message)
               for message in percentile_messages(tree, python, request_text)]
    issues += [CheckIssue("drawing", message) for message in drawing_messages(tree, request_text)]
    issues += [CheckIssue("percent", message)
               for message in percent_messages(tree, python, request_text)]
    issues += [CheckIssue("fill", message) for message in fill_messages(tree, python, request_text)]
    issues += [CheckIssue("age", message) for message in age_messages(tree, python, request_text)]
    issues += [CheckIssue("column_target", message)
               for message in column_target_messages(tree, request_text)]
    issues += [CheckIssue("weekdays", message) for message in weekday_messages(tree, request_text)]
    issues += [CheckIssue("min_max", message) for message in min_max_messages(tree, request_text)]
    issues += [CheckIssue("wide_table", message)
               for message in wide_table_messages(tree, python, request_text, namespace)]
    issues += [CheckIssue("week_anchor", message)
               for message in week_anchor_messages(tree, request_text)]
    issues += [CheckIssue("bar_direction", message)
               for message in bar_direction_messages(tree, python, request_text)]
    issues += [CheckIssue("nan_reduction", message)
               for message in nan_messages(tree, request_text)]
    issues += [CheckIssue("group_column", message)
               for message in group_column_messages(python, tree)]
    issues += [CheckIssue("bar_order", message)
               for message in bar_order_messages(tree, request_text)]
    issues += [CheckIssue("case_fold", message) for message in case_messages(tree, request_text)]
    return issues


def _asked_functions(tree: ast.AST, undefined: list[str], request_text: str) -> list[str]:
    """The undefined names the code calls that the request writes as a call, `flatten(d)`:
    a function the user asked to have written, which the answer only used."""
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    return [name for name in undefined if name in called
            and re.search(rf"(?<![\w.]){re.escape(name)}\s*\(", request_text)]


def _check_aliases(tree: ast.Module, namespace: NamespaceView,
                   required: list[str]) -> list[CheckIssue]:
    """An asked-for name whose last assignment is only another name for a live variable
    (`long_sales = quarterly`): the same object, so nothing the request asked was computed
    (and a later change through either name changes both)."""
    issues = []
    bound_here = top_level_targets(tree)
    for name in required:
        assigned = [node for node in tree.body if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)]
        if not assigned or not isinstance(assigned[-1].value, ast.Name):
            continue
        source = assigned[-1].value.id
        if source == name or source in bound_here or not namespace.has(source):
            continue
        issues.append(CheckIssue(
            "alias", f"`{name} = {source}` only gives the notebook's `{source}` a second name "
            f"(the same object, unchanged): compute what the request asks from `{source}` "
            f"and assign that result to `{name}`."))
    return issues
