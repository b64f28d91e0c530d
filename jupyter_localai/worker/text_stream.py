"""Token bytes in, text pieces out: whole UTF-8 characters, stop strings cut off.

Separate from the worker so it can be tested without a model (no llama_cpp import).
"""

from __future__ import annotations

import codecs


class TextStream:
    """Bytes of tokens in, text pieces out: whole UTF-8 characters, stop strings cut off.

    Text that could be the start of a stop string is held back until it is clearly not.
    """

    def __init__(self, stops: list[str]) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._stops = [s for s in stops if s]
        self._held = ""
        self.text = ""
        self.stopped = False

    def feed(self, data: bytes) -> tuple[str, bool]:
        """Add one token's bytes; returns the text now safe to show and whether a stop hit."""
        held = self._held + self._decoder.decode(data)
        hits = [at for at in (held.find(stop) for stop in self._stops) if at >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return self._emit(held[: min(hits)]), True
        keep = max((_overlap(held, stop) for stop in self._stops), default=0)
        self._held = held[len(held) - keep :]
        return self._emit(held[: len(held) - keep]), False

    def flush(self) -> str:
        """Whatever was held back, at the end of the answer."""
        rest, self._held = self._held + self._decoder.decode(b"", final=True), ""
        return self._emit(rest)

    def _emit(self, piece: str) -> str:
        self.text += piece
        return piece


def _overlap(text: str, stop: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `stop`."""
    for n in range(min(len(text), len(stop) - 1), 0, -1):
        if stop.startswith(text[-n:]):
            return n
    return 0
