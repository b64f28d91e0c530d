"""Rules for combining frames and arrays: a `merge` key one frame lacks, the shared columns
of a merge read under suffixes it did not give, and arrays passed one by one to `np.concatenate`/`np.stack`/`pd.concat`, which take one sequence.

Each hint rewrites the call from the cell's own AST (`left_on=`/`right_on=`, the arrays in
one list), so the model sees the corrected call with its own variable names; the rewrite is
also the hint's edit where it is the only one (one candidate key column).
"""

from __future__ import annotations

import ast
import difflib
import re
import sys
from typing import Any

from ..failure import Failure, constant, has_label, line_calls, pandas_kind, show, str_columns
from ..hint import Hint, code, replace, unique_replace
from . import rule

_MAX_CODE = 120  # a rewritten call longer than this is not shown

# A merge key one frame lacks ----------------------------------------------------------------


def _library_function(f: Failure, func: ast.expr, module: str, names: set[str]) -> str | None:
    """The name in `names` that `func` calls as `module.name` (any alias) or imported from it."""
    loaded = sys.modules.get(module)
    if loaded is None:
        return None
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        found = func.attr if f.lookup(func.value.id) is loaded else None
        return found if found in names else None
    if isinstance(func, ast.Name) and func.id in names:
        target = getattr(loaded, func.id, None)
        return func.id if target is not None and f.lookup(func.id) is target else None
    return None


def _merged(f: Failure, call: ast.Call) -> tuple[ast.expr, ast.expr] | None:
    """The left and right frames of `X.merge(Y, ...)` or `pd.merge(X, Y, ...)`, as written."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if _library_function(f, call.func, "pandas", {"merge"}):
        left = call.args[0] if call.args else keywords.get("left")
        right = call.args[1] if len(call.args) > 1 else keywords.get("right")
    elif isinstance(call.func, ast.Attribute) and call.func.attr == "merge":
        left, right = call.func.value, call.args[0] if call.args else keywords.get("right")
    else:
        return None
    return (left, right) if left is not None and right is not None else None


def _expected_on(call: ast.Call, key: str) -> list[int]:
    """Which sides (0 left, 1 right) the call says hold `key`: `on` both, `left_on` the left."""
    sides = {"on": [0, 1], "left_on": [0], "right_on": [1]}
    for keyword in call.keywords:
        if keyword.arg not in sides:
            continue
        try:
            named = ast.literal_eval(keyword.value)
        except (SyntaxError, ValueError):  # a variable: its value is not looked at
            continue
        if named == key or (type(named) in (list, tuple) and key in named):
            return sides[keyword.arg]
    return [0, 1]


def _key_like(key: str, columns: list[str]) -> list[str]:
    """Columns that may be the same key under another name: the closest two, else the one id."""
    close = difflib.get_close_matches(key, columns, n=2, cutoff=0.6)
    if close:
        return close
    ids = [c for c in columns if c.lower() in ("id", "key") or re.search(r"(_id|Id|ID)$", c)]
    return ids if len(ids) == 1 else []


_SAMPLE_KEYS = 2000


def _shared_values(keys: Any, frame: Any) -> list[str]:
    """The one column of `frame` whose values hold most of `keys`' values (at least half),
    the live data's answer to which column is the same key under another name; [] when
    none or a tie. Values, not spelling: `agent_id` pairs with `id`, not `agent`."""
    wanted = set(_plain(keys.iloc[:_SAMPLE_KEYS].dropna().tolist()))
    if not wanted:
        return []
    shares: dict[str, float] = {}
    for column in str_columns(frame):
        values = frame[column]
        if not isinstance(values, type(keys)):  # a duplicated name selects a frame
            continue
        found = set(_plain(values.iloc[:_SAMPLE_KEYS].dropna().tolist()))
        shares[column] = len(wanted & found) / len(wanted)
    best = max(shares.values(), default=0.0)
    top = [column for column, share in shares.items() if share == best]
    return top if best >= 0.5 and len(top) == 1 else []


def _plain(values: list[Any]) -> list[Any]:
    """Only values whose equality and hash run no user code."""
    return [v for v in values if type(v) in (str, int, float, bool)]


@rule(KeyError)
def merge_key_rule(f: Failure) -> list[str]:
    if len(f.exc.args) != 1 or type(f.exc.args[0]) is not str:
        return []
    key = f.exc.args[0]
    for call in line_calls(f):
        sides = _merged(f, call)
        if sides is None:
            continue
        frames = [f.resolve(side) for side in sides]
        if not all(pandas_kind(frame) == "DataFrame" for frame in frames):
            continue
        lacking = [
            i for i in _expected_on(call, key)
            if not has_label(frames[i].columns, key)
            and key not in [n for n in frames[i].index.names if type(n) is str]
        ]  # fmt: skip
        if not lacking:
            continue
        hints = []
        for side in lacking:
            listed = ", ".join(show(c) for c in frames[side].columns[:8].tolist())
            hints.append(
                f"`{ast.unparse(sides[side])}` has no column {key!r} (its columns: {listed})"
            )
        if len(lacking) > 1:
            return [hint + "." for hint in hints]
        side, hint = lacking[0], hints[0]
        on = next((k for k in call.keywords if k.arg == "on"), None)
        candidates = (_shared_values(frames[1 - side][key], frames[side])
                      if has_label(frames[1 - side].columns, key) else [])
        candidates = candidates or _key_like(key, str_columns(frames[side]))
        match = candidates[0] if candidates else None
        if on is None or constant(on.value) != key or match is None:
            return [hint + "."]
        left, right = (key, match) if side == 1 else (match, key)
        pair = [ast.keyword(arg="left_on", value=ast.Constant(left)),
                ast.keyword(arg="right_on", value=ast.Constant(right))]  # fmt: skip
        keywords = [k for k in call.keywords if k is not on]
        fixed = ast.unparse(ast.Call(func=call.func, args=call.args, keywords=[*pair, *keywords]))
        use = fixed if len(fixed) <= _MAX_CODE else f"left_on={left!r}, right_on={right!r}"
        text = f"{hint}; if {match!r} holds the same key, name each side: `{use}`."
        return [Hint(text, edit=replace(f, call, fixed) if len(candidates) == 1 else None)]
    return []


# Names of a merge's shared columns read with suffixes the merge did not give ------------------

_DEFAULT_SUFFIXES = ("_x", "_y")


def _merges_bound(f: Failure) -> list[tuple[str, ast.Call]]:
    """(name, call) of each `name = <merge>` in the cell that leaves `suffixes` to pandas."""
    if f.tree is None:
        return []
    return [(node.targets[0].id, node.value) for node in ast.walk(f.tree)
            if isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call)
            and _merged(f, node.value) is not None
            and not any(k.arg == "suffixes" for k in node.value.keywords)]


def _read_labels(f: Failure, name: str) -> set[str]:
    """The str labels the cell reads from `name` as `name['label']`."""
    return {node.slice.value for node in ast.walk(f.tree or ast.Module(body=[], type_ignores=[]))
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
            and node.value.id == name and isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is str}


def _side_of(suffix: str, left: str, right: str) -> int | None:
    """0 or 1 when the suffix's word names only the left or only the right frame."""
    word = suffix.strip("_ ").lower()
    in_left, in_right = bool(word) and word in left.lower(), bool(word) and word in right.lower()
    return 0 if in_left and not in_right else 1 if in_right and not in_left else None


