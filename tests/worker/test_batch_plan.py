"""Batch boundaries depend on a prompt's tokens only (`worker/batch_plan.py`): the multiples
of PROMPT_CHUNK and the start of every user turn, so a prefill's end is a boundary and a
warm prompt's batches are the cold prompt's wherever the two share tokens."""

from __future__ import annotations

from jupyter_localai.worker.batch_plan import (
    PROMPT_CHUNK,
    BatchPlan,
    reusable_with_split,
    split_batches,
)

HEADER = [7, 8, 9]  # stands for `<|im_end|>`, newline, `<|im_start|>user`, newline


def prompt(*turns: int) -> list[int]:
    """Filler tokens with a user-turn header ending after each of `turns` tokens."""
    tokens: list[int] = []
    for end in turns:
        tokens += [1] * (end - len(HEADER) - len(tokens)) + HEADER
    return tokens


def test_turn_starts_are_right_after_each_header() -> None:
    plan = BatchPlan(HEADER, chunk=64)
    tokens = prompt(20, 150) + [1] * 40
    assert plan.turn_starts(tokens) == [20, 150]
    assert plan.turn_starts(tokens, end=149) == [20]
    assert BatchPlan([], chunk=64).turn_starts(tokens) == []


def test_batches_end_at_multiples_of_the_chunk_and_at_turn_starts() -> None:
    plan = BatchPlan(HEADER, chunk=64)
    tokens = prompt(20, 150) + [1] * 40  # 190 tokens
    assert plan.batches(tokens, 0) == [(20, True), (64, True), (128, True), (150, True),
                                       (190, False)]
    assert plan.batches(tokens, 150) == [(190, False)]
    assert plan.batches(tokens, 128) == [(150, True), (190, False)]
    assert plan.batches(tokens[:192 - 2] + [1, 1], 150) == [(192, True)]
    assert plan.batches(tokens, 190) == []


def test_a_prefill_ending_at_a_turn_start_is_reusable_whole() -> None:
    plan = BatchPlan(HEADER, chunk=64)
    prefill = prompt(20, 150)
    assert plan.batches(prefill, 0)[-1] == (150, True)
    question = prefill + [5] * 30
    assert plan.last_boundary(question, len(question) - 1) == 150
    assert plan.last_boundary(question, 149) == 128  # shared up to 149: a whole batch less


def test_the_default_chunk_is_the_prompt_chunk() -> None:
    assert BatchPlan(HEADER).chunk == PROMPT_CHUNK
    assert BatchPlan(HEADER).last_boundary([1] * 1000, 999) == 999 // PROMPT_CHUNK * PROMPT_CHUNK


def test_last_boundary_without_turns_is_whole_chunks() -> None:
    plan = BatchPlan(HEADER, chunk=64)
    tokens = [1] * 300
    assert plan.last_boundary(tokens, 299) == 4 * 64
    assert plan.last_boundary(tokens, 63) == 0
    assert plan.last_boundary(tokens, 1000) == 4 * 64


def test_boundaries_depend_only_on_the_tokens_before_them() -> None:
    """What a warm prompt may reuse is a boundary of the cache's own batches: both are
    cut by the same rule from the same leading tokens."""
    plan = BatchPlan(HEADER, chunk=64)
    earlier = prompt(20, 100) + [2] * 200
    later = prompt(20, 100, 230) + [3] * 10
    shared = next(i for i, (a, b) in enumerate(zip(earlier, later)) if a != b)
    reuse = plan.last_boundary(later, shared)
    cache_ends = {end for end, whole in plan.batches(earlier, 0) if whole}
    assert reuse in cache_ends
    assert reuse == max(end for end in cache_ends if end <= shared)


ANSWER = [7, 8, 6]  # stands for `<|im_end|>`, newline, `<|im_start|>assistant`, newline


def test_a_prompt_ending_where_the_answer_begins_is_reusable_whole_by_a_retry() -> None:
    """A retry sends the same messages, then the failed answer and the feedback: the
    earlier prompt ended on the assistant header, a boundary, so all of it is reused."""
    plan = BatchPlan(HEADER, chunk=256, answer_header=ANSWER)
    first = prompt(20, 150) + [1] * 40 + ANSWER  # 193 tokens, the answer starts at the end
    assert plan.turn_starts(first) == [20, 150, 193]
    assert plan.batches(first, 0) == [(20, True), (150, True), (193, True)]
    retry = first + [4] * 30 + HEADER + [5] * 12 + ANSWER
    assert plan.last_boundary(retry, len(first)) == len(first)
    # The prompt asked again as it was: its last token is evaluated anew (for the logits).
    assert plan.last_boundary(first, len(first) - 1) == 150
    # Without the answer header only the user turn start would be reused.
    assert BatchPlan(HEADER, chunk=256).last_boundary(retry, len(first)) == 150


def test_completion_batches_end_at_multiples_of_the_chunk_at_the_split_and_the_end() -> None:
    assert split_batches(0, 40, 20, chunk=16) == [(0, 16), (16, 20), (20, 32), (32, 40)]
    assert split_batches(20, 40, 20, chunk=16) == [(20, 32), (32, 40)]
    assert split_batches(32, 33, None, chunk=16) == [(32, 33)]


def test_completion_reuse_stops_where_the_cuts_differ() -> None:
    # The same stable context: all of it and the whole chunks after it.
    assert reusable_with_split(50, 20, 20, chunk=16) == 48
    assert reusable_with_split(25, 20, 20, chunk=16) == 20
    assert reusable_with_split(19, 20, 20, chunk=16) == 16
    # Another context end: only whole chunks before the first different cut.
    assert reusable_with_split(50, 20, 40, chunk=16) == 16
    assert reusable_with_split(50, None, 40, chunk=16) == 32
    assert reusable_with_split(50, 20, None, chunk=16) == 16
    assert reusable_with_split(50, 32, 40, chunk=16) == 32  # a cut at a multiple is no cut
    assert reusable_with_split(10, None, None, chunk=16) == 0
