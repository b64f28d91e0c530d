"""Where a chat prompt's evaluation is cut into batches: a function of its tokens only.

ggml's CPU kernels round differently for different batch shapes, so a prefix evaluated in
another split than a cold prompt would use can change a greedy answer (measured on the 0.5B
model: 6 of 9 warm prompts answered differently from cold with llama.cpp's own splitting).
Every chat prompt and prefill is therefore evaluated in batches that end at fixed places,
and a cached prefix is reused only up to such a place, so a warm answer is the cold one.

The places are the multiples of `PROMPT_CHUNK` and the start of every user or assistant
turn's text (the position right after the chat template's separator before such a message).
A prefill ends exactly at a user turn's start (its last turn is left open), so the question
asked next begins on a batch boundary and reuses the whole prefill, not only its whole
PROMPT_CHUNK batches. A prompt ends where the assistant's turn begins, so a retry (the same
messages, then the failed answer and what was wrong with it) reuses the whole earlier prompt.
Because the places depend on nothing but the tokens, the cache's batches and a new prompt's
agree on every position the two share, and a restored state needs no record of how it was
cut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# 256: each batch streams every weight from memory once, so small batches cost prompt speed.
# Measured paired (one process, alternating rounds; `python benchmarks/prompt_chunk.py
# --cells 30 --rounds 5`, 1,262 tokens): 64-token batches evaluated at 0.87x of raw
# llama-cpp-python's 512-token batches, 128 at 0.91x, 256 at 0.94x; through the worker
# against llama-bench (`benchmarks/perf_paired.py`'s way), 0.854x at 64 and 0.950x at 256.
# The price of a larger batch: up to 255 tokens evaluated again after a change that is not at a turn's start (a
# grown notebook) or when a real request stops a prefill mid-batch; both are background
# work that the next prefill redoes, and a question still begins on a turn boundary.
PROMPT_CHUNK = 256
# Part of the saved states' folder name: states cut another way must never be reused.
LAYOUT = f"b{PROMPT_CHUNK}ua"


class BatchPlan:
    """The batch boundaries of prompts for one chat template (`turn_header`: the tokens
    between one message's text and a following user message's text; `answer_header`: the
    same before an assistant message's text; empty: none known)."""

    def __init__(self, turn_header: Sequence[int], chunk: int = PROMPT_CHUNK, *,
                 answer_header: Sequence[int] = ()) -> None:
        self.turn_header = np.asarray(list(turn_header), dtype=np.int64)
        self.answer_header = np.asarray(list(answer_header), dtype=np.int64)
        self.chunk = chunk

    def turn_starts(self, tokens: Sequence[int] | np.ndarray, end: int | None = None) -> list[int]:
        """Positions (at most `end`) where a user or assistant turn's text begins: right
        after each occurrence of either header."""
        held = np.asarray(tokens[: len(tokens) if end is None else end], dtype=np.int64)
        starts: set[int] = set()
        for header in (self.turn_header, self.answer_header):
            width = len(header)
            if width == 0 or len(held) < width:
                continue
            found = np.ones(len(held) - width + 1, dtype=bool)
            for offset, token in enumerate(header):
                found &= held[offset : len(held) - width + 1 + offset] == token
            starts.update((np.flatnonzero(found) + width).tolist())
        return sorted(starts)

    def batches(self, tokens: Sequence[int], start: int) -> list[tuple[int, bool]]:
        """The batch ends from `start` (itself a boundary) to the end of `tokens`, each with
        whether it is a boundary (so a later prompt may reuse up to it); the last batch may
        end at the prompt's end only."""
        if start >= len(tokens):
            return []
        turns = [at for at in self.turn_starts(tokens) if at > start]
        chunk = self.chunk
        ends = sorted({*range((start // chunk + 1) * chunk, len(tokens) + 1, chunk), *turns})
        plan = [(end, True) for end in ends]
        if not ends or ends[-1] < len(tokens):
            plan.append((len(tokens), False))
        return plan

    def last_boundary(self, tokens: Sequence[int] | np.ndarray, limit: int) -> int:
        """The largest boundary of `tokens` at or below `limit`: what of a prefix of
        `limit` shared tokens may be reused."""
        limit = max(0, min(limit, len(tokens)))
        turns = [at for at in self.turn_starts(tokens, limit) if at <= limit]
        return max([limit // self.chunk * self.chunk, *turns])


# Inline completions cut their sequence's prompts in batches of this many tokens at
# multiples of it, plus one place given with each prompt (where its stable context ends):
# small, because a keystroke evaluates again from the last boundary before its change.
COMPLETION_CHUNK = 16


def split_batches(start: int, end: int, split: int | None,
                  chunk: int = COMPLETION_CHUNK) -> list[tuple[int, int]]:
    """The batches `[a, b)` from `start` (a boundary) to `end`: ends at multiples of
    `chunk`, at `split` and at `end`."""
    ends = sorted({*range((start // chunk + 1) * chunk, end, chunk), end,
                   *([split] if split is not None and start < split < end else [])})
    return list(zip([start, *ends[:-1]], ends))


def reusable_with_split(limit: int, held_split: int | None, split: int | None,
                        chunk: int = COMPLETION_CHUNK) -> int:
    """How much of `limit` shared tokens a prompt cut at `split` may reuse from a cache
    cut at `held_split` (both also at the multiples of `chunk`): up to the last boundary
    of both at or below `limit`, before the first place where their cuts differ."""
    if split is not None and split == held_split:
        return max(limit // chunk * chunk, split if split <= limit else 0)
    differ = [s for s in (held_split, split) if s is not None and s % chunk]
    return min([limit, *differ]) // chunk * chunk
