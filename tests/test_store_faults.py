"""The document server goes away and comes back: clear, quick errors meanwhile; no accepted write lost."""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from datetime import UTC, datetime

import httpx2
import pytest

from resolvers.app import create_app
from resolvers.settings import Settings
from store import auth
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } userErrors { code } } }"""
READ = '{ customer(id: "kept") { id lastName } }'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(bool(os.environ.get("MONGODB_URI")), reason="restarts its own FerretDB")
async def test_outage_gives_coded_errors_and_accepted_writes_survive_a_restart(tmp_path):
    listen = f"127.0.0.1:{free_port()}"
    server = FerretDB(tmp_path / "data", listen=listen)
    uri = server.start()
    client = make_client(uri, timeout_ms=1500)
    store = Store(client, f"f_{uuid.uuid4().hex[:8]}")
    try:
        await ensure_indexes(store)
        org = await auth.create_organization(store, "F", datetime.now(UTC))
        key, _ = await auth.create_api_key(store, org["id"], "write", "k", datetime.now(UTC))
        website = {"id": "web_01JFAULTFAULTFAULTFAULTFAU", "name": "w", "createdTime": datetime.now(UTC)}
        await store.for_org(org["id"])["websites"].insert_one(website)
        app = create_app(Settings(api_key_cache_seconds=60), store)
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://t", headers=headers) as http:
            done = await http.post("/graphql", json={"query": CREATE, "variables": {"input": {
                "id": "kept", "websiteId": website["id"], "lastName": "Durable"}}})
            assert done.json()["data"]["customerCreate"]["userErrors"] == []

            server.stop()
            started = time.monotonic()
            down = await http.post("/graphql", json={"query": READ})
            assert time.monotonic() - started < 10
            body = down.json()
            assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "pymongo" not in down.text and "Traceback" not in down.text
            assert (await http.get("/healthz")).status_code == 503

            server.start()  # same port, same data folder
            for _ in range(50):
                if (await http.get("/healthz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            again = await http.post("/graphql", json={"query": READ})
            assert again.json()["data"] == {"customer": {"id": "kept", "lastName": "Durable"}}
    finally:
        await client.close()
        server.stop()
