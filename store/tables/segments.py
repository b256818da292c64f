"""The `segments` collection: saved, named filters of a data table, shared within the organization.

A segment stores its filter as the API's own values (camelCase keys of the table's filter input, times
as datetimes), its sort and its columns in order; the resolvers turn the filter into a store query
with the same code the table's `filter` argument uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb
from store.errors import NotFound, RevisionConflict
from store.tables.columns import CUSTOMER_DEFAULT

COLLECTION = "segments"

MAX_PER_TABLE = 200

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("table", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_table_created"}),
]


# The guide's two default segments of the customers table (rebilly-model.md section 6: lead = no payment
# yet). Not stored: the same in every organization, readable like any segment, never editable.
BUILT_IN: dict[str, Doc] = {
    "seg_leads": {
        "id": "seg_leads", "table": "CUSTOMERS", "name": "Leads", "builtIn": True, "owner": None,
        "definition": {"segment": "LEADS", "filter": {}, "sort": {"field": "CREATED_TIME", "direction": "DESC"}},
        "columns": CUSTOMER_DEFAULT, "revision": 1,
    },
    "seg_customers": {
        "id": "seg_customers", "table": "CUSTOMERS", "name": "Customers", "builtIn": True, "owner": None,
        "definition": {"segment": "CUSTOMERS", "filter": {}, "sort": {"field": "CREATED_TIME", "direction": "DESC"}},
        "columns": CUSTOMER_DEFAULT, "revision": 1,
    },
}


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, segment_id: str) -> Doc | None:
    """A saved or built-in segment (built-ins cost no round trip)."""
    if segment_id in BUILT_IN:
        return dict(BUILT_IN[segment_id])
    return await org[COLLECTION].find_one({"id": segment_id}, {"_id": 0})


async def of_table(org: OrgDb, table: str) -> list[Doc]:
    """The table's built-in segments, then its saved ones oldest first (at most MAX_PER_TABLE exist)."""
    builtin = [dict(d) for d in BUILT_IN.values() if d["table"] == table]
    return builtin + await org[COLLECTION].find_list(
        {"table": table}, {"_id": 0}, sort=[("createdTime", ASCENDING), ("id", ASCENDING)], expect=MAX_PER_TABLE
    )


async def count(org: OrgDb, table: str) -> int:
    return await org[COLLECTION].count({"table": table})


async def update(org: OrgDb, segment_id: str, revision: int, set_fields: Mapping[str, Any], now: datetime) -> Doc:
    """Changes the segment if it is still at `revision`; returns it afterwards."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": segment_id, "revision": revision},
        {"$set": {**set_fields, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is None:
        current = await get(org, segment_id)
        if current is None:
            raise NotFound(segment_id)
        raise RevisionConflict(current["revision"])
    doc.pop("_id", None)
    return doc


async def delete(org: OrgDb, segment_id: str, revision: int) -> bool:
    return await org[COLLECTION].delete_one({"id": segment_id, "revision": revision}) == 1
