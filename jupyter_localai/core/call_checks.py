"""Checks of the calls a reply makes on the user's data, before anything runs.

Five mistakes small models make with pandas and lists that a live namespace can see:
- a column named in a call that the DataFrame does not have (`merge(on='cust_id')` when the
  other frame calls it `account_id`; `groupby('Region')` for `region`), which only fails at
  run time with a bare KeyError;
- `df.rename(columns={...})` whose keys are not the frame's columns (the mapping written
  new-to-old, or made-up names): pandas renames nothing and raises nothing;
- `df['col'].fillna(..., inplace=True)`: under pandas' copy-on-write the call changes a
  temporary copy and `df` stays as it was, silently;
- `x = x.append(...)`, `df = df.dropna(inplace=True)`: in-place methods return None, so the
  variable is lost;
- a keyword the live function, method or constructor does not take
  (`df.sort_values(by='a', ascend=False)`, `np.linspace(0, 1, number=5)`), read from the
  installed version's signature.
"""

from __future__ import annotations

import ast

from .check_types import CheckIssue, NamespaceView
from .name_match import closest_names

# DataFrame methods whose arguments name columns: (keyword, position or None) per argument.
_COLUMN_ARGUMENTS: dict[str, tuple[tuple[str, int | None], ...]] = {
    "groupby": (("by", 0),),
    "sort_values": (("by", 0),),
    "set_index": (("keys", 0),),
    "drop_duplicates": (("subset", 0),),
    "dropna": (("subset", None),),
    "pivot": (("index", None), ("columns", None), ("values", None)),
    "pivot_table": (("values", 0), ("index", 1), ("columns", 2)),
    "nlargest": (("columns", 1),),
    "nsmallest": (("columns", 1),),
    "melt": (("id_vars", 0), ("value_vars", 1)),
    "explode": (("column", 0),),
}
# Methods that return a frame with the same columns: `df.dropna().groupby('x')` is still df's.
_SAME_COLUMNS = {"dropna", "fillna", "copy", "sort_values", "query", "head", "tail",
                 "drop_duplicates", "astype", "sample", "reset_index", "sort_index"}
# Methods that change a container in place and return None, by the attributes that mark its
# kind (list, set, dict, ndarray) without looking at the object itself.
_IN_PLACE: dict[str, tuple[str, ...]] = {
    "append": ("extend", "reverse"),
    "extend": ("append", "reverse"),
    "insert": ("append", "reverse"),
    "reverse": ("append", "extend"),
    "remove": ("append", "extend"),
    "sort": ("append", "extend"),
    "clear": (),
    "add": ("discard", "isdisjoint"),
    "discard": ("add", "isdisjoint"),
    "update": ("setdefault", "popitem"),
}
_ARRAY_SORT_MARKERS = ("ravel", "reshape")
# Only modules have these: numpy has `sort`, `ravel` and `reshape` too, as functions.
_MODULE_MARKERS = frozenset({"__file__", "__spec__", "__loader__"})


def _string_values(node: ast.expr) -> list[str]:
    """The column names a call argument spells out literally ('a' or ['a', 'b'])."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _argument(call: ast.Call, keyword: str, position: int | None) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == keyword:
            return item.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


class Stores:
    """Where the reply first assigns each name: before that line, the name is the kernel's."""

    def __init__(self, tree: ast.Module) -> None:
        self._first: dict[str, int] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                self._first[node.id] = min(node.lineno, self._first.get(node.id, node.lineno))

    def is_live(self, name: str, line: int) -> bool:
        """Whether `name` on `line` still means the kernel's object (`df = df.merge(...)`
        reads the live df on the line that rebinds it)."""
        return line <= self._first.get(name, line)


def _frame_name(node: ast.expr, namespace: NamespaceView, stores: Stores) -> str | None:
    """The user's DataFrame that `node` is, directly or through column-keeping methods."""
    while (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
           and node.func.attr in _SAME_COLUMNS):
        node = node.func.value
    if not isinstance(node, ast.Name) or not stores.is_live(node.id, node.lineno):
        return None
    return node.id if namespace.frame_labels(node.id) is not None else None


def _missing_column(owner: str, column: str, labels: list[str]) -> str:
    hint = closest_names(column, labels, cutoff=0.5)
    suggestion = f" Did you mean {hint[0]!r}?" if hint else ""
    known = ", ".join(repr(label) for label in labels[:30])
    return f"`{owner}` has no column {column!r}.{suggestion} It has: {known}."


