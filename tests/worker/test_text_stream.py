"""TextStream: token bytes in, whole characters out, stop strings cut off exactly."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from jupyter_localai.worker.text_stream import TextStream


def feed_all(stream: TextStream, chunks: list[bytes]) -> tuple[str, bool]:
    shown, stopped = [], False
    for chunk in chunks:
        piece, stopped = stream.feed(chunk)
        shown.append(piece)
        if stopped:
            break
    if not stopped:
        shown.append(stream.flush())
    return "".join(shown), stopped


def test_multibyte_characters_are_never_split() -> None:
    data = "naïve café → 数据".encode()
    stream = TextStream([])
    pieces = [stream.feed(data[i : i + 1])[0] for i in range(len(data))]
    assert "".join(pieces) + stream.flush() == "naïve café → 数据"
    assert all("\ufffd" not in piece for piece in pieces)


def test_stop_string_across_tokens_is_cut_and_never_shown() -> None:
    stream = TextStream(["</answer>"])
    shown, stopped = feed_all(stream, [b"x = 1", b"</ans", b"wer>", b"more"])
    assert stopped and shown == "x = 1" and stream.text == "x = 1"


def test_text_that_only_looks_like_a_stop_is_released() -> None:
    stream = TextStream(["</answer>"])
    shown, stopped = feed_all(stream, [b"a </an", b"d b"])
    assert not stopped and shown == "a </and b"


@given(
    text=st.text(max_size=60),
    stop=st.text(min_size=1, max_size=6),
    cuts=st.lists(st.integers(0, 200)),
)
def test_output_is_the_text_up_to_the_first_stop(text: str, stop: str, cuts: list[int]) -> None:
    data = text.encode()
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(bounds)]
    shown, stopped = feed_all(TextStream([stop]), chunks)
    expected = text.split(stop, 1)[0]
    assert shown == expected
    assert stopped == (stop in text)
