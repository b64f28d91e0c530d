"""Why a task failed: one class per failed task, derived from what a run's JSON records.

The run records a coarse category (`answer_raised`, `check_failed`, ...), the exception
text, the proposed code and the token count. Those say *that* an answer failed; the
classes below say *how*, in terms a fix to the assistant can aim at (an answer that never
assigns the asked-for name needs different help than one that calls a removed pandas API).

`classify` is a pure function of one result row and a few facts about its task
(`TaskFacts`, from the task file), so old runs can be classified after the fact.
"""

from __future__ import annotations

import ast
import codeop
import difflib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CLASSES = (
    "unchanged_fix",  # a fix that hands back the failing cell
    "wrong_name",  # the asked-for name is not assigned, or a name/column/attribute that does not exist
    "invented_data",  # the answer overwrote the user's data with data it made up
    "unassigned_result",  # computes something but never assigns the asked-for name
    "wrong_api",  # a call the installed libraries do not accept (keyword, removed API, module)
    "refusal",  # no code at all
    "truncated",  # the answer hit the token cap: the code is cut
    "wrong_result",  # ran (or raised something else); the state is wrong
    "timeout",
    "harness",  # setup errors, a failing cell that did not fail, no reply to judge
)

# Run categories that say the harness, not the answer, failed: nothing was judged.
_HARNESS_FAILURES = {"setup_error", "failing_cell_did_not_fail", "magic_error"}
# Exceptions about a name, key or label that is not there.
_NAME_ERRORS = {"NameError", "UnboundLocalError", "KeyError", "IndexingError"}
_SIGNATURE = re.compile(
    r"unexpected keyword argument|got an unexpected keyword|positional argument|"
    r"required (keyword|positional) argument|object is not callable|"
    r"invalid keyword|no longer supports|was removed|has been removed|is deprecated"
)
_MISSING_ATTR = re.compile(r"(?:'(?P<owner>[\w.]+)' object|module '(?P<module>[\w.]+)'|"
                           r"type object '(?P<type>[\w.]+)') has no attribute '(?P<attr>\w+)'")


@dataclass(frozen=True)
class TaskFacts:
    """What `classify` needs to know about a task (see `task_facts`)."""

    kind: str
    data_names: frozenset[str] = frozenset()  # variables the setup cells create
    # (name, ast dump of the value) of each setup assignment: an answer that replays setup
    # verbatim has not made anything up.
    data_sources: frozenset[tuple[str, str]] = frozenset()
    target_names: frozenset[str] = frozenset()  # variables the user asked for
    target_columns: frozenset[str] = frozenset()  # new columns the user asked for
    failing_cell: str = ""  # fix tasks: the cell that failed
    # The user's data as named in setup: variable names and string constants (columns, keys).
    data_words: frozenset[str] = field(default_factory=frozenset)


# ---------------------------------------------------------------- reading code


def _parse(code: str) -> ast.Module | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return ast.parse(code)
        except (SyntaxError, ValueError):
            return None


def _is_cut(code: str) -> bool:
    """The code ends in the middle of a statement (an open bracket, string or block)."""
    if _parse(code) is not None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        try:
            return codeop.compile_command(code, symbol="exec") is None
        except (SyntaxError, ValueError, OverflowError):
            return False


def _top_level_targets(tree: ast.Module) -> set[str]:
    """Names bound by top-level assignments (including tuple unpacking and `with ... as`)."""
    names: set[str] = set()
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def bound_names(code: str) -> set[str]:
    """Every name the code binds anywhere (assignment, loop, import, def, with, walrus)."""
    tree = _parse(code)
    if tree is None:
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Store)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names


def _imported_names(tree: ast.Module) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}


