"""Fixtures for the warm-cache tests: an engine with its own saved-state directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.warm_notebooks import make_engine

from jupyter_localai.engines.worker_client import WorkerEngine


@pytest.fixture
def kv_dir(tmp_path: Path) -> Path:
    return tmp_path / "kv"


@pytest.fixture
def warm_engine(default_model_path: str, kv_dir: Path) -> Iterator[WorkerEngine]:
    engine = make_engine(default_model_path, kv_dir)
    yield engine
    engine.close()
