"""Merging duplicate customers: the merge jobs (`customer_merges`) and the tombstones the merged
customers leave (`customer_tombstones`), plus the single-collection moves a merge is made of.

FerretDB v1 has no multi-document transactions, so a merge is a list of named steps recorded on its job
document (`done`), each one idempotent: a move is "every document of the source → the target" (repeating
it moves what is left, i.e. nothing), a timeline event moves with a guard on its current owner, the
tombstone and the merge's own timeline event are inserted under ids fixed when the job was made. A crash
between any two steps and a rerun of the job finish the merge with nothing lost or duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from store.activity import timeline
from store.activity.files import FILES as ATTACHMENT_FILES
from store.billing import clock, coupons, credit_memos, invoice_links, invoices, orders, quotes
from store.compliance import aml, edd, kyc
from store.customers import customers
from store.db import Doc, OrgDb
from store.errors import is_duplicate
from store.links import customer_links, deposit_requests
from store.money import payment_links, payouts, transactions
from store.wallet import payment_instruments

MERGES = "customer_merges"
TOMBSTONES = "customer_tombstones"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    MERGES: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("targetId", ASCENDING), ("status", ASCENDING)], {"name": "org_target_status"}),
    ],
    TOMBSTONES: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("mergedInto", ASCENDING)], {"name": "org_merged_into"}),
    ],
}

# What belongs to a customer by its `customerId` and moves to the target as it is.
MOVED_BY_CUSTOMER_ID: dict[str, str] = {
    payment_instruments.COLLECTION: "payment instruments",
    transactions.COLLECTION: "transactions",
    payouts.REQUESTS: "payout requests",
    payment_links.COLLECTION: "payment links",
    "notifications": "notifications about its notes",
    orders.COLLECTION: "orders",
    invoices.COLLECTION: "invoices",
    invoice_links.COLLECTION: "invoice payment links",
    credit_memos.COLLECTION: "credit memos",
    quotes.COLLECTION: "quotes",
    coupons.REDEMPTIONS: "coupon redemptions",
    clock.USAGE: "metered usage records",
    kyc.REQUESTS: "KYC document requests",
    kyc.DOCUMENTS: "KYC documents",
    aml.CHECKS: "AML checks",
    edd.LOGS: "EDD search logs",
    customer_links.COLLECTION: "customer links",
    deposit_requests.COLLECTION: "deposit requests",
}


async def insert_job(org: OrgDb, doc: Doc) -> Doc:
    await org[MERGES].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def running_job(org: OrgDb, target_id: str, source_ids: Sequence[str]) -> Doc | None:
    return await org[MERGES].find_one({"targetId": target_id, "sourceIds": list(source_ids), "status": "RUNNING"},
                                      {"_id": 0})


async def completed_job(org: OrgDb, target_id: str, source_ids: Sequence[str]) -> Doc | None:
    return await org[MERGES].find_one({"targetId": target_id, "sourceIds": list(source_ids), "status": "COMPLETED"},
                                      {"_id": 0})


async def mark_done(org: OrgDb, merge_id: str, step: str) -> None:
    await org[MERGES].update_one({"id": merge_id}, {"$addToSet": {"done": step}})


async def finish_job(org: OrgDb, merge_id: str, now: datetime) -> None:
    await org[MERGES].update_one({"id": merge_id}, {"$set": {"status": "COMPLETED", "completedTime": now}})


async def count_by_customer(org: OrgDb, collection: str, customer_ids: Sequence[str]) -> int:
    return await org[collection].count({"customerId": {"$in": list(customer_ids)}})


async def move_by_customer(org: OrgDb, collection: str, source_id: str, target_id: str) -> int:
    return await org[collection].update_many({"customerId": source_id}, {"$set": {"customerId": target_id}})


async def move_edd_profile(org: OrgDb, source_id: str, target_id: str) -> bool:
    """Gives the source's EDD profile to the target when the target has none (one profile per customer);
    False when the target has its own (it stays, the source's is left under the source's id)."""
    if await org[edd.PROFILES].find_one({"customerId": target_id}, {"_id": 1}) is not None:
        return False
    try:
        await org[edd.PROFILES].update_one({"customerId": source_id}, {"$set": {"customerId": target_id}})
    except OperationFailure as exc:  # the target got its own meanwhile (FerretDB words this as a generic error)
        if not is_duplicate(exc):
            raise
        return False
    return True


async def merge_coupon_counters(org: OrgDb, source_id: str, target_id: str) -> None:
    """Adds the source's per-customer redemption counters (`<couponId>:<customerId>`) to the target's, so a
    per-customer limit counts the duplicates' redemptions too. Idempotent: each target counter records the
    sources it has counted (`mergedFrom`), and the `$inc` is guarded by it."""
    suffix = f":{source_id}"
    found = await org[coupons.COUNTERS].find_list({"id": {"$regex": f"{re.escape(suffix)}$"}},
                                                  {"_id": 0, "id": 1, "count": 1})
    for counter in found:
        if not counter["id"].endswith(suffix) or not counter.get("count"):
            continue
        coupon_id = counter["id"][: -len(suffix)]
        try:
            await org[coupons.COUNTERS].update_one(
                {"id": f"{coupon_id}:{target_id}", "mergedFrom": {"$ne": source_id}},
                {"$inc": {"count": counter["count"]}, "$addToSet": {"mergedFrom": source_id}}, upsert=True)
        except OperationFailure as exc:  # counted by an earlier run of this step
            if not is_duplicate(exc):
                raise


async def count_attachment_files(org: OrgDb, customer_ids: Sequence[str]) -> int:
    return await org.db[ATTACHMENT_FILES].count_documents(
        {"metadata.organizationId": org.org_id, "metadata.customerId": {"$in": list(customer_ids)}})


async def move_attachment_files(org: OrgDb, source_id: str, target_id: str) -> None:
    await org.db[ATTACHMENT_FILES].update_many(
        {"metadata.organizationId": org.org_id, "metadata.customerId": source_id},
        {"$set": {"metadata.customerId": target_id}},
    )


async def timeline_counts(org: OrgDb, customer_ids: Sequence[str]) -> dict[str, int]:
    """Timeline events of these customers by kind."""
    rows = await org[timeline.COLLECTION].coll.aggregate([
        {"$match": {"organizationId": org.org_id, "customerId": {"$in": list(customer_ids)}}},
        {"$group": {"_id": "$kind", "n": {"$sum": 1}}},
    ])
    return {r["_id"]: r["n"] async for r in rows}


async def oldest_event(org: OrgDb, customer_id: str) -> Doc | None:
    docs = await org[timeline.COLLECTION].find_list(
        {"customerId": customer_id}, {"_id": 0, "id": 1, "seq": 1}, sort=[("seq", ASCENDING)], limit=1)
    return docs[0] if docs else None


async def move_event(org: OrgDb, event_id: str, source_id: str, target_id: str, seq: int) -> bool:
    """Gives one event of the source the target's sequence number `seq` (only if it is still the source's)."""
    return await org[timeline.COLLECTION].update_one(
        {"id": event_id, "customerId": source_id},
        {"$set": {"customerId": target_id, "seq": seq, "data.mergedFrom": source_id}},
    ) == 1


async def insert_once(org: OrgDb, collection: str, doc: Doc) -> None:
    """Inserts `doc` unless a document with its id is there already (a repeated step)."""
    try:
        await org[collection].insert_one(doc)
    except DuplicateKeyError:
        pass
    doc.pop("_id", None)


async def tombstones(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[TOMBSTONES].by_ids(ids)


async def recompute_aggregates(org: OrgDb, customer_id: str, now: datetime) -> Doc | None:
    """The customer's payment count, revenue and last payment time from its transactions (as
    `resolvers.money.count_sale` / `count_refund` maintain them on write)."""
    count = 0
    last: datetime | None = None
    revenue: dict[str, dict[str, int]] = {}
    cursor = org[transactions.COLLECTION].find(
        {"customerId": customer_id, "result": "APPROVED", "type": {"$in": ["SALE", "REFUND", "VOID"]}},
        {"_id": 0, "type": 1, "amountMinor": 1, "currency": 1, "processedTime": 1},
    )
    async for t in cursor:
        r = revenue.setdefault(t["currency"], {"amount": 0, "paid": 0, "count": 0})
        if t["type"] == "SALE":
            count += 1
            r["amount"] += t["amountMinor"]
            r["paid"] += t["amountMinor"]
            r["count"] += 1
            if t.get("processedTime") and (last is None or t["processedTime"] > last):
                last = t["processedTime"]
        else:
            r["amount"] -= t["amountMinor"]
    doc = await org[customers.COLLECTION].find_one_and_update(
        {"id": customer_id},
        {"$set": {"paymentCount": count, "revenue": revenue, "lastPaymentTime": last, "updatedTime": now},
         "$inc": {"revision": 1}},
    )
    return doc
