"""`status` and `models`: what runs, what can run, and switching the resident model."""

from __future__ import annotations

import json

import pytest

from jupyter_localai.errors import ModelNotFoundError
from jupyter_localai.models import REGISTRY


@pytest.fixture
def made():
    return []


@pytest.fixture
def engine_factory(made):
    """One engine per model name, as the real factory does; unknown names are refused."""
    from jupyter_localai.engines.fake import FakeEngine

    def factory(settings):
        if settings.model.startswith("missing"):
            raise ModelNotFoundError(f"no model file at {settings.model}")
        engine = FakeEngine(reply="ok", model=settings.model)
        engine.closed = False
        engine.close = lambda: setattr(engine, "closed", True)
        made.append(engine)
        return engine

    return factory


def _auth(runtime):
    return {"Authorization": f"LocalAI {runtime.secret}"}


async def test_status_before_first_use_says_idle_and_names_the_model(raw_fetch, runtime, made):
    response = await raw_fetch("api/localai/status", headers=_auth(runtime))
    status = json.loads(response.body)
    assert status["state"] == "idle"
    assert status["model"] == runtime.settings.model
    assert made == []  # asking for status does not start a model


async def test_status_after_use_comes_from_the_engine(raw_fetch, runtime, made):
    await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi"},
        headers=_auth(runtime),
    )
    status = json.loads((await raw_fetch("api/localai/status", headers=_auth(runtime))).body)
    assert status["engine"] == "fake"
    assert status["state"] == "ready"
    assert status["requests_served"] == 1
    assert status["active_requests"] == 0
    assert len(made) == 1


async def test_models_lists_the_registry_and_the_current_model(raw_fetch, runtime):
    listing = json.loads((await raw_fetch("api/localai/models", headers=_auth(runtime))).body)
    assert listing["current"] == runtime.settings.model
    names = [m["name"] for m in listing["models"]]
    assert set(REGISTRY) <= set(names)
    for row in listing["models"]:
        assert {"name", "path", "available", "size_bytes", "description"} <= set(row)


def _token(token):
    """Switching needs the `localai:models` resource, which the kernels' secret never has."""
    return {"Authorization": f"token {token}"}


async def test_switching_models_replaces_the_engine(raw_fetch, runtime, made, token):
    await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi"},
        headers=_auth(runtime),
    )
    response = await raw_fetch(
        "api/localai/models", method="POST", body={"model": "other-model"}, headers=_token(token)
    )
    assert response.code == 200, response.body
    assert json.loads(response.body)["model"] == "other-model"
    assert runtime.settings.model == "other-model"
    assert [e.status()["model"] for e in made] == [made[0].status()["model"], "other-model"]
    assert made[0].closed and not made[1].closed
    listing = json.loads((await raw_fetch("api/localai/models", headers=_auth(runtime))).body)
    assert listing["current"] == "other-model"


async def test_switching_to_a_missing_model_is_a_404_and_keeps_the_old_one(
    raw_fetch, runtime, made, token
):
    await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi"},
        headers=_auth(runtime),
    )
    before = runtime.settings.model
    response = await raw_fetch(
        "api/localai/models", method="POST", body={"model": "missing.gguf"}, headers=_token(token)
    )
    assert response.code == 404
    assert b"no model file at missing.gguf" in response.body
    assert runtime.settings.model == before
    assert not made[0].closed
    status = json.loads((await raw_fetch("api/localai/status", headers=_auth(runtime))).body)
    assert status["model"] == before


async def test_switching_needs_a_model_name(raw_fetch, runtime, token):
    response = await raw_fetch(
        "api/localai/models", method="POST", body={"model": ""}, headers=_token(token)
    )
    assert response.code == 400


async def test_the_kernels_secret_cannot_switch_the_model(raw_fetch, runtime, made):
    response = await raw_fetch(
        "api/localai/models", method="POST", body={"model": "other-model"}, headers=_auth(runtime)
    )
    assert response.code == 403
    assert runtime.settings.model != "other-model" and made == []
