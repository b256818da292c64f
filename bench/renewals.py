"""Renewals per second: N subscriptions renewing at the same instant, run by the scheduler's worker
(`billing.renewal` jobs), against a hand-written limit twin doing the same store writes in a plain loop.

    python -m bench.renewals --sizes 500,2000        # FerretDB started here, or MONGODB_URI

Both sides start from the same seeded data (a fresh database each): N customers, N ACTIVE monthly
subscriptions and their N renewal jobs due now. Per renewal both make the same commands: claim the job,
read the order, take an invoice number, read the customer's coupon redemptions, insert the invoice, move
the order to its next period, reserve two timeline seqs and insert both events (invoice issued, order
renewed), read the customer's credit memos, insert the collection attempt and the next renewal, mark
the job done: 11 round trips. Reported: renewals per second, store round trips per
renewal (a PyMongo CommandListener), and the worker's rate as a share of the twin's (target >= 1/3).

Side by side: both databases are seeded first, then the worker and the twin take turns, `--chunk`
renewals each, on the same server, so both sides see the same collection sizes and the same machine
load. `--max-seconds` bounds a run: when it passes (checked between turns) the figures cover the
renewals done so far, out of N due (FerretDB v1 scans a collection for every non-`_id` lookup, so at
10,000 one renewal costs seconds there). Peak RSS: this process (both sides) and the FerretDB server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import ReturnDocument, monitoring

from resolvers.billing import clock, invoicing, pricing
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from store import jobs
from store.db import Store, make_client
from store.ferretdb import FerretDB
from store.ids import new_id
from store.indexes import ensure_indexes

RESULTS = Path(__file__).resolve().parent / "results"
ORG = "org_bench_renewals"
T0 = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
RENEW_AT = datetime(2027, 2, 10, 9, 0, tzinfo=UTC)
PLAN = {"id": "plan_bench", "productId": "prod_bench", "name": "Bench", "currency": "USD", "type": "SUBSCRIPTION",
        "revision": 1, "billingTiming": "PREPAID", "pricing": {"formula": "FIXED_FEE", "price": "9.99"},
        "recurringInterval": {"unit": "MONTH", "length": 1, "limit": None}, "trial": None, "meteredBilling": None}


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in ("hello", "isMaster", "ismaster", "ping", "endSessions", "buildInfo"):
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def seed(store: Store, n: int) -> None:
    db = store.for_org(ORG)
    for lo in range(0, n, 1000):
        hi = min(n, lo + 1000)
        customers, orders, due = [], [], []
        for i in range(lo, hi):
            cid, oid = f"cus_bench_{i:06}", new_id("ord")
            customers.append({"id": cid, "websiteId": "web_bench", "timelineSeq": 1, "revision": 1,
                              "createdTime": T0, "updatedTime": T0})
            orders.append({
                "id": oid, "creationKey": oid, "customerId": cid, "websiteId": "web_bench", "orderType": "SUBSCRIPTION",
                "status": "ACTIVE", "billingStatus": "PAID", "currency": "USD", "autopay": False,
                "paymentInstrumentId": None, "items": [{"id": new_id("ordi"), "quantity": 1, "plan": PLAN}],
                "startTime": T0, "currentPeriodStart": T0, "currentPeriodEnd": RENEW_AT, "renewalTime": RENEW_AT,
                "inTrial": False, "trialEndTime": None, "isTrialOnly": False, "rebillNumber": 1, "abandonTime": None,
                "delinquencyPeriod": None, "shipping": None, "invoiceIssueShift": None, "invoiceDueShift": None,
                "notes": None, "initialInvoiceId": new_id("in"), "revision": 1, "createdTime": T0, "updatedTime": T0,
            })
            due.append({"id": new_id("job"), "kind": clock.RENEWAL, "key": f"{oid}:2", "dueTime": RENEW_AT,
                        "status": jobs.PENDING, "attempts": 0, "maxAttempts": 5, "payload": {}, "createdTime": T0,
                        "updatedTime": T0, "leaseOwner": None, "leaseUntil": None, "lastError": None, "revision": 1})
        await db["customers"].insert_many(customers)
        await db["orders"].insert_many(orders)
        await db[jobs.COLLECTION].insert_many(due)


async def limit_twin(store: Store, now: datetime, limit: int | None = None) -> int:
    """The same writes as a renewal job, written by hand in a loop: no handler registry, no guards beyond
    the ones that make the writes correct."""
    raw = store.raw(jobs.COLLECTION)
    db = store.for_org(ORG)
    done = 0
    while limit is None or done < limit:
        job = await raw.find_one_and_update(
            {"status": jobs.PENDING, "dueTime": {"$lte": now}, "kind": {"$in": [clock.RENEWAL]}},
            {"$set": {"status": jobs.RUNNING, "leaseOwner": "twin", "leaseUntil": now + timedelta(seconds=60)},
             "$inc": {"attempts": 1, "revision": 1}},
            sort=[("dueTime", 1)], return_document=ReturnDocument.AFTER)
        if job is None:
            return done
        oid = job["key"].rsplit(":", 1)[0]
        order = await db["orders"].find_one({"id": oid}, {"_id": 0})
        assert order is not None
        end = pricing.add_period(RENEW_AT, "MONTH", 1)
        counter = await db["billing_counters"].find_one_and_update({"id": "invoiceNumber"}, {"$inc": {"value": 1}},
                                                                    upsert=True)
        assert counter is not None
        redemptions = await db["coupon_redemptions"].find_list({"customerId": order["customerId"], "status": "ACTIVE"})
        assert not redemptions
        lines = [invoicing.item_line(order["items"][0], "USD", RENEW_AT, end, 2)]
        inv = invoicing.invoice_doc(order, new_id("in"), counter["value"], "RENEWAL", 2, lines, now)
        await db["invoices"].insert_one(inv)
        await db["orders"].find_one_and_update(
            {"id": oid, "rebillNumber": 1},
            {"$set": {"rebillNumber": 2, "currentPeriodStart": RENEW_AT, "currentPeriodEnd": end, "renewalTime": end,
                      "recentInvoiceId": inv["id"], "billingStatus": "UNPAID", "updatedTime": now},
             "$inc": {"revision": 1}})
        c = await db["customers"].find_one_and_update({"id": order["customerId"]}, {"$inc": {"timelineSeq": 2}})
        assert c is not None
        await db["timeline_events"].insert_many([
            {"id": new_id("tmln"), "customerId": order["customerId"], "seq": c["timelineSeq"] - 1 + i, "kind": kind,
             "time": now, "actor": invoicing.SYSTEM, "message": "", "data": {"orderId": oid}}
            for i, kind in enumerate(("INVOICE_ISSUED", "ORDER_RENEWED"))])
        credit = await db["credit_memos"].find_list({"customerId": order["customerId"], "currency": "USD",
                                                     "status": {"$in": ["ISSUED", "PARTIALLY_APPLIED"]}})
        assert not credit
        await db[jobs.COLLECTION].insert_many([
            {"id": new_id("job"), "kind": kind, "key": key, "dueTime": at, "status": jobs.PENDING, "attempts": 0,
             "payload": {}, "revision": 1}
            for kind, key, at in (("billing.collect", f"{inv['id']}:1", inv["dueTime"]), (clock.RENEWAL, f"{oid}:3", end))])
        await raw.update_one({"organizationId": ORG, "id": job["id"], "leaseOwner": "twin"},
                             {"$set": {"status": jobs.DONE, "finishedTime": now}, "$inc": {"revision": 1}})
        done += 1
    return done


@dataclass
class Side:
    name: str
    store: Store
    counter: Counter
    done: int = 0
    seconds: float = 0.0
    trips: int = 0

    async def turn(self, chunk: int) -> int:
        before, started = self.counter.count, time.perf_counter()
        if self.name == "worker":
            worker = Worker(self.store, Settings(mongodb_uri=None), clock=FixedClock(RENEW_AT), kinds=[clock.RENEWAL])
            ran = await worker.run_due(limit=chunk)
        else:
            ran = await limit_twin(self.store, RENEW_AT, limit=chunk)
        self.seconds += time.perf_counter() - started
        self.trips += self.counter.count - before
        self.done += ran
        return ran

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def peak_rss_mb(server_pid: int | None) -> tuple[float, float | None]:
    """Peak resident memory of this process and of the FerretDB server (VmHWM), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if server_pid is None:
        return own, None
    try:
        for line in Path(f"/proc/{server_pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return own, int(line.split()[1]) / 1024
    except OSError:
        pass
    return own, None


async def one_size(uri: str, n: int, chunk: int, deadline: float, server_pid: int | None) -> dict[str, Any]:
    sides: list[Side] = []
    clients = []
    try:
        for name in ("worker", "twin"):
            counter = Counter()
            client = make_client(uri, listeners=[counter])
            clients.append(client)
            db_name = f"bench_renewals_{name}_{n}"
            await client.drop_database(db_name)
            store = Store(client, db_name)
            await ensure_indexes(store)
            seeded = time.perf_counter()
            await seed(store, n)
            print(f"{name}: seeded {n} subscriptions in {time.perf_counter() - seeded:.0f} s", flush=True)
            sides.append(Side(name, store, counter))
        while any(s.done < n for s in sides) and time.monotonic() < deadline:
            for side in sides:
                await side.turn(chunk)
            w, t = sides
            print(f"  {n}: worker {w.done} in {w.seconds:.0f} s ({w.rate:.2f}/s, {w.trips / max(1, w.done):.2f} trips), "
                  f"twin {t.done} in {t.seconds:.0f} s ({t.rate:.2f}/s, {t.trips / max(1, t.done):.2f} trips)", flush=True)
        for side in sides:
            invoices = await side.store.for_org(ORG)["invoices"].count({"periodNumber": 2})
            assert invoices == side.done, (side.name, side.done, invoices)
        w, t = sides
        own, server = peak_rss_mb(server_pid)
        return {"n": n, "worker": w, "twin": t, "complete": all(s.done == n for s in sides), "rss": own,
                "server_rss": server}
    finally:
        for side, client in zip(sides, clients, strict=False):
            await client.drop_database(side.store.db.name)
        for client in clients:
            await client.close()


async def run(uri: str, sizes: list[int], chunk: int, max_seconds: float, server_pid: int | None) -> str:
    rows = ["| subscriptions due | renewed (each side) | worker renewals/s | twin renewals/s | worker / twin | "
            "round trips per renewal (worker / twin) | peak RSS: bench process / FerretDB |",
            "|---|---|---|---|---|---|---|"]
    deadline = time.monotonic() + max_seconds
    for n in sizes:
        r = await one_size(uri, n, chunk, deadline, server_pid)
        w, t = r["worker"], r["twin"]
        renewed = f"{min(w.done, t.done)}" + ("" if r["complete"] else f" of {n} (time bound)")
        server = f"{r['server_rss']:.0f} MB" if r["server_rss"] is not None else "n/a"
        rows.append(f"| {n} | {renewed} | {w.rate:.2f} | {t.rate:.2f} | {w.rate / t.rate:.2f} | "
                    f"{w.trips / max(1, w.done):.2f} / {t.trips / max(1, t.done):.2f} | {r['rss']:.0f} MB / {server} |")
        print(rows[-1], flush=True)
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="comma-separated batch sizes (e.g. 10000)")
    parser.add_argument("--chunk", type=int, default=50, help="renewals per turn of each side")
    parser.add_argument("--max-seconds", type=float, default=3600, help="stop taking turns after this long")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    uri = os.environ.get("MONGODB_URI")
    if uri:
        table = asyncio.run(run(uri, sizes, args.chunk, args.max_seconds, None))
    else:
        with tempfile.TemporaryDirectory(prefix="customer-graph-renewals-") as tmp:
            server = FerretDB(Path(tmp))
            try:
                table = asyncio.run(run(server.start(), sizes, args.chunk, args.max_seconds, server.pid))
            finally:
                server.stop()
    RESULTS.mkdir(exist_ok=True)
    command = f"python -m bench.renewals --sizes {args.sizes} --chunk {args.chunk} --max-seconds {args.max_seconds:g}"
    (RESULTS / "renewals-latest.md").write_text(f"`{command}`\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
