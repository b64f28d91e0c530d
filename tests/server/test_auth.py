"""Every assistant route demands Jupyter's auth; the assistant secret opens these routes only."""

from __future__ import annotations

import os

import pytest

from jupyter_localai.config import SERVER_SECRET_ENV, SERVER_URL_ENV

ROUTES = [
    ("GET", "api/localai/status", None),
    ("GET", "api/localai/models", None),
    ("POST", "api/localai/ask", {"task": "generate", "prompt": "make x", "max_tokens": 8}),
    ("POST", "api/localai/cancel", {"request_id": "no-such-request"}),
    (
        "POST",
        "api/localai/complete",
        {"request_id": "r-1", "session_id": "nb", "prefix": "x = ", "suffix": ""},
    ),
    ("POST", "api/localai/complete/prefill", {"session_id": "nb", "context": {}}),
    ("GET", "api/localai/v1/models", None),
    (
        "POST",
        "api/localai/v1/chat/completions",
        {"model": "any", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8},
    ),
]


def _accepted(path: str) -> int:
    """The status of an authorized request (prefill routes answer 202: fire and forget)."""
    return 202 if path.endswith("complete/prefill") else 200


def _bad_credentials(secret: str) -> dict[str, dict[str, str]]:
    return {
        "none": {},
        "wrong token": {"Authorization": "token not-the-token"},
        "wrong bearer": {"Authorization": "Bearer not-the-token"},
        "wrong secret": {"Authorization": "LocalAI " + "x" * len(secret)},
        "secret as query token": {},  # filled in by the test: ?token=<secret>
    }


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_route_refuses_missing_or_wrong_credentials(raw_fetch, runtime, method, path, body):
    for label, headers in _bad_credentials(runtime.secret).items():
        target = path + (f"?token={runtime.secret}" if label == "secret as query token" else "")
        response = await raw_fetch(target, method=method, body=body, headers=headers)
        assert response.code in (401, 403), (label, response.code, response.body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_route_accepts_the_server_token(raw_fetch, token, method, path, body):
    for scheme in ("token", "Bearer"):
        response = await raw_fetch(
            path, method=method, body=body, headers={"Authorization": f"{scheme} {token}"}
        )
        if path.endswith("cancel"):
            # authorized, and told plainly that no such answer runs
            assert response.code == 404, response.body
            assert b"no-such-request" in response.body
        else:
            assert response.code == _accepted(path), (scheme, response.code, response.body)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_route_accepts_the_assistant_secret(raw_fetch, runtime, method, path, body):
    for scheme in ("LocalAI", "Bearer"):
        response = await raw_fetch(
            path, method=method, body=body, headers={"Authorization": f"{scheme} {runtime.secret}"}
        )
        expected = 404 if path.endswith("cancel") else _accepted(path)
        assert response.code == expected, (scheme, response.code, response.body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "api/contents", None),
        ("GET", "api/kernels", None),
        ("POST", "api/kernels", {"name": "python3"}),
        ("GET", "api/sessions", None),
        ("GET", "api/kernelspecs", None),
    ],
)
async def test_jupyter_routes_refuse_the_assistant_secret(
    raw_fetch, runtime, token, method, path, body
):
    for scheme in ("LocalAI", "Bearer", "token"):
        response = await raw_fetch(
            path, method=method, body=body, headers={"Authorization": f"{scheme} {runtime.secret}"}
        )
        assert response.code in (401, 403), (scheme, path, response.code)
    # the same route with the real token works, so the refusal is about the credential
    if method == "GET":
        response = await raw_fetch(path, headers={"Authorization": f"token {token}"})
        assert response.code == 200


async def test_secret_and_url_are_published_for_kernels(jp_serverapp, runtime, jp_http_port):
    assert os.environ[SERVER_SECRET_ENV] == runtime.secret
    assert len(runtime.secret) >= 40
    assert runtime.secret != jp_serverapp.identity_provider.token
    url = os.environ[SERVER_URL_ENV]
    assert url.startswith(f"http://127.0.0.1:{jp_http_port}/")
    assert url.endswith(jp_serverapp.base_url)


async def test_each_launch_gets_a_new_secret(jp_serverapp, runtime):
    from jupyter_localai.server.auth import new_secret

    assert new_secret() != new_secret()
    assert runtime.secret not in (new_secret(), new_secret())


async def test_stopping_the_extension_closes_the_engine_and_forgets_the_secret(
    jp_serverapp, raw_fetch, runtime, engine
):
    response = await raw_fetch(
        "api/localai/ask",
        method="POST",
        body={"task": "chat", "prompt": "hi"},
        headers={"Authorization": f"LocalAI {runtime.secret}"},
    )
    assert response.code == 200
    assert not engine.closed
    await jp_serverapp.extension_manager.stop_all_extensions()
    assert engine.closed
    assert os.environ.get(SERVER_SECRET_ENV) != runtime.secret
