"""The `deposit_strategies` collection (how a deposit request's amounts are worked out) and
`deposit_property_sets` (extra form fields a deposit page asks for). Both are small per organization:
they are read whole (bounded by `MAX_PER_ORG`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb

COLLECTION = "deposit_strategies"
PROPERTY_SETS = "deposit_property_sets"
MAX_PER_ORG = 200

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
]
PROPERTY_SET_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
]


async def insert(org: OrgDb, doc: Doc, collection: str = COLLECTION) -> Doc:
    await org[collection].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, strategy_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": strategy_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: list[str], collection: str = COLLECTION) -> list[Doc | None]:
    return await org[collection].by_ids(ids)


async def all_of(org: OrgDb, collection: str = COLLECTION) -> list[Doc]:
    """Every strategy (or property set) of the organization, oldest first."""
    return await org[collection].find_list(
        {}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)], limit=MAX_PER_ORG
    )


async def count(org: OrgDb, collection: str = COLLECTION) -> int:
    return await org[collection].count({})


async def update(org: OrgDb, strategy_id: str, revision: int | None, changes: Doc, now: datetime) -> Doc | None:
    """Applies `changes` when the strategy exists (at `revision`, when given); None otherwise."""
    flt: Doc = {"id": strategy_id}
    if revision is not None:
        flt["revision"] = revision
    doc = await org[COLLECTION].find_one_and_update(
        flt, {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}}
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def get_property_set(org: OrgDb, set_id: str) -> Doc | None:
    return await org[PROPERTY_SETS].find_one({"id": set_id}, {"_id": 0})
