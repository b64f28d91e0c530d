"""The completion and candidates protocol (core/engine.py) as the fake engine serves it:
what the server route and the JupyterLab provider are first built against."""

from __future__ import annotations

import pytest

from jupyter_localai.core.engine import CompletionRequest, Engine, GenerationRequest
from jupyter_localai.core.errors import NotSupportedError
from jupyter_localai.engines.fake import FakeEngine


def test_completion_request_round_trips_through_json() -> None:
    request = CompletionRequest(
        context="import pandas as pd\n", prefix="df = pd.", suffix="\nprint(df)",
        max_tokens=12, stop=["\n\n"], max_lines=3, session_id="nb1", request_id="c7",
    )
    assert CompletionRequest.from_json(request.to_json()) == request


@pytest.mark.parametrize(
    "bad", [{"prefix": 3}, {"prefix": "x", "stop": "\n"}, {"prefix": "x", "stop": [1]},
            {"prefix": "x", "max_tokens": "many"}],
)
def test_malformed_completion_request_is_refused(bad: dict) -> None:
    with pytest.raises((TypeError, ValueError)):
        CompletionRequest.from_json(bad)


def test_generation_request_keeps_n_candidates_off_the_wire_when_one() -> None:
    one = GenerationRequest(messages=[{"role": "user", "content": "hi"}])
    assert "n_candidates" not in one.to_json()
    three = GenerationRequest(messages=one.messages, n_candidates=3)
    assert GenerationRequest.from_json(three.to_json()).n_candidates == 3


def test_fake_completion_names_the_cursor_line_and_is_deterministic() -> None:
    engine = FakeEngine()
    request = CompletionRequest(context="x = 1\n", prefix="a = 1\nb = a.", session_id="s")
    first = engine.complete(request).result()
    again = engine.complete(request).result()
    assert first.text == again.text
    assert "b = a." in first.text and "a = 1" not in first.text
    assert engine.completions[-1] is request


def test_fake_completion_honours_stop_lines_and_max_tokens() -> None:
    engine = FakeEngine(completion_reply="one two\nthree four\nfive six\nEND seven")
    cut = engine.complete(CompletionRequest(prefix="p", stop=["END"], max_lines=2)).result()
    assert cut.text == "one two\nthree four"
    short = engine.complete(CompletionRequest(prefix="p", max_tokens=2)).result()
    assert short.text == "one two\nthree"
    assert short.finish_reason == "length"


def test_a_newer_fake_completion_cancels_the_older_of_its_session() -> None:
    engine = FakeEngine(completion_reply="a b c d")
    older = engine.complete(CompletionRequest(prefix="x", session_id="nb"))
    other = engine.complete(CompletionRequest(prefix="x", session_id="other"))
    newer = engine.complete(CompletionRequest(prefix="xy", session_id="nb"))
    assert older.result().finish_reason == "cancelled"
    assert other.result().text == "a b c d"
    assert newer.result().text == "a b c d"


def test_fake_prefill_completion_is_recorded() -> None:
    engine = FakeEngine()
    assert engine.supports_complete
    assert engine.prefill_completion("ctx", "nb") is True
    assert engine.completion_prefills == [("ctx", "nb")]


def test_fake_candidates_stream_the_first_and_end_with_all() -> None:
    engine = FakeEngine("first answer", candidate_replies=["second", "third"])
    request = GenerationRequest(messages=[{"role": "user", "content": "q"}], n_candidates=3)
    generation = engine.generate(request)
    streamed = "".join(generation)
    assert streamed == "first answer"
    assert generation.completion.all_candidates() == ["first answer", "second", "third"]
    single = engine.generate(GenerationRequest(messages=request.messages)).result()
    assert single.all_candidates() == ["first answer"]


def test_engines_without_completion_say_so() -> None:
    class Minimal(Engine):
        def generate(self, request):  # pragma: no cover - never called
            raise AssertionError

        def status(self):
            return {}

    engine = Minimal()
    assert not engine.supports_complete and not engine.supports_candidates
    with pytest.raises(NotSupportedError):
        engine.complete(CompletionRequest(prefix="x"))
    with pytest.raises(NotSupportedError):
        engine.prefill_completion("ctx")
