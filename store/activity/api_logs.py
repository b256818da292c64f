"""The `api_logs` collection: one entry per GraphQL mutation request, linked to the customers it touched.

Entries expire through a TTL index on `time`; its `expireAfterSeconds` comes from a setting, so it is
created (or changed) by `ensure_ttl_index` at start-up rather than declared with the static indexes.
Servers without TTL indexes (FerretDB v1) get a plain index instead and the app runs `expire` hourly.
Entries never hold secrets: the caller redacts variables before they get here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import OperationFailure

from store.db import Doc, OrgDb, Store
from store.paging import finish, keyset

COLLECTION = "api_logs"
TTL_INDEX = "time_ttl"
SWEEP_INDEX = "time_sweep"
NOT_IMPLEMENTED = 238
OUTCOMES = ("OK", "USER_ERRORS", "ERROR")

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerIds", ASCENDING), ("time", DESCENDING), ("id", DESCENDING)],
        {"name": "org_customer_time"},
    ),
]


async def ensure_ttl_index(store: Store, days: float) -> bool:
    """Creates the TTL index on `time` (replacing one with another retention); False when the server has
    no TTL indexes (FerretDB v1 refuses `expireAfterSeconds` with an error): then `expire` must be run periodically instead."""
    coll = store.raw(COLLECTION)
    seconds = max(1, int(days * 86_400))
    existing = (await coll.index_information()).get(TTL_INDEX)
    if existing is not None and existing.get("expireAfterSeconds") == seconds:
        return True
    if existing is not None:
        await coll.drop_index(TTL_INDEX)
    try:
        await coll.create_index([("time", ASCENDING)], name=TTL_INDEX, expireAfterSeconds=seconds)
    except OperationFailure as exc:
        if exc.code != NOT_IMPLEMENTED:
            raise
        await coll.create_index([("time", ASCENDING)], name=SWEEP_INDEX)
        return False
    return True


async def expire(store: Store, days: float, now: datetime) -> int:
    """Deletes entries older than the retention, in every organization (the TTL monitor's job, by hand)."""
    result = await store.raw(COLLECTION).delete_many({"time": {"$lt": now - timedelta(days=days)}})
    return result.deleted_count


async def insert(org: OrgDb, doc: Doc) -> None:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)


def _filter(
    customer_id: str, outcomes: Sequence[str], time_from: datetime | None, time_to: datetime | None
) -> Doc:
    flt: Doc = {"customerIds": customer_id}
    if outcomes:
        flt["outcome"] = {"$in": list(outcomes)}
    if time_from is not None or time_to is not None:
        rng: Doc = {}
        if time_from is not None:
            rng["$gte"] = time_from
        if time_to is not None:
            rng["$lt"] = time_to
        flt["time"] = rng
    return flt


async def page(
    org: OrgDb,
    customer_id: str,
    after: tuple[datetime, str] | None,
    first: int,
    *,
    outcomes: Sequence[str] = (),
    time_from: datetime | None = None,
    time_to: datetime | None = None,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    """A customer's log entries, newest first, one page and whether more follow."""
    flt = _filter(customer_id, outcomes, time_from, time_to)
    clause, sort = keyset("time", after, True, backward)
    if clause is not None:
        flt["$and"] = [clause]
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def count(
    org: OrgDb,
    customer_id: str,
    *,
    outcomes: Sequence[str] = (),
    time_from: datetime | None = None,
    time_to: datetime | None = None,
) -> int:
    return await org[COLLECTION].count(_filter(customer_id, outcomes, time_from, time_to))


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)
