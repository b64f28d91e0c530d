"""Statements an answer copies from the notebook's own earlier cells (issue 19).

A small model often starts its answer by running the notebook's setup again, word for word:
`response_times = np.random.default_rng(7).normal(250, 40, 200)` above the histogram it was
asked for. The variable already holds that statement's result, and whatever later cells did
to it since, so running it again can only undo their work; the checks mark it (an issue
of kind "copies_data") and the repair drops it. A statement counts as the same when its
syntax tree is (spacing, quotes and comments do not matter); only top-level assignments to
a variable the kernel holds are considered, and top-level calls that write outside the
kernel (`Path(p).write_text(...)`, `df.to_csv(p)`): the file is there already, and the
rehearsal's guard refuses the write, so an answer that repeats it is never run through.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable

from .check_types import NamespaceView


def ran_statements(sources: Iterable[str]) -> frozenset[str]:
    """The top-level assignments of the notebook's cells, as comparable keys."""
    keys: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):  # a cell with magics or a syntax error: skipped
            continue
        keys.update(statement_key(node) for node in tree.body
                    if isinstance(node, ast.Assign) or writes_out(node))
    return frozenset(keys)


_WRITERS = frozenset({"write_text", "write_bytes", "to_csv", "to_parquet", "to_excel",
                      "to_json", "to_feather", "to_pickle", "savefig", "savez", "save",
                      "savetxt", "dump", "mkdir", "touch", "makedirs"})


def writes_out(node: ast.stmt) -> str | None:
    """The writing call's name where `node` is a top-level call that writes a file
    (`Path(p).write_text(...)`); None otherwise."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return None
    func = node.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name if name in _WRITERS else None


def rerun_write(node: ast.stmt, ran: Collection[str]) -> str | None:
    """The writing call's name where `node` is one of the notebook's own earlier writes run
    again; None otherwise."""
    name = writes_out(node)
    return name if name and statement_key(node) in ran else None


def statement_key(node: ast.stmt) -> str:
    """What two statements share when they are the same code, however spaced."""
    return ast.dump(node, annotate_fields=False)


def rerun_names(node: ast.stmt, ran: Collection[str], namespace: NamespaceView) -> list[str]:
    """The live variables `node` assigns when it is one of the notebook's own earlier
    statements run again; [] otherwise."""
    if not ran or not isinstance(node, ast.Assign) or statement_key(node) not in ran:
        return []
    names = [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names if names and all(namespace.has(name) for name in names) else []
