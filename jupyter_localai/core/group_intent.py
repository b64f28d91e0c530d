"""A request for something per group of rows, answered over the whole frame:
`revenue["revenue"].pct_change()` where each store's change from its previous month was
asked for.

Order-dependent column operations (`shift`, `diff`, `pct_change`, the cumulative ones,
`rank`) run down the whole column unless grouped: the first row of each store then takes
the previous store's last value, and the code runs without error, so no rehearsal shows
it. When the request says per group in so many words ("each store's", "per user",
"within each team") and the word is a column of the live frame the code works on, and the
code groups nothing, the checks name it (kind `group`) and the repair groups the call by
that column, `revenue.groupby("store")["revenue"].pct_change()`, which keeps the frame's
index, so an assignment back to a column lines up. Window operations (`rolling`,
`expanding`, `ewm`) are named but not rewritten: grouped, they return another index.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from .check_types import NamespaceView
from .source_rewrites import replaced_nodes

_PER_WORD = re.compile(r"\b(?:each|every|per|within\s+each|for\s+each|within\s+every)\s+"
                       r"([A-Za-z_][\w-]*?)(?:'s|s'|’s)?\b", re.IGNORECASE)
_REWRITTEN = frozenset({"shift", "diff", "pct_change", "cumsum", "cumprod", "cummax",
                        "cummin", "rank"})
_WINDOWS = frozenset({"rolling", "expanding", "ewm"})
_GROUPING = frozenset({"groupby", "pivot", "pivot_table", "unstack", "crosstab", "resample"})


@dataclass(frozen=True)
class UngroupedCall:
    """A column operation over the whole frame where the request asked per `column`."""

    call: ast.Call
    written: str
    meant: str | None  # None: named only (a window operation)
    column: str


def asked_group_words(request_text: str) -> list[str]:
    """The words the request says "each ..." / "per ..." of, as written (lower case)."""
    return list(dict.fromkeys(m.group(1).lower() for m in _PER_WORD.finditer(request_text)))


def _group_column(words: list[str], columns: list[str]) -> str | None:
    """The one frame column a request word names: `store` for "each store's" or "stores",
    `user_id` for "per user"."""
    found = set()
    for word in words:
        stems = {word, word.removesuffix("s"), word.replace("-", "_")}
        for column in columns:
            name = column.lower()
            if name in stems or any(name in (f"{s}_id", f"{s}id") for s in stems):
                found.add(column)
    return found.pop() if len(found) == 1 else None


def ungrouped_calls(tree: ast.AST, code: str, namespace: NamespaceView,
                    request_text: str) -> list[UngroupedCall]:  # fmt: skip
    """`frame["col"].<order-dependent op>(...)` calls on a live frame that has the column the
    request asks per, in code that groups nothing."""
    words = asked_group_words(request_text)
    if not words:
        return []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _GROUPING:
            return []
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _REWRITTEN | _WINDOWS):
            continue
        column_of = node.func.value
        if not (isinstance(column_of, ast.Subscript) and isinstance(column_of.value, ast.Name)
                and isinstance(column_of.slice, ast.Constant)
                and type(column_of.slice.value) is str):
            continue
        frame = column_of.value.id
        columns = namespace.column_names(frame)
        if not columns or column_of.slice.value not in columns:
            continue
        group = _group_column(words, columns)
        if group is None or group == column_of.slice.value:
            continue
        written = ast.get_source_segment(code, node) or ast.unparse(node)
        meant = None
        if node.func.attr in _REWRITTEN:
            subscript = ast.get_source_segment(code, column_of.slice) or repr(
                column_of.slice.value)
            rest = written[len(ast.get_source_segment(code, column_of) or ""):]
            meant = f"{frame}.groupby({group!r})[{subscript}]{rest}"
        found.append(UngroupedCall(node, written, meant, group))
    return found


def group_messages(tree: ast.AST, code: str, namespace: NamespaceView,
                   request_text: str) -> list[str]:  # fmt: skip
    """What the checks say of each whole-frame operation a per-group request meets."""
    messages = []
    for found in ungrouped_calls(tree, code, namespace, request_text):
        advice = (f"group first: `{found.meant}`" if found.meant else
                  f"group by {found.column!r} first")
        messages.append(f"The request asks per {found.column!r}, but `{found.written}` runs "
                        f"down the whole column, across the groups: {advice}.")
    return list(dict.fromkeys(messages))


def with_groups(code: str, namespace: NamespaceView, request_text: str
                ) -> tuple[str, list[str]]:  # fmt: skip
    """The code with each such call grouped by its column, and notes."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code, []
    calls = [c for c in ungrouped_calls(tree, code, namespace, request_text) if c.meant]
    rewritten, made = replaced_nodes(code, [(c.call, c.meant or "") for c in calls])
    return rewritten, [f"`{calls[i].written}` → `{calls[i].meant}`" for i in made]
