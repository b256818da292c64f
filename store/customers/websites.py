"""The `websites` collection: where customers are acquired (a customer needs one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb
from store.paging import finish, keyset

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


async def list_page(org: OrgDb, after: tuple[Any, str] | None, first: int, backward: bool = False
                    ) -> tuple[list[Doc], bool]:
    clause, sort = keyset("createdTime", after, True, backward)
    docs = await org[COLLECTION].find_list(clause or {}, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def count(org: OrgDb) -> int:
    return await org[COLLECTION].count({})
