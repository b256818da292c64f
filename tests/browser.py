"""Fixtures for customer-facing pages in a real browser: the gateway on a loopback port and a page of
Debian's headless Chromium (Playwright pointed at `/usr/bin/chromium`, never a downloaded browser).

Loaded for every test module by `pytest_plugins` in tests/conftest.py: ask for `live` (the base URL)
and `page` (JavaScript off, as the hosted pages need none); `shot(tmp_path, name)` names a screenshot
file (in `SCREENSHOT_DIR` when set, to look at them after a run)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Page, async_playwright

from resolvers.app import create_app
from resolvers.settings import Settings
from store.db import Store

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def live(store: Store, settings: Settings) -> AsyncIterator[str]:
    """The gateway served by uvicorn on a free loopback port, on the test's store; its base URL."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=0,
                                           lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A fresh page of headless Chromium with JavaScript off; the test is skipped without Chromium."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (scripts/install installs it)")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(java_script_enabled=False, viewport={"width": 640, "height": 1000})
        yield await context.new_page()
        await browser.close()


def shot(tmp_path: Path, name: str) -> str:
    """The path of screenshot `name`: in `SCREENSHOT_DIR` when set, else in the test's tmp_path."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{name}.png")
