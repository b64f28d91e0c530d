"""Kernels get the assistant's secret, never Jupyter's token, even when the server was
given its token as $JUPYTER_TOKEN (which every kernel would otherwise inherit)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

from jupyter_localai.config import SERVER_SECRET_ENV

JUPYTER_TOKEN_ENV = "JUPYTER_TOKEN"
ENV_TOKEN = uuid.uuid4().hex


@pytest.fixture
def jp_server_config(jp_server_config: Config, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The same server, started with a token in its environment."""
    monkeypatch.setenv(JUPYTER_TOKEN_ENV, ENV_TOKEN)
    return jp_server_config


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, value in pairs}


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
async def test_a_kernel_does_not_inherit_jupyter_token(jp_serverapp: Any, jp_fetch: Any) -> None:
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kernel_id = json.loads(response.body)["id"]
    try:
        kernel = jp_serverapp.kernel_manager.get_kernel(kernel_id)
        env = environ_of(kernel.provisioner.process.pid)
    finally:
        await jp_fetch("api", "kernels", kernel_id, method="DELETE")
    assert JUPYTER_TOKEN_ENV not in env
    assert ENV_TOKEN not in env.values()
    assert env.get(SERVER_SECRET_ENV) == jp_serverapp.web_app.settings["localai"].secret
    assert JUPYTER_TOKEN_ENV not in os.environ  # taken out once the server read it


async def test_the_token_is_back_after_the_extension_stops(jp_serverapp: Any) -> None:
    extension = jp_serverapp.extension_manager.extension_apps["jupyter_localai"]
    (app,) = extension
    await app.stop_extension()
    assert os.environ.get(JUPYTER_TOKEN_ENV) == ENV_TOKEN
