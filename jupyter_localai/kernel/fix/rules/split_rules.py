"""Rules for texts split into parts: a column split into several columns at once,
and a part taken from texts that lack the separator.

A text column split into several columns at once:
`df[["first", "last"]] = df["name"].str.split(" ")`.

Without `expand=True`, `.str.split` gives one list per row (one column), and pandas cannot
spread it over two keys. With it, each part is a column. Where the live texts split into
more parts than there are keys, `n=` keeps the rest in the last column (`n=1` for two keys),
so the shapes match; the parts are counted on the live column, read-only.
"""

from __future__ import annotations

import ast
import re

from ..failure import Failure, constant, pandas_kind, string_dtype
from ..hint import Hint, code, enclosing_entry, unique_replace, with_keyword
from . import rule

# pandas says either, depending on how many rows and lists there are.
_NOT_SAME_LENGTH = re.compile(r"^(Columns must be same length as key|Length of values \(\d+\) "
                              r"does not match length of index \(\d+\))$")
_SPLITS = ("split", "rsplit")
_MAX_ROWS = 100_000


@rule(ValueError)
def split_columns_rule(f: Failure) -> list[str]:
    """`df[[a, b]] = s.str.split(sep)`: the split is asked to expand into columns."""
    if not _NOT_SAME_LENGTH.match(f.message):
        return []
    for node in f.line_nodes:
        found = _split_into_keys(f, node)
        if found is None:
            continue
        call, keys, texts = found
        keywords = {k.arg for k in call.keywords}
        if "expand" in keywords:
            continue
        added = "expand=True"
        parts = _most_parts(texts, call)
        if parts is not None and parts > keys and "n" not in keywords and len(call.args) <= 1:
            added += f", n={keys - 1}"
        new_call = with_keyword(f, call, added, node)
        hint = (f"`.str.{call.func.attr}` gives one list per row, a single column, and the "  # type: ignore[attr-defined]
                f"target has {keys} columns: `{added}` spreads the parts over columns"
                + (f" (the texts have up to {parts} parts; `n={keys - 1}` keeps the rest in "
                   f"the last)" if ", n=" in added else "") + ".")
        return [Hint(hint, edit=new_call)]
    return []


def _split_into_keys(f: Failure, node: ast.AST) -> tuple[ast.Call, int, object] | None:
    """(split call, number of keys, the live texts) of `df[[k1, k2]] = s.str.split(...)`."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
        return None
    target, value = node.targets[0], node.value
    if not (isinstance(target, ast.Subscript) and isinstance(target.slice, ast.List | ast.Tuple)
            and len(target.slice.elts) >= 2):
        return None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and value.func.attr in _SPLITS and isinstance(value.func.value, ast.Attribute)
            and value.func.value.attr == "str"):
        return None
    texts = f.resolve(value.func.value.value)
    if pandas_kind(texts) != "Series" or not string_dtype(texts):
        return None
    return value, len(target.slice.elts), texts


def _most_parts(texts: object, call: ast.Call) -> int | None:
    """The most parts a text of the column splits into, with the call's own separator."""
    separator = constant(call.args[0]) if call.args else None
    separator = next((constant(k.value) for k in call.keywords if k.arg in ("pat", "sep")),
                     separator)
    if separator is not None and type(separator) is not str:
        return None
    values = texts.tolist()[:_MAX_ROWS]  # type: ignore[attr-defined]
    counts = [len(v.split(separator)) for v in values if type(v) is str]
    return max(counts) if counts else None


# A part of each text taken where some text lacks the separator -------------------------------

_PAST_THE_PARTS = "list index out of range"


@rule(IndexError)
def missing_separator_rule(f: Failure) -> list[str]:
    """`[c.split("@")[1] for c in contacts]` where a text has no "@": the split gives one
    part, so `[1]` is past it. In a set or a generator read whole (no order to keep), those
    texts are skipped (`if "@" in c`); in a list, the entry is None for them, keeping one
    entry per text."""
    if f.message != _PAST_THE_PARTS or f.tree is None:
        return []
    for node in f.line_nodes:
        found = _split_part(f, node)
        if found is None:
            continue
        text, separator = found
        entry, comprehension = enclosing_entry(f.tree, node)
        sep = repr(separator)
        advice = (f"Some text has no {sep}, so `{code(f, node)}` is past its one part: test "
                  f"`{sep} in {code(f, text)}` first.")
        if entry is None or comprehension is None:
            return [advice]
        loop = comprehension.generators[-1]
        test = f"{sep} in {code(f, text)}"
        if isinstance(comprehension, ast.ListComp | ast.DictComp):
            new = f"{code(f, entry)} if {test} else None"
            edit = unique_replace(f, entry, new, comprehension)
            advice += f" One entry per text, None where it has no {sep}: `{new}`."
        else:
            new = f"{code(f, loop.iter)} if {test}"
            edit = unique_replace(f, loop.iter, new, comprehension)
            advice += f" The texts without it are skipped: `... for ... in {new}`."
        return [Hint(advice, edit=edit)]
    return []


def _split_part(f: Failure, node: ast.AST) -> tuple[ast.expr, str] | None:
    """(text, separator) of `text.split(sep)[k]` with k >= 1 and a literal separator."""
    if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call)):
        return None
    call, position = node.value, constant(node.slice)
    if not (type(position) is int and position >= 1 and isinstance(call.func, ast.Attribute)
            and call.func.attr in _SPLITS and len(call.args) >= 1):
        return None
    separator = constant(call.args[0])
    return (call.func.value, separator) if type(separator) is str and separator else None
