"""Several candidate answers from one evaluation of the prompt, decoded together.

The prompt is evaluated once on the chat's sequence (reusing its warm prefix exactly as
`Llama.generate` does), shared with the candidate sequences (`copy_sequence`: the same KV
cells, nothing copied), and each step decodes one token of every candidate still going in
one batch (of at most `ROWS_PER_DECODE` rows). Candidate 0 is the chat's own answer: greedy at temperature 0 (the chain
`Llama.generate` uses otherwise), its tokens kept in the chat's cache as an ordinary
answer's are, so it is token for token the one-candidate answer. The others are sampled
at a modest temperature with fixed seeds derived from the request's, so a request answers
the same candidates every time. The candidate sequences are cleared afterwards.

The model is passed in: this module never imports llama_cpp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .sequences import CANDIDATE_SEQS, CHAT_SEQ
from .text_stream import TextStream

if TYPE_CHECKING:
    from .llama_model import Batch, LoadedModel, Sampler

# Candidates after the first are sampled at least this warm, so they differ from it.
CANDIDATE_TEMPERATURE = 0.7
# Seeds of candidates 1.. are the request's seed plus a multiple of this (a prime).
_SEED_STRIDE = 7919
# Tokens per `llama_decode`. ggml's CPU matrix kernels for repacked weights multiply 4 or
# more rows with another kernel (gemm) than 1 to 3 (gemv, the one a single answer's token
# meets), whose rounding differs: with at most 3 rows, candidate 0 is computed exactly as
# the one-candidate answer (4 candidates take two decodes per step).
ROWS_PER_DECODE = 3


def candidate_seed(seed: int, index: int) -> int:
    """The fixed sampling seed of candidate `index` (0 is the request's own)."""
    return (seed + index * _SEED_STRIDE) & 0xFFFFFFFF


@dataclass
class _Other:
    """A candidate after the first: its sequence, sampler and text so far."""

    seq: int
    sampler: Sampler
    stream: TextStream
    last: int = -1
    produced: int = 0
    done: bool = False
    tokens: list[int] = field(default_factory=list)


class CandidateDecoder:
    """Decodes `n` candidates of one prompt; iterate `tokens()` for candidate 0's tokens.

    When candidate 0 has ended (the caller stops iterating), `finish_others()` decodes
    the rest to their own end and `texts()` gives all of them; `close()` always runs.
    """

    def __init__(
        self,
        model: LoadedModel,
        prompt: list[int],
        request: dict[str, Any],
        n: int,
        stops: list[str],
        max_tokens: int,
        cancelled: Callable[[], bool],
    ) -> None:
        self.model = model
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.cancelled = cancelled
        temperature = float(request.get("temperature") or 0.0)
        seed = int(request.get("seed") or 0)
        top_p = float(request.get("top_p") or 1.0)
        self.first = model.sampler(temperature, seed, top_p)
        self.others = [
            _Other(
                seq,
                model.sampler(max(temperature, CANDIDATE_TEMPERATURE), candidate_seed(seed, i + 1),
                              top_p),
                TextStream(stops),
            )
            for i, seq in enumerate(CANDIDATE_SEQS[: n - 1])
        ]
        self.batch: Batch = model.new_batch(min(n, ROWS_PER_DECODE))
        self._samplers = {CHAT_SEQ: self.first, **{o.seq: o.sampler for o in self.others}}
        self.first_text = ""

    # --- candidate 0 ---------------------------------------------------------------------

    def evaluate_prompt(self) -> None:
        """The prompt on the chat's sequence, reusing its cached prefix (as `Llama.generate`:
        at least the last token is evaluated anew, for its logits). May raise RuntimeError
        (aborted or failed), with the cache left for the caller to make consistent."""
        self.model.evaluate_prompt(self.prompt, self.cancelled)

    def tokens(self) -> Iterator[int]:
        """Candidate 0's tokens; the others advance in the same batches."""
        model = self.model
        llm = model.llm
        position = len(self.prompt)
        for other in self.others:
            model.copy_sequence(CHAT_SEQ, other.seq, position)
        token = model.sample(self.first, -1)
        for other in self.others:
            other.last = model.sample(other.sampler, -1)
        while True:
            yield token
            # The caller took the token and wants the next: it goes in the chat's cache.
            entries = [(CHAT_SEQ, position, token), *self._other_entries()]
            picked = self._decode_and_sample(entries)
            llm.input_ids[position] = token
            llm.n_tokens = position + 1
            position += 1
            token = picked[CHAT_SEQ]
            self._take(picked)

    def _decode_and_sample(self, entries: list[tuple[int, int, int]]) -> dict[int, int]:
        """Decode `entries` (candidate 0 first) `ROWS_PER_DECODE` at a time, sampling each
        group's next tokens before the next group's decode replaces the logits."""
        picked: dict[int, int] = {}
        for at in range(0, len(entries), ROWS_PER_DECODE):
            group = entries[at : at + ROWS_PER_DECODE]
            self.model.decode(group, self.batch)
            for index, (seq, _position, _token) in enumerate(group):
                picked[seq] = self.model.sample(self._samplers[seq], index)
        return picked

    def _take(self, picked: dict[int, int]) -> None:
        for other in self.others:
            if other.seq in picked:
                other.last = picked[other.seq]

    # --- the others ----------------------------------------------------------------------

    def _other_entries(self) -> list[tuple[int, int, int]]:
        entries = []
        for other in self.others:
            if other.done:
                continue
            if self._ends(other):
                continue
            entries.append((other.seq, len(self.prompt) + other.produced - 1, other.last))
        return entries

    def _ends(self, other: _Other) -> bool:
        """Take `other`'s last sampled token into its text; True when it ended there."""
        if self.model.is_end_of_generation(other.last):
            other.done = True
            return True
        other.produced += 1
        other.tokens.append(other.last)
        _, hit_stop = other.stream.feed(self.model.token_bytes(other.last))
        if hit_stop or other.produced >= self.max_tokens:
            other.done = True
        return other.done

    def finish_others(self, between_steps: Callable[[], None] = lambda: None) -> None:
        """Decode the other candidates to their ends (candidate 0 has ended)."""
        while not self.cancelled():
            entries = self._other_entries()
            if not entries:
                return
            self._take(self._decode_and_sample(entries))
            between_steps()

    def texts(self, first: str) -> list[str]:
        """Every candidate's text, candidate 0's (`first`, as streamed) first."""
        for other in self.others:
            if not other.stream.stopped:
                other.stream.flush()  # what it held back (a partial stop) is text after all
        return [first, *(other.stream.text for other in self.others)]

    def close(self) -> None:
        """Clear the candidate sequences and free the samplers and batch."""
        for other in self.others:
            self.model.clear_sequence(other.seq)
            other.sampler.close()
        self.first.close()
        self.batch.close()
