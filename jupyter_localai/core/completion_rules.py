"""Where an inline suggestion ends: stop rules that fit notebook cells.

A fill-in-the-middle model often stops by itself, but a small one also runs on: it repeats
the text after the cursor, or writes the next cell. These rules, applied to the stream as it
arrives, end the suggestion (and the generation with it) at the end of the statement or
block the user is in:

- the cursor line has text before the cursor: the suggestion finishes that statement and
  ends at its newline, once its brackets, strings and line continuations are closed
  (`tokenize`); a block header (`for ...:`) keeps its indented body, up to the dedent;
- the cursor line is empty: a small block is allowed (`max_lines`), ending at a blank line
  or where the code dedents out of the block the cursor is in;
- the text after the cursor is never repeated: on the cursor line the suggestion is cut
  where the rest of the line would follow and close the brackets the line opened, and a
  suggested line equal to the next line after the cursor ends it;
- text after the cursor on the same line keeps the suggestion on that line;
- lines and characters are capped (tokens are capped by the engine).

Pure functions over text; `SuggestionFilter` holds back what a later piece could still cut,
so what it has released is final.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

from . import defaults

MAX_CHARS = 2000


@dataclass(frozen=True)
class CompletionLimits:
    """Caps on one suggestion (its tokens are capped by the engine's `max_tokens`)."""

    max_lines: int = defaults.COMPLETION_MAX_LINES
    max_chars: int = MAX_CHARS


@dataclass(frozen=True)
class Verdict:
    """What to do with the text generated so far.

    `keep`: how many of its characters are final (may be shown); `done`: the suggestion
    ends at `keep` and the generation should stop; `reason`: why it ended.
    """

    keep: int
    done: bool
    reason: str = ""


def is_open(source: str) -> bool:
    """Whether `source` ends inside brackets, a multi-line string or a line continuation,
    so its last statement goes on past the end of the text."""
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(0, depth - 1)  # a stray closer is the user's, not an opening
    except tokenize.TokenError as error:
        if "string" in str(error.args[0]):
            return True
        return depth > 0 or source.rstrip(" \t").endswith("\\\n")
    except SyntaxError:  # IndentationError: a dedent that matches no block ends a statement
        return depth > 0
    return depth > 0


def _depth(source: str) -> int:
    """Brackets open at the end of `source` (strings and comments skipped)."""
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth = max(0, depth - 1)
    except (tokenize.TokenError, SyntaxError):
        pass  # the tokens before the end were counted: that is the depth at the end
    return depth


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _code_part(line: str) -> str:
    """The line without a trailing comment (a `#` outside strings), stripped."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return line.strip()
    for token in tokens:
        if token.type == tokenize.COMMENT:
            return line[: token.start[1]].strip()
    return line.strip()


@dataclass(frozen=True)
class Cursor:
    """Where the suggestion goes: the cell's text before and after the cursor."""

    prefix: str
    suffix: str = ""

    @property
    def line_before(self) -> str:
        return self.prefix.rsplit("\n", 1)[-1]

    @property
    def line_after(self) -> str:
        return self.suffix.split("\n", 1)[0]

    @property
    def continuing(self) -> bool:
        """The user is in the middle of a statement (text before the cursor on its line)."""
        return bool(self.line_before.strip())

    @property
    def next_line(self) -> str:
        """The first non-blank line after the cursor's line, stripped ('' when none)."""
        for line in self.suffix.split("\n")[1:]:
            if line.strip():
                return line.strip()
        return ""


def judge(cursor: Cursor, generated: str, limits: CompletionLimits, *, final: bool) -> Verdict:
    """Apply the stop rules to `generated` (everything the model produced so far).

    `final`: the model has ended (no more text will come), so nothing is held back.
    """
    first_end = generated.find("\n")
    first_line = generated if first_end < 0 else generated[:first_end]
    suffix_line = cursor.line_after.strip()
    if suffix_line:
        verdict = _cursor_line_with_suffix(cursor, first_line, first_end >= 0, final)
        if verdict is not None:
            return verdict
    if len(generated) > limits.max_chars:
        cut = generated.rfind("\n", 0, limits.max_chars + 1)
        return Verdict(cut if cut > 0 else limits.max_chars, True, "chars")
    return _walk_lines(cursor, generated, limits, final)


def _cursor_line_with_suffix(
    cursor: Cursor, first_line: str, line_ended: bool, final: bool
) -> Verdict | None:
    """Text follows the cursor on its line: the suggestion stays on that line and stops
    where the model starts writing that text again (once the line, with it, closes what
    the line opened)."""
    suffix_line = cursor.line_after.strip()
    line_start = cursor.prefix[: len(cursor.prefix) - len(cursor.line_before)]
    start_depth = _depth(line_start)
    hold = len(first_line)
    for cut in range(len(first_line) + 1):
        rest = first_line[cut:].lstrip(" \t")
        if rest.startswith(suffix_line):
            joined = cursor.prefix + first_line[:cut] + cursor.line_after
            if _depth(joined) <= start_depth:
                return Verdict(cut, True, "suffix")
        elif not line_ended and not final and suffix_line.startswith(rest) and cut < hold:
            hold = cut  # the model may be starting to write the suffix: not final yet
    if line_ended:
        return Verdict(len(first_line), True, "line")
    if final:
        return Verdict(len(first_line.rstrip()), True, "end")
    return Verdict(hold, False)


def _walk_lines(cursor: Cursor, generated: str, limits: CompletionLimits, final: bool) -> Verdict:
    """The rules at each newline of a suggestion with nothing after the cursor on its line."""
    base_indent = _indent(cursor.line_before)
    block_indent: int | None = None  # indentation of a block header the suggestion wrote
    statement_indent = base_indent if not cursor.continuing else _indent(cursor.line_before)
    next_line = cursor.next_line
    position = 0
    lines = 1
    while True:
        newline = generated.find("\n", position)
        if newline < 0:
            break
        before = cursor.prefix + generated[:newline]
        if lines >= limits.max_lines:
            return Verdict(newline, True, "lines")
        if not is_open(before):
            ended_line = before.rsplit("\n", 1)[-1]
            if _code_part(ended_line).endswith(":") and block_indent is None:
                block_indent = statement_indent
            elif block_indent is None and cursor.continuing:
                return Verdict(newline, True, "statement")
        following_end = generated.find("\n", newline + 1)
        following = generated[newline + 1 :] if following_end < 0 else generated[
            newline + 1 : following_end]
        if not following.strip():
            if following_end >= 0:
                return Verdict(newline, True, "blank line")
            if final:
                return Verdict(newline, True, "end")
            return Verdict(newline, False)  # the next line's indentation decides
        indent = _indent(following)
        if not is_open(before):
            if block_indent is not None and indent <= block_indent and (
                cursor.continuing or indent < base_indent
            ):
                return Verdict(newline, True, "block")
            if indent < base_indent:
                return Verdict(newline, True, "dedent")
            statement_indent = indent
            if block_indent is not None and indent <= block_indent:
                block_indent = None  # a new statement at the block's level (empty line)
        if next_line:
            stripped = following.strip()
            if stripped == next_line and (following_end >= 0 or final):
                return Verdict(newline, True, "suffix")
            if following_end < 0 and not final and next_line.startswith(stripped):
                return Verdict(newline, False)  # may become the next line after the cursor
        position = newline + 1
        lines += 1
    if final:
        return Verdict(len(generated.rstrip()), True, "end")
    return Verdict(len(generated), False)


class SuggestionFilter:
    """The stop rules applied to a stream: `push` each piece, show what it returns, and
    stop the generation when `done`; `finish` when the model ended by itself.

    Text is released only once no later piece can cut it, so the client never has to take
    back ghost text it was shown.
    """

    def __init__(self, cursor: Cursor, limits: CompletionLimits | None = None) -> None:
        self.cursor = cursor
        self.limits = limits or CompletionLimits()
        self.generated = ""
        self.released = 0
        self.done = False
        self.reason = ""

    @property
    def text(self) -> str:
        """The suggestion released so far (all of it once `done`)."""
        return self.generated[: self.released]

    def push(self, piece: str) -> str:
        """Take one piece; return the text it releases (possibly empty)."""
        if self.done:
            return ""
        self.generated += piece
        return self._apply(judge(self.cursor, self.generated, self.limits, final=False))

    def finish(self) -> str:
        """The model ended: release what the rules keep of the rest."""
        if self.done:
            return ""
        return self._apply(judge(self.cursor, self.generated, self.limits, final=True))

    def _apply(self, verdict: Verdict) -> str:
        keep = max(verdict.keep, 0)
        if verdict.done:
            self.done = True
            self.reason = verdict.reason
            # Text already released stays (the filter only releases what is final).
            keep = max(keep, self.released)
        released = self.generated[self.released : keep] if keep > self.released else ""
        self.released = max(self.released, keep)
        return released
