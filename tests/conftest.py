"""One document server per test run (FerretDB started here, or the MongoDB that MONGODB_URI names),
one fresh database per test, and the gateway app in-process over httpx."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest
from pymongo import AsyncMongoClient

from resolvers.app import create_app
from resolvers.settings import Settings
from store import auth
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes
from tests.helpers import CommandCounter, Org

# `live` and `page`: the gateway on a port and headless Chromium; `gateways`: real gateway processes
pytest_plugins = ["tests.browser", "tests.processes"]

CREATE_WEBSITE = """mutation($input: WebsiteCreateInput!) {
  websiteCreate(input: $input) { website { id } userErrors { field message code } } }"""


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """Each test leaves the root logger as it found it: a CLI command run in-process configures logging
    to the stderr of that test's capture, which is closed after it (later records would fail to print)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    uri = os.environ.get("MONGODB_URI")
    if uri:
        yield uri
        return
    server = FerretDB(Path(tmp_path_factory.mktemp("ferretdb")))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def commands() -> CommandCounter:
    return CommandCounter()


@pytest.fixture(scope="session")
async def mongo_client(mongodb_uri: str, commands: CommandCounter) -> AsyncIterator[AsyncMongoClient]:
    client = make_client(mongodb_uri, listeners=[commands])
    yield client
    await client.close()


@pytest.fixture
async def store(mongo_client: AsyncMongoClient) -> AsyncIterator[Store]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    s = Store(mongo_client, name)
    await ensure_indexes(s)
    yield s
    await mongo_client.drop_database(name)


@pytest.fixture
def settings() -> Settings:
    return Settings(mongodb_uri=None, api_key_cache_seconds=0, mask_errors=True)


@pytest.fixture
async def http(store: Store, settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, store)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def make_org(store: Store, http: httpx2.AsyncClient, name: str) -> Org:
    now = datetime.now(UTC)
    org = await auth.create_organization(store, name, now)
    write_key, _ = await auth.create_api_key(store, org["id"], "write", f"{name} writer", now)
    read_key, _ = await auth.create_api_key(store, org["id"], "read", f"{name} reader", now)
    o = Org(http=http, id=org["id"], write_key=write_key, read_key=read_key, website_id="")
    data = await o.gql(CREATE_WEBSITE, {"input": {"name": f"{name} shop", "url": "https://shop.example"}})
    o.website_id = data["websiteCreate"]["website"]["id"]
    return o


@pytest.fixture
async def org(store: Store, http: httpx2.AsyncClient) -> Org:
    return await make_org(store, http, "Org A")


@pytest.fixture
async def other_org(store: Store, http: httpx2.AsyncClient) -> Org:
    return await make_org(store, http, "Org B")
