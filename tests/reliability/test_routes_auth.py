"""No one gets in: every route the extension registers, read from the server's own router.

The routes are not listed by hand: they are read from the running server's tornado routers
(`default_router` / `wildcard_router`), so a route added later is checked without anyone
remembering to add it here. Each verb of each route must refuse a request without
credentials, with a wrong token, and a browser request authenticated by the login cookie
but without XSRF protection (same-site or cross-origin). The assistant secret must open
these routes and no other route of the server: on every other route it gets exactly what
no credential gets.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.routing import PathMatches, Router
from traitlets.config import Config

from jupyter_localai.engines.fake import FakeEngine

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
BODIES: dict[str, Any] = {
    "ask": {"task": "chat", "prompt": "hi", "max_tokens": 4},
    "cancel": {"request_id": "no-such-request"},
    "models": {"model": "fake"},
    "completions": {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 4},
    "prefill": {"context": {"cells": [], "variables": [], "last_error": None, "imports": []},
                "session_id": "reliability"},
    "complete": {"request_id": "r-1", "session_id": "reliability", "prefix": "x = "},
}
# What a correctly authenticated request gets (by the end of its path): a cancel of an
# unknown id is a plain 404; the completion prefill is fire and forget (202).
EXPECTED_OK = {"cancel": 404, "complete/prefill": 202}
# Switching the model is its own resource (`localai:models`), which the kernels' secret
# never has: the secret's properly authenticated switch is a 403.
EXPECTED_FOR_SECRET = {("POST", "models"): 403}


@pytest.fixture
def jp_server_config() -> Config:
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jupyter_localai": True}},
            "LocalAIExtension": {"engine_factory": lambda settings: FakeEngine(reply="ok")},
        }
    )


def _all_rules(router: Router) -> list[tuple[str, Any]]:
    """(path regex, handler class) of every rule, nested routers included."""
    found: list[tuple[str, Any]] = []
    for rule in getattr(router, "rules", []):
        if isinstance(rule.target, Router):
            found += _all_rules(rule.target)
        elif isinstance(rule.matcher, PathMatches):
            found.append((rule.matcher.regex.pattern, rule.target))
    return found


def _routes(serverapp: Any) -> list[tuple[str, type[tornado.web.RequestHandler]]]:
    web_app = serverapp.web_app
    seen: dict[str, Any] = {}
    for pattern, target in _all_rules(web_app.default_router) + _all_rules(
        web_app.wildcard_router
    ):
        if isinstance(target, type) and issubclass(target, tornado.web.RequestHandler):
            seen.setdefault(pattern, target)
    return sorted(seen.items())


def _is_ours(handler: type) -> bool:
    return handler.__module__.startswith("jupyter_localai.")


def _verbs(handler: type) -> list[str]:
    base = tornado.web.RequestHandler
    return [v for v in VERBS if getattr(handler, v.lower()) is not getattr(base, v.lower())]


def _path(pattern: str) -> str:
    """A concrete path for a route regex: groups get a plausible value."""
    path = pattern.removesuffix("$")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: f"{uuid.uuid4()}", path)
    path = re.sub(r"\([^)]*\)\??", "x", path)
    return re.sub(r"\\(.)", r"\1", path)


def _body_for(path: str) -> str:
    return json.dumps(BODIES.get(path.rstrip("/").rsplit("/", 1)[-1], {}))


async def _fetch(url: str, method: str, headers: dict[str, str], body: str | None) -> HTTPResponse:
    return await AsyncHTTPClient().fetch(
        url,
        method=method,
        headers=headers,
        body=body if method in ("POST", "PUT", "PATCH") else None,
        raise_error=False,
        follow_redirects=False,
        request_timeout=30,
        allow_nonstandard_methods=True,
    )


@pytest.fixture
def origin(jp_serverapp: Any, http_server: Any, jp_http_port: int) -> str:
    return f"http://127.0.0.1:{jp_http_port}"


async def _login_cookie(origin: str, base_url: str, token: str) -> str:
    """The cookie a browser holds after logging in (a token request sets it)."""
    response = await _fetch(
        origin + base_url + "api/status", "GET", {"Authorization": f"token {token}"}, None
    )
    cookies = [c.split(";", 1)[0] for c in response.headers.get_list("Set-Cookie")]
    login = [c for c in cookies if c.startswith("username-")]
    assert login, cookies
    return login[0]


async def test_every_extension_route_refuses_strangers_and_unprotected_browsers(
    jp_serverapp: Any, origin: str, jp_base_url: str, reliability_report: Any
) -> None:
    routes = [(p, h) for p, h in _routes(jp_serverapp) if _is_ours(h)]
    registered = {name for name, _ in __import__(
        "jupyter_localai.server.handlers", fromlist=["_"]).assistant_handlers()}
    assert {_path(p).removeprefix(jp_base_url) for p, _ in routes} == registered
    token = jp_serverapp.identity_provider.token
    secret = jp_serverapp.web_app.settings["localai"].secret
    cookie = await _login_cookie(origin, jp_base_url, token)
    xsrf = "2|0badc0de|" + uuid.uuid4().hex + "|1700000000"
    checked = 0
    for pattern, handler in routes:
        path = _path(pattern)
        for verb in _verbs(handler):
            body = _body_for(path)
            label = f"{verb} {path}"
            refused = {
                "no credentials": {},
                "wrong token": {"Authorization": "token " + "0" * len(token)},
                "wrong bearer": {"Authorization": "Bearer " + "0" * len(token)},
                "wrong secret": {"Authorization": "LocalAI " + secret[::-1]},
            }
            if verb != "GET":
                refused["cookie, no XSRF"] = {"Cookie": cookie}
                refused["cookie, cross-origin, no XSRF"] = {
                    "Cookie": cookie,
                    "Origin": "http://evil.example",
                }
                refused["cookie, cross-origin, XSRF pair"] = {
                    "Cookie": f"{cookie}; _xsrf={xsrf}",
                    "X-XSRFToken": xsrf,
                    "Origin": "http://evil.example",
                }
            else:
                refused["cookie, cross-origin"] = {"Cookie": cookie, "Origin": "http://evil.example"}
            for case, headers in refused.items():
                response = await _fetch(origin + path, verb, headers, body)
                assert response.code in (401, 403, 404), (label, case, response.code)
                if response.code == 404:  # jupyter_server's answer to a foreign Origin
                    assert "Origin" in headers, (label, case)
                assert b"jupyter-localai" not in response.body.lower(), (label, case)
                checked += 1
            # The same request, properly authenticated, is served: the refusals were about
            # the credentials, not a broken route.
            expected = next(
                (code for end, code in EXPECTED_OK.items() if path.endswith("/" + end)), 200)
            accepted = {
                "token": {"Authorization": f"token {token}"},
                "assistant secret": {"Authorization": f"LocalAI {secret}"},
                "cookie + XSRF, same origin": {
                    "Cookie": f"{cookie}; _xsrf={xsrf}",
                    "X-XSRFToken": xsrf,
                    "Origin": origin,
                },
            }
            for case, headers in accepted.items():
                response = await _fetch(origin + path, verb, headers, body)
                wanted = expected
                if case == "assistant secret":
                    wanted = EXPECTED_FOR_SECRET.get((verb, path.rsplit("/", 1)[-1]), expected)
                assert response.code == wanted, (label, case, response.code, response.body)
    assert checked >= 6 * 4
    reliability_report.add(
        "authentication",
        f"{len(routes)} extension routes read from the server's routers; "
        f"{checked} refused requests (none, wrong token/bearer/secret, cookie without XSRF, "
        "cross-origin)",
        "all refused (401/403, 404 for a foreign Origin); token, secret and cookie+XSRF served",
        "server serving throughout",
    )


async def test_the_assistant_secret_opens_nothing_else(
    jp_serverapp: Any, origin: str, jp_base_url: str, reliability_report: Any
) -> None:
    """On every route that is not the assistant's, the secret gets what no credential gets."""
    secret = jp_serverapp.web_app.settings["localai"].secret
    others = [(p, h) for p, h in _routes(jp_serverapp) if not _is_ours(h)]
    assert any("api/contents" in p for p, _ in others) and any("api/kernels" in p for p, _ in others)
    compared = 0
    for pattern, handler in others:
        path = _path(pattern)
        if not path.startswith(jp_base_url):
            continue
        for verb in _verbs(handler):
            stranger = await _fetch(origin + path, verb, {}, "{}")
            for scheme in ("LocalAI", "Bearer", "token"):
                with_secret = await _fetch(
                    origin + path, verb, {"Authorization": f"{scheme} {secret}"}, "{}"
                )
                assert with_secret.code == stranger.code, (verb, path, scheme, with_secret.code)
                if stranger.code in (301, 302, 303, 307):
                    assert with_secret.headers.get("Location") == stranger.headers.get("Location")
                compared += 1
    kernels = await _fetch(origin + jp_base_url + "api/kernels", "GET",
                           {"Authorization": f"LocalAI {secret}"}, None)
    assert kernels.code == 403
    assert compared > 50
    reliability_report.add(
        "assistant secret scope",
        f"{compared} requests with the secret (3 schemes) to every other route and verb",
        "each answered exactly as with no credential (api/contents, api/kernels: 403)",
        "no kernel or file touched",
    )
