"""The `blocklists` collection: attribute values (customer id, email, card fingerprint, ...) refused
during payments. One entry per (organization, type, value), kept unique by an index, so adding twice,
even concurrently, leaves one entry. An entry blocks until it is removed or its `expirationTime`
passes; expired entries simply stop matching (no cleanup job)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import OperationFailure

from store.db import Doc, OrgDb
from store.errors import is_duplicate
from store.ids import new_id
from store.paging import finish, keyset

COLLECTION = "blocklists"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    (
        [("organizationId", ASCENDING), ("type", ASCENDING), ("value", ASCENDING)],
        {"unique": True, "name": "org_type_value_unique"},
    ),
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_created"},
    ),
]


def active_filter(now: datetime) -> Doc:
    """Entries that still block at `now`: permanent ones and those expiring later."""
    return {"$or": [{"expirationTime": None}, {"expirationTime": {"$gt": now}}]}


async def add(
    org: OrgDb,
    entry_type: str,
    value: str,
    expiration: datetime | None,
    now: datetime,
    *,
    customer_id: str | None = None,
    source: str = "MANUAL",
) -> Doc:
    """Adds the entry or, when (type, value) is already listed, sets its expiration to this one.

    One upsert on the unique (organization, type, value) index: concurrent adds of the same value
    end with one entry (the loser of an insert race retries and updates the winner's entry).
    """
    update = {
        "$set": {"expirationTime": expiration, "updatedTime": now},
        "$setOnInsert": {
            "id": new_id("blkl"),
            "type": entry_type,
            "value": value,
            "createdTime": now,
            "source": source,
            "customerId": customer_id,
        },
    }
    for _ in range(3):
        try:
            doc = await org[COLLECTION].find_one_and_update(
                {"type": entry_type, "value": value}, update, upsert=True
            )
        except OperationFailure as exc:
            if not is_duplicate(exc):
                raise
            continue
        assert doc is not None
        doc.pop("_id", None)
        return doc
    raise RuntimeError(f"could not add blocklist entry {entry_type} after 3 attempts")


async def remove(org: OrgDb, entry_id: str) -> Doc | None:
    doc = await org[COLLECTION].find_one({"id": entry_id}, {"_id": 0})
    if doc is not None:
        await org[COLLECTION].delete_one({"id": entry_id})
    return doc


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def find_blocked(org: OrgDb, attributes: Mapping[str, Sequence[str]], now: datetime) -> list[Doc]:
    """The entries that block any of these attribute values at `now` (type -> values): one query.

    This is the check the payment code runs before processing; an empty list means "not blocked".
    Values must be normalised as the entries are (see `resolvers.customers.blocklists.normalise`).
    """
    clauses = [{"type": t, "value": {"$in": list(vals)}} for t, vals in attributes.items() if vals]
    if not clauses:
        return []
    return await org[COLLECTION].find_list({"$and": [{"$or": clauses}, active_filter(now)]}, {"_id": 0})


async def list_page(
    org: OrgDb,
    after: tuple[Any, str] | None,
    first: int,
    *,
    entry_type: str | None,
    value: str | None,
    include_expired: bool,
    now: datetime,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    """Entries newest first, keyset-paginated over (createdTime, id)."""
    clauses: list[Doc] = []
    if entry_type is not None:
        clauses.append({"type": entry_type})
    if value is not None:
        clauses.append({"value": value})
    if not include_expired:
        clauses.append(active_filter(now))
    clause, sort = keyset("createdTime", after, True, backward)
    if clause is not None:
        clauses.append(clause)
    flt: Doc = {"$and": clauses} if clauses else {}
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)
