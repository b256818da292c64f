"""The `customers` collection: one document per customer or lead, aggregates maintained on write."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb
from store.errors import AlreadyExists, NotFound, RevisionConflict
from store.paging import finish, keyset

COLLECTION = "customers"

# Sort keys exposed by the API -> stored field. Stored sort keys are never null, so keyset
# comparisons need no null handling (`sortLastName` is the lower-cased last name or "").
SORT_FIELDS = {"CREATED_TIME": "createdTime", "LAST_NAME": "sortLastName", "PAYMENT_COUNT": "paymentCount"}

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    *(
        ([("organizationId", ASCENDING), (f, DESCENDING), ("id", DESCENDING)], {"name": f"org_{f}_id"})
        for f in SORT_FIELDS.values()
    ),
    # Segment + sort: the leads/customers split is `paymentCount` 0 / >0, so these also serve segments.
    ([("organizationId", ASCENDING), ("paymentCount", ASCENDING), ("createdTime", DESCENDING)], {"name": "org_segment_created"}),
    ([("organizationId", ASCENDING), ("emailsLower", ASCENDING)], {"name": "org_email"}),
    ([("organizationId", ASCENDING), ("address.country", ASCENDING)], {"name": "org_country"}),
    ([("organizationId", ASCENDING), ("websiteId", ASCENDING)], {"name": "org_website"}),
    ([("organizationId", ASCENDING), ("searchTokens", ASCENDING)], {"name": "org_search_tokens"}),
    ([("organizationId", ASCENDING), ("tags", ASCENDING)], {"name": "org_tags"}),
    # Duplicate suggestions (tables context, store/tables/duplicates.py): shared phone, same person.
    ([("organizationId", ASCENDING), ("phoneNumbers.value", ASCENDING)], {"name": "org_phones"}),
    ([("organizationId", ASCENDING), ("dob", ASCENDING), ("sortLastName", ASCENDING)], {"name": "org_dob_last_name"}),
]


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """A validated list request, in store terms."""

    sort: str = "CREATED_TIME"
    descending: bool = True
    segment: str = "ALL"  # ALL | LEADS | CUSTOMERS
    search_prefixes: Sequence[str] = ()
    email: str | None = None
    country: str | None = None
    website_id: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    tags: Sequence[str] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def query_filter(q: CustomerQuery) -> Doc:
    flt: Doc = dict(q.extra)
    if q.segment == "LEADS":
        flt["paymentCount"] = 0
    elif q.segment == "CUSTOMERS":
        flt["paymentCount"] = {"$gt": 0}
    if q.search_prefixes:
        flt["$and"] = [{"searchTokens": {"$regex": "^" + re.escape(p)}} for p in q.search_prefixes]
    if q.email is not None:
        flt["emailsLower"] = q.email.lower()
    if q.country is not None:
        flt["address.country"] = q.country
    if q.website_id is not None:
        flt["websiteId"] = q.website_id
    if q.created_from is not None or q.created_to is not None:
        rng: Doc = {}
        if q.created_from is not None:
            rng["$gte"] = q.created_from
        if q.created_to is not None:
            rng["$lt"] = q.created_to
        flt["createdTime"] = rng
    if q.tags:
        flt["tags"] = {"$all": list(q.tags)}
    return flt


def keyset_filter(q: CustomerQuery, after: tuple[Any, str] | None) -> Doc:
    if after is None:
        return {}
    value, last_id = after
    key = SORT_FIELDS[q.sort]
    op = "$lt" if q.descending else "$gt"
    return {"$or": [{key: {op: value}}, {key: value, "id": {op: last_id}}]}


def page_filter(q: CustomerQuery, after: tuple[Any, str] | None) -> Doc:
    """The list's filter with the keyset condition of the position `after` (sort value, id), forward."""
    flt = query_filter(q)
    ks = keyset_filter(q, after)
    if ks:
        flt = {"$and": [*flt.pop("$and", []), ks], **flt}
    return flt


def page_sort(q: CustomerQuery) -> list[tuple[str, int]]:
    direction = DESCENDING if q.descending else ASCENDING
    return [(SORT_FIELDS[q.sort], direction), ("id", direction)]


