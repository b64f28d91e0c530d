"""Helpers of the browser tests: start a real `jupyter lab` on a loopback port, write
notebooks, save screenshots.

The tests need the Python package `playwright` (its wheel bundles the driver; browsers are
never downloaded) and Debian's `chromium` at /usr/bin/chromium (`apt-get install -y
chromium`). Without either they skip with the reason. Screenshots go to tests/artifacts/.
The lab starts through `jupyter_process.launch_jupyter`, the tests' one Jupyter launcher.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from support.jupyter_process import (
    free_port,
    launch_jupyter,
    log_tail,
    stop_process,
    wait_until_answering,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "panel"
DOCS = Path(__file__).resolve().parents[2] / "docs"
LAB_START_TIMEOUT_S = 90


def chromium_path() -> str | None:
    """Debian's chromium (the tests never download a browser)."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Lab:
    """A running JupyterLab: where it listens, its token, and the folder it serves."""

    url: str
    token: str
    root: Path
    log: Path

    def page_url(self, path: str = "lab") -> str:
        return f"{self.url}/{path}?token={self.token}"

    def log_tail(self) -> str:
        return log_tail(self.log)


def write_notebook(path: Path, sources: list[str]) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def _write_settings(
    settings_dir: Path, extra: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    """Short answers (the CPU is shared) and no news pop-up over the screenshots; `extra`
    adds a test's own plugin settings ("package/plugin": values)."""
    overrides: dict[str, Mapping[str, Any]] = {
        "jupyter-localai/plugin": {"maxTokens": 96, "statusPollSeconds": 1},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
        **(extra or {}),
    }
    for plugin, values in overrides.items():
        package, name = plugin.rsplit("/", 1)
        target = settings_dir / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


@contextmanager
def running_lab(
    base: Path,
    *,
    localai_enabled: bool = True,
    extra_args: Sequence[str] = (),
    extra_env: Mapping[str, str] | None = None,
    extra_settings: Mapping[str, Mapping[str, Any]] | None = None,
    port: int | None = None,
    base_url: str = "/",
) -> Iterator[Lab]:
    """Start `jupyter lab` serving base/notebooks; stop it (and its kernels) afterwards.

    `extra_args` and `extra_env` reach the server (and, through the environment, its
    kernels): e.g. a scripted engine through `--LocalAIExtension.engine_factory`.
    `extra_settings` are user settings of JupyterLab plugins ("package/plugin": values).
    `port` (default: a free one) and `base_url` let a test serve labs one after another on
    one origin under different base URLs, as JupyterHub serves its users.
    """
    root = base / "notebooks"
    root.mkdir(parents=True, exist_ok=True)
    settings = base / "settings"
    _write_settings(settings, extra_settings)
    port = port or free_port()
    base_url = "/" + base_url.strip("/") + "/" if base_url.strip("/") else "/"
    token = os.urandom(16).hex()
    log = base / "lab.log"
    args = [
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.base_url={base_url}",
    ]
    if not localai_enabled:
        config = base / "no_localai_config.json"
        config.write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_localai": False}}})
        )
        args.append(f"--config={config}")
    args.extend(extra_args)
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
    )
    env.update(extra_env or {})
    process = launch_jupyter("jupyterlab", port, args, env=env, log=log)
    lab = Lab(url=f"http://127.0.0.1:{port}{base_url.rstrip('/')}", token=token, root=root, log=log)
    try:
        wait_until_answering(
            f"{lab.url}/api/status?token={token}", process, log, LAB_START_TIMEOUT_S
        )
        yield lab
    finally:
        stop_process(process, timeout=20)


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot under tests/artifacts/panel/ (kept by the CI)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def docs_screenshot(target: Any, name: str) -> Path:
    """Save a screenshot of a page or an element for the README's docs/<name>.png.

    Written into docs/ only when LOCALAI_DOCS_SCREENSHOTS=1 (retaking them is a deliberate
    act, and a test run must not modify tracked files); otherwise into tests/artifacts/.
    """
    folder = DOCS if os.environ.get("LOCALAI_DOCS_SCREENSHOTS") == "1" else ARTIFACTS / "docs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    target.screenshot(path=str(path))
    return path
