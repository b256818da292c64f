"""The `websites` collection: where customers are acquired (a customer needs one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb

COLLECTION = "websites"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)], {"name": "org_created_id"}),
]


async def insert(org: OrgDb, doc: Doc) -> None:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def list_page(org: OrgDb, after: tuple[Any, str] | None, first: int) -> tuple[list[Doc], bool]:
    flt: Doc = {}
    if after is not None:
        t, last_id = after
        flt = {"$or": [{"createdTime": {"$lt": t}}, {"createdTime": t, "id": {"$lt": last_id}}]}
    docs = await org[COLLECTION].find_list(
        flt, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)], limit=first + 1
    )
    return docs[:first], len(docs) > first


async def count(org: OrgDb) -> int:
    return await org[COLLECTION].count({})
