"""Fixtures of the reliability tests: real servers and kernels to break, and the report.

Two `jupyter server` processes serve the folder: `model_server` with the real embedded model
(loaded at start) for load, cancellation, crashes and bad models, and `recording_server`,
whose engine records every prompt to a file, for what must never reach a prompt (secrets,
evaluated braces) and replies that must never run. Each test records what it tried and
measured in `reliability_report`; the table is printed at the end of the run and copied
into docs/reliability.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

# pytest-jupyter's in-process server fixtures (jp_serverapp, ...), for the route tests.
from pytest_jupyter.jupyter_server import *
from support.jupyter_process import JupyterServer
from support.recording_engine import PROMPTS_FILE, RECORD_DIR_ENV, REPLY_FILE

from jupyter_localai.config import SERVER_SECRET_ENV


@dataclass
class ReportRow:
    what: str
    tried: str
    result: str
    nothing_lost: str


@dataclass
class ReliabilityReport:
    """Rows for the "Must show" table of issue 12, filled by the tests as they run."""

    rows: list[ReportRow] = field(default_factory=list)

    def add(self, what: str, tried: str, result: str, nothing_lost: str) -> None:
        self.rows.append(ReportRow(what, tried, result, nothing_lost))

    def markdown(self) -> str:
        lines = [
            "| what | tried | result | nothing lost |",
            "|---|---|---|---|",
        ]
        lines += [f"| {r.what} | {r.tried} | {r.result} | {r.nothing_lost} |" for r in self.rows]
        return "\n".join(lines)


_REPORT = pytest.StashKey[ReliabilityReport]()


@pytest.fixture(scope="session")
def reliability_report(request: pytest.FixtureRequest) -> ReliabilityReport:
    return request.config.stash.setdefault(_REPORT, ReliabilityReport())


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    if report is not None and report.rows:
        terminalreporter.write_sep("=", "reliability report")
        terminalreporter.write_line(report.markdown())


@pytest.fixture(scope="session")
def model_server(
    tmp_path_factory: pytest.TempPathFactory, default_model_path: str
) -> Iterator[JupyterServer]:
    """A jupyter server process whose extension holds the real model, loaded at start."""
    root = tmp_path_factory.mktemp("model-server")
    server = JupyterServer(
        root,
        args=[
            f"--LocalAI.model={default_model_path}",
            # Model files a test switches to must be in the model folder (issue 16).
            f"--LocalAI.models_dir={root / 'models'}",
            "--LocalAI.n_ctx=2048",
            "--LocalAI.max_tokens=32",
            "--LocalAI.load_on_start=True",
        ],
    ).start()
    try:
        server.wait_for(lambda s: s.get("state") == "ready", what="the model loaded")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def recording_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """A jupyter server process whose engine records every prompt (DEBUG logging on)."""
    root = tmp_path_factory.mktemp("recording-server")
    records = root / "records"
    records.mkdir()
    server = JupyterServer(
        root,
        args=[
            "--LocalAIExtension.engine_factory=support.recording_engine.make",
            "--ServerApp.log_level=DEBUG",
            "--LocalAIExtension.log_level=DEBUG",
        ],
        env={RECORD_DIR_ENV: str(records)},
    ).start()
    server.records = records  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def assistant_secret_of() -> Any:
    """Read the assistant secret the way a kernel gets it: from a kernel's environment."""

    def read(kernel: Any) -> str:
        return str(kernel.value(f"__import__('os').environ['{SERVER_SECRET_ENV}']"))

    return read


@dataclass
class PromptLog:
    """What the recording server's engine received, one request per line."""

    folder: Path

    def requests(self) -> list[dict[str, Any]]:
        path = self.folder / PROMPTS_FILE
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def mark(self) -> int:
        return len(self.requests())

    def since(self, mark: int) -> list[str]:
        """The prompts (all messages' text) of the requests after `mark`."""
        return [
            "\n".join(m["content"] for m in request["messages"])
            for request in self.requests()[mark:]
        ]

    def reply_with(self, text: str | None) -> None:
        """What the engine answers from now on (None: its harmless default)."""
        path = self.folder / REPLY_FILE
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(text)


@pytest.fixture
def prompt_log(recording_server: JupyterServer) -> Iterator[PromptLog]:
    log = PromptLog(recording_server.records)  # type: ignore[attr-defined]
    yield log
    log.reply_with(None)
