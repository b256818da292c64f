"""`kyc_requests` (documents asked of a customer through the hosted upload page) and `kyc_documents`
(each uploaded document: its files in GridFS, analysis and review).

A request's token is never stored, only its SHA-256 (`tokenHash`); the page's lookup by it is unscoped
(it establishes the tenant). A request's per-type slots (`documents[]`) count attempts; an upload is
accepted only while the request is at the revision its form showed (`record_attempt`), so a replayed
form counts nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb, Store

REQUESTS = "kyc_requests"
DOCUMENTS = "kyc_documents"

REQUEST_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]
DOCUMENT_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
    ([("organizationId", ASCENDING), ("requestId", ASCENDING)], {"name": "org_request"}),
]


async def insert(org: OrgDb, collection: str, doc: Doc) -> Doc:
    await org[collection].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, collection: str, entity_id: str) -> Doc | None:
    return await org[collection].find_one({"id": entity_id}, {"_id": 0})


async def request_by_token_hash(store: Store, token_hash: str) -> Doc | None:
    return await store.raw(REQUESTS).find_one({"tokenHash": token_hash}, {"_id": 0})


async def of_customers(org: OrgDb, collection: str, customer_ids: list[str], limit: int) -> list[list[Doc]]:
    """Each customer's documents (or requests), newest first, at most `limit` each: one query."""
    found: dict[str, list[Doc]] = {c: [] for c in customer_ids}
    docs = await org[collection].find_list(
        {"customerId": {"$in": customer_ids}}, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)]
    )
    for d in docs:
        if len(found[d["customerId"]]) < limit:
            found[d["customerId"]].append(d)
    return [found[c] for c in customer_ids]


async def of_request(org: OrgDb, request_id: str) -> list[Doc]:
    return await org[DOCUMENTS].find_list({"requestId": request_id}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)])


async def record_attempt(org: OrgDb, request_id: str, revision: int, slots: list[Doc], now: datetime) -> Doc | None:
    """Replaces the request's slots (one more attempt counted) only at `revision` and while unexpired."""
    doc = await org[REQUESTS].find_one_and_update(
        {"id": request_id, "revision": revision, "expiresTime": {"$gt": now},
         "status": {"$in": ["GATHERING", "ATTEMPTED", "PARTIAL", "PENDING_REVIEW"]}},
        {"$set": {"documents": slots, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def update(org: OrgDb, collection: str, entity_id: str, revision: int, changes: Doc, now: datetime) -> Doc | None:
    """Applies `changes` at `revision` (None: it changed meanwhile or is gone)."""
    doc = await org[collection].find_one_and_update(
        {"id": entity_id, "revision": revision},
        {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc
