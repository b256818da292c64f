"""Stock execution, the leaf shortcut, the compiled fast path and the limit, side by side in one process:
`python -m bench.ab [--rounds N] [--per-round N]`.

On the quick data set, per query scenario: checks that the stock gateway (`FAST_PATH=false
LEAF_SHORTCUT=false`), the shortcut gateway (`FAST_PATH=false`) and the default gateway (compiled
plans, resolvers/fastpath.py) give byte-identical responses, then measures this process's CPU per
request of the four paths in interleaved rounds (the order rotates every round) and prints the medians
and ratios as a Markdown table (also written to `bench/results/ab-latest.md`).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx2

from bench.apps import RoundTrips, gateway_app
from bench.dataset import QUICK, load
from bench.quick import QUERY_SCENARIOS, Paths
from bench.scenarios import SCENARIOS, Scenario
from store.db import Store, make_client
from store.ferretdb import FerretDB

RESULTS = Path(__file__).resolve().parent / "results"
PATHS = ("stock", "shortcut", "fast", "limit")
# Settings of the gateways that are not the default one (`Paths.gateway`, the fast path).
VARIANTS = {"stock": {"leaf_shortcut": False, "fast_path": False}, "shortcut": {"fast_path": False}}


async def call(paths: Paths, others: dict[str, httpx2.AsyncClient], path: str, s: Scenario, i: int) -> bytes:
    if path not in others:
        return await paths.call("gateway" if path == "fast" else "limit", s, i)
    body = {"query": s.document, "variables": s.variables(paths.loaded, i)}
    r = await others[path].post("/graphql", json=body, headers=paths.auth)
    if r.status_code != 200 or b'"errors"' in r.content[:20_000]:
        raise AssertionError(f"{path} {s.name}: HTTP {r.status_code} {r.content[:500]!r}")
    return r.content


async def run(uri: str, rounds: int, per_round: int) -> str:
    store = Store(make_client(uri), "bench_quick")
    rows = []
    try:
        loaded = await load(store, QUICK)
        paths = Paths(store, loaded)
        others = {
            name: httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=gateway_app(store, RoundTrips(), **overrides)),
                base_url=f"http://{name}",
            )
            for name, overrides in VARIANTS.items()
        }
        try:
            for name in QUERY_SCENARIOS:
                s = SCENARIOS[name]
                for i in range(3):
                    a = await call(paths, others, "stock", s, i)
                    for other in ("shortcut", "fast"):
                        if await call(paths, others, other, s, i) != a:
                            raise AssertionError(f"{name}: stock and {other} responses differ")
                cpu: dict[str, list[float]] = {p: [] for p in PATHS}
                for r in range(rounds):
                    order = PATHS[r % len(PATHS):] + PATHS[: r % len(PATHS)]
                    for path in order:
                        gc.collect()  # each batch pays for its own garbage, not the previous path's
                        t0 = time.process_time()
                        for k in range(per_round):
                            await call(paths, others, path, s, 10 + r * per_round + k)
                        cpu[path].append((time.process_time() - t0) / per_round * 1000)
                med = {p: statistics.median(v) for p, v in cpu.items()}
                rows.append((name, len(a), med))
        finally:
            for client in others.values():
                await client.aclose()
            await paths.close()
    finally:
        await store.close()
    lines = [
        f"In-process CPU ms per request, median of {rounds} interleaved rounds of {per_round} "
        f"(quick data set; `python -m bench.ab --rounds {rounds} --per-round {per_round}`).",
        "",
        "| scenario | bytes | stock | shortcut | fast path | limit | stock / limit | shortcut / limit "
        "| fast path / limit | fast path saves vs stock |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size, m in rows:
        lines.append(
            f"| {name} | {size:,} | {m['stock']:.2f} | {m['shortcut']:.2f} | {m['fast']:.2f} | {m['limit']:.2f} | "
            f"{m['stock'] / m['limit']:.2f}x | {m['shortcut'] / m['limit']:.2f}x | **{m['fast'] / m['limit']:.2f}x** | "
            f"{1 - m['fast'] / m['stock']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--per-round", type=int, default=2)
    args = parser.parse_args()
    uri = os.environ.get("MONGODB_URI")
    if uri:
        table = asyncio.run(run(uri, args.rounds, args.per_round))
    else:
        with tempfile.TemporaryDirectory(prefix="customer-graph-ab-") as tmp:
            server = FerretDB(Path(tmp))
            try:
                table = asyncio.run(run(server.start(), args.rounds, args.per_round))
            finally:
                server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ab-latest.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