@rule(KeyError)
def merge_suffix_rule(f: Failure) -> list[str]:
    """`m = a.merge(b, on=k)`, then `m['units_a']`: a column both frames hold comes out as
    `units_x` and `units_y` unless `suffixes=` names them. The edit passes the suffixes the
    cell reads, when each one's word names exactly one of the frames (`_2024` and
    `sales_2024`), so which side gets which follows from the cell itself."""
    if len(f.exc.args) != 1 or type(f.exc.args[0]) is not str:
        return []
    missing = f.exc.args[0]
    for name, call in _merges_bound(f):
        merged = f.lookup(name)
        if pandas_kind(merged) != "DataFrame":
            continue
        columns = str_columns(merged)
        shared = [c[:-2] for c in columns if c.endswith("_x") and f"{c[:-2]}_y" in columns]
        column = next((c for c in shared if missing.startswith(c) and missing != c), None)
        if column is None:
            continue
        read = sorted({label[len(column):] for label in _read_labels(f, name)
                       if label.startswith(column) and label not in columns})
        left, right = (code(f, side) for side in _merged(f, call) or ())
        text = (f"`{left}` and `{right}` both have a column {column!r}, so the merge named them "
                f"{column + _DEFAULT_SUFFIXES[0]!r} and {column + _DEFAULT_SUFFIXES[1]!r}; "
                f"pass the names you read, `suffixes=(...)`")
        sides = [_side_of(suffix, left, right) for suffix in read]
        if len(read) != 2 or sorted(sides, key=str) != [0, 1]:
            return [text + "."]
        ordered = tuple(read) if sides == [0, 1] else (read[1], read[0])
        old = code(f, call)
        fixed = f"{old[:-1].rstrip().rstrip(',')}, suffixes={ordered!r})"
        edit = (old, fixed) if old.endswith(")") and f.source.count(old) == 1 else None
        return [Hint(f"{text}: `suffixes={ordered!r}`.", edit=edit)]
    return []


