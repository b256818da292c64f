"""`billing_portals` (a named portal configuration per website) and `customer_links` (links given to
one customer: `INSTRUMENT_SETUP` for a currency, `BILLING_PORTAL` for a portal).

As with payment links, only the SHA-256 of a link's token is stored (`tokenHash`) and the lookup by it is
unscoped (it establishes the tenant). Every change a page makes is guarded by the link's `revision`, so a
replayed form (an older revision) changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb, Store

COLLECTION = "customer_links"
PORTALS = "billing_portals"
MAX_PORTALS = 200

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]
PORTAL_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("slug", ASCENDING)], {"unique": True, "name": "org_slug_unique"}),
]


async def insert(org: OrgDb, doc: Doc, collection: str = COLLECTION) -> Doc:
    await org[collection].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, link_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": link_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: list[str], collection: str = COLLECTION) -> list[Doc | None]:
    return await org[collection].by_ids(ids)


async def by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The link a token opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(COLLECTION).find_one({"tokenHash": token_hash}, {"_id": 0})


async def use(
    org: OrgDb, link_id: str, revision: int, changes: Doc, now: datetime, push: Doc | None = None
) -> Doc | None:
    """One change made through the link's page: only at `revision`, while ACTIVE and unexpired."""
    update: Doc = {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}}
    if push:
        update["$push"] = push
    doc = await org[COLLECTION].find_one_and_update(
        {"id": link_id, "revision": revision, "status": "ACTIVE", "expiresTime": {"$gt": now}}, update
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def portal(org: OrgDb, portal_id: str) -> Doc | None:
    return await org[PORTALS].find_one({"id": portal_id}, {"_id": 0})


async def portal_by_slug(org: OrgDb, slug: str) -> Doc | None:
    return await org[PORTALS].find_one({"slug": slug}, {"_id": 0})


async def portals(org: OrgDb) -> list[Doc]:
    return await org[PORTALS].find_list(
        {}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)], limit=MAX_PORTALS
    )


async def update_portal(org: OrgDb, portal_id: str, revision: int | None, changes: Doc, now: datetime) -> Doc | None:
    flt: Doc = {"id": portal_id}
    if revision is not None:
        flt["revision"] = revision
    doc = await org[PORTALS].find_one_and_update(flt, {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}})
    if doc is not None:
        doc.pop("_id", None)
    return doc