def _method_column_issues(call: ast.Call, namespace: NamespaceView, stores: Stores,
                          created: set[str]) -> list[CheckIssue]:
    assert isinstance(call.func, ast.Attribute)
    owner = _frame_name(call.func.value, namespace, stores)
    if owner is None:
        return []
    labels = namespace.frame_labels(owner) or []
    issues = []
    for keyword, position in _COLUMN_ARGUMENTS[call.func.attr]:
        argument = _argument(call, keyword, position)
        for column in _string_values(argument) if argument is not None else []:
            if column not in labels and column not in created:
                message = _missing_column(owner, column, labels)
                issues.append(CheckIssue("column", f"In `.{call.func.attr}(...)`: {message}"))
    return issues


def _rename_issues(call: ast.Call, namespace: NamespaceView, stores: Stores,
                   created: set[str]) -> list[CheckIssue]:  # fmt: skip
    """`df.rename(columns={old: new})` with an old name the frame lacks: renamed silently
    to nothing (pandas' `errors="ignore"`)."""
    assert isinstance(call.func, ast.Attribute)
    owner = _frame_name(call.func.value, namespace, stores)
    mapping = _argument(call, "columns", None)
    if owner is None or not isinstance(mapping, ast.Dict):
        return []
    labels = namespace.frame_labels(owner) or []
    keys = [k.value for k in mapping.keys if isinstance(k, ast.Constant) and type(k.value) is str]
    values = [v.value for v in mapping.values
              if isinstance(v, ast.Constant) and type(v.value) is str]
    missing = [key for key in keys if key not in labels and key not in created]
    if not missing:
        return []
    reversed_ = values and all(value in labels for value in values)
    why = (" The mapping is written new-to-old: its values are the frame's columns, so swap "
           "each pair, `{old: new}`." if reversed_ else
           f" {_missing_column(owner, missing[0], labels)}")
    names = ", ".join(repr(key) for key in missing)
    return [CheckIssue("column", f"`.rename(columns=...)` maps old names to new ones, and "
                                 f"{names} {'is' if len(missing) == 1 else 'are'} not a column "
                                 f"of `{owner}`: pandas renames nothing there, silently.{why}")]


def _merge_issues(call: ast.Call, namespace: NamespaceView, stores: Stores,
                  created: set[str]) -> list[CheckIssue]:
    """`left.merge(right, on=...)` and `pd.merge(left, right, on=...)`: keys on both sides."""
    assert isinstance(call.func, ast.Attribute)
    if call.func.attr == "merge" and _frame_name(call.func.value, namespace, stores):
        left_node, right_node = call.func.value, _argument(call, "right", 0)
    else:
        left_node, right_node = _argument(call, "left", 0), _argument(call, "right", 1)
    if left_node is None or right_node is None:
        return []
    left = _frame_name(left_node, namespace, stores)
    right = _frame_name(right_node, namespace, stores)
    sides = {"left_on": [left], "right_on": [right], "on": [left, right]}
    issues = []
    for keyword, owners in sides.items():
        argument = _argument(call, keyword, None)
        for column in _string_values(argument) if argument is not None else []:
            for owner in owners:
                labels = namespace.frame_labels(owner) if owner else None
                if labels is None or column in labels or column in created:
                    continue
                advice = _merge_advice(column, owner == right, labels) if keyword == "on" else ""
                issues.append(CheckIssue(
                    "column", f"In `merge({keyword}={column!r})`: "
                    f"{_missing_column(owner, column, labels)}{advice}"))
    return issues


def _key_candidate(column: str, labels: list[str]) -> str | None:
    """The column of the other frame that is most likely the same key, if one stands out."""
    close = closest_names(column, labels, cutoff=0.5)
    if close:
        return close[0]
    id_like = [label for label in labels if label.lower() == "id" or label.lower().endswith("_id")]
    return id_like[0] if len(id_like) == 1 else None


def _merge_advice(column: str, missing_on_right: bool, labels: list[str]) -> str:
    """How to merge on a key named differently in each frame, concretely when possible."""
    candidate = _key_candidate(column, labels)
    if candidate is None:
        return (" When the key has a different name in each frame, use "
                "`left_on=...` and `right_on=...`.")
    left, right = (column, candidate) if missing_on_right else (candidate, column)
    return (f" If {candidate!r} is the same key, pass `left_on={left!r}, right_on={right!r}` "
            "instead of `on=`.")


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def without_inplace(call: ast.Call) -> str:
    copy = ast.Call(func=call.func, args=call.args,
                    keywords=[k for k in call.keywords if k.arg != "inplace"])
    return ast.unparse(copy)


def chained_inplace_target(call: ast.Call) -> ast.expr | None:
    """`df['col']` of `df['col'].fillna(x, inplace=True)`, else None."""
    if not (isinstance(call.func, ast.Attribute) and any(
            k.arg == "inplace" and _is_true(k.value) for k in call.keywords)):
        return None
    target = call.func.value
    return target if isinstance(target, (ast.Subscript, ast.Attribute)) else None


