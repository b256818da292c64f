"""The `tags` collection (organization-wide customer tags) and tagging customers.

A tag's name is unique per organization, case-insensitively (`nameLower`, unique index). Customers
keep the lower-cased names of their tags in their own `tags` array, which the customer list filters
on through its index. Renaming or deleting a tag is a sequence of idempotent steps, each atomic on
one document or a plain `update_many` on the array, resumable from the `pending` marker on the tag:

  rename: tag gets the new name and `pending = {op: RENAME, from: old}` -> customers with the old
          name get the new one (`$addToSet`) -> the old name is pulled (`$pull`) -> `pending` cleared.
  delete: tag gets `pending = {op: DELETE}` -> the name is pulled from customers -> tag removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError, OperationFailure

from store.customers import customers
from store.db import Doc, OrgDb
from store.errors import AlreadyExists, NotFound, RevisionConflict, is_duplicate
from store.ids import new_id
from store.paging import finish, keyset

COLLECTION = "tags"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("nameLower", ASCENDING)], {"unique": True, "name": "org_name_unique"}),
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
]


async def ensure(org: OrgDb, names: Sequence[str], now: datetime) -> list[Doc]:
    """The tags with these names, created when missing (one upsert each; concurrent creates meet on
    the unique index). Existing tags keep their spelling."""
    out = []
    for name in names:
        lower = name.lower()
        for _ in range(3):
            try:
                doc = await org[COLLECTION].find_one_and_update(
                    {"nameLower": lower},
                    {
                        "$setOnInsert": {
                            "id": new_id("tag"),
                            "name": name,
                            "nameLower": lower,
                            "createdTime": now,
                            "revision": 1,
                        }
                    },
                    upsert=True,
                )
                break
            except OperationFailure as exc:
                if not is_duplicate(exc):
                    raise
                continue
        else:
            raise RuntimeError(f"could not create tag {name!r}")
        assert doc is not None
        doc.pop("_id", None)
        out.append(doc)
    return out


async def create(org: OrgDb, name: str, now: datetime) -> Doc:
    doc = {"id": new_id("tag"), "name": name, "nameLower": name.lower(), "createdTime": now, "revision": 1}
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError as exc:
        raise AlreadyExists(name) from exc
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, tag_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": tag_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def by_names(org: OrgDb, lower_names: Sequence[str]) -> list[Doc | None]:
    """Tags by lower-cased name, in order (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(lower_names, key="nameLower")


async def list_page(
    org: OrgDb, after: tuple[Any, str] | None, first: int, prefix: str | None, backward: bool = False
) -> tuple[list[Doc], bool]:
    """Tags by name (case-insensitive), keyset over (nameLower, id)."""
    clauses: list[Doc] = [{"pending.op": {"$ne": "DELETE"}}]
    if prefix:
        clauses.append({"nameLower": {"$gte": prefix, "$lt": prefix + "\uffff"}})
    clause, sort = keyset("nameLower", after, False, backward)
    if clause is not None:
        clauses.append(clause)
    docs = await org[COLLECTION].find_list({"$and": clauses}, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def rename(org: OrgDb, tag: Doc, new_name: str, now: datetime) -> Doc:
    """Step 1 of a rename: the tag takes the new name (guarded by revision), remembering the old one."""
    old = tag["nameLower"]
    try:
        doc = await org[COLLECTION].find_one_and_update(
            {"id": tag["id"], "revision": tag["revision"], "pending": None},
            {
                "$set": {
                    "name": new_name,
                    "nameLower": new_name.lower(),
                    "updatedTime": now,
                    "pending": {"op": "RENAME", "from": old},
                },
                "$inc": {"revision": 1},
            },
        )
    except OperationFailure as exc:
        if not is_duplicate(exc):
            raise
        raise AlreadyExists(new_name) from exc
    if doc is None:
        current = await get(org, tag["id"])
        if current is None:
            raise NotFound(tag["id"])
        raise RevisionConflict(current["revision"])
    doc.pop("_id", None)
    return await finish_pending(org, doc, now)


async def mark_deleted(org: OrgDb, tag: Doc, now: datetime) -> Doc:
    """Step 1 of a delete: the tag is marked; `finish_pending` does the rest."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": tag["id"]},
        {"$set": {"pending": {"op": "DELETE"}, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is None:
        raise NotFound(tag["id"])
    doc.pop("_id", None)
    return await finish_pending(org, doc, now)


async def finish_pending(org: OrgDb, tag: Doc, now: datetime) -> Doc:
    """Runs the remaining steps of an interrupted rename or delete (each is safe to repeat)."""
    pending = tag.get("pending")
    if not pending:
        return tag
    cust = org[customers.COLLECTION]
    if pending["op"] == "RENAME":
        old, new = pending["from"], tag["nameLower"]
        if old != new:
            await cust.update_many(
                {"tags": old},
                {"$addToSet": {"tags": new}, "$inc": {"revision": 1}, "$set": {"updatedTime": now}},
            )
            await cust.update_many({"tags": old}, {"$pull": {"tags": old}})
        await org[COLLECTION].update_one(
            {"id": tag["id"], "pending.op": "RENAME"}, {"$set": {"pending": None}}
        )
        tag["pending"] = None
        return tag
    await cust.update_many(
        {"tags": tag["nameLower"]},
        {"$pull": {"tags": tag["nameLower"]}, "$inc": {"revision": 1}, "$set": {"updatedTime": now}},
    )
    await org[COLLECTION].delete_one({"id": tag["id"], "pending.op": "DELETE"})
    return tag


async def tag_customer(org: OrgDb, customer_id: str, lower_names: Sequence[str], now: datetime) -> Doc | None:
    """Adds the names to one customer's tags, reserving a timeline seq in the same update."""
    return await _change(org, customer_id, {"$addToSet": {"tags": {"$each": list(lower_names)}}}, now)


async def untag_customer(
    org: OrgDb, customer_id: str, lower_names: Sequence[str], now: datetime
) -> Doc | None:
    return await _change(org, customer_id, {"$pullAll": {"tags": list(lower_names)}}, now)


async def _change(org: OrgDb, customer_id: str, op: Doc, now: datetime) -> Doc | None:
    doc = await org[customers.COLLECTION].find_one_and_update(
        {"id": customer_id},
        {**op, "$set": {"updatedTime": now}, "$inc": {"revision": 1, "timelineSeq": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc
