"""A table asked with one column per category, answered long or averaged:
`sales.groupby(["month", "store"])["loaves"].sum()` where the request says "one column per
store", and `pivot_table(...)` without `aggfunc` where it says "total".

A groupby over two keys gives one row per pair, and `pivot_table` averages unless told
otherwise; both run, so no rehearsal shows either. When the request asks for one column
per something ("one column per store", "a column for each store", "stores as columns")
and the code never reshapes (`pivot`, `pivot_table`, `unstack`, `crosstab`, `get_dummies`,
or a loop writing one column each), the checks say so (kind `wide_table`: where the code groups by that something, or a frame it reads
has it as a column; "prices has one column per ticker" describes a table instead); where the groupby takes one column and that something is one
of its keys, the repair unstacks it. When the request asks for totals ("total", "sum")
and a `pivot_table` has no `aggfunc`, the repair passes `aggfunc="sum"`; when it asks for 0
where a pair has no rows ("use 0 where a store sold nothing") and a `pivot_table` or
`unstack` leaves those cells missing (no `fill_value`, no `fillna` anywhere), the repair
passes `fill_value=0`.
"""

from __future__ import annotations

import ast
import re

from .check_types import NamespaceView
from .field_word import word_names_field
from .source_rewrites import call_with_keyword, replaced_nodes

_COLUMN_PER = re.compile(r"\b(?:one|a|an|1)\s+columns?\s+(?:per|for\s+each|for\s+every|each)\s+"
                         r"(\w+)|\b(\w+)\s+as\s+(?:the\s+)?columns\b", re.IGNORECASE)
_ASKS_TOTAL = re.compile(r"\btotals?\b|\bsum(?:s|med)?\b|\badd(?:ed|s)?\s+up\b", re.IGNORECASE)
_ASKS_MEAN = re.compile(r"\b(?:mean|average|avg)\b", re.IGNORECASE)
ZERO_WHERE_NONE = re.compile(r"\b(?:0|zero)\s+(?:where|when|if|for)\b|\b(?:fill|filled)\s+"
                             r"(?:\w+\s+){0,3}?with\s+(?:0|zeros?)\b", re.IGNORECASE)
_RESHAPES = frozenset({"pivot", "pivot_table", "unstack", "crosstab"})
_AGGREGATIONS = frozenset({"sum", "mean", "count", "size", "max", "min", "median", "nunique"})


def column_word(request_text: str) -> str | None:
    """What the request wants one column per (`store` of "one column per store")."""
    match = _COLUMN_PER.search(request_text)
    return (match.group(1) or match.group(2)).lower() if match else None


def _spreads(tree: ast.AST) -> bool:
    """Whether the code spreads values into columns some other way (`get_dummies`, or one
    `df[...] = ` per category in a loop)."""
    return any((isinstance(n, ast.Attribute) and n.attr == "get_dummies")
               or (isinstance(n, ast.For) and any(
                   isinstance(a, ast.Assign) and isinstance(a.targets[0], ast.Subscript)
                   for a in ast.walk(n))) for n in ast.walk(tree))


def _reshapes(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr in _RESHAPES for n in ast.walk(tree))


