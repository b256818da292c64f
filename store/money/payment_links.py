"""The `payment_links` collection: hosted payment forms shared with a customer.

The link's token is never stored: only its SHA-256 (`tokenHash`), looked up when the customer opens
the page. The lookup establishes the tenant (the customer has no API key), so it is unscoped.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb, Store

COLLECTION = "payment_links"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, link_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": link_id}, {"_id": 0})


async def by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The link a token opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(COLLECTION).find_one({"tokenHash": token_hash}, {"_id": 0})


async def start_payment(org: OrgDb, link_id: str, now: datetime) -> Doc | None:
    """OPEN -> PROCESSING, only while unexpired: one payment attempt at a time per link."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": link_id, "status": "OPEN", "expiresTime": {"$gt": now}},
        {"$set": {"status": "PROCESSING", "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def finish_payment(org: OrgDb, link_id: str, transaction_id: str, paid: bool, now: datetime) -> None:
    """PROCESSING -> PAID (approved) or back to OPEN (declined: the customer may try another card)."""
    await org[COLLECTION].update_one(
        {"id": link_id, "status": "PROCESSING"},
        {
            "$set": {"status": "PAID" if paid else "OPEN", "updatedTime": now},
            "$push": {"transactionIds": transaction_id},
            "$inc": {"revision": 1},
        },
    )


async def finish_payment_failed(org: OrgDb, link_id: str, now: datetime) -> None:
    """PROCESSING -> OPEN when the attempt failed before any transaction was recorded."""
    await org[COLLECTION].update_one(
        {"id": link_id, "status": "PROCESSING"},
        {"$set": {"status": "OPEN", "updatedTime": now}, "$inc": {"revision": 1}},
    )


async def get_many(org: OrgDb, ids: list[str]) -> list[Doc | None]:
    """Links in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)
