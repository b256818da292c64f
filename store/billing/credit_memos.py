"""The `credit_memos` collection: credit owed to a customer, amounts in integer minor units.

`unusedMinor` is what is left to allocate. An allocation to an invoice is two single-document steps,
each guarded and safe to repeat: (1) the memo gives the amount (`$inc unusedMinor -amount`, the
allocation pushed with an id derived from the caller's idempotency key, guarded by the memo's revision
and the id not being there yet); (2) the invoice takes it (guarded the same way on the invoice). A retry
finds step 1 done by the allocation's id and finishes step 2; when the invoice can no longer take it,
step 1 is undone (guarded by the allocation being there).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb
from store.paging import read

COLLECTION = "credit_memos"
COUNTERS = "billing_counters"
OPEN = ["ISSUED", "PARTIALLY_APPLIED"]

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    COLLECTION: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        (
            [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
            {"name": "org_customer_created"},
        ),
        ([("organizationId", ASCENDING), ("customerId", ASCENDING), ("status", ASCENDING)], {"name": "org_customer_status"}),
    ],
}


def _clean(doc: Doc | None) -> Doc | None:
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def next_number(org: OrgDb, customer_id: str) -> int:
    """The customer's next credit memo number (1, 2, 3 …; one atomic `$inc`)."""
    doc = await org[COUNTERS].find_one_and_update({"id": f"creditMemoNumber:{customer_id}"}, {"$inc": {"value": 1}},
                                                  upsert=True)
    assert doc is not None
    return int(doc["value"])


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    return _clean(doc) or doc


async def get(org: OrgDb, memo_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": memo_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def transition(org: OrgDb, memo_id: str, guard: dict[str, Any], fields: Doc, now: datetime,
                     extra: dict[str, Any] | None = None) -> Doc | None:
    update: Doc = {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}}
    for op, value in (extra or {}).items():
        update[op] = {**update.get(op, {}), **value}
    return _clean(await org[COLLECTION].find_one_and_update({"id": memo_id, **guard}, update))


async def open_of_customers(org: OrgDb, customer_ids: Sequence[str]) -> list[list[Doc]]:
    """Each customer's memos with unused credit (ISSUED, PARTIALLY_APPLIED), oldest first: one query."""
    docs = await org[COLLECTION].find_list(
        {"customerId": {"$in": list(set(customer_ids))}, "status": {"$in": OPEN}, "unusedMinor": {"$gt": 0}},
        {"_id": 0, "items": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)])
    found: dict[str, list[Doc]] = {c: [] for c in customer_ids}
    for d in docs:
        found[d["customerId"]].append(d)
    return [found[c] for c in customer_ids]


async def page(org: OrgDb, customer_id: str, position: tuple[datetime, str] | None, size: int,
               backward: bool = False) -> tuple[list[Doc], bool]:
    """One page of a customer's credit memos, newest first, by (createdTime, id) (`backward`: before `position`)."""
    return await read(org[COLLECTION], {"customerId": customer_id}, "createdTime", position, size,
                      descending=True, backward=backward)


async def count(org: OrgDb, customer_id: str) -> int:
    return await org[COLLECTION].count({"customerId": customer_id})
