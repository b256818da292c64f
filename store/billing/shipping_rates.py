"""The `shipping_rates` collection: each website's shipping rate table.

A rate is a price in one currency with its conditions (minimum/maximum order subtotal in minor units,
countries and regions of the delivery address). Tables are small (a limit per website is enforced on
create), so a website's table is read whole, oldest first. Edits are guarded by `revision`; a delete is
too, so a rate changed meanwhile is not deleted unseen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb

COLLECTION = "shipping_rates"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("websiteId", ASCENDING), ("createdTime", ASCENDING), ("id", ASCENDING)],
        {"name": "org_website_created"},
    ),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, rate_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": rate_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    """Rates in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)


async def of_website(org: OrgDb, website_id: str, limit: int) -> list[Doc]:
    """A website's table, oldest first (at most `limit` rates)."""
    return await org[COLLECTION].find_list(
        {"websiteId": website_id}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)], limit=limit
    )


async def count_of_website(org: OrgDb, website_id: str) -> int:
    return await org[COLLECTION].count({"websiteId": website_id})


async def update(org: OrgDb, rate_id: str, revision: int, fields: Doc, now: datetime) -> Doc | None:
    """Sets `fields` if the rate is still at `revision`; the rate afterwards, or None (stale or gone)."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": rate_id, "revision": revision},
        {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def delete(org: OrgDb, rate_id: str, revision: int) -> bool:
    """Deletes the rate if it is still at `revision`; False when it changed or is gone."""
    return await org[COLLECTION].delete_one({"id": rate_id, "revision": revision}) == 1