async def list_page(org: OrgDb, q: CustomerQuery, after: tuple[Any, str] | None, first: int,
                    backward: bool = False) -> tuple[list[Doc], bool]:
    """One page in keyset order and whether more follow (`backward`: the page before `after`); one round trip."""
    flt = query_filter(q)
    ks, sort = keyset(SORT_FIELDS[q.sort], after, q.descending, backward)
    if ks:
        flt = {"$and": [*flt.pop("$and", []), ks], **flt}
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def count(org: OrgDb, q: CustomerQuery) -> int:
    return await org[COLLECTION].count(query_filter(q))


def sort_value(q: CustomerQuery, doc: Doc) -> Any:
    return doc[SORT_FIELDS[q.sort]]


async def insert(org: OrgDb, doc: Doc) -> None:
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError as exc:
        raise AlreadyExists(doc["id"]) from exc
    doc.pop("_id", None)


async def get(org: OrgDb, customer_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": customer_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    """Customers in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)


async def exists(org: OrgDb, customer_id: str) -> bool:
    return await org[COLLECTION].find_one({"id": customer_id}, {"_id": 1}) is not None


async def update(
    org: OrgDb,
    customer_id: str,
    *,
    revision: int,
    set_fields: Mapping[str, Any] | None = None,
    unset_fields: Sequence[str] = (),
    inc: Mapping[str, Any] | None = None,
    now: datetime,
    timeline_event: bool = True,
) -> Doc:
    """Changes one customer if it is still at `revision`; returns it afterwards.

    Bumps `revision` and `updatedTime`, and (with `timeline_event`) allocates the next timeline
    sequence number in the same atomic update, so the caller can record the event with `timelineSeq`.
    """
    update: Doc = {
        "$set": {**(set_fields or {}), "updatedTime": now},
        "$inc": {**(inc or {}), "revision": 1, **({"timelineSeq": 1} if timeline_event else {})},
    }
    if unset_fields:
        update["$unset"] = {f: "" for f in unset_fields}
    doc = await org[COLLECTION].find_one_and_update({"id": customer_id, "revision": revision}, update)
    if doc is None:
        current = await org[COLLECTION].find_one({"id": customer_id}, {"revision": 1})
        if current is None:
            raise NotFound(customer_id)
        raise RevisionConflict(current["revision"])
    doc.pop("_id", None)
    return doc


async def bump_aggregates(org: OrgDb, customer_id: str, inc: Mapping[str, Any], set_fields: Mapping[str, Any], now: datetime) -> Doc | None:
    """Atomic change of maintained aggregates (payment count, revenue); no revision precondition."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": customer_id}, {"$inc": {**inc, "revision": 1}, "$set": {**set_fields, "updatedTime": now}}
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def next_timeline_seq(org: OrgDb, customer_id: str, count: int = 1) -> int:
    """Reserves the customer's next timeline sequence number, or the next `count` of them, returning the
    last (one atomic `$inc`)."""
    doc = await org[COLLECTION].find_one_and_update({"id": customer_id}, {"$inc": {"timelineSeq": count}})
    if doc is None:
        raise NotFound(customer_id)
    return int(doc["timelineSeq"])


def with_derived(doc: Doc) -> Doc:
    """Fills the stored fields derived from the editable ones (primary email/phone, search, sort keys)."""
    emails = doc.get("emails") or []
    phones = doc.get("phoneNumbers") or []
    doc["email"] = next((e["value"] for e in emails if e["primary"]), None)
    doc["emailsLower"] = [e["value"].lower() for e in emails]
    doc["phoneNumber"] = next((p["value"] for p in phones if p["primary"]), None)
    doc["sortLastName"] = (doc.get("lastName") or "").lower()
    tokens: set[str] = set()
    for text in (doc.get("firstName"), doc.get("lastName"), doc.get("organization")):
        tokens.update(w for w in re.split(r"[\s,]+", (text or "").lower()) if w)
    for address in doc["emailsLower"]:
        tokens.add(address)
        tokens.update(w for w in re.split(r"[@.+_\-]+", address) if w)
    doc["searchTokens"] = sorted(tokens)
    return doc


DERIVED_FIELDS = ("email", "emailsLower", "phoneNumber", "sortLastName", "searchTokens")
