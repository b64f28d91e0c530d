"""The checks of generate and fix, applied to every code block of a chat or explain answer.

A chat answer's code blocks come with "Insert below" and "Replace cell", so they are as
much a proposal to run as generate's code: a block naming a column the DataFrame lacks
fails the same way once inserted. Each Python block is checked against the namespace
(the live kernel's, or the context's summaries on the server), a failure is fed back for a
retry as generate's are, and what still fails is marked on its block (`BlockCheck`).

Blocks that are not Python (```bash, ```json, an untagged shell line) are not checked as
Python. A block that repeats the explained cell, or a cell that ran without error, is a
quote: it is checked and marked, but a retry is not asked for it (explaining a failing
cell quotes it). A chat answer handing back a failing cell is a proposal, and retried.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from .check_types import CheckIssue, NamespaceView
from .checks import check_code, same_program
from .reply import (
    PYTHON_TAGS,
    BlockCheck,
    drop_replayed_cells,
    fenced_blocks,
    looks_like_code,
    parses,
    strip_prompts,
)


class _WithEarlierBlocks:
    """The namespace plus the names an answer's earlier blocks define (block 2 may use
    block 1's `total`); what those names hold is unknown until the blocks run."""

    def __init__(self, inner: NamespaceView | None, defined: set[str]) -> None:
        self._inner = inner
        self._defined = defined

    def has(self, name: str) -> bool:
        return name in self._defined or (self._inner is not None and self._inner.has(name))

    def attribute_names(self, name: str) -> list[str] | None:
        return self._ask("attribute_names", name)

    def column_names(self, name: str) -> list[str] | None:
        return self._ask("column_names", name)

    def frame_labels(self, name: str) -> list[str] | None:
        return self._ask("frame_labels", name)

    def member_kinds(self, name: str, path: tuple[str, ...]) -> dict[str, str] | None:
        if name in self._defined or self._inner is None:
            return None
        return self._inner.member_kinds(name, path)

    def holds_literal(self, name: str, value: ast.expr) -> bool:
        if name in self._defined or self._inner is None:
            return False
        return self._inner.holds_literal(name, value)

    def _ask(self, question: str, name: str) -> list[str] | None:
        if name in self._defined or self._inner is None:
            return None
        answer: list[str] | None = getattr(self._inner, question)(name)
        return answer


def _defined_names(code: str) -> set[str]:
    """Names a block binds (assignments, imports, defs), for the blocks after it."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def _not_python(tag: str, code: str) -> str:
    """Why a block is not checked as Python, or "" when it is Python."""
    if tag not in PYTHON_TAGS:
        return f"not Python ({tag})"
    if tag == "" and not (parses(code) and looks_like_code(code)):
        return "not Python code"
    return ""


def check_blocks(
    text: str,
    namespace: NamespaceView | None,
    known_sources: Iterable[str] = (),
) -> tuple[list[BlockCheck], list[CheckIssue]]:
    """Each fenced block of `text` checked, and the issues that ask for a retry.

    `known_sources` are the cells an answer may quote: a block that is the same program as
    one of them is checked and marked, never retried for.
    """
    known = [source for source in known_sources if source.strip()]
    defined: set[str] = set()
    checks: list[BlockCheck] = []
    retry_issues: list[CheckIssue] = []
    for index, block in enumerate(fenced_blocks(text)):
        shown = block.body.strip("\n")  # as the panel shows it: how it finds the mark
        code = strip_prompts(shown)
        if not code.strip():
            continue
        reason = _not_python(block.tag, code)
        if reason:
            checks.append(BlockCheck(index, block.tag, shown, checked=False, note=reason))
            continue
        # Cells the block replays from the notebook (`# In[n]:` segments equal to a cell that
        # ran) are not checked again: re-creating the user's data would hide what the rest
        # does to the live objects (a missing column of the real `df`).
        own = drop_replayed_cells(code, known)
        issues = check_code(own, namespace=_WithEarlierBlocks(namespace, set(defined)))
        quoted = any(same_program(code, source) for source in known)
        checks.append(BlockCheck(index, block.tag, shown, checked=True,
                                 issues=[issue.message for issue in issues], quoted=quoted))
        if not quoted:
            retry_issues += [CheckIssue(issue.kind, f"Code block {len(checks)}: {issue.message}")
                             for issue in issues]
        defined |= _defined_names(code)
    return checks, retry_issues


def blocks_feedback(issues: list[CheckIssue]) -> str:
    """The retry's message: what failed, and that the answer should come again whole."""
    problems = "\n".join(f"- {issue.message}" for issue in issues)
    return (
        f"The code in that answer would fail in this notebook:\n{problems}\n"
        "Answer again. Use only the variables, columns and imports the notebook has, and put "
        "the corrected code in a ```python block."
    )


def failed_note(check: BlockCheck) -> str:
    """The mark shown beside a block that failed its checks (kernel display, plain text)."""
    return "⚠ Failed the checks: " + " ".join(check.issues)


def marked_text(text: str, checks: list[BlockCheck]) -> str:
    """`text` with each failed block's mark on the line after its closing fence, for a
    display that shows the answer as one Markdown text (the kernel's fallback bundle)."""
    failed = {check.index: check for check in checks if check.failed}
    if not failed:
        return text
    pieces: list[str] = []
    position = 0
    for index, block in enumerate(fenced_blocks(text)):
        if index in failed:
            pieces += [text[position:block.end], f"\n\n> {failed_note(failed[index])}\n\n"]
            position = block.end
    pieces.append(text[position:])
    return "".join(pieces)