# A merge key held as numbers on one side and as text on the other ----------------------------

_KEY_TYPES = re.compile(r"^You are trying to merge on (\w+) and (\w+) columns for key '([^']+)'")
_INTEGER_TEXT = re.compile(r"[+-]?\d+")


@rule(ValueError)
def merge_dtype_rule(f: Failure) -> list[str]:
    """`orders.merge(customers, on='id')` with `id` 11 on one side and '11' on the other:
    where every text key reads as a whole number and the other side holds integers, the
    text side is converted (its values read the same; the numbers stay numbers)."""
    match = _KEY_TYPES.match(f.message)
    if match is None:
        return []
    key = match.group(3)
    for call in line_calls(f):
        sides = _merged(f, call)
        frames = [f.resolve(side) for side in sides] if sides is not None else []
        if sides is None or not all(pandas_kind(frame) == "DataFrame" for frame in frames):
            continue
        if not all(has_label(frame.columns, key) for frame in frames):
            continue
        kinds = [frame[key].dtype.kind for frame in frames]
        if kinds.count("i") != 1 or kinds[1 - kinds.index("i")] not in "OTU":
            continue
        text_side = 1 - kinds.index("i")
        keys = frames[text_side][key]
        values = [] if keys.isna().any() else keys.iloc[:_SAMPLE_KEYS].tolist()
        named = ast.unparse(sides[text_side])
        text = (f"The key {key!r} holds numbers in `{ast.unparse(sides[1 - text_side])}` and text "
                f"in `{named}`: merge with `{named}.astype({{{key!r}: 'int64'}})`, nothing "
                f"else changed (not `pd.concat`, which stacks rows instead of matching keys).")
        readable = bool(values) and all(type(v) is str and _INTEGER_TEXT.fullmatch(v)
                                        for v in values)
        converted = f"{code(f, sides[text_side])}.astype({{{key!r}: 'int64'}})"
        return [Hint(text, edit=unique_replace(f, sides[text_side], converted, call)
                     if readable else None)]
    return []


# Arrays given separately to a function that takes one sequence ------------------------------

_SEQUENCE_FUNCTIONS = {
    "numpy": {"concatenate", "stack", "vstack", "hstack", "column_stack", "dstack", "row_stack"},
    "pandas": {"concat"},
}
_AXIS_SECOND = {"concatenate", "stack"}  # their second positional argument is the axis


@rule(TypeError, ValueError)
def sequence_rule(f: Failure) -> list[str]:
    for call in line_calls(f):
        found = _sequence_function(f, call.func)
        if found is None or len(call.args) < 2:
            continue
        module, name = found
        arrays = []
        for arg in call.args:
            if _is_axis(f, arg):
                break
            arrays.append(arg)
        rest, keywords = call.args[len(arrays) :], list(call.keywords)
        if len(arrays) < 2 or len(rest) > 1 or (rest and name not in _AXIS_SECOND):
            continue
        if rest:
            keywords.insert(0, ast.keyword(arg="axis", value=rest[0]))
        fixed = ast.unparse(
            ast.Call(func=call.func, args=[ast.List(elts=arrays)], keywords=keywords)
        )
        use = f"`{fixed}`" if len(fixed) <= _MAX_CODE else "one list, `[a, b, ...]`"
        what = "frames" if module == "pandas" else "arrays"
        text = (
            f"`{ast.unparse(call.func)}` takes one sequence of {what}, not each as its own "
            f"argument: {use}."
        )
        return [Hint(text, edit=replace(f, call, fixed))]
    return []


def _sequence_function(f: Failure, func: ast.expr) -> tuple[str, str] | None:
    """(module, name) where `func` is one of _SEQUENCE_FUNCTIONS."""
    for module, names in _SEQUENCE_FUNCTIONS.items():
        name = _library_function(f, func, module, names)
        if name:
            return module, name
    return None


def _is_axis(f: Failure, node: ast.expr) -> bool:
    """An int (or a literal None) where an array was expected: the axis argument."""
    if isinstance(node, ast.Constant):
        return node.value is None or type(node.value) is int
    return type(f.resolve(node)) is int
