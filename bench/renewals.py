"""Renewals per second: N subscriptions renewing at the same instant, run by the scheduler's worker
(`billing.renewal` jobs), against a hand-written limit twin doing the same store writes in a plain loop.

    python -m bench.renewals --sizes 500,2000        # FerretDB started here, or MONGODB_URI

Both sides start from the same seeded data (a fresh database each): N customers, N ACTIVE monthly
subscriptions and their N renewal jobs due now. Per renewal both make the same commands: claim the job,
read the order, take an invoice number, insert the invoice, reserve a timeline seq and insert an event
(twice: invoice issued, order renewed), move the order to its next period, schedule the collection
attempt and the next renewal, mark the job done. Reported: renewals per second, store round trips per
renewal (a PyMongo CommandListener), and the worker's rate as a share of the twin's (target >= 1/3).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
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


async def limit_twin(store: Store, now: datetime) -> int:
    """The same writes as a renewal job, written by hand in a loop: no handler registry, no guards beyond
    the ones that make the writes correct."""
    raw = store.raw(jobs.COLLECTION)
    db = store.for_org(ORG)
    done = 0
    while True:
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
        lines = [invoicing.item_line(order["items"][0], "USD", RENEW_AT, end, 2)]
        inv = invoicing.invoice_doc(order, new_id("in"), counter["value"], "RENEWAL", 2, lines, now)
        await db["invoices"].insert_one(inv)
        for kind in ("INVOICE_ISSUED", "ORDER_RENEWED"):
            c = await db["customers"].find_one_and_update({"id": order["customerId"]}, {"$inc": {"timelineSeq": 1}})
            assert c is not None
            await db["timeline_events"].insert_one({"id": new_id("tmln"), "customerId": order["customerId"],
                                                    "seq": c["timelineSeq"], "kind": kind, "time": now,
                                                    "actor": invoicing.SYSTEM, "message": "", "data": {"orderId": oid}})
        await db["orders"].find_one_and_update(
            {"id": oid, "rebillNumber": 1},
            {"$set": {"rebillNumber": 2, "currentPeriodStart": RENEW_AT, "currentPeriodEnd": end, "renewalTime": end,
                      "recentInvoiceId": inv["id"], "billingStatus": "UNPAID", "updatedTime": now},
             "$inc": {"revision": 1}})
        for kind, key, at in (("billing.collect", f"{inv['id']}:1", inv["dueTime"]), (clock.RENEWAL, f"{oid}:3", end)):
            await db[jobs.COLLECTION].insert_one({"id": new_id("job"), "kind": kind, "key": key, "dueTime": at,
                                                  "status": jobs.PENDING, "attempts": 0, "payload": {}, "revision": 1})
        await raw.update_one({"organizationId": ORG, "id": job["id"], "leaseOwner": "twin"},
                             {"$set": {"status": jobs.DONE, "finishedTime": now}, "$inc": {"revision": 1}})
        done += 1


async def one_side(uri: str, n: int, side: str) -> dict[str, Any]:
    counter = Counter()
    client = make_client(uri, listeners=[counter])
    name = f"bench_renewals_{side}_{n}"
    await client.drop_database(name)
    store = Store(client, name)
    try:
        await ensure_indexes(store)
        await seed(store, n)
        before, started = counter.count, time.perf_counter()
        if side == "worker":
            worker = Worker(store, Settings(mongodb_uri=None), clock=FixedClock(RENEW_AT), kinds=[clock.RENEWAL])
            done = await worker.run_due()
        else:
            done = await limit_twin(store, RENEW_AT)
        elapsed = time.perf_counter() - started
        trips = counter.count - before
        invoices = await store.for_org(ORG)["invoices"].count({"periodNumber": 2})
        assert done == n and invoices == n, (side, done, invoices)
        return {"side": side, "n": n, "seconds": elapsed, "rate": n / elapsed, "trips": trips / n}
    finally:
        await client.drop_database(name)
        await client.close()


async def run(uri: str, sizes: list[int]) -> str:
    rows = ["| subscriptions | worker renewals/s | twin renewals/s | worker / twin | round trips per renewal (worker / twin) |",
            "|---|---|---|---|---|"]
    for n in sizes:
        w = await one_side(uri, n, "worker")
        t = await one_side(uri, n, "twin")
        rows.append(f"| {n} | {w['rate']:.1f} | {t['rate']:.1f} | {w['rate'] / t['rate']:.2f} | "
                    f"{w['trips']:.2f} / {t['trips']:.2f} |")
        print(rows[-1], flush=True)
    return "\n".join(rows) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000", help="comma-separated batch sizes (e.g. 10000)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    uri = os.environ.get("MONGODB_URI")
    if uri:
        table = asyncio.run(run(uri, sizes))
    else:
        with tempfile.TemporaryDirectory(prefix="customer-graph-renewals-") as tmp:
            server = FerretDB(Path(tmp))
            try:
                table = asyncio.run(run(server.start(), sizes))
            finally:
                server.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "renewals-latest.md").write_text(f"`python -m bench.renewals --sizes {args.sizes}`\n\n" + table)
    print(table)


if __name__ == "__main__":
    main()
