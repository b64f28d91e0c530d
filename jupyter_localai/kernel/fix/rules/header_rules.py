"""Rules for text read line by line whose first line is a header, converted like the rest.

`for line in f: ... float(value)` over a CSV read by hand raises "could not convert string
to float: 'value'" on the first line: the column's name, not a bad number. When the text
that failed is a field of the source's first line and of no later line, the loop skips the
first line: `next(f)` before a loop over a file (or a `csv.reader` / `enumerate` over it),
`[1:]` after a list of lines or a `splitlines()` / `readlines()` call.

The first lines are read from what the loop iterates, never by running the cell's code: a
live list or str, or the file a live (closed or open) file object names, opened again to
read at most `_LINES_READ` lines.
"""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Iterable

from ..failure import Failure
from ..hint import Hint, code
from . import rule
from .value_rules import NOT_A_NUMBER

_WORD = re.compile(r"[A-Za-z_][\w .()/%-]*")
_FIELDS = re.compile(r"[,;\t|]|\s+")
_LINES_READ = 20
_MAX_LINE_CHARS = 10_000
_SPLITTERS = frozenset({"splitlines", "readlines"})


@rule(ValueError)
def header_line_rule(f: Failure) -> list[str]:
    """A header line converted as a number inside a loop over lines: the loop skips it."""
    match = NOT_A_NUMBER.search(f.message)
    if match is None or f.tree is None or not f.line_nodes:
        return []
    text = ast.literal_eval(match.group(2)).strip()
    if not _WORD.fullmatch(text):
        return []
    for loop in _loops_around(f):
        found = _first_lines(f, loop.iter)
        if found is None:
            continue
        source, lines, skip = found
        if not _only_in_header(text, lines):
            return []
        hint = (f"{text!r} is a field of the first line of `{code(f, source)}`, its header, "
                "not a value: the loop converts the header line too. Skip the first line "
                f"before converting ({skip}).")
        return [Hint(hint, edit=_skip_edit(f, loop, source))]
    return []


def _loops_around(f: Failure) -> list[ast.For]:
    """The `for` loops whose body holds the failing line, innermost first."""
    failing = f.line_nodes[0]
    loops = [node for node in ast.walk(f.tree) if isinstance(node, ast.For)
             and any(failing is child for stmt in node.body for child in ast.walk(stmt))]
    return sorted(loops, key=lambda loop: loop.lineno, reverse=True)


def _first_lines(f: Failure, iterable: ast.expr) -> tuple[ast.expr, list[str], str] | None:
    """(the node naming the lines, their first lines, how to skip) for a loop over lines."""
    if (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "enumerate" and iterable.args):
        iterable = iterable.args[0]
    if isinstance(iterable, ast.Call) and iterable.args and _is_reader(iterable.func):
        iterable = iterable.args[0]  # csv.reader(f): f's lines
    if isinstance(iterable, ast.Name):
        value = f.lookup(iterable.id)
        if type(value) is io.TextIOWrapper:
            lines = _file_lines(value)
            return (iterable, lines, f"`next({iterable.id})` before the loop") if lines else None
        if type(value) is list and value and all(type(line) is str for line in value[:_LINES_READ]):
            return iterable, value[:_LINES_READ], f"`for ... in {iterable.id}[1:]`"
        return None
    if (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute)
            and iterable.func.attr in _SPLITTERS and isinstance(iterable.func.value, ast.Name)):
        owner = f.lookup(iterable.func.value.id)
        if type(owner) is str and iterable.func.attr == "splitlines":
            lines = owner[: _MAX_LINE_CHARS * _LINES_READ].splitlines()[:_LINES_READ]
        elif type(owner) is io.TextIOWrapper and iterable.func.attr == "readlines":
            lines = _file_lines(owner)
        else:
            return None
        return (iterable, lines, f"`{code(f, iterable)}[1:]`") if lines else None
    return None


def _is_reader(func: ast.expr) -> bool:
    """`csv.reader`, by name (a DictReader reads the header as its keys itself)."""
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "reader"


def _file_lines(handle: io.TextIOWrapper) -> list[str]:
    """The first lines of the file `handle` was opened on (read again, read only)."""
    path = handle.name
    if type(path) is not str:
        return []
    try:
        with open(path, encoding=handle.encoding, errors="replace") as again:
            return [again.readline(_MAX_LINE_CHARS) for _ in range(_LINES_READ)]
    except OSError:
        return []


def _only_in_header(text: str, lines: Iterable[str]) -> bool:
    """Whether `text` is a field of the first line and of none of the next ones."""
    fields = [{field.strip().strip("'\"") for field in _FIELDS.split(line.strip())}
              for line in lines if line.strip()]
    return bool(fields) and text in fields[0] and not any(text in rest for rest in fields[1:])


def _skip_edit(f: Failure, loop: ast.For, source: ast.expr) -> tuple[str, str] | None:
    """The loop's first line, with `next(f)` on a line before it (a file) or `[1:]` after
    the lines it iterates; None where that line is not unique in the cell."""
    lines = f.source.splitlines()
    header = lines[loop.lineno - 1]
    if f.source.count(header) != 1 or source.end_lineno != loop.lineno:
        return None
    if isinstance(source, ast.Name) and type(f.lookup(source.id)) is io.TextIOWrapper:
        indent = header[: len(header) - len(header.lstrip())]
        return header, f"{indent}next({source.id})  # the header line\n{header}"
    raw = header.encode("utf-8")  # ast's column offsets count bytes
    cut = raw[: source.end_col_offset].decode("utf-8"), raw[source.end_col_offset :].decode("utf-8")
    return header, f"{cut[0]}[1:]{cut[1]}"
