"""The `products` and `plans` collections: the catalog orders are made from.

Plans are edited in place (`revision` + 1 per change); order items keep a copy of the plan as it was
when ordered (with its revision), so later edits leave existing orders as they were (grandfathered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb
from store.paging import read

PRODUCTS = "products"
PLANS = "plans"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    PRODUCTS: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("createdTime", ASCENDING), ("id", ASCENDING)], {"name": "org_created"}),
    ],
    PLANS: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("productId", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_product"}),
        ([("organizationId", ASCENDING), ("createdTime", ASCENDING), ("id", ASCENDING)], {"name": "org_created"}),
    ],
}


async def insert(org: OrgDb, collection: str, doc: Doc) -> Doc:
    await org[collection].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, collection: str, entity_id: str) -> Doc | None:
    return await org[collection].find_one({"id": entity_id}, {"_id": 0})


async def get_many(org: OrgDb, collection: str, ids: Sequence[str]) -> list[Doc | None]:
    """Documents in the order of `ids` (None where absent): one `$in` query."""
    return await org[collection].by_ids(ids)


async def page(
    org: OrgDb, collection: str, flt: Mapping[str, Any], position: tuple[datetime, str] | None, size: int,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    """One page by (createdTime, id), oldest first (`backward`: before `position`)."""
    return await read(org[collection], flt, "createdTime", position, size, descending=False, backward=backward)


async def update(org: OrgDb, collection: str, entity_id: str, revision: int, fields: Doc, now: datetime) -> Doc | None:
    """Sets `fields` if the document is still at `revision`; the document afterwards, or None (stale)."""
    doc = await org[collection].find_one_and_update(
        {"id": entity_id, "revision": revision},
        {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc
