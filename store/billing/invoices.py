"""The `invoices` collection: bills to a customer, amounts in integer minor units.

`periodKey` is unique per organization: `"<orderId>:<periodNumber>"` for an order's invoices (the
initial invoice is period 1; each renewal its own period), the invoice id for a stand-alone invoice.
So an order can never get two invoices for one period, however often a step is retried.
Payments are applied with one update guarded by the invoice's `revision` and by the transaction not
being applied yet, so applying the same payment twice counts it once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb

COLLECTION = "invoices"
COUNTERS = "billing_counters"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    COLLECTION: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        ([("organizationId", ASCENDING), ("periodKey", ASCENDING)], {"unique": True, "name": "org_period_key"}),
        (
            [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
            {"name": "org_customer_created"},
        ),
        ([("organizationId", ASCENDING), ("orderId", ASCENDING), ("periodNumber", ASCENDING)], {"name": "org_order"}),
        ([("organizationId", ASCENDING), ("transactionIds", ASCENDING)], {"name": "org_transactions"}),
        # The Billing data table (organization-wide, by (createdTime, id); by status for its segments).
        ([("organizationId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)], {"name": "org_created_id"}),
        (
            [("organizationId", ASCENDING), ("status", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
            {"name": "org_status_created_id"},
        ),
    ],
    COUNTERS: [([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"})],
}

# What lists of invoices read: everything but the lines (`items`), which a summary row does not show.
SUMMARY: dict[str, int] = {"_id": 0, "items": 0}

# Statuses in which an invoice takes payments.
PAYABLE = ["UNPAID", "PARTIALLY_PAID", "PAST_DUE"]


def _clean(doc: Doc | None) -> Doc | None:
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def next_number(org: OrgDb) -> int:
    """The organization's next invoice number (1, 2, 3 …; one atomic `$inc`; a crash may leave a gap)."""
    doc = await org[COUNTERS].find_one_and_update({"id": "invoiceNumber"}, {"$inc": {"value": 1}}, upsert=True)
    assert doc is not None
    return int(doc["value"])


async def insert(org: OrgDb, doc: Doc) -> Doc | None:
    """Inserts an invoice; None when its id or its `periodKey` exists already."""
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError:
        return None
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, invoice_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": invoice_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def items_of(org: OrgDb, ids: Sequence[str]) -> list[list[Doc]]:
    """The lines of several invoices, in the order of `ids` (empty where absent): one `$in` query."""
    docs = await org[COLLECTION].find_list({"id": {"$in": list(set(ids))}}, {"_id": 0, "id": 1, "items": 1},
                                           expect=len(ids))
    found = {d["id"]: d.get("items") or [] for d in docs}
    return [found.get(i, []) for i in ids]


async def by_transaction(org: OrgDb, txn_id: str) -> Doc | None:
    """The invoice a sale paid, if any."""
    return await org[COLLECTION].find_one({"transactionIds": txn_id}, {"_id": 0})


async def transition(
    org: OrgDb, invoice_id: str, guard: Mapping[str, Any], fields: Doc, now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> Doc | None:
    """Sets `fields` (plus other operators in `extra`) when the invoice matches `guard`; the invoice
    afterwards, or None when it did not match."""
    update: Doc = {"$set": {**fields, "updatedTime": now}, "$inc": {"revision": 1}}
    for op, value in (extra or {}).items():
        update[op] = {**update.get(op, {}), **value}
    return _clean(await org[COLLECTION].find_one_and_update({"id": invoice_id, **guard}, update))


def _customer_filter(customer_id: str, extra: Mapping[str, Any]) -> Doc:
    return {"customerId": customer_id, **extra}


async def page(
    org: OrgDb, customer_id: str, extra: Mapping[str, Any], after: tuple[datetime, str] | None, first: int
) -> tuple[list[Doc], bool]:
    """One page of a customer's invoices, newest first, by (createdTime, id)."""
    flt = _customer_filter(customer_id, extra)
    if after is not None:
        value, last_id = after
        flt["$or"] = [{"createdTime": {"$lt": value}}, {"createdTime": value, "id": {"$lt": last_id}}]
    docs = await org[COLLECTION].find_list(
        flt, SUMMARY, sort=[("createdTime", DESCENDING), ("id", DESCENDING)], limit=first + 1
    )
    return docs[:first], len(docs) > first


async def first_pages(
    org: OrgDb, customer_ids: Sequence[str], extra: Mapping[str, Any], first: int
) -> list[tuple[list[Doc], bool]]:
    """The first page of several customers' invoices, usually in ONE query (see transactions.first_pages)."""
    ids = list(dict.fromkeys(customer_ids))
    limit = (first + 1) * len(ids)
    flt: Doc = {"customerId": {"$in": ids}, **extra}
    docs = await org[COLLECTION].find_list(
        flt, SUMMARY, sort=[("createdTime", DESCENDING), ("id", DESCENDING)], limit=limit
    )
    found: dict[str, list[Doc]] = {i: [] for i in ids}
    for d in docs:
        found[d["customerId"]].append(d)
    pages: dict[str, tuple[list[Doc], bool]] = {}
    for cid, rows in found.items():
        if len(rows) > first or len(docs) < limit:
            pages[cid] = (rows[:first], len(rows) > first)
        else:
            pages[cid] = await page(org, cid, extra, None, first)
    return [pages[c] for c in customer_ids]


async def count(org: OrgDb, customer_id: str, extra: Mapping[str, Any]) -> int:
    return await org[COLLECTION].count(_customer_filter(customer_id, extra))


# ---------------------------------------------------------------------------------------------- the Billing table


@dataclass(frozen=True, slots=True)
class InvoiceQuery:
    """A validated organization-wide list of invoices (the Billing data table), sorted by (createdTime, id)."""

    descending: bool = True
    customer_id: str | None = None
    order_id: str | None = None
    statuses: Sequence[str] = ()
    types: Sequence[str] = ()
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    due_from: datetime | None = None
    due_to: datetime | None = None


def _time_range(start: datetime | None, end: datetime | None) -> Doc | None:
    if start is None and end is None:
        return None
    rng: Doc = {}
    if start is not None:
        rng["$gte"] = start
    if end is not None:
        rng["$lt"] = end
    return rng


def table_filter(q: InvoiceQuery) -> Doc:
    flt: Doc = {}
    for key, values in (("status", q.statuses), ("type", q.types)):
        if values:
            flt[key] = {"$in": list(values)}
    for key, value in (("customerId", q.customer_id), ("orderId", q.order_id), ("currency", q.currency)):
        if value is not None:
            flt[key] = value
    for key, rng in (("createdTime", _time_range(q.created_from, q.created_to)),
                     ("dueTime", _time_range(q.due_from, q.due_to))):
        if rng is not None:
            flt[key] = rng
    return flt


def table_sort(q: InvoiceQuery) -> list[tuple[str, int]]:
    direction = DESCENDING if q.descending else ASCENDING
    return [("createdTime", direction), ("id", direction)]


def table_query(q: InvoiceQuery, after: tuple[Any, str] | None) -> Doc:
    """The table's filter from a keyset position (exclusive): the list's pages and the CSV export read it."""
    flt = table_filter(q)
    if after is None:
        return flt
    value, last_id = after
    op = "$lt" if q.descending else "$gt"
    return {**flt, "$or": [{"createdTime": {op: value}}, {"createdTime": value, "id": {op: last_id}}]}


async def table_page(org: OrgDb, q: InvoiceQuery, after: tuple[Any, str] | None, first: int) -> tuple[list[Doc], bool]:
    """One page of the organization's invoices in keyset order (without their lines); one round trip."""
    docs = await org[COLLECTION].find_list(table_query(q, after), SUMMARY, sort=table_sort(q), limit=first + 1)
    return docs[:first], len(docs) > first


async def table_count(org: OrgDb, q: InvoiceQuery) -> int:
    return await org[COLLECTION].count(table_filter(q))
