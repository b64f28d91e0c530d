"""What an answer holds, and how code is pulled out of a model's free-form text.

Small models wrap code in prose, forget to close a fence when they hit the token cap, or
answer with bare code; `extract_code` handles all three so the user and `last_reply().code`
get plain, parseable Python.
"""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .checks import program_key

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n", re.MULTILINE)
PYTHON_TAGS = frozenset({"", "python", "py", "python3", "ipython", "ipython3", "pycon"})
_PROMPT_PREFIX = re.compile(r"^(>>> |\.\.\. )")


@dataclass
class Timings:
    """Wall-clock figures of one answer, as users and benchmarks read them."""

    ttft_s: float = 0.0
    total_s: float = 0.0
    tokens: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0


@dataclass
class Reply:
    """One answer of the assistant: the whole text, the code it proposes, and how it went."""

    task: str
    text: str
    code: str
    model: str
    timings: Timings = field(default_factory=Timings)
    warnings: list[str] = field(default_factory=list)
    # True: ran in a copy of the kernel without error; False: no candidate ran; None: not tried.
    verified: bool | None = None
    # Attempts made (retries after failed checks included); timings cover all of them,
    # ttft_s being the first attempt's first token.
    attempts: int = 1
    finish_reason: str = "stop"
    # chat and explain: each fenced block of `text` and what the checks made of it (the
    # panel and the kernel's display mark a block that failed them beside its buttons).
    blocks: list[BlockCheck] = field(default_factory=list)
    # Which of the attempt's candidates this is (0: the streamed one; `core/candidates.py`).
    candidate: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def with_code(self, code: str, note: str) -> Reply:
        """This reply with `code` in place of its code (in the text where the old code
        stands, else as a new block at the end) and `note` after it: a repair the user
        sees and can read why."""
        old = self.code.strip()
        text = (self.text.replace(old, code.strip(), 1) if old and old in self.text
                else f"{self.text}\n\n```python\n{code}\n```")
        return replace(self, text=f"{text}\n\n{note}", code=code)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        values = dict(data)
        values["timings"] = Timings(**values.get("timings", {}))
        values["blocks"] = [BlockCheck(**block) for block in values.get("blocks", [])]
        return cls(**values)


@dataclass
class BlockCheck:
    """One fenced block of a chat or explain answer: every block offered for insertion is
    checked as generate's code is, unless it is not Python (a shell command, JSON)."""

    index: int  # the block's place among the answer's fenced blocks, from 0
    language: str  # the fence's tag as written, lower case ("" when none)
    code: str  # the block as written (the panel finds its mark by it); checked without prompts
    checked: bool  # False: not Python, so not checked as Python (`note` says why)
    # What the checks found; empty when it passed. Written for the user and the model.
    issues: list[str] = field(default_factory=list)
    # The block repeats a cell of the notebook (a quote, not a proposal): marked when it
    # fails, but no retry is asked for it.
    quoted: bool = False
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.checked and bool(self.issues)


@dataclass(frozen=True)
class FencedBlock:
    """A fenced block of an answer and where it sits: `end` is just past its closing fence
    (the text's end for an unclosed last fence)."""

    tag: str
    body: str
    end: int


def fenced_blocks(text: str) -> list[FencedBlock]:
    """Each fenced block of `text`, in order; an unclosed last fence runs to the end."""
    blocks: list[FencedBlock] = []
    position = 0
    while True:
        opening = _FENCE.search(text, position)
        if opening is None:
            return blocks
        fence, tag = opening.group(1), opening.group(2).lower()
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        end = closing.search(text, opening.end())
        body_end = end.start() if end else len(text)
        blocks.append(FencedBlock(tag, text[opening.end() : body_end], end.end() if end else len(text)))
        if end is None:
            return blocks
        position = end.end()


def code_then_prose(text: str) -> int | None:
    """Where a code answer can stop: just past the last closed Python block, once the text
    after it has begun a line of prose (not another fence). None while that is not so.

    The code an answer proposes is its Python blocks; the prose after them costs decode
    time (seconds on a small CPU) and changes no code. Waiting for the first character of
    the next line keeps answers whose second block follows the first directly.
    """
    end, after = _after_last_python_block(text)
    if "\n" not in after:
        return None  # no closing fence yet, or its line is not over
    rest = after.lstrip()
    if not rest or rest[0] in "`~":
        return None
    return end


def _after_last_python_block(text: str) -> tuple[int, str]:
    """Where the last block ends and the text after it ("" unless it is a closed Python block)."""
    blocks = fenced_blocks(text)
    if not blocks or blocks[-1].tag not in PYTHON_TAGS:
        return len(text), ""
    return blocks[-1].end, text[blocks[-1].end :]  # "" while the last block is open


def _awaits_prose(text: str) -> bool:
    """A closed Python block whose closing line is over, with only blank space after it."""
    _, after = _after_last_python_block(text)
    return "\n" in after and not after.strip()


