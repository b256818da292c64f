"""The `coupons`, `coupon_redemptions` and `coupon_counters` collections.

Redemption limits are counters claimed with ONE guarded single-document update each, so they hold under
concurrency without transactions:
- total redemptions: `$inc redemptionsCount` on the coupon, guarded by `redemptionsCount < limit`;
- redemptions per customer: a counter document `<couponId>:<customerId>`, incremented guarded by
  `count < limit`, created by an upsert the first time (a concurrent second creation hits the unique id
  and is refused, so it is retried as an increment).
A redemption is inserted only after both claims succeeded; when the second claim fails the first is given
back. Its `redemptionKey` (unique) makes a retry of the same redemption find it instead of claiming again.

Canceling a redemption gives both counts back, each with one guarded update that records the redemption's
id on the counter (`returnedRedemptionIds`), so a retried or concurrent cancel returns each count once:
(1) the redemption ACTIVE -> CANCELED with `countsReturned: false`, (2) the coupon's count, (3) the
customer's count, (4) `countsReturned: true`. A cancel interrupted after (1) is finished by the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb

COUPONS = "coupons"
REDEMPTIONS = "coupon_redemptions"
COUNTERS = "coupon_counters"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    COUPONS: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)], {"name": "org_created"}),
    ],
    REDEMPTIONS: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("redemptionKey", ASCENDING)], {"unique": True, "name": "org_key_unique"}),
        ([("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_customer"}),
    ],
    COUNTERS: [([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"})],
}


def _clean(doc: Doc | None) -> Doc | None:
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def insert(org: OrgDb, doc: Doc) -> Doc | None:
    """Inserts a coupon; None when its id (the redemption code) is taken."""
    try:
        await org[COUPONS].insert_one(doc)
    except DuplicateKeyError:
        return None
    return _clean(doc)


async def get(org: OrgDb, coupon_id: str) -> Doc | None:
    return await org[COUPONS].find_one({"id": coupon_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COUPONS].by_ids(ids)


async def update(org: OrgDb, coupon_id: str, revision: int, fields: Doc, now: datetime) -> Doc | None:
    return _clean(await org[COUPONS].find_one_and_update(
        {"id": coupon_id, "revision": revision}, {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}}))


async def page(org: OrgDb, after: tuple[datetime, str] | None, first: int) -> tuple[list[Doc], bool]:
    flt: Doc = {}
    if after is not None:
        value, last_id = after
        flt["$or"] = [{"createdTime": {"$lt": value}}, {"createdTime": value, "id": {"$lt": last_id}}]
    docs = await org[COUPONS].find_list(flt, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)],
                                        limit=first + 1)
    return docs[:first], len(docs) > first


# ---------------------------------------------------------------------------------------------- counters


async def claim_total(org: OrgDb, coupon_id: str, limit: int | None) -> bool:
    """Takes one of the coupon's total redemptions (always when it has no limit)."""
    flt: Doc = {"id": coupon_id}
    if limit is not None:
        flt["redemptionsCount"] = {"$lt": limit}
    # `everRedeemed` stays true when cancels give the count back: the discount stays final (COUPON_IN_USE).
    return await org[COUPONS].update_one(flt, {"$inc": {"redemptionsCount": 1}, "$set": {"everRedeemed": True}}) == 1


async def release_total(org: OrgDb, coupon_id: str) -> None:
    await org[COUPONS].update_one({"id": coupon_id, "redemptionsCount": {"$gt": 0}}, {"$inc": {"redemptionsCount": -1}})


async def return_total(org: OrgDb, coupon_id: str, redemption_id: str) -> bool:
    """Gives back the count a canceled redemption took, once per redemption."""
    return await org[COUPONS].update_one(
        {"id": coupon_id, "redemptionsCount": {"$gt": 0}, "returnedRedemptionIds": {"$ne": redemption_id}},
        {"$inc": {"redemptionsCount": -1}, "$push": {"returnedRedemptionIds": redemption_id}}) == 1


def _counter_id(coupon_id: str, customer_id: str) -> str:
    return f"{coupon_id}:{customer_id}"


