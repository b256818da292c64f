"""The `persisted_documents` collection: GraphQL documents registered under an id, per organization.

Two kinds share it: documents registered on the fly by Apollo's automatic persisted queries (the id is
the SHA-256 of the text, `trusted: false`), and documents of a client's manifest registered by an
operator (`trusted: true`), the only ones a key in trusted-documents mode may run. Every gateway
process reads the same collection, so a document registered through one is known to all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb

COLLECTION = "persisted_documents"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
]


async def get(org: OrgDb, document_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": document_id}, {"_id": 0})


async def register(org: OrgDb, document_id: str, query: str, now: datetime, *, trusted: bool,
                   client: str | None = None) -> None:
    """Idempotent: registering the same id again keeps the text; a manifest's registration makes it trusted."""
    update: Doc = {"$setOnInsert": {"id": document_id, "query": query, "createdTime": now}}
    if trusted:
        update["$set"] = {"trusted": True, "client": client}
    else:
        update["$setOnInsert"]["trusted"] = False
    try:
        await org[COLLECTION].update_one({"id": document_id}, update, upsert=True)
    except DuplicateKeyError:  # registered concurrently by another request: now it exists, update it
        await org[COLLECTION].update_one({"id": document_id}, {k: v for k, v in update.items() if k == "$set"} or
                                         {"$set": {"id": document_id}})


async def register_many(org: OrgDb, documents: Sequence[tuple[str, str]], now: datetime, client: str | None) -> int:
    """Registers a manifest's documents as trusted (one idempotent upsert each); returns how many."""
    for document_id, query in documents:
        await register(org, document_id, query, now, trusted=True, client=client)
    return len(documents)


async def count_trusted(org: OrgDb) -> int:
    return await org[COLLECTION].count({"trusted": True})
