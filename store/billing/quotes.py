"""The `quotes` collection: proposals a customer accepts or rejects; acceptance creates (or changes, or
reactivates) an order.

Acceptance is three single-document steps, each guarded and safe to repeat: (1) the quote is claimed
(`acceptance` set with the caller's key, guarded by ISSUED and no acceptance under way); (2) the order is
made or changed (orderCreate's own idempotency key is derived from the quote and that key); (3) the
quote becomes ACCEPTED with the order's id (guarded by the claim), or the claim is released when the
payment condition failed. A retry with the same key resumes at the step a crash stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb, Store
from store.paging import read

COLLECTION = "quotes"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),  # the acceptance link
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]


def _clean(doc: Doc | None) -> Doc | None:
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    return _clean(doc) or doc


async def get(org: OrgDb, quote_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": quote_id}, {"_id": 0})


async def by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The quote an acceptance link opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(COLLECTION).find_one({"tokenHash": token_hash}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def transition(org: OrgDb, quote_id: str, guard: dict[str, Any], fields: Doc, now: datetime) -> Doc | None:
    return _clean(await org[COLLECTION].find_one_and_update(
        {"id": quote_id, **guard}, {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}}))


async def page(org: OrgDb, customer_id: str, position: tuple[datetime, str] | None, size: int,
               backward: bool = False) -> tuple[list[Doc], bool]:
    """One page of a customer's quotes, newest first, by (createdTime, id) (`backward`: before `position`)."""
    return await read(org[COLLECTION], {"customerId": customer_id}, "createdTime", position, size,
                      descending=True, backward=backward)


async def count(org: OrgDb, customer_id: str) -> int:
    return await org[COLLECTION].count({"customerId": customer_id})
