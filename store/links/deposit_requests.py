"""The `deposit_requests` collection: hosted "add funds" sessions for one customer and currency.

The request's link token is never stored, only its SHA-256 (`tokenHash`); the page's lookup by it
establishes the tenant, so it is unscoped. Status moves are single-document updates guarded by the
current status and the expiry (`move`), so a replayed or late form changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb, Store

COLLECTION = "deposit_requests"
# Statuses in which the customer may still pay (the others are `INITIATED`, in flight, and the
# permanent `COMPLETED` and `EXPIRED`).
PAYABLE = ["CREATED", "PENDING", "ATTEMPTED"]

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, request_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": request_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: list[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The request a token opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(COLLECTION).find_one({"tokenHash": token_hash}, {"_id": 0})


async def of_customer(org: OrgDb, customer_id: str, limit: int) -> list[Doc]:
    """The customer's requests, newest first."""
    return await org[COLLECTION].find_list(
        {"customerId": customer_id}, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)], limit=limit
    )


async def last_completed(org: OrgDb, customer_id: str, currency: str) -> Doc | None:
    """The customer's latest completed deposit in `currency` (for strategies that adjust their base to it)."""
    found = await org[COLLECTION].find_list(
        {"customerId": customer_id, "currency": currency, "status": "COMPLETED"},
        {"_id": 0},
        sort=[("completedTime", DESCENDING), ("id", DESCENDING)],
        limit=1,
    )
    return found[0] if found else None


async def move(
    org: OrgDb, request_id: str, from_statuses: list[str], changes: Doc, now: datetime,
    *, unexpired: bool = True, push: Doc | None = None,
) -> Doc | None:
    """Moves the request out of one of `from_statuses` (and, with `unexpired`, only before its expiry);
    None when it was not in one of them (nothing changed)."""
    flt: Doc = {"id": request_id, "status": {"$in": from_statuses}}
    if unexpired:
        flt["expiresTime"] = {"$gt": now}
    update: Doc = {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}}
    if push:
        update["$push"] = push
    doc = await org[COLLECTION].find_one_and_update(flt, update)
    if doc is not None:
        doc.pop("_id", None)
    return doc