async def claim_customer(org: OrgDb, coupon_id: str, customer_id: str, limit: int | None) -> bool:
    """Takes one of the coupon's redemptions for this customer."""
    cid = _counter_id(coupon_id, customer_id)
    flt: Doc = {"id": cid}
    if limit is not None:
        flt["count"] = {"$lt": limit}
    for _ in range(3):
        try:
            return await org[COUNTERS].update_one(flt, {"$inc": {"count": 1}}, upsert=True) == 1
        except DuplicateKeyError:  # the counter exists and is at its limit (or was created concurrently)
            if await org[COUNTERS].find_one({"id": cid, "count": {"$gte": limit}}) is not None:
                return False
    return False


async def release_customer(org: OrgDb, coupon_id: str, customer_id: str) -> None:
    await org[COUNTERS].update_one({"id": _counter_id(coupon_id, customer_id), "count": {"$gt": 0}},
                                   {"$inc": {"count": -1}})


async def return_customer(org: OrgDb, coupon_id: str, customer_id: str, redemption_id: str) -> bool:
    """Gives back the customer's count a canceled redemption took, once per redemption."""
    return await org[COUNTERS].update_one(
        {"id": _counter_id(coupon_id, customer_id), "count": {"$gt": 0}, "returnedRedemptionIds": {"$ne": redemption_id}},
        {"$inc": {"count": -1}, "$push": {"returnedRedemptionIds": redemption_id}}) == 1


# ---------------------------------------------------------------------------------------------- redemptions


async def insert_redemption(org: OrgDb, doc: Doc) -> Doc | None:
    """Inserts a redemption; None when one with its `redemptionKey` exists already."""
    try:
        await org[REDEMPTIONS].insert_one(doc)
    except DuplicateKeyError:
        return None
    return _clean(doc)


async def redemption(org: OrgDb, redemption_id: str) -> Doc | None:
    return await org[REDEMPTIONS].find_one({"id": redemption_id}, {"_id": 0})


async def redemption_by_key(org: OrgDb, key: str) -> Doc | None:
    return await org[REDEMPTIONS].find_one({"redemptionKey": key}, {"_id": 0})


async def redemptions_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[REDEMPTIONS].by_ids(ids)


async def of_customers(org: OrgDb, customer_ids: Sequence[str], active_only: bool = False) -> list[list[Doc]]:
    """Each customer's redemptions, oldest first (one query)."""
    flt: Doc = {"customerId": {"$in": list(set(customer_ids))}}
    if active_only:
        flt["status"] = "ACTIVE"
    docs = await org[REDEMPTIONS].find_list(flt, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)])
    found: dict[str, list[Doc]] = {c: [] for c in customer_ids}
    for d in docs:
        found[d["customerId"]].append(d)
    return [found[c] for c in customer_ids]


async def cancel_redemption(org: OrgDb, redemption_id: str, now: datetime) -> Doc | None:
    return _clean(await org[REDEMPTIONS].find_one_and_update(
        {"id": redemption_id, "status": "ACTIVE"},
        {"$set": {"status": "CANCELED", "canceledTime": now, "countsReturned": False, "updatedTime": now},
         "$inc": {"revision": 1}}))


async def mark_counts_returned(org: OrgDb, redemption_id: str, now: datetime) -> Doc | None:
    return _clean(await org[REDEMPTIONS].find_one_and_update(
        {"id": redemption_id, "status": "CANCELED", "countsReturned": False},
        {"$set": {"countsReturned": True, "updatedTime": now}, "$inc": {"revision": 1}}))


async def mark_applied(org: OrgDb, redemption_id: str, invoice_id: str, now: datetime) -> bool:
    """Counts one application of a redemption to an invoice, once per invoice."""
    return await org[REDEMPTIONS].update_one(
        {"id": redemption_id, "appliedInvoiceIds": {"$ne": invoice_id}},
        {"$push": {"appliedInvoiceIds": invoice_id}, "$inc": {"applicationsCount": 1, "revision": 1},
         "$set": {"updatedTime": now}}) == 1
