"""`aml_checks` (one screening result of a customer, with its hits and review) and `aml_schedules` (when
each screened customer is due for the recurring check).

The schedule is claimed with a lease (`claim_due`): one runner at a time takes a due customer, and a
runner that dies leaves the lease to run out, after which another takes it: durable and restart-safe
without a job system. Claiming is across organizations (the runner serves every tenant), so it reads
the raw collection; everything it then does goes through the customer's organization.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from store.db import Doc, OrgDb, Store

CHECKS = "aml_checks"
SCHEDULES = "aml_schedules"
NEVER = datetime(1970, 1, 1)

CHECK_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_created"},
    ),
]
SCHEDULE_INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("customerId", ASCENDING)], {"unique": True, "name": "org_customer_unique"}),
    ([("dueTime", ASCENDING)], {"name": "due_across_organizations"}),
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


async def schedule(org: OrgDb, customer_id: str, due: datetime) -> None:
    """The customer's next recurring check is due at `due` (and no runner holds it)."""
    await org[SCHEDULES].update_one(
        {"customerId": customer_id}, {"$set": {"dueTime": due, "leaseUntil": NEVER}}, upsert=True
    )


async def due_time(org: OrgDb, customer_id: str) -> datetime | None:
    doc = await org[SCHEDULES].find_one({"customerId": customer_id}, {"dueTime": 1})
    return doc["dueTime"] if doc else None


async def claim_due(store: Store, now: datetime, lease: timedelta) -> Doc | None:
    """Takes one due schedule (any organization) for `lease`; None when nothing is due."""
    doc = await store.raw(SCHEDULES).find_one_and_update(
        {"dueTime": {"$lte": now}, "leaseUntil": {"$lte": now}},
        {"$set": {"leaseUntil": now + lease}},
        sort=[("dueTime", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )  # (FerretDB v1 takes no projection on findAndModify)
    if doc is not None:
        doc.pop("_id", None)
    return doc
