"""The `orders` collection: subscription and one-time orders, their items with a copy of each effective
plan, and where the order stands.

An order is written first (PENDING, with the id of its initial invoice chosen up front), then its
invoice, then the charge: each step one single-document write guarded by what the previous one left, so
a retry resumes where a crash stopped. `creationKey` (the idempotency key, unique per organization)
makes the order itself the claim of its `orderCreate`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb
from store.paging import read

COLLECTION = "orders"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("creationKey", ASCENDING)], {"unique": True, "name": "org_creation_key"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("status", ASCENDING), ("createdTime", DESCENDING)],
        {"name": "org_customer_status"},
    ),
]


async def insert(org: OrgDb, doc: Doc) -> Doc | None:
    """Inserts a new order; None when an order with its `creationKey` exists already."""
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError:
        return None
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, order_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": order_id}, {"_id": 0})


async def by_creation_key(org: OrgDb, key: str) -> Doc | None:
    return await org[COLLECTION].find_one({"creationKey": key}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


def _clean(doc: Doc | None) -> Doc | None:
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def transition(
    org: OrgDb, order_id: str, guard: Mapping[str, Any], fields: Doc, now: datetime, revision: int | None = None
) -> Doc | None:
    """Sets `fields` when the order matches `guard` (and `revision`, if given); the order afterwards or None."""
    flt: Doc = {"id": order_id, **guard}
    if revision is not None:
        flt["revision"] = revision
    return _clean(
        await org[COLLECTION].find_one_and_update(
            flt, {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}}
        )
    )


def _customer_filter(customer_id: str, extra: Mapping[str, Any]) -> Doc:
    return {"customerId": customer_id, **extra}


async def page(
    org: OrgDb, customer_id: str, extra: Mapping[str, Any], position: tuple[datetime, str] | None, size: int,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    """One page of a customer's orders, newest first, by (createdTime, id) (`backward`: before `position`)."""
    return await read(org[COLLECTION], _customer_filter(customer_id, extra), "createdTime", position, size,
                      descending=True, backward=backward)


async def first_pages(
    org: OrgDb, customer_ids: Sequence[str], extra: Mapping[str, Any], first: int
) -> list[tuple[list[Doc], bool]]:
    """The first page of several customers' orders, usually in ONE query (see transactions.first_pages)."""
    ids = list(dict.fromkeys(customer_ids))
    limit = (first + 1) * len(ids)
    flt: Doc = {"customerId": {"$in": ids}, **extra}
    docs = await org[COLLECTION].find_list(
        flt, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)], limit=limit
    )
    found: dict[str, list[Doc]] = {i: [] for i in ids}
    for d in docs:
        found[d["customerId"]].append(d)
    pages: dict[str, tuple[list[Doc], bool]] = {}
    for cid, rows in found.items():
        if len(rows) > first or len(docs) < limit:
            pages[cid] = (rows[:first], len(rows) > first)
        else:
            pages[cid] = await page(org, cid, extra, None, first)
    return [pages[c] for c in customer_ids]


async def count(org: OrgDb, customer_id: str, extra: Mapping[str, Any]) -> int:
    return await org[COLLECTION].count(_customer_filter(customer_id, extra))
