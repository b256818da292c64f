"""Across gateway processes: how long a live event takes from one process to a subscriber on another,
and how long a key revocation takes to reach a process that has the key cached.

    python -m bench.processes --tries 20        # FerretDB started here, or MONGODB_URI

Two real gateways, A and B (`python -m resolvers.cli serve`, deployed settings: keys cached
`API_KEY_CACHE_SECONDS=30`, revocation epoch read every `API_KEY_REVOCATION_CHECK_SECONDS=1`), on one
store; this process is a third client of the same store.
- **Event latency**: a `customerActivity` subscriber on B; a note is written through A
  (`timelineNoteAdd` over HTTP); measured from sending the mutation to the event arriving on B (A's
  own answer time is reported beside it).
- **Revocation delay**: a fresh key used once on A and once on B (so both have it cached), then revoked
  in the store (what `cli keys revoke` does); measured from the revocation's write to B's first 401,
  B polled every `--poll` seconds (the resolution of the figure).
Reported per measure: median, p95 (nearest rank) and max over `--tries` tries.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from bench.gateways import WAIT, Gateway
from store import auth
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes

ACTIVITY = gql("subscription($customerId: ID!) { customerActivity(customerId: $customerId) { id message } }")
WEBSITE = 'mutation { websiteCreate(input: {name: "Bench", url: "https://bench.example"}) { website { id } } }'
CUSTOMER = """mutation($w: ID!) { customerCreate(input: {websiteId: $w, firstName: "Bench"}) { customer { id } } }"""
NOTE = """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) { note { id } userErrors { code } } }"""
ME = "{ websites(first: 1) { totalCount } }"
DEPLOYED = {"API_KEY_CACHE_SECONDS": "30", "API_KEY_REVOCATION_CHECK_SECONDS": "1"}


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median": round(statistics.median(ordered) * 1000, 1), "p95": round(p95 * 1000, 1),
            "max": round(ordered[-1] * 1000, 1), "n": len(ordered)}


async def post(client: httpx.AsyncClient, key: str, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}},
                             headers={"Authorization": f"Bearer {key}"})


async def event_latency(a: Gateway, b: Gateway, key: str, tries: int) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=WAIT) as client:
        website = (await post(client, key, WEBSITE)).json()["data"]["websiteCreate"]["website"]["id"]
        cid = (await post(client, key, CUSTOMER, {"w": website})).json()["data"]["customerCreate"]["customer"]["id"]
        transport = WebsocketsTransport(url=f"ws://{b.address}/graphql", init_payload={"Authorization": f"Bearer {key}"},
                                        subprotocols=["graphql-transport-ws"], connect_timeout=WAIT, ack_timeout=WAIT)
        latencies, writes = [], []
        async with Client(transport=transport) as session:
            ACTIVITY.variable_values = {"customerId": cid}
            events = session.subscribe(ACTIVITY)
            pending = asyncio.create_task(anext(events))
            await asyncio.sleep(1.0)  # the subscription is registered on B
            for n in range(tries):
                started = time.monotonic()
                written = await post(client, key, NOTE, {"input": {"customerId": cid, "message": f"note {n}"}})
                writes.append(time.monotonic() - started)
                note_id = written.json()["data"]["timelineNoteAdd"]["note"]["id"]
                got = (await asyncio.wait_for(pending, WAIT))["customerActivity"]
                latencies.append(time.monotonic() - started)
                assert got["id"] == note_id, (got, note_id)
                if n + 1 < tries:
                    pending = asyncio.create_task(anext(events))
                    await asyncio.sleep(0.3)  # independent phases against B's poll
            await events.aclose()
    return latencies, writes


async def revocation_delay(store: Store, org_id: str, a: Gateway, b: Gateway, tries: int, poll: float) -> list[float]:
    delays = []
    async with httpx.AsyncClient(base_url=f"http://{a.address}", timeout=WAIT) as ca, \
            httpx.AsyncClient(base_url=f"http://{b.address}", timeout=WAIT) as cb:
        for n in range(tries):
            secret, doc = await auth.create_api_key(store, org_id, "read", f"bench {n}", datetime.now(UTC))
            for client in (ca, cb):  # cached on both
                assert (await post(client, secret, ME)).status_code == 200
            await asyncio.sleep(0.2 + (n % 5) * 0.17)  # spread the revocations over B's epoch interval
            await auth.revoke_api_key(store, doc["id"], datetime.now(UTC))
            revoked = time.monotonic()
            while (await post(cb, secret, ME)).status_code != 401:
                assert time.monotonic() - revoked < WAIT, "B kept accepting a revoked key"
                await asyncio.sleep(poll)
            delays.append(time.monotonic() - revoked)
    return delays


async def measure(uri: str, database: str, tries: int, poll: float = 0.01) -> dict[str, Any]:
    store = Store(make_client(uri), database)
    await ensure_indexes(store)
    org = await auth.create_organization(store, "Bench processes", datetime.now(UTC))
    write_key, _ = await auth.create_api_key(store, org["id"], "write", "bench writer", datetime.now(UTC))
    a, b = Gateway(uri, database, DEPLOYED), Gateway(uri, database, DEPLOYED)
    try:
        await a.start()
        await b.start()
        latencies, writes = await event_latency(a, b, write_key, tries)
        delays = await revocation_delay(store, org["id"], a, b, tries, poll)
    finally:
        await a.kill()
        await b.kill()
        await store.close()
    return {"eventLatencyMs": summary(latencies), "writeThroughAMs": summary(writes),
            "revocationDelayMs": summary(delays), "pollSeconds": poll, "settings": DEPLOYED}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--poll", type=float, default=0.01)
    args = parser.parse_args()
    uri = os.environ.get("MONGODB_URI")
    server = None
    if not uri:
        server = FerretDB(Path(tempfile.mkdtemp(prefix="bench-processes-")))
        uri = server.start()
    database = f"bench_processes_{int(time.time())}"
    try:
        print(json.dumps(await measure(uri, database, args.tries, args.poll), indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
