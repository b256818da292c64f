"""`python -m bench.export [--customers N]`: the CSV export against its limit twin, side by side.

Loads N generated customers into the document server (FerretDB started here unless MONGODB_URI is set;
the data is kept between runs of the same N), then exports them all twice, each in its own child process
so each peak RSS is its own:

- gateway: the scheduler's worker running the export's job (`tables.export`) as `dataExportCreate` makes
  it (all customers, default columns, sorted by last name): the export task it starts, with its count
  for `progress`, checkpoints and GridFS chunks;
- limit: the same query streamed with a plain loop: one cursor, `csv.writer`, GridFS's own upload stream.

Reports rows/s, seconds and peak RSS of each, the ratio, and the extrapolation to 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gridfs import AsyncGridFSBucket

from resolvers.scheduler import Worker
from resolvers.settings import Settings
from resolvers.tables import worker
from resolvers.tables.worker import plan
from store.customers import customers
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.indexes import ensure_indexes
from store.tables import columns, exports

ORG = "org_bench_export"
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Zoë", "Ngozi", "Hiro", "=cmd"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "O'Brien, Jr", "Ångström"]
DEFINITION = {"segment": "ALL", "filter": {}, "sort": {"field": "LAST_NAME", "direction": "ASC"}}
BATCH = 1_000


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def customer_doc(i: int, rng: random.Random, t0: datetime) -> dict[str, Any]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    t = t0 + timedelta(seconds=i)
    paid = rng.random() < 0.4
    return customers.with_derived({
        "id": f"cus_bench{i:08d}", "websiteId": "web_bench", "firstName": first, "lastName": f"{last} {i}",
        "organization": None, "jobTitle": None, "dob": None,
        "address": {"line1": f"{i} Main St", "city": "Springfield", "country": rng.choice(["US", "GB", "DE", "FR"])},
        "emails": [{"value": f"user{i}@example.com", "primary": True}], "phoneNumbers": [], "customFields": {},
        "paymentCount": rng.randint(1, 9) if paid else 0,
        "revenue": {"USD": {"amount": rng.randint(100, 99_999), "paid": 0, "count": 1}} if paid else {},
        "lastPaymentTime": t if paid else None, "tags": [], "createdTime": t, "updatedTime": t,
        "revision": 1, "timelineSeq": 1,
    })


async def load(store: Store, n: int) -> float:
    """Loads customers 0..n-1 (what is already there is kept); returns seconds spent."""
    await ensure_indexes(store)
    org = store.for_org(ORG)
    have = await org[customers.COLLECTION].count({})
    rng = random.Random(42)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    docs_all = (customer_doc(i, rng, t0) for i in range(n))
    start = time.perf_counter()
    batch: list[dict[str, Any]] = []
    for i, doc in enumerate(docs_all):
        if i < have:
            continue
        batch.append(doc)
        if len(batch) == BATCH:
            await org[customers.COLLECTION].insert_many(batch)
            batch = []
            if i % 10_000 < BATCH:
                print(f"  loaded {i + 1:,} customers ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    if batch:
        await org[customers.COLLECTION].insert_many(batch)
    return time.perf_counter() - start


async def child_gateway(uri: str, database: str) -> dict[str, Any]:
    store = Store(make_client(uri), database)
    org = store.for_org(ORG)
    job = exports.new_job(table="CUSTOMERS", segment_id=None, definition=DEFINITION,
                          columns=columns.CUSTOMER_DEFAULT, bom=True, filename="bench.csv",
                          requested_by={"type": "SYSTEM", "id": None, "name": "bench"}, user_id=None,
                          now=datetime.now(UTC))
    await worker.schedule(org, job["id"], job["createdTime"])
    await exports.insert(org, job)
    start = time.perf_counter()
    scheduler = Worker(store, Settings(mongodb_uri=None), kinds=[worker.EXPORT_JOB])
    await scheduler.run_due()  # starts the export's task
    await worker.drain()
    seconds = time.perf_counter() - start
    done = await exports.get(org, job["id"])
    await store.close()
    assert done is not None and done["status"] == "COMPLETED", done
    count_seconds = (done["countedTime"] - done["startedTime"]).total_seconds()
    return {"rows": done["rowCount"], "bytes": done["length"], "seconds": seconds, "count_seconds": count_seconds,
            "peak_rss_mb": peak_rss_mb()}


async def child_limit(uri: str, database: str) -> dict[str, Any]:
    """The plain loop: the same query, one cursor, csv.writer, GridFS's upload stream."""
    store = Store(make_client(uri), database)
    org = store.for_org(ORG)
    p = plan({"table": "CUSTOMERS", "definition": DEFINITION})
    cells = columns.cells("CUSTOMERS", columns.CUSTOMER_DEFAULT)
    start = time.perf_counter()
    text = io.StringIO()
    writer = csv.writer(text)
    text.write("\ufeff")
    writer.writerow(columns.CUSTOMER_DEFAULT)
    rows = 0
    length = 0
    bucket = AsyncGridFSBucket(store.db, bucket_name="limit_exports")
    upload = bucket.open_upload_stream("limit.csv", metadata={"organizationId": ORG})
    cursor = org[p.collection].find(p.filter_from(None), {"_id": 0}, sort=p.sort).batch_size(1_000)
    async for doc in cursor:
        writer.writerow([(("'" + c) if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c) for c in (f(doc) for f in cells)])
        rows += 1
        if text.tell() >= 1024 * 1024:
            data = text.getvalue().encode()
            length += len(data)
            await upload.write(data)
            text.seek(0)
            text.truncate()
    data = text.getvalue().encode()
    length += len(data)
    await upload.write(data)
    await upload.close()
    seconds = time.perf_counter() - start
    await bucket.delete(upload._id)
    await store.close()
    return {"rows": rows, "bytes": length, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def run_child(kind: str, uri: str, database: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.export", "--child", kind, "--uri", uri, "--database", database],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(n: int, load_seconds: float, gateway: dict[str, Any], limit: dict[str, Any]) -> str:
    g_rate, l_rate = gateway["rows"] / gateway["seconds"], limit["rows"] / limit["seconds"]
    lines = [
        f"CSV export of {n:,} customers (8 default columns, sorted by last name), "
        f"{'MONGODB_URI' if os.environ.get('MONGODB_URI') else 'FerretDB v1.24.2/SQLite'}; "
        f"load of new rows {load_seconds:.0f} s",
        "",
        "| | rows | MB | seconds | rows/s | peak RSS MB |",
        "|---|---|---|---|---|---|",
        f"| gateway (scheduler job's export task) | {gateway['rows']:,} | {gateway['bytes'] / 1e6:.1f} | {gateway['seconds']:.1f} | "
        f"{g_rate:,.0f} | {gateway['peak_rss_mb']:.0f} |",
        f"| limit (plain loop) | {limit['rows']:,} | {limit['bytes'] / 1e6:.1f} | {limit['seconds']:.1f} | "
        f"{l_rate:,.0f} | {limit['peak_rss_mb']:.0f} |",
        "",
        f"gateway/limit time: {gateway['seconds'] / limit['seconds']:.2f}x; of the gateway's time "
        f"{gateway['count_seconds']:.1f} s is the count for `progress` (one more scan on FerretDB; an index count "
        f"on MongoDB), without it {(gateway['seconds'] - gateway['count_seconds']) / limit['seconds']:.2f}x; "
        f"1,000,000 rows at these rates: gateway {1e6 / g_rate / 60:.0f} min, limit {1e6 / l_rate / 60:.0f} min "
        "(memory does not grow with rows: one cursor batch and <= 1 MiB of CSV are held at a time)",
    ]
    return "\n".join(lines)


async def main_async(n: int) -> None:
    uri = os.environ.get("MONGODB_URI")
    server = None
    data_dir = Path(tempfile.gettempdir()) / "customer-graph-bench-export"
    if not uri:
        data_dir.mkdir(exist_ok=True)
        server = FerretDB(data_dir)
        uri = server.start()
    database = f"bench_export_{n}"
    try:
        store = Store(make_client(uri), database)
        load_seconds = await load(store, n)
        await store.close()
        gateway = run_child("gateway", uri, database)
        limit = run_child("limit", uri, database)
        assert gateway["rows"] == limit["rows"] == n, (gateway, limit)
        print(report(n, load_seconds, gateway, limit))
    finally:
        if server is not None:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=20_000, help="customers to export (default 20,000)")
    p.add_argument("--child", choices=["gateway", "limit"], help=argparse.SUPPRESS)
    p.add_argument("--uri", help=argparse.SUPPRESS)
    p.add_argument("--database", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        fn = child_gateway if args.child == "gateway" else child_limit
        print(json.dumps(asyncio.run(fn(args.uri, args.database))))
        return
    asyncio.run(main_async(args.customers))


if __name__ == "__main__":
    main()
