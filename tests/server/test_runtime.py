"""Which engine the extension makes from the LocalAI settings."""

from __future__ import annotations

from jupyter_localai.config import LocalAI
from jupyter_localai.engines.remote import RemoteEngine
from jupyter_localai.engines.worker_client import WorkerEngine
from jupyter_localai.server.app import loopback_url
from jupyter_localai.server.runtime import default_engine_factory


def test_remote_url_makes_a_remote_engine_with_the_model_after_the_hash(monkeypatch):
    monkeypatch.setenv("GPU_BOX_KEY", "k")
    settings = LocalAI(
        remote_url="http://gpu-box:8000/v1#qwen-coder",
        remote_api_key_env="GPU_BOX_KEY",
        remote_timeout=7.0,
    )
    engine = default_engine_factory(settings)
    assert isinstance(engine, RemoteEngine)
    assert (engine.base_url, engine.model, engine.timeout) == (
        "http://gpu-box:8000/v1",
        "qwen-coder",
        7.0,
    )
    assert engine._headers["Authorization"] == "Bearer k"


def test_a_remote_alias_makes_a_remote_engine():
    settings = LocalAI(model="box", aliases={"box": "remote:http://127.0.0.1:9/v1#m"})
    engine = default_engine_factory(settings)
    assert isinstance(engine, RemoteEngine)
    assert (engine.base_url, engine.model) == ("http://127.0.0.1:9/v1", "m")


def test_otherwise_the_worker_engine_is_made_and_nothing_starts(tmp_path):
    engine = default_engine_factory(LocalAI(model=str(tmp_path / "m.gguf"), n_ctx=2048))
    assert isinstance(engine, WorkerEngine)
    status = engine.status()
    assert status["state"] == "idle" and status["pid"] is None
    engine.close()


def test_loopback_urls():
    assert loopback_url("", 8888, "/") == "http://127.0.0.1:8888/"
    assert loopback_url("0.0.0.0", 1, "/base") == "http://127.0.0.1:1/base/"
    assert loopback_url("localhost", 1, "/a/b/") == "http://127.0.0.1:1/a/b/"
    assert loopback_url("::", 1, "/") == "http://[::1]:1/"
    assert loopback_url("10.0.0.5", 1, "/", https=True) == "https://10.0.0.5:1/"