class CodeEndWatch:
    """`code_then_prose` over a stream, scanning only when the new piece can change it.

    Rescanning the whole text on every token is quadratic in the answer's length. A piece
    without a line break or a fence character can neither open nor close a block, nor end a
    closing fence's line; it can only begin the prose after a closed block whose line is
    over, so the text is scanned then, or when the piece holds one of those characters.
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._awaiting = False
        self.end: int | None = None
        self.scans = 0

    def add(self, piece: str) -> int | None:
        """Take one more piece; where the answer can stop once that is known, else None."""
        self._pieces.append(piece)
        if self.end is None and (self._awaiting or any(mark in piece for mark in "\n`~")):
            text = "".join(self._pieces)
            self.scans += 1
            self.end = code_then_prose(text)
            self._awaiting = self.end is None and _awaits_prose(text)
        return self.end


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language tag, body) of each fenced block."""
    return [(block.tag, block.body) for block in fenced_blocks(text)]


def parses(code: str) -> bool:
    """True when `code` is valid Python (IPython magics and shell escapes excepted)."""
    try:
        ast.parse(_strip_ipython_syntax(code))
    except (SyntaxError, ValueError):
        return False
    return True


def _strip_ipython_syntax(code: str) -> str:
    """Blank out `%magic` and `!shell` lines so `ast` can judge the Python around them."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()
    )


def strip_prompts(code: str) -> str:
    lines = code.splitlines()
    if lines and all(_PROMPT_PREFIX.match(line) or not line.strip() for line in lines):
        lines = [_PROMPT_PREFIX.sub("", line) for line in lines]
    return "\n".join(lines)


def _longest_parsing_run(text: str) -> str:
    """The longest run of consecutive lines that parses and looks like code, for fence-less replies."""
    lines = text.splitlines()
    best = ""
    for start in range(len(lines)):
        if not lines[start].strip():
            continue
        for end in range(len(lines), start, -1):
            if end - start <= best.count("\n") + 1 and best:
                break
            candidate = "\n".join(lines[start:end]).strip("\n")
            if looks_like_code(candidate) and parses(candidate):
                if len(candidate) > len(best):
                    best = candidate
                break
    return best


def looks_like_code(candidate: str) -> bool:
    """Prose often parses as Python (`Here is code` is a tuple); demand code-shaped statements.

    Expression statements count only as calls, attributes or subscripts (`df.head()`), or as
    a bare name after other statements (a notebook's trailing `df`).
    """
    try:
        tree = ast.parse(_strip_ipython_syntax(candidate))
    except (SyntaxError, ValueError):
        return False
    if not tree.body:
        return False
    for index, node in enumerate(tree.body):
        if not isinstance(node, ast.Expr):
            continue
        value = node.value
        if isinstance(value, (ast.Call, ast.Attribute, ast.Subscript, ast.Await)):
            continue
        if isinstance(value, ast.Name) and index > 0:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and index == 0:
            continue  # a docstring
        return False
    return True


def extract_code(text: str) -> str:
    """The Python code an answer proposes, as plain text without fences or prompts.

    Fenced Python blocks win (joined in order when there are several); otherwise the whole
    answer if it parses, otherwise the longest run of lines that parses as code.
    """
    blocks = _fenced_blocks(text)
    python_blocks = [body for tag, body in blocks if tag in PYTHON_TAGS]
    if python_blocks:
        return "\n\n".join(strip_prompts(body).strip("\n") for body in python_blocks).strip("\n")
    if blocks:
        return ""
    stripped = strip_prompts(text.strip("\n"))
    if stripped and parses(stripped) and looks_like_code(stripped):
        return stripped
    return _longest_parsing_run(stripped)


_CELL_MARKER = re.compile(r"^[ \t]*#[ \t]*In[ \t]*\[[ \t]*\d*[ \t]*\][ \t]*:?[ \t]*$", re.MULTILINE)
_LOAD_EXTENSION = re.compile(r"^[ \t]*%(?:re)?load_ext[ \t]+jupyter_localai[ \t]*$\n?", re.MULTILINE)


def drop_replayed_cells(code: str, known_sources: list[str]) -> str:
    """The answer without the notebook's own cells copied back into it.

    The prompt shows cells as `# In[n]:` blocks; a small model sometimes answers by
    replaying them (setup cells, `%load_ext jupyter_localai`) before its own cell, and that
    replay would re-create the user's data when run. Segments between such markers that
    repeat a known cell are dropped, as are lines loading this extension; if nothing would
    remain, the answer is left as it was for the checks to judge.
    """
    cleaned = _LOAD_EXTENSION.sub("", code)
    if not _CELL_MARKER.search(cleaned):
        return cleaned if cleaned.strip() else code
    known = {program_key(source) for source in known_sources if source.strip()}
    segments = [segment.strip("\n") for segment in _CELL_MARKER.split(cleaned)]
    kept = [s for s in segments if s.strip() and program_key(s) not in known]
    return "\n\n".join(kept) if kept else code


def prose_of(text: str) -> str:
    """The answer without its fenced blocks: what the model said around the code."""
    result = text
    for _, body in _fenced_blocks(text):
        result = result.replace(body, "")
    return re.sub(r"^[ \t]*(`{3,}|~{3,})[^\n]*$", "", result, flags=re.MULTILINE).strip()
