"""Quick mode: small data, both apps in this process over ASGI, no load generator. Seconds, not minutes.

Measures what the test suite guards: round trips per request (must not grow with page size) and the
gateway/limit CPU ratio (this process's CPU time; the document server runs in another process), taken
over interleaved rounds with the order rotated each round.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2
import orjson

from bench.apps import RoundTrips, gateway_app, limit_app
from bench.dataset import QUICK, Loaded, Spec, load
from bench.scenarios import MUTATION_SCENARIOS, SCENARIOS, Scenario
from store.db import Store

QUERY_SCENARIOS = ["dashboard-10", "dashboard-50", "dashboard-100", "billing-100", "detail", "filtered"]


def canonical(body: bytes) -> bytes:
    """JSON with sorted keys: the form in which both paths' responses must be equal."""
    return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)


class Paths:
    """The gateway and the limit twin of each scenario, as two HTTP clients on ASGI apps."""

    def __init__(self, store: Store, loaded: Loaded) -> None:
        self.loaded = loaded
        trips = RoundTrips()
        self.gateway = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=gateway_app(store, trips)), base_url="http://gateway"
        )
        self.limit = httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=limit_app(store, loaded.org_id, trips)),
            base_url="http://limit",
        )
        self.auth = {"Authorization": f"Bearer {loaded.write_key}"}

    async def call(self, path: str, s: Scenario, i: int = 0) -> bytes:
        body = {"query": s.document, "variables": s.variables(self.loaded, i)}
        if path == "gateway":
            r = await self.gateway.post("/graphql", json=body, headers=self.auth)
        else:
            r = await self.limit.post(f"/limit/{s.name}", json=body)
        if r.status_code != 200 or b'"errors"' in r.content[:20_000]:
            raise AssertionError(f"{path} {s.name}: HTTP {r.status_code} {r.content[:500]!r}")
        return r.content

    async def check_equal(self, s: Scenario) -> int:
        """Asserts both paths give equal JSON; returns the response size."""
        gw = await self.call("gateway", s, 0)
        lim = await self.call("limit", s, 1)
        if canonical(gw) != canonical(lim):
            raise AssertionError(
                f"{s.name}: gateway and limit responses differ:\n{gw[:600]!r}\n{lim[:600]!r}"
            )
        return len(gw)

    async def close(self) -> None:
        await self.gateway.aclose()
        await self.limit.aclose()


async def run_quick(
    store: Store, count_commands: Callable[[], int], spec: Spec = QUICK, rounds: int = 4, per_round: int = 2
) -> dict[str, Any]:
    """Loads `spec`, checks equality, measures; returns {scenario: metrics}."""
    loaded = await load(store, spec)
    paths = Paths(store, loaded)
    results: dict[str, Any] = {"dataset": loaded.counts, "scenarios": {}}
    try:
        for name in [*QUERY_SCENARIOS, *MUTATION_SCENARIOS]:
            s = SCENARIOS[name]
            try:
                results["scenarios"][name] = await _measure(paths, s, count_commands, rounds, per_round)
            except AssertionError as exc:
                if not s.mutation:
                    raise
                results["scenarios"][name] = {"error": str(exc)[:300]}
    finally:
        await paths.close()
    return results


async def _measure(
    paths: Paths, s: Scenario, count_commands: Callable[[], int], rounds: int, per_round: int
) -> dict[str, Any]:
    size = await paths.check_equal(s)
    trips = {}
    for path in ("gateway", "limit"):
        before = count_commands()
        await paths.call(path, s, 2)
        trips[path] = count_commands() - before
    cpu: dict[str, list[float]] = {"gateway": [], "limit": []}
    n = 0 if s.mutation else per_round
    order = ["gateway", "limit"]
    for r in range(rounds if n else 0):
        for path in order[r % 2 :] + order[: r % 2]:
            gc.collect()  # each batch pays for its own garbage, not the previous path's
            t0 = time.process_time()
            for k in range(n):
                await paths.call(path, s, 10 + r * n + k)
            cpu[path].append((time.process_time() - t0) / n * 1000)
    row: dict[str, Any] = {"bytes": size, "roundTrips": trips}
    if n:
        g, lim = statistics.median(cpu["gateway"]), statistics.median(cpu["limit"])
        row.update({"cpuMs": {"gateway": round(g, 2), "limit": round(lim, 2)}, "cpuRatio": round(g / lim, 2)})
    return row


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "| scenario | bytes | gateway CPU ms | limit CPU ms | ratio | round trips gateway / limit |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in results["scenarios"].items():
        if "error" in row:
            lines.append(f"| {name} | error: {row['error'][:120]} |||||")
            continue
        cpu = row.get("cpuMs", {})
        lines.append(
            f"| {name} | {row['bytes']:,} | {cpu.get('gateway', '-')} | {cpu.get('limit', '-')} | "
            f"{row.get('cpuRatio', '-')} | {row['roundTrips']['gateway']} / {row['roundTrips']['limit']} |"
        )
    return "\n".join(lines)
