"""`python -m bench --scale`: the three everyday operations at 10k and 100k customers, on one server.

For each size (`--sizes`, default 10,000 and 100,000 customers in one organization, each with 0-3
payment instruments, 0-3 tags, 0-2 tax IDs and a 2-6 event timeline) the data set is bulk-loaded into
its own database (`bench_scale_<N>`; reused when the same spec is already there) and three GraphQL
operations are timed through the gateway app in this process (ASGI, no socket: the time is the
gateway's and the store's):

* `page`: a customers page of 20, segment CUSTOMERS + country filter, newest first, each sample the
  next keyset page (`after` = the previous page's end cursor);
* `detail`: `customer(id)` with instruments, tags, tax IDs, website and a timeline page with its count;
* `update`: `customerUpdate` of one field (a guarded single-document update plus a timeline event).

Each operation runs `--samples` times or until `--budget` seconds have passed (at least once),
after one untimed warm-up. Reported: p50 and p99 (nearest rank: with fewer than 100 samples p99 is
the slowest), round trips per request, the growth p50(largest) / p50(smallest), the load time, and the
goal of issue 17 (p50 < 100 ms, p99 < 300 ms at the largest size, page growth <= 1.5x). Runs unchanged
against the server `MONGODB_URI` names; without it, against the launcher's default server.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from bench.apps import RoundTrips, gateway_app
from bench.dataset import Loaded, Spec, load
from bench.scenarios import CUSTOMER_UPDATE, DETAIL
from store.db import Store, make_client

SCALE_SPEC = Spec(customers=10_000, instruments=(0, 3), tags=(0, 3), tax_ids=(0, 2), events=(2, 6))
SIZES = (10_000, 100_000)
GOAL_P50_MS, GOAL_P99_MS, GOAL_PAGE_GROWTH = 100.0, 300.0, 1.5

PAGE = """query ScalePage($first: Int!, $after: String, $country: String!) {
  customers(first: $first, after: $after, segment: CUSTOMERS, filter: {country: $country},
            sort: {field: CREATED_TIME, direction: DESC}) {
    pageInfo { hasNextPage endCursor }
    edges { node { id firstName lastName email paymentCount createdTime address { country }
                   lifetimeRevenue { amount currency } tags { name } } }
  }
}"""


@dataclass
class OpResult:
    samples: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    round_trips: float


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class Ops:
    def __init__(self, client: httpx2.AsyncClient, loaded: Loaded, trips: RoundTrips) -> None:
        self.client = client
        self.loaded = loaded
        self.trips = trips
        self.auth = {"Authorization": f"Bearer {loaded.write_key}"}
        self.cursor: str | None = None
        ids = loaded.customer_ids or [loaded.sample_customer_id]
        # Spread over the whole collection, in a fixed shuffled order (so inserts' order plays no part).
        self.ids = [ids[(k * 7919) % len(ids)] for k in range(len(ids))]

    async def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        r = await self.client.post("/graphql", json={"query": query, "variables": variables}, headers=self.auth)
        body = r.json()
        if r.status_code != 200 or body.get("errors"):
            raise AssertionError(f"HTTP {r.status_code}: {str(body)[:500]}")
        data: dict[str, Any] = body["data"]
        return data

    async def page(self, _i: int) -> None:
        data = await self._post(PAGE, {"first": 20, "after": self.cursor, "country": "DE"})
        info = data["customers"]["pageInfo"]
        if len(data["customers"]["edges"]) != 20 and info["hasNextPage"]:
            raise AssertionError(f"short page: {len(data['customers']['edges'])}")
        self.cursor = info["endCursor"] if info["hasNextPage"] else None

    async def detail(self, i: int) -> None:
        cid = self.ids[i % len(self.ids)]
        data = await self._post(DETAIL, {"id": cid})
        if data["customer"] is None or data["customer"]["id"] != cid:
            raise AssertionError(f"customer {cid} not found")

    async def update(self, i: int) -> None:
        cid = self.ids[(i * 31 + 5) % len(self.ids)]
        data = await self._post(CUSTOMER_UPDATE, {"input": {"id": cid, "lastName": f"Scale{i}"}})
        payload = data["customerUpdate"]
        if payload["userErrors"] or payload["customer"]["lastName"] != f"Scale{i}":
            raise AssertionError(str(payload))

    async def measure(self, name: str, samples: int, budget: float) -> OpResult:
        op = getattr(self, name)
        await op(10_000)  # warm-up: caches, plans, the first cursor
        times: list[float] = []
        trips = 0
        started = time.perf_counter()
        i = 0
        while len(times) < samples and (not times or time.perf_counter() - started < budget):
            before = self.trips.total
            t = time.perf_counter()
            await op(i)
            times.append((time.perf_counter() - t) * 1000)
            trips += self.trips.total - before
            i += 1
        return OpResult(
            len(times), round(percentile(times, 50), 1), round(percentile(times, 99), 1), round(max(times), 1),
            round(trips / len(times), 2),
        )


async def run_size(uri: str, spec: Spec, samples: int, budget: float) -> dict[str, Any]:
    trips = RoundTrips()
    store = Store(make_client(uri, listeners=[trips]), f"bench_scale_{spec.customers}")
    try:
        print(f"loading {spec.customers:,} customers ...", flush=True)
        loaded = await load(store, spec, progress=True)
        print(f"  {loaded.counts} ({'reused, loaded' if loaded.reused else 'loaded'} in {loaded.load_seconds} s)", flush=True)
        async with httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=gateway_app(store, trips)), base_url="http://gateway", timeout=None
        ) as client:
            ops = Ops(client, loaded, trips)
            results = {}
            for name in ("page", "detail", "update"):
                results[name] = asdict(await ops.measure(name, samples, budget))
                print(f"  {name}: {results[name]}", flush=True)
        return {"counts": loaded.counts, "load_seconds": loaded.load_seconds, "reused": loaded.reused, "ops": results}
    finally:
        await store.close()


def markdown(report: dict[str, Any]) -> str:
    sizes = report["sizes"]
    first, last = sizes[0], sizes[-1]
    lines = [
        f"Scale benchmark, {report['time']}, server: {report['server']}",
        "",
        "| operation | " + " | ".join(f"{s['customers']:,}: p50 / p99 ms (n)" for s in sizes)
        + " | round trips | growth p50 |",
        "|---|" + "---:|" * len(sizes) + "---:|---:|",
    ]
    for name in ("page", "detail", "update"):
        cells = [f"{s['ops'][name]['p50_ms']:,} / {s['ops'][name]['p99_ms']:,} ({s['ops'][name]['samples']})" for s in sizes]
        growth = last["ops"][name]["p50_ms"] / max(first["ops"][name]["p50_ms"], 0.001)
        shown = f"{growth:.2f}x" if len(sizes) > 1 else "-"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {last['ops'][name]['round_trips']} | {shown} |")
    loads = ", ".join(
        f"{s['customers']:,}: {s['load_seconds']} s for {sum(s['counts'].values()):,} documents" for s in sizes
    )
    lines += ["", f"Load (bulk `insert_many`): {loads}.", "", "Goal at " + f"{last['customers']:,}: " + report["goal"]]
    return "\n".join(lines) + "\n"


def goal(sizes: list[dict[str, Any]]) -> str:
    last, first = sizes[-1], sizes[0]
    misses = []
    for name, r in last["ops"].items():
        if r["p50_ms"] >= GOAL_P50_MS or r["p99_ms"] >= GOAL_P99_MS:
            misses.append(f"{name} p50 {r['p50_ms']:,} ms / p99 {r['p99_ms']:,} ms")
    growth = last["ops"]["page"]["p50_ms"] / max(first["ops"]["page"]["p50_ms"], 0.001)
    if len(sizes) > 1 and growth > GOAL_PAGE_GROWTH:
        misses.append(f"page growth {growth:.2f}x")
    return "met" if not misses else "NOT met: " + "; ".join(misses)


async def describe(uri: str) -> str:
    """What the server says it is: FerretDB reports its own version beside the MongoDB one it emulates."""
    client = make_client(uri)
    try:
        info = await client.admin.command("buildInfo")
    finally:
        await client.close()
    if "ferretdbVersion" in info:
        return f"FerretDB (reports MongoDB {info.get('version')})"
    return f"MongoDB-wire server {info.get('version')}" + (" (SecantusDB)" if "secantus" in str(info).lower() else "")


async def _run_all(uri: str, sizes: list[int], samples: int, budget: float) -> tuple[str, list[dict[str, Any]]]:
    server = await describe(uri)
    print(f"server: {server}", flush=True)
    reports = []
    for n in sizes:
        result = await run_size(uri, replace(SCALE_SPEC, customers=n), samples, budget)
        reports.append({"customers": n, **result})
    return server, reports


def main(uri: str, sizes: list[int], samples: int, budget: float, out: Path) -> int:
    server, reports = asyncio.run(_run_all(uri, sizes, samples, budget))
    report = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "server": server,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "loadavg": os.getloadavg()},
        "spec": asdict(SCALE_SPEC),
        "samples": samples,
        "budget_seconds": budget,
        "sizes": reports,
        "goal": goal(reports),
    }
    out.mkdir(parents=True, exist_ok=True)
    stem = "scale-" + "-".join(str(n) for n in sizes)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    text = markdown(report)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return 0
