"""Fixtures of the browser tests: a real `jupyter lab` with jupyter-localai, and Chromium.

Skips with the reason when `playwright` (pip) or Debian's `chromium` is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.lab_helpers import CHROMIUM_ARGS, Lab, chromium_path, running_lab, screenshot


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed: apt-get install -y chromium")
    return path


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """Module-scoped: Playwright's sync API keeps an asyncio loop running in this thread until
    it exits, which would break every later test that needs its own event loop."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need `pip install playwright`"
    )
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, default_model_path: str) -> Iterator[Lab]:
    """JupyterLab with jupyter-localai, its default model already assembled."""
    with running_lab(tmp_path_factory.mktemp("lab")) as running:
        yield running


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser page; on failure a screenshot of it is saved for the CI."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        screenshot(new_page, f"{request.node.name}-failed")
    context.close()
    assert not [e for e in errors if "localai" in e.lower()], errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
