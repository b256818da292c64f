"""`edd_profiles` (one per customer: whether EDD is required, the manual and automatic scores, when the
next automatic search is due) and `edd_search_logs` (every automatic search, kept whether or not it
changed a score).
The monthly searches are scheduler jobs (resolvers/compliance/edd.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb

PROFILES = "edd_profiles"
LOGS = "edd_search_logs"

PROFILE_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("customerId", ASCENDING)], {"unique": True, "name": "org_customer_unique"}),
]
LOG_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("time", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_time"},
    ),
]


async def get_many(org: OrgDb, customer_ids: list[str]) -> list[Doc | None]:
    return await org[PROFILES].by_ids(customer_ids, key="customerId")


async def get(org: OrgDb, customer_id: str) -> Doc | None:
    return await org[PROFILES].find_one({"customerId": customer_id}, {"_id": 0})


async def create(org: OrgDb, doc: Doc) -> Doc:
    """Inserts the profile unless the customer has one (then returns that one)."""
    await org[PROFILES].update_one({"customerId": doc["customerId"]}, {"$setOnInsert": doc}, upsert=True)
    return await get(org, doc["customerId"]) or doc


async def update(org: OrgDb, customer_id: str, revision: int, changes: Doc, now: datetime) -> Doc | None:
    doc = await org[PROFILES].find_one_and_update(
        {"customerId": customer_id, "revision": revision},
        {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def insert_log(org: OrgDb, doc: Doc) -> Doc:
    await org[LOGS].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get_log(org: OrgDb, log_id: str) -> Doc | None:
    return await org[LOGS].find_one({"id": log_id}, {"_id": 0})


async def logs_of(org: OrgDb, customer_id: str, limit: int) -> list[Doc]:
    return await org[LOGS].find_list(
        {"customerId": customer_id}, {"_id": 0}, sort=[("time", DESCENDING), ("id", DESCENDING)], limit=limit
    )
