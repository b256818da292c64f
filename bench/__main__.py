"""`python -m bench [--quick] [--scale] [--customers N] [--out DIR]`: see docs/performance.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench import run, scale
from bench.apps import RoundTrips
from bench.dataset import Spec, load
from bench.quick import markdown, run_quick
from bench.scenarios import SCENARIOS
from store.db import Store, make_client
from store.ferretdb import FerretDB

RESULTS = Path(__file__).resolve().parent / "results"


async def _quick(uri: str) -> None:
    trips = RoundTrips()
    store = Store(make_client(uri, listeners=[trips]), "bench_quick")
    try:
        results = await run_quick(store, lambda: trips.total)
    finally:
        await store.close()
    print(markdown(results))


async def _load_only(uri: str, spec: Spec) -> dict[str, object]:
    store = Store(make_client(uri), f"bench_{spec.customers}")
    try:
        loaded = await load(store, spec, progress=True)
    finally:
        await store.close()
    return {"counts": loaded.counts, "seconds": loaded.load_seconds, "reused": loaded.reused}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small data, in-process, no load generator (seconds)")
    p.add_argument("--customers", type=int, help="number of customers (default 10,000)")
    p.add_argument(
        "--scale", action="store_true",
        help="page, customer(id) and customerUpdate p50/p99 at each of --sizes customers (bench/scale.py)",
    )
    p.add_argument("--sizes", default="10000,100000", help="with --scale: comma-separated customer counts")
    p.add_argument("--samples", type=int, default=30, help="with --scale: timed requests per operation and size")
    p.add_argument("--budget", type=float, default=60.0, help="with --scale: seconds per operation and size, at most")
    p.add_argument("--out", type=Path, default=RESULTS, help="where to write the Markdown and JSON results")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run (default 5)")
    p.add_argument("--events", help="timeline events per customer as LOW-HIGH (default 20-200)")
    p.add_argument("--load-only", action="store_true", help="load the data set, print how long it took, stop")
    p.add_argument("--only", help="comma-separated scenarios to run (default: all); results go to partial-*")
    p.add_argument("--no-load", action="store_true", help="CPU per request and round trips only: no wrk phases")
    p.add_argument("--rounds", type=int, default=1, help="serial CPU phases per path, interleaved (median counts)")
    p.add_argument(
        "--data-dir", type=Path, help="FerretDB data folder (kept between runs to reuse the data set)"
    )
    args = p.parse_args(argv)
    unknown = set(args.only.split(",")) - set(SCENARIOS) if args.only else set()
    if unknown:
        p.error(f"unknown scenarios {sorted(unknown)}; known: {', '.join(SCENARIOS)}")

    uri = os.environ.get("MONGODB_URI")
    server = None
    if not uri:
        data = args.data_dir or Path(tempfile.gettempdir()) / "customer-graph-bench" / "ferretdb"
        server = FerretDB(data)
        uri = server.start()
        print(f"FerretDB {uri} (data in {data}, pid {server.pid})", flush=True)
    try:
        if args.quick:
            asyncio.run(_quick(uri))
            return
        if args.scale:
            sizes = [int(n) for n in args.sizes.split(",")]
            sys.exit(scale.main(uri, sizes, args.samples, args.budget, args.out))
        spec = Spec()
        if args.customers:
            spec = replace(spec, customers=args.customers)
        if args.events:
            low, high = (int(x) for x in args.events.split("-"))
            spec = replace(spec, events=(low, high))
        events = spec.customers * sum(spec.events) // 2
        if server and events > 20_000 and not args.load_only:
            print(
                f"note: FerretDB v1 (SQLite) scans the whole events collection for every dashboard request "
                f"(~{events:,} events here; 1.1M took 126 s per request). For CPU ratios here use "
                f"`--customers 110 --events 20-22`; for the full data set, MONGODB_URI (docs).",
                flush=True,
            )
        if args.load_only:
            print(asyncio.run(_load_only(uri, spec)))
            return
        code = run.main(
            uri,
            spec,
            out=args.out,
            duration=args.duration,
            db_pid=server.pid if server else None,
            only=args.only.split(",") if args.only else None,
            load=not args.no_load,
            rounds=args.rounds,
        )
    finally:
        if server:
            server.stop()
    sys.exit(code)


if __name__ == "__main__":
    main()
