"""Live-object-aware decoding: a string key written after `frame[` names a real column.

The hint lines tell the model a DataFrame's columns, yet the 0.5B still writes `df["` and
then a name it invents (`benchmarks/results/complete_quality.md`). The request carries the
live frames' columns (`CompletionRequest.keys`); while the text before the cursor plus the
suggestion so far ends at a key site of one of those frames, the next token is steered:

- key sites: `frame[`, `frame[[...,`, and the first argument of `frame.groupby(`,
  `.sort_values(`, `.set_index(` (all take column labels), each with an optional opening
  quote and the part of a name already written; also after a chain of calls on the frame
  (`frame.groupby("k")["`, `frame.mean()["`), whose columns are usually the frame's;
- with no quote yet, nothing is forced: the model's own greedy token is kept, and if it
  opens a string that can still become a column (`"`, `'ti`), the site is then quoted;
- inside the quote, the greedy token is kept when it stays on some column's text (the
  column's rest and its closing quote); otherwise the best token that does is taken. Only
  where a new column may be created, a subscript at the start of a statement
  (`df["ratio"] = ...`), or where the columns may differ (after a chain), the model keeps its own token when it prefers it by more than
  `MARGIN` logits, and goes on freely. (The first form let the model's preference win
  anywhere by that margin: after `unit_` it went on to an invented `unit_quantity`.)

Only the first token after each site's check costs anything: outside key sites the
completion samples as before. No llama_cpp here: the logits come through the model's
`Llama` object (`last_logits`), the single-token texts through its tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Logits by which the model's own token may beat every column's before it is kept anyway.
MARGIN = 6.0
# Characters of the current line looked at for a key site.
TAIL_CHARS = 240
# Methods whose first argument is a column label or a list of them.
COLUMN_METHODS = ("groupby", "sort_values", "set_index")
_STRING = r"""(?:"[^"\n]*"|'[^'\n]*')"""
# Keyword arguments of a frame's method that take column labels (`df.plot(x="`,
# `df.drop(columns=["`, `df.merge(other, on="`).
COLUMN_KEYWORDS = ("by", "subset", "on", "x", "y", "values", "columns", "column", "id_vars",
                   "value_vars")
_FRAME = r"(?<![\w.])(?P<name>[A-Za-z_]\w*)(?P<chain>(?:\.\w+\((?:[^()\n]|\([^()\n]*\))*\))*)"
_KEY = rf"\s*(?:\[(?:\s*{_STRING}\s*,)*)?\s*(?P<quote>[\"']?)(?P<partial>\w*)$"
_SITE = re.compile(
    rf"{_FRAME}\s*(?P<open>\[|\.(?:{'|'.join(COLUMN_METHODS)})\(){_KEY}"
)
# The same key written as a keyword argument, or as the column part of `frame.loc[rows, `.
_OTHER_SITES = (
    re.compile(rf"{_FRAME}\.\w+\((?:[^()\n]|\([^()\n]*\))*?"
               rf"\b(?:{'|'.join(COLUMN_KEYWORDS)})\s*=(?!=){_KEY}"),
    re.compile(rf"{_FRAME}\.loc\[(?:[^\[\]\n]|\[[^\[\]\n]*\])*?,{_KEY}"),
)


@dataclass(frozen=True)
class KeySite:
    """Where the text ends inside a frame's key: what may follow (each column's rest and
    its closing quote), whether the string is open (`quoted`), and by how many logits the
    model's own token may beat every column's and still be kept (`margin`)."""

    rests: list[str]
    quoted: bool
    margin: float = float("inf")


def key_site(text: str, keys: Mapping[str, Sequence[str]]) -> KeySite | None:
    """The key site `text` (the line so far) ends at, or None."""
    line = text[text.rfind("\n") + 1 :][-TAIL_CHARS:]
    if "[" not in line and "(" not in line:
        return None
    found = (pattern.search(line) for pattern in (_SITE, *_OTHER_SITES))
    match = next((m for m in found if m is not None and m.group("name") in keys), None)
    if match is None:
        return None
    quote, partial = match.group("quote"), match.group("partial")
    columns = keys[match.group("name")]
    start = match.re is _SITE and match.group("open") == "[" and not line[: match.start()].strip()
    target = start or bool(match.group("chain"))
    if quote:
        rests = [c[len(partial) :] + quote for c in columns if c.startswith(partial)]
        return KeySite(rests, True, MARGIN if target else float("inf")) if rests else None
    if partial:
        return None  # a name (`df[mask`), not a string key
    return KeySite([f"{q}{c}{q}" for q in ('"', "'") for c in columns], False)


def on_track(piece: str, rests: Sequence[str]) -> bool:
    """Whether `piece` keeps the text on some column's rest (or ends it)."""
    return bool(piece) and any(r.startswith(piece) or piece.startswith(r) for r in rests)


def steer(
    free: int, logits: Sequence[float], options: Mapping[int, str], margin: float
) -> int | None:
    """The token to take instead of the model's greedy `free` inside an open key, or None
    to keep it: the best of `options` (the tokens that stay on some column's rest) unless
    `free` beats it by more than `margin`."""
    if not options:
        return None
    best = max(options, key=lambda token: logits[token])
    return best if logits[free] - logits[best] <= margin else None


class KeyGuide:
    """Steers one completion's tokens at key sites (see the module docstring)."""

    def __init__(
        self, keys: Mapping[str, Sequence[str]], line: str,
        single_token: Callable[[str], int | None],
    ) -> None:
        self.keys = keys
        self.line = line[line.rfind("\n") + 1 :]
        self.single_token = single_token
        self.steered = 0

    def site(self, written: str) -> KeySite | None:
        """The key site the line plus `written` (the suggestion so far) ends at."""
        return key_site(self.line + written, self.keys) if self.keys else None

    def options(self, site: KeySite) -> dict[int, str]:
        """The single tokens that write a leading part of some column's rest."""
        found: dict[int, str] = {}
        for rest in site.rests:
            for end in range(1, len(rest) + 1):
                token = self.single_token(rest[:end])
                if token is not None:
                    found.setdefault(token, rest[:end])
        return found

    def choose(
        self, written: str, logits: Sequence[float], text_of: Callable[[int], str]
    ) -> int | None:
        """The token to take at this step when the line is at a key site (None: not at one,
        the caller samples as usual)."""
        site = self.site(written)
        if site is None:
            return None
        free = int(np.argmax(np.asarray(logits)))
        if not site.quoted or on_track(text_of(free), site.rests):
            return free
        token = steer(free, logits, self.options(site), site.margin)
        if token is None:
            return free
        self.steered += 1
        return token


def last_logits(model: Any) -> np.ndarray:
    """The logits of the last decoded batch entry, read in place (no copy) from the
    model's `Llama` context."""
    llm = model.llm
    pointer = llm._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(pointer, shape=(llm._model.n_vocab(),))
