"""What the shared cost bucket adds per request: store commands on `cost_buckets`, and time per request,
for a few reserve fractions, side by side on one store (one key, requests one after another).

    python -m bench.budget --requests 200        # FerretDB started here, or MONGODB_URI

Each row runs `--requests` requests of the same query (cost 300: `customers(first: 100)` with ids, or
`--page` for 9,000 like dashboard-100's cost) through an in-process gateway with the default bucket
(200,000 points, 20,000/s) and the given `COST_BUCKET_RESERVE_FRACTION`; "off" is the bucket switched
off (`COST_BUCKET_SIZE=0`), the baseline. Rows are interleaved over `--rounds` rounds, in a rotating order; medians reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pymongo import monitoring

from resolvers.app import create_app
from resolvers.settings import Settings
from store import auth, cost_buckets
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes

SMALL = "{ customers(first: 100) { edges { node { id } } } }"  # 100 x 3 = 300
PAGE = "{ customers(first: 100) { edges { node { id timeline(first: 29) { edges { node { id } } } } } } }"  # 9,000
ROWS: dict[str, dict[str, Any]] = {
    "off": {"cost_bucket_size": 0},
    "reserve 0 (exact)": {"cost_bucket_reserve_fraction": 0.0},
    "reserve 0.1 (default)": {"cost_bucket_reserve_fraction": 0.1},
    "reserve 0.25": {"cost_bucket_reserve_fraction": 0.25},
}


class BucketCommands(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command.get(event.command_name) == cost_buckets.COLLECTION:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def run(uri: str, requests: int, rounds: int, query: str) -> dict[str, Any]:
    listener = BucketCommands()
    store = Store(make_client(uri, listeners=[listener]), f"bench_budget_{int(time.time())}")
    await ensure_indexes(store)
    org = await auth.create_organization(store, "Bench budget", datetime.now(UTC))
    results: dict[str, dict[str, list[float]]] = {name: {"commands": [], "ms": []} for name in ROWS}
    clients: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = {}
    try:
        for name, overrides in ROWS.items():  # one gateway and one key (never throttled) per row, all warm
            secret, _ = await auth.create_api_key(store, org["id"], "read", name, datetime.now(UTC))
            settings = Settings(mongodb_uri=None, api_key_cache_seconds=3600, api_key_revocation_check_seconds=3600,
                                cost_restore_rate=10**9, **overrides)
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, store)), base_url="http://b")
            clients[name] = (client, {"Authorization": f"Bearer {secret}"})
            for _ in range(3):
                assert (await client.post("/graphql", json={"query": query}, headers=clients[name][1])).status_code == 200
        names = list(ROWS)
        for r in range(rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:  # each row in every position
                client, headers = clients[name]
                before, started = listener.count, time.perf_counter()
                for _ in range(requests):
                    response = await client.post("/graphql", json={"query": query}, headers=headers)
                    assert response.status_code == 200, response.text
                elapsed = time.perf_counter() - started
                results[name]["commands"].append((listener.count - before) / requests)
                results[name]["ms"].append(elapsed / requests * 1000)
    finally:
        for client, _ in clients.values():
            await client.aclose()
        await store.client.drop_database(store.db.name)
        await store.close()
    return {name: {"bucketCommandsPerRequest": round(statistics.median(v["commands"]), 3),
                   "msPerRequest": round(statistics.median(v["ms"]), 2)} for name, v in results.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--page", action="store_true", help="cost 9,000 per request instead of 300")
    args = parser.parse_args()
    uri = os.environ.get("MONGODB_URI")
    server = None
    if not uri:
        server = FerretDB(Path(tempfile.mkdtemp(prefix="bench-budget-")))
        uri = server.start()
    try:
        print(json.dumps(await run(uri, args.requests, args.rounds, PAGE if args.page else SMALL), indent=2))
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