def _two_key_groupbys(tree: ast.AST) -> list[tuple[ast.Call, list[str]]]:
    """(groupby call, its keys) of each `x.groupby([k1, k2, ...])` with text keys."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "groupby" and node.args
                and isinstance(node.args[0], ast.List | ast.Tuple)):
            keys = [e.value for e in node.args[0].elts
                    if isinstance(e, ast.Constant) and type(e.value) is str]
            if len(keys) >= 2 and len(keys) == len(node.args[0].elts):
                found.append((node, keys))
    return found


def _unstackable(value: ast.expr, word: str) -> tuple[ast.expr, str] | None:
    """(aggregation, key) of `x.groupby([...])["col"].sum()` (maybe `.reset_index()` after)
    where `word` names one of its keys: the aggregation to unstack, and by which key."""
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr == "reset_index" and not value.args and not value.keywords):
        value = value.func.value
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr in _AGGREGATIONS):
        return None
    selected = value.func.value
    if not (isinstance(selected, ast.Subscript) and isinstance(selected.slice, ast.Constant)
            and type(selected.slice.value) is str):
        return None
    groups = _two_key_groupbys(selected.value)
    if not groups or groups[0][0] is not selected.value:
        return None
    key = next((k for k in groups[0][1] if word_names_field(word, k)), None)
    return (value, key) if key is not None else None


def _aggless_pivots(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == "pivot_table"
            and not any(k.arg == "aggfunc" for k in n.keywords) and len(n.args) <= 4]


def _unfilled_spreads(tree: ast.AST, request_text: str) -> list[ast.Call]:
    """The `pivot_table`/`unstack` calls that leave missing cells where the request wants 0:
    without `fill_value`, in code that calls no `fillna`."""
    if not ZERO_WHERE_NONE.search(request_text) or any(
            isinstance(n, ast.Attribute) and n.attr in ("fillna", "replace") for n in ast.walk(tree)):
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr in ("pivot_table", "unstack")
            and not any(k.arg in ("fill_value", None) for k in n.keywords)
            and len(n.args) <= (4 if n.func.attr == "pivot_table" else 1)]


def _added_keywords(tree: ast.AST, request_text: str) -> dict[ast.Call, list[str]]:
    """The keywords each reshaping call needs for what the request asks: `aggfunc='sum'`
    for totals, `fill_value=0` for 0 where nothing was counted."""
    added: dict[ast.Call, list[str]] = {}
    if _ASKS_TOTAL.search(request_text) and not _ASKS_MEAN.search(request_text):
        for call in _aggless_pivots(tree):
            added.setdefault(call, []).append("aggfunc='sum'")
    for call in _unfilled_spreads(tree, request_text):
        added.setdefault(call, []).append("fill_value=0")
    return added


def _live_column(tree: ast.AST, namespace: NamespaceView | None, word: str) -> bool:
    """Whether a frame the code reads has a column named by `word` (the request is then
    about spreading that column, not describing a table it already has)."""
    if namespace is None:
        return False
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for name in sorted(names):
        columns = namespace.column_names(name) if namespace.has(name) else None
        if columns and any(type(c) is str and word_names_field(word, c) for c in columns):
            return True
    return False


def wide_table_messages(tree: ast.AST, code: str, request_text: str,
                        namespace: NamespaceView | None = None) -> list[str]:
    """What the checks say of a long table where one column per category was asked, and
    of a pivot that averages where totals were asked."""
    messages = []
    word = column_word(request_text)
    if word and not _reshapes(tree):
        groupbys = [g for g in _two_key_groupbys(tree) if any(word_names_field(word, k) for k in g[1])]
        if groupbys:
            key = next(k for k in groupbys[0][1] if word_names_field(word, k))
            messages.append(f"The request asks for one column per {word}, and a groupby over "
                            f"two keys gives one row per pair: turn `{key}` into columns with "
                            f"`.unstack({key!r})` after the aggregation, or use `pivot_table("
                            f"index=..., columns={key!r}, values=..., aggfunc='sum')`.")
        elif _live_column(tree, namespace, word) and not _spreads(tree):
            messages.append(f"The request asks for one column per {word}, and the code makes "
                            f"no columns from it: use `pivot_table(index=..., columns=<the "
                            f"{word} column>, values=..., aggfunc='sum')`, or group by both "
                            f"keys and `.unstack()` the {word} one.")
    for call, keywords in _added_keywords(tree, request_text).items():
        written = ast.get_source_segment(code, call) or ast.unparse(call)
        if "aggfunc='sum'" in keywords:
            messages.append(f"`{written}` averages each cell (`pivot_table`'s default "
                            "`aggfunc` is 'mean'), and the request asks for totals: pass "
                            "`aggfunc='sum'`.")
        if "fill_value=0" in keywords:
            messages.append(f"`{written}` leaves NaN where a pair has no rows, and the request "
                            "asks for 0 there: pass `fill_value=0`.")
    return list(dict.fromkeys(messages))


def with_wide_tables(code: str, request_text: str) -> tuple[str, list[str]]:
    """The code with a two-key aggregation unstacked by the key the request wants as
    columns, each `pivot_table` summing where totals were asked and filling 0 where 0 was
    asked for empty pairs; and notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    replacements: list[tuple[ast.AST, str]] = []
    word = column_word(request_text)
    if word and not _reshapes(tree):
        for statement in tree.body:
            if not isinstance(statement, ast.Assign):
                continue
            found = _unstackable(statement.value, word)
            if found is not None:
                aggregation, key = found
                written = ast.get_source_segment(code, aggregation) or ast.unparse(aggregation)
                replacements.append((statement.value, f"{written}.unstack({key!r})"))
    for call, keywords in _added_keywords(tree, request_text).items():
        written = ast.get_source_segment(code, call) or ast.unparse(call)
        added = call_with_keyword(written, ", ".join(keywords))
        if added is not None:
            replacements.append((call, added))
    olds = [ast.get_source_segment(code, node) or ast.unparse(node) for node, _ in replacements]
    rewritten, made = replaced_nodes(code, replacements)
    return rewritten, [f"`{olds[i]}` → `{replacements[i][1]}`" for i in made]
