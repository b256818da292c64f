"""Real clients against a real gateway: node's test runner with Apollo Client, urql and graphql-ws
(clients/test/*.test.mjs), and GraphiQL in headless Chromium running a query with no internet.

The gateway runs on uvicorn in the test's event loop (127.0.0.1, a port chosen by the OS) over the
test's store. A missing prerequisite (node, `clients/node_modules` from `scripts/install`, Chromium,
Playwright) fails the test and says what to install: these tests never pass by not running.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from resolvers.app import create_app
from resolvers.settings import Settings
from store.db import Store
from tests.collab import add_customer
from tests.helpers import Org

try:
    from playwright.async_api import async_playwright
except ImportError:  # reported by the test that needs it, loudly
    async_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "clients"
CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
WAIT = 15.0


@pytest.fixture
async def gateway_url(store: Store) -> AsyncIterator[str]:
    settings = Settings(mongodb_uri=None, api_key_cache_seconds=0, mask_errors=True,
                        cors_allow_origin_regex=r"http://127\.0\.0\.1(:\d+)?")
    config = uvicorn.Config(create_app(settings, store), host="127.0.0.1", port=0, lifespan="off",
                            ws="websockets-sansio", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(WAIT):
        while not server.started:
            assert not task.done(), "uvicorn stopped while starting"
            await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)


def require(condition: bool, what: str) -> None:
    if not condition:
        pytest.fail(f"prerequisite missing: {what}", pytrace=False)


async def test_apollo_urql_and_graphql_ws_clients(gateway_url: str, org: Org):
    node = shutil.which("node")
    require(node is not None, "node (Node.js 20+) is not on PATH; install Node.js, then run scripts/install")
    require((CLIENTS / "node_modules" / "@apollo" / "client").is_dir(),
            "clients/node_modules is not installed: run scripts/install (npm ci --prefix clients)")
    ids = [await add_customer(org, name) for name in ("Ada", "Grace", "Edsger")]
    env = {**os.environ, "GATEWAY_URL": gateway_url, "API_KEY": org.write_key, "CUSTOMER_IDS": ",".join(ids)}
    assert node is not None
    proc = await asyncio.create_subprocess_exec(
        node, "--test", "--test-reporter=spec", "--test-concurrency=1", *sorted(str(p) for p in (CLIENTS / "test").glob("*.test.mjs")),
        cwd=CLIENTS, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    report = out.decode()
    print(report)
    assert proc.returncode == 0, report
    passed = re.search(r"^\S+ pass (\d+)$", report, re.M)
    assert passed and int(passed.group(1)) >= 13 and re.search(r"^\S+ fail 0$", report, re.M), report


async def test_graphiql_runs_a_query_offline_in_chromium(gateway_url: str, org: Org, tmp_path: Path):
    require(HAVE_CHROMIUM, f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/install does it)")
    require(async_playwright is not None, "the playwright package: pip install -e '.[dev]' (scripts/install does it)")
    assert async_playwright is not None
    await add_customer(org, "Ada")
    headers = urllib.parse.quote(json.dumps({"Authorization": f"Bearer {org.write_key}"}))
    query = "{ customers(first: 5) { totalCount edges { node { firstName } } } }"
    outside: list[str] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})

            async def offline(route):  # no internet: anything not from the gateway fails
                if route.request.url.startswith(gateway_url):
                    await route.continue_()
                else:
                    outside.append(route.request.url)
                    await route.abort()

            await page.route("**/*", offline)
            await page.goto(f"{gateway_url}/graphql?headers={headers}")
            editor = page.locator(".graphiql-query-editor .CodeMirror").first
            await editor.wait_for(timeout=WAIT * 1000)
            await editor.evaluate("(el, q) => el.CodeMirror.setValue(q)", query)
            await page.locator(".graphiql-execute-button").click(timeout=WAIT * 1000)
            await page.wait_for_function(
                "() => document.querySelector('.graphiql-response')?.innerText.includes('totalCount')",
                timeout=WAIT * 1000)
            text = await page.locator(".graphiql-response").inner_text()
            await page.screenshot(path=str(tmp_path / "graphiql.png"))
            if os.environ.get("GRAPHIQL_SCREENSHOT"):  # to look at it: GRAPHIQL_SCREENSHOT=path.png
                shutil.copy(tmp_path / "graphiql.png", os.environ["GRAPHIQL_SCREENSHOT"])
        finally:
            await browser.close()
    assert '"totalCount": 1' in text and "Ada" in text, text
    assert outside == [], outside