def _chained_inplace_issue(call: ast.Call) -> CheckIssue | None:
    """`df['col'].fillna(x, inplace=True)`: the in-place call changes a temporary copy."""
    target = chained_inplace_target(call)
    if target is None:
        return None
    piece = ast.unparse(target)
    return CheckIssue(
        "inplace",
        f"`{ast.unparse(call)}` changes a temporary copy of `{piece}` (pandas copy-on-write), "
        f"so the data is left unchanged. Assign the result instead: "
        f"`{piece} = {without_inplace(call)}`.")


def returns_none(call: ast.Call, namespace: NamespaceView, stores: Stores) -> bool:
    """Whether the call is one that changes its object in place and returns None."""
    if any(k.arg == "inplace" and _is_true(k.value) for k in call.keywords):
        return True
    if not (isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)):
        return False
    method, owner = call.func.attr, call.func.value.id
    if method not in _IN_PLACE or not stores.is_live(owner, call.lineno) or not namespace.has(owner):
        return False
    attributes = set(namespace.attribute_names(owner) or ())
    if _MODULE_MARKERS & attributes:
        return False  # a module's function (np.append, np.sort) returns a value
    if method in attributes and all(marker in attributes for marker in _IN_PLACE[method]):
        return True
    return method == "sort" and all(marker in attributes for marker in _ARRAY_SORT_MARKERS)


def _assigned_none_issues(tree: ast.Module, namespace: NamespaceView,
                          stores: Stores) -> list[CheckIssue]:
    issues = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        if not returns_none(node.value, namespace, stores):
            continue
        targets = ", ".join(ast.unparse(t) for t in node.targets)
        issues.append(CheckIssue(
            "none_result",
            f"`{ast.unparse(node.value)}` changes its object in place and returns None, so "
            f"`{targets}` becomes None. Call it on its own line without assigning, or use a "
            "form that returns a new value."))
    return issues


_ACCESSORS = frozenset({"str", "dt", "cat"})


def _member_path(node: ast.expr, stores: Stores) -> tuple[str, tuple[str, ...]] | None:
    """(variable, path) of `df`, `df['col']`, `df['col'].dt`, `s.str`: what `member_kinds`
    can look up without running anything."""
    if isinstance(node, ast.Name):
        return (node.id, ()) if stores.is_live(node.id, node.lineno) else None
    if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)):
        inner = _member_path(node.value, stores)
        return (inner[0], (*inner[1], f"[{node.slice.value}]")) if inner else None
    if isinstance(node, ast.Attribute) and node.attr in _ACCESSORS:
        inner = _member_path(node.value, stores)
        return (inner[0], (*inner[1], node.attr)) if inner else None
    return None


