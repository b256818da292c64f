"""What the billing clock keeps besides the scheduler's jobs: metered usage of order items, each
website's retry schedule, and the one job operation the scheduler lacks (arming a job again).

- `billing_usage`: one document per `usageReport` (quantity in thousandths, so sums stay exact),
  marked with the invoice that billed it. Unique (organization, id); read by (order item, time).
- `billing_retry_schedules`: a website's collection retry delays (one document per website).
- What a renewal reads of other collections: the credit memos that can pay its invoice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from store import jobs
from store.billing import credit_memos
from store.db import Doc, IndexList, OrgDb

USAGE = "billing_usage"
DUPLICATE_KEY = 11000
RETRY_SCHEDULES = "billing_retry_schedules"

INDEXES: dict[str, IndexList] = {
    USAGE: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        (
            [("organizationId", ASCENDING), ("orderId", ASCENDING), ("orderItemId", ASCENDING), ("usageTime", ASCENDING)],
            {"name": "org_item_time"},
        ),
    ],
    RETRY_SCHEDULES: [([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"})],
}


async def arm(org: OrgDb, kind: str, key: str, due: datetime, now: datetime, payload: Doc | None = None) -> None:
    """The job (kind, key) PENDING at `due`: created, or (when it exists, is not running, and is due at
    another time or was canceled) set PENDING at `due` again. Its handler re-reads what it acts on, so
    arming a job whose work is done already only makes it find nothing to do."""
    job = await jobs.schedule(org, kind, key, due, now, payload)
    if job["status"] == jobs.PENDING and job["dueTime"] == due:
        return
    await org[jobs.COLLECTION].update_one(
        {"kind": kind, "key": key, "status": {"$ne": jobs.RUNNING},
         "$or": [{"dueTime": {"$ne": due}}, {"status": jobs.CANCELED}]},
        {"$set": {"status": jobs.PENDING, "dueTime": due, "attempts": 0, "updatedTime": now, "leaseOwner": None,
                  "leaseUntil": None},
         "$inc": {"revision": 1}},
    )


Wanted = tuple[str, str, datetime]  # (kind, key, due)


async def arm_many(org: OrgDb, wanted: Sequence[Wanted], now: datetime) -> None:
    """`arm` for several jobs; the new ones (the usual case: a renewal's next jobs) written with one insert,
    the ones that exist already armed one by one."""
    if len(wanted) < 2:
        for kind, key, due in wanted:
            await arm(org, kind, key, due, now)
        return
    try:
        await org[jobs.COLLECTION].insert_many([jobs.job_doc(kind, key, due, now) for kind, key, due in wanted])
        return
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        existing = sorted(e["index"] for e in errors)
    for i in existing:
        kind, key, due = wanted[i]
        await arm(org, kind, key, due, now)


# ---------------------------------------------------------------------------------------------- usage


async def add_usage(org: OrgDb, doc: Doc) -> Doc:
    try:
        await org[USAGE].insert_one(doc)
    except DuplicateKeyError:
        found = await org[USAGE].find_one({"id": doc["id"]}, {"_id": 0})
        assert found is not None
        return found
    doc.pop("_id", None)
    return doc


async def get_usage(org: OrgDb, usage_id: str) -> Doc | None:
    return await org[USAGE].find_one({"id": usage_id}, {"_id": 0})


async def usage_of(org: OrgDb, order_id: str, start: datetime, end: datetime) -> list[Doc]:
    """An order's usage reports with start <= usageTime < end, oldest first."""
    return await org[USAGE].find_list(
        {"orderId": order_id, "usageTime": {"$gte": start, "$lt": end}}, {"_id": 0},
        sort=[("usageTime", ASCENDING), ("id", ASCENDING)],
    )


async def last_usage_before(org: OrgDb, order_id: str, item_id: str, before: datetime) -> Doc | None:
    """The latest report of an item before `before` (sticky metered billing)."""
    found = await org[USAGE].find_list(
        {"orderId": order_id, "orderItemId": item_id, "usageTime": {"$lt": before}}, {"_id": 0},
        sort=[("usageTime", -1), ("id", -1)], limit=1,
    )
    return found[0] if found else None


async def mark_billed(org: OrgDb, ids: list[str], invoice_id: str, now: datetime) -> None:
    if ids:
        await org[USAGE].update_many({"id": {"$in": ids}, "invoiceId": None},
                                     {"$set": {"invoiceId": invoice_id, "updatedTime": now}})


# ---------------------------------------------------------------------------------------------- credit


async def credit_for_invoice(org: OrgDb, customer_id: str, currency: str, invoice_id: str) -> list[Doc]:
    """The customer's memos that can pay an invoice, oldest first, in one query: open ones of its
    currency with unused credit, and any that already gave it an allocation (a renewal that stopped
    between the memo's step and the invoice's step finishes it, even when that emptied the memo)."""
    return await org[credit_memos.COLLECTION].find_list(
        {"customerId": customer_id, "currency": currency,
         "$or": [{"status": {"$in": credit_memos.OPEN}, "unusedMinor": {"$gt": 0}},
                 {"allocations.invoiceId": invoice_id}]},
        {"_id": 0, "items": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)])


# ---------------------------------------------------------------------------------------------- retries


async def retry_schedule(org: OrgDb, website_id: str | None) -> Doc | None:
    if not website_id:
        return None
    return await org[RETRY_SCHEDULES].find_one({"id": website_id}, {"_id": 0})


async def set_retry_schedule(org: OrgDb, website_id: str, delays: list[dict[str, Any]], now: datetime) -> Doc:
    doc = await org[RETRY_SCHEDULES].find_one_and_update(
        {"id": website_id},
        {"$set": {"delays": delays, "updatedTime": now}, "$setOnInsert": {"createdTime": now}, "$inc": {"revision": 1}},
        upsert=True,
    )
    assert doc is not None
    doc.pop("_id", None)
    return doc
