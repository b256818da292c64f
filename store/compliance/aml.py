"""`aml_checks`: one screening result of a customer, with its hits and review. The recurring screening
is a scheduler job per customer (resolvers/compliance/aml.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb

CHECKS = "aml_checks"

CHECK_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[CHECKS].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, check_id: str) -> Doc | None:
    return await org[CHECKS].find_one({"id": check_id}, {"_id": 0})


async def of_customers(org: OrgDb, customer_ids: list[str], limit: int) -> list[list[Doc]]:
    found: dict[str, list[Doc]] = {c: [] for c in customer_ids}
    docs = await org[CHECKS].find_list(
        {"customerId": {"$in": customer_ids}}, {"_id": 0}, sort=[("createdTime", DESCENDING), ("id", DESCENDING)]
    )
    for d in docs:
        if len(found[d["customerId"]]) < limit:
            found[d["customerId"]].append(d)
    return [found[c] for c in customer_ids]


async def count_of_customer(org: OrgDb, customer_id: str, source: str) -> int:
    return await org[CHECKS].count({"customerId": customer_id, "source": source})


async def move(org: OrgDb, check_id: str, from_statuses: list[str], revision: int | None, changes: Doc,
               now: datetime, unset: tuple[str, ...] = ()) -> Doc | None:
    flt: Doc = {"id": check_id, "status": {"$in": from_statuses}}
    if revision is not None:
        flt["revision"] = revision
    update: Doc = {"$set": {**changes, "updatedTime": now}, "$inc": {"revision": 1}}
    if unset:
        update["$unset"] = {f: "" for f in unset}
    doc = await org[CHECKS].find_one_and_update(flt, update)
    if doc is not None:
        doc.pop("_id", None)
    return doc