def _member_issues(tree: ast.Module, namespace: NamespaceView, stores: Stores,
                   created: set[str]) -> list[CheckIssue]:
    """`s.dt.weekday()` (a property called), `df.shape()`, `s.dt.day_name` assigned without
    the call, `s.dt.weekday_name` (no such member): each fails or misbehaves at run time."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assigned = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)}
    issues = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not isinstance(node.ctx, ast.Load):
            continue
        found = _member_path(node.value, stores)
        if found is not None and any(step[1:-1] in created for step in found[1]
                                     if step.startswith("[")):
            continue  # a column the reply (re)assigns: its live dtype says nothing
        if found is None or not found[1] and node.attr not in ("shape", "columns", "index",
                                                                 "values", "dtypes", "size"):
            continue  # plain attributes of a variable are `checks._check_attributes`' job
        kinds = namespace.member_kinds(*found)
        if kinds is None:
            issues += _accessor_issue(node, found, namespace)
            continue
        piece = ast.unparse(node)
        kind = kinds.get(node.attr)
        if kind is None and not node.attr.startswith("_"):
            close = closest_names(node.attr, list(kinds))
            hint = f" Did you mean `.{close[0]}`?" if close else ""
            issues.append(CheckIssue("attribute", f"`{piece}` does not exist.{hint}"))
        elif kind == "data" and id(node) in called:
            issues.append(CheckIssue(
                "attribute", f"`{piece}` is a property, not a method: write `{piece}` "
                "without the parentheses."))
        elif kind == "method" and id(node) in assigned:
            issues.append(CheckIssue(
                "attribute", f"`{piece}` is a method: call it, `{piece}()`, to get its values."))
    return issues


def text_read_as_dates(tree: ast.Module, namespace: NamespaceView,
                       created: set[str]) -> list[ast.expr]:
    """Each `X` of `X.dt` where `X` is a live column or Series of text (`.str` works on
    it, `.dt` does not) that the code does not assign: dates kept as strings."""
    stores = Stores(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "dt"
                and isinstance(node.ctx, ast.Load)):
            continue
        path = _member_path(node.value, stores)
        if path is None or any(step[1:-1] in created for step in path[1] if step.startswith("[")):
            continue
        name, steps = path
        if (namespace.member_kinds(name, steps) is not None
                and namespace.member_kinds(name, (*steps, "dt")) is None
                and namespace.member_kinds(name, (*steps, "str")) is not None):
            found.append(node.value)
    return found


_ACCESSOR_NEEDS = {"dt": ("datetime", "pd.to_datetime({})"),
                   "str": ("text", "{}.astype(str)")}


def _accessor_issue(node: ast.Attribute, found: tuple[str, tuple[str, ...]],
                    namespace: NamespaceView) -> list[CheckIssue]:
    """`df['name'].dt.year` where the column is not datetime: the accessor does not exist."""
    name, path = found
    if not path or path[-1] not in _ACCESSOR_NEEDS or namespace.member_kinds(name, path[:-1]) is None:
        return []
    assert isinstance(node.value, ast.Attribute)
    column = ast.unparse(node.value.value)
    needs, convert = _ACCESSOR_NEEDS[path[-1]]
    # Dates kept as text get their own kind: `repairs` parses them (`text_dates`).
    text = path[-1] == "dt" and namespace.member_kinds(name, (*path[:-1], "str")) is not None
    return [CheckIssue(
        "dates_as_text" if text else "attribute",
        f"`.{path[-1]}` works only on {needs} values and `{column}` does not hold "
        f"them: convert first, e.g. `{convert.format(column)}.{path[-1]}.{node.attr}`.")]


def _callable_path(node: ast.expr, namespace: NamespaceView,
                   stores: Stores) -> tuple[str, tuple[str, ...]] | None:
    """(variable, steps) of a called `np.linspace`, `df.sort_values`, `df['a'].fillna`,
    `df.dropna().sort_values` (a column-keeping call is still the frame); None otherwise."""
    steps: list[str] = []
    while True:
        frame = _frame_name(node, namespace, stores) if isinstance(node, ast.Call) else None
        if frame is not None:
            return frame, tuple(reversed(steps))
        if isinstance(node, ast.Attribute):
            steps.append(node.attr)
        elif (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
              and isinstance(node.slice.value, str)):
            steps.append(f"[{node.slice.value}]")
        else:
            break
        node = node.value
    if isinstance(node, ast.Name) and stores.is_live(node.id, node.lineno) and namespace.has(node.id):
        return node.id, tuple(reversed(steps))
    return None


MAX_LISTED_KEYWORDS = 12


def _keyword_issues(tree: ast.Module, namespace: NamespaceView, stores: Stores) -> list[CheckIssue]:
    """`df.sort_values(by='a', ascend=False)`: a keyword the live callable does not take
    raises a TypeError only when run; its signature (the installed version's) says so now."""
    issues = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not any(k.arg for k in node.keywords):
            continue
        found = _callable_path(node.func, namespace, stores)
        keywords = namespace.call_keywords(*found) if found is not None else None
        if keywords is None or keywords.any_keyword:
            continue
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg in keywords.accepted:
                continue
            name = ast.unparse(node.func)
            near = closest_names(keyword.arg, keywords.accepted, n=3, cutoff=0.5)
            if near:
                advice = "Nearest it accepts: " + ", ".join(f"`{k}=`" for k in near) + "."
            else:
                listed = ", ".join(keywords.accepted[:MAX_LISTED_KEYWORDS])
                more = ", ..." if len(keywords.accepted) > MAX_LISTED_KEYWORDS else ""
                advice = f"It accepts: {listed}{more}." if listed else "It takes no keywords."
            issues.append(CheckIssue(
                "keyword", f"`{name}()` takes no keyword argument `{keyword.arg}` (by its "
                f"signature in this kernel). {advice}"))
    return issues


def call_issues(tree: ast.Module, namespace: NamespaceView, created: set[str]) -> list[CheckIssue]:
    """Problems in the reply's calls on the kernel's objects; `created` are the columns the
    reply itself creates (they exist by the time it uses them)."""
    issues: list[CheckIssue] = []
    stores = Stores(tree)
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr in _COLUMN_ARGUMENTS:
            issues += _method_column_issues(node, namespace, stores, created)
        elif node.func.attr == "merge":
            issues += _merge_issues(node, namespace, stores, created)
        elif node.func.attr == "rename":
            issues += _rename_issues(node, namespace, stores, created)
        chained = _chained_inplace_issue(node)
        if chained is not None:
            issues.append(chained)
    issues += _assigned_none_issues(tree, namespace, stores)
    issues += _member_issues(tree, namespace, stores, created)
    issues += _keyword_issues(tree, namespace, stores)
    return issues
