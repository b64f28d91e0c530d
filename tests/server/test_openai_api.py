"""The OpenAI-compatible routes, driven by the official `openai` client (a client no one here
wrote), with the server token and with the assistant secret as the API key."""

from __future__ import annotations

import json

import openai
import pytest


@pytest.fixture
def client(openai_client):
    return openai_client()


async def test_the_openai_client_lists_the_resident_model(client, runtime):
    # before first use: the configured model, not started yet
    models = await client.models.list()
    assert [m.id for m in models.data] == [runtime.settings.model]
    await client.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}])
    models = await client.models.list()
    assert [m.id for m in models.data] == ["fake"]
    assert models.data[0].model_extra["n_ctx"] == 4096


async def test_the_openai_client_streams_a_chat_completion(client, engine):
    engine._reply = "one two three four five"
    stream = await client.chat.completions.create(
        model="whatever-the-client-says",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "count"}],
        max_tokens=16,
        temperature=0,
        seed=3,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces, finish, usage, models = [], None, None, set()
    async for chunk in stream:
        models.add(chunk.model)
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    assert len(pieces) == 5
    assert "".join(pieces) == "one two three four five"
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens == 5
    assert "fake" in models
    sent = engine.requests[-1]
    assert sent.messages[0] == {"role": "system", "content": "be brief"}
    assert (sent.max_tokens, sent.temperature, sent.seed) == (16, 0.0, 3)


async def test_the_openai_client_gets_a_whole_chat_completion(client, engine):
    engine._reply = "a whole answer"
    completion = await client.chat.completions.create(
        model="x",
        messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        max_tokens=8,
    )
    assert completion.choices[0].message.content == "a whole answer"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == 3
    assert engine.requests[-1].messages == [{"role": "user", "content": "hi"}]
    assert engine.requests[-1].max_tokens == 8


async def test_the_assistant_secret_works_as_an_openai_api_key(openai_client, runtime, engine):
    client = openai_client(runtime.secret)
    completion = await client.chat.completions.create(
        model="x", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == engine._reply


async def test_a_wrong_api_key_is_refused(openai_client):
    client = openai_client("wrong")
    with pytest.raises(openai.PermissionDeniedError):
        await client.models.list()


async def test_a_prompt_too_long_is_an_openai_style_400(client, engine):
    engine.max_prompt_chars = 10
    with pytest.raises(openai.BadRequestError) as raised:
        await client.chat.completions.create(
            model="x", messages=[{"role": "user", "content": "z" * 100}], stream=True
        )
    assert raised.value.code == "context_length_exceeded"
    assert "takes 10" in raised.value.message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": "x"}, "messages"),
        ({"model": "x", "messages": [{"role": "robot", "content": "hi"}]}, "role"),
        ({"model": "x", "messages": [{"role": "user", "content": 5}]}, "content"),
        ({"model": "x", "messages": [{"role": "user", "content": "hi"}], "n": 2}, "n=1"),
        ({"model": "x", "messages": [{"role": "user", "content": "hi"}], "stop": 3}, "stop"),
    ],
)
async def test_bad_chat_requests_get_a_400_naming_the_problem(
    raw_fetch, token, engine, body, fragment
):
    response = await raw_fetch(
        "api/localai/v1/chat/completions",
        method="POST",
        body=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.code == 400
    error = json.loads(response.body)["error"]
    assert fragment in error["message"]
    assert error["type"] == "invalid_request_error"
    assert engine.requests == []


async def test_streamed_chunks_end_with_done(raw_fetch, token, engine, parse_sse):
    response = await raw_fetch(
        "api/localai/v1/chat/completions",
        method="POST",
        body={"model": "x", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    events = parse_sse(response.body)
    assert events[-1] == "[DONE]"
    assert events[0]["choices"][0]["delta"]["role"] == "assistant"
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert all(e["object"] == "chat.completion.chunk" for e in events[:-1])