def stored_columns(code: str) -> set[str]:
    """String keys the code assigns on a subscript (`df["c"] = ...`), passes to
    `.assign(c=...)` or inserts (`df.insert(i, "c", ...)`): the columns it creates."""
    tree = _parse(code)
    if tree is None:
        return set()
    columns: set[str] = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            columns.add(node.slice.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "assign":
                columns |= {k.arg for k in node.keywords if k.arg}
            elif (node.func.attr == "insert" and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
                columns.add(node.args[1].value)
    return columns


def _string_constants(tree: ast.Module) -> set[str]:
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _assignments(tree: ast.Module) -> list[tuple[set[str], ast.expr]]:
    """Top-level `name = value` statements: the names bound and the value."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = {n.id for t in node.targets for n in ast.walk(t)
                     if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            if names:
                found.append((names, node.value))
    return found


def overwritten_data(code: str, data_names: frozenset[str],
                     data_sources: frozenset[tuple[str, str]] = frozenset()) -> set[str]:
    """The user's variables the code rebinds at top level to a value built without them
    (a literal, a constructor of literals, a file read) and unlike the setup's own value:
    data made up, not derived and not the setup replayed."""
    tree = _parse(code)
    if tree is None:
        return set()
    invented: set[str] = set()
    for names, value in _assignments(tree):
        hit = names & data_names
        used = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        if hit and not used & data_names:
            dump = ast.dump(value)
            invented |= {name for name in hit if (name, dump) not in data_sources}
    return invented


# ---------------------------------------------------------------- task facts


def _words(*texts: str) -> frozenset[str]:
    return frozenset(w for text in texts for w in re.findall(r"[A-Za-z_]\w*", text))


def _like_data(name: str, facts: TaskFacts | None) -> bool:
    """`name` is one of the user's data names or close to one (`qty` for `quantity` is
    not close; `quantiy` is): an attribute used as a column, not a library call."""
    if facts is None:
        return False
    return name in facts.data_words or bool(
        difflib.get_close_matches(name, facts.data_words, n=1, cutoff=0.8))


def task_facts(kind: str, setup: list[str], reference: str, request: str = "",
               failing_cell: str = "") -> TaskFacts:
    """The task's data names, and the names/columns it asks for.

    Generate: what the reference assigns that the request names (the name the user asked
    for, in whatever phrasing). Fix: what the failing cell meant to assign (and the
    reference assigns too)."""
    data: set[str] = set()
    sources: set[tuple[str, str]] = set()
    setup_strings: set[str] = set()
    for cell in setup:
        tree = _parse(cell)
        if tree is not None:
            data |= _top_level_targets(tree) - _imported_names(tree)
            setup_strings |= _string_constants(tree)
            sources |= {(name, ast.dump(value)) for names, value in _assignments(tree)
                        for name in names}
    ref_tree = _parse(reference)
    ref_names = _top_level_targets(ref_tree) if ref_tree is not None else set()
    ref_columns = stored_columns(reference) - setup_strings
    if kind == "generate":
        asked = _words(request)
        targets = {n for n in ref_names if n in asked} - data
        columns = {c for c in ref_columns if c in asked or c in request}
    else:
        cell_tree = _parse(failing_cell)
        cell_names = _top_level_targets(cell_tree) if cell_tree is not None else set()
        targets = (cell_names & ref_names) - data
        columns = (stored_columns(failing_cell) - setup_strings) & ref_columns
    return TaskFacts(
        kind=kind,
        data_names=frozenset(data),
        data_sources=frozenset(sources),
        failing_cell=failing_cell if kind == "fix" else "",
        target_names=frozenset(targets),
        target_columns=frozenset(columns),
        data_words=frozenset(data) | frozenset(s for s in setup_strings if s.isidentifier()),
    )


# ---------------------------------------------------------------- the classes


def same_statements(a: str, b: str) -> bool:
    """The same code up to comments and layout (an answer that hands the failing cell back
    with the error pasted in as comments is still the failing cell)."""
    tree_a, tree_b = _parse(a), _parse(b)
    return tree_a is not None and tree_b is not None and ast.dump(tree_a) == ast.dump(tree_b)


def _split_error(error: str) -> tuple[str, str]:
    name, _, message = error.partition(":")
    return name.strip(), message.strip()


def _missing_target(code: str, facts: TaskFacts) -> str | None:
    """wrong_name / unassigned_result when the code never assigns what was asked for."""
    columns = stored_columns(code)
    missing_names = facts.target_names - bound_names(code)
    missing_columns = facts.target_columns - columns
    if not (missing_names or missing_columns):
        return None
    tree = _parse(code)
    results = (_top_level_targets(tree) - _imported_names(tree)) if tree is not None else set()
    made_other = bool(results - facts.data_names - facts.target_names
                      or columns - facts.target_columns)
    return "wrong_name" if made_other else "unassigned_result"


def _raised_class(ename: str, message: str, facts: TaskFacts | None) -> str:
    if ename in {"ModuleNotFoundError", "ImportError"}:
        return "wrong_api"
    if ename == "AttributeError":
        found = _MISSING_ATTR.search(message)
        if found and not found["module"] and _like_data(found["attr"], facts):
            return "wrong_name"  # an attribute named like the user's data (a column)
        return "wrong_api"
    if ename in _NAME_ERRORS:
        return "wrong_name"
    if ename == "TypeError" and _SIGNATURE.search(message):
        return "wrong_api"
    if _SIGNATURE.search(message) and re.search(r"removed|deprecated|no longer", message):
        return "wrong_api"
    return "wrong_result"


def classify(result: Mapping[str, Any], facts: TaskFacts | None = None,
             max_tokens: int | None = None) -> str | None:
    """The class of one failed task (None when it passed); see CLASSES.

    `result` is a row of a run's JSON (failure, error, code, tokens, attempts and, from
    runs that record it, finish_reason); `facts` about its task (None: unknown task,
    the classes that need it are skipped); `max_tokens`: the cap the run asked with."""
    if result.get("passed"):
        return None
    failure = result.get("failure") or ""
    code = result.get("code") or ""
    error = result.get("error") or ""
    if failure in _HARNESS_FAILURES:
        return "harness"
    if failure == "timeout":
        return "timeout"
    if failure == "unchanged" or (
            facts is not None and facts.failing_cell and same_statements(code, facts.failing_cell)):
        return "unchanged_fix"
    tokens, attempts = result.get("tokens"), result.get("attempts")
    finish = result.get("finish_reason")
    hit_cap = finish == "length" or (
        not finish and max_tokens is not None and tokens is not None and tokens >= max_tokens
        and (attempts or 1) <= 1)
    if hit_cap or (code.strip() and _is_cut(code)):
        return "truncated"
    if not code.strip() or failure == "no_code":
        return "refusal"
    if facts is not None and overwritten_data(code, facts.data_names, facts.data_sources):
        return "invented_data"
    ename, message = _split_error(error)
    if failure == "answer_raised":
        if ename == "SyntaxError":
            return "wrong_result"
        return _raised_class(ename, message, facts)
    if facts is not None:
        missing = _missing_target(code, facts)
        if missing:
            return missing
    if ename == "NameError":
        return "wrong_name"
    return "wrong_result"
