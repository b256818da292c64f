"""The `transactions` collection: sales, refunds, voids and credits, amounts in integer minor units.

A sale carries `refundedMinor`, the part already refunded or voided. Refunds reserve their amount on the
sale with ONE guarded atomic update (`refundedMinor <= amount - x`), so concurrent refunds can never
exceed the sale, whatever their interleaving; the child transaction is written afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb
from store.paging import finish, keyset, read, where

COLLECTION = "transactions"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [
            ("organizationId", ASCENDING),
            ("customerId", ASCENDING),
            ("createdTime", DESCENDING),
            ("id", DESCENDING),
        ],
        {"name": "org_customer_created"},
    ),
    (
        [
            ("organizationId", ASCENDING),
            ("customerId", ASCENDING),
            ("type", ASCENDING),
            ("createdTime", DESCENDING),
        ],
        {"name": "org_customer_type_created"},
    ),
    # The payments data table (organization-wide lists; tables context): newest first, by type.
    ([("organizationId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)], {"name": "org_created_id"}),
    (
        [("organizationId", ASCENDING), ("type", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_type_created_id"},
    ),
]

# The guide's payment segments of a customer, as filters.
SEGMENTS: dict[str, Doc] = {
    "ALL": {},
    "SALES": {"type": "SALE", "result": "APPROVED"},
    "DECLINED": {"type": "SALE", "result": "DECLINED"},
    "REFUNDS": {"type": {"$in": ["REFUND", "VOID"]}},
    "PAYOUTS": {"type": "CREDIT"},
}

REFUNDABLE_STATUSES = ["COMPLETED", "PARTIALLY_REFUNDED"]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, txn_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": txn_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    """Transactions in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)


def _filter(customer_id: str, segment: str) -> Doc:
    return {"customerId": customer_id, **SEGMENTS[segment]}


async def list_page(
    org: OrgDb, customer_id: str, segment: str, descending: bool, after: tuple[Any, str] | None, first: int,
    backward: bool = False,
) -> tuple[list[Doc], bool]:
    """One page of a customer's transactions by (createdTime, id); one round trip."""
    flt = _filter(customer_id, segment)
    clause, sort = keyset("createdTime", after, descending, backward)
    if clause is not None:
        flt.update(clause)
    docs = await org[COLLECTION].find_list(flt, {"_id": 0}, sort=sort, limit=first + 1)
    return finish(docs, first, backward)


async def first_pages(
    org: OrgDb, customer_ids: Sequence[str], segment: str, descending: bool, first: int
) -> list[tuple[list[Doc], bool]]:
    """The first page of each customer's transactions, usually in ONE query.

    One `$in` query limited to (first + 1) x customers: if it returns fewer rows, every customer's page is
    complete; otherwise only customers left with fewer than first + 1 rows are re-read on their own.
    """
    ids = list(dict.fromkeys(customer_ids))
    limit = (first + 1) * len(ids)
    direction = DESCENDING if descending else ASCENDING
    docs = await org[COLLECTION].find_list(
        {"customerId": {"$in": ids}, **SEGMENTS[segment]},
        {"_id": 0},
        sort=[("createdTime", direction), ("id", direction)],
        limit=limit,
    )
    found: dict[str, list[Doc]] = {i: [] for i in ids}
    for d in docs:
        found[d["customerId"]].append(d)
    pages: dict[str, tuple[list[Doc], bool]] = {}
    for cid, rows in found.items():
        if len(rows) > first or len(docs) < limit:
            pages[cid] = (rows[:first], len(rows) > first)
        else:
            pages[cid] = await list_page(org, cid, segment, descending, None, first)
    return [pages[c] for c in customer_ids]


async def count(org: OrgDb, customer_id: str, segment: str) -> int:
    return await org[COLLECTION].count(_filter(customer_id, segment))


# ------------------------------------------------------------------ the payments data table (tables context)


@dataclass(frozen=True, slots=True)
class TransactionQuery:
    """A validated organization-wide list request, in store terms (sorted by createdTime, id)."""

    descending: bool = True
    segment: str = "ALL"  # a key of SEGMENTS
    customer_id: str | None = None
    types: Sequence[str] = ()
    statuses: Sequence[str] = ()
    results: Sequence[str] = ()
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def table_filter(q: TransactionQuery) -> Doc:
    flt: Doc = dict(SEGMENTS[q.segment])
    parts: list[Doc] = []
    for key, values in (("type", q.types), ("status", q.statuses), ("result", q.results)):
        if values:
            parts.append({key: {"$in": list(values)}})
    if parts:
        flt["$and"] = parts
    if q.customer_id is not None:
        flt["customerId"] = q.customer_id
    if q.currency is not None:
        flt["currency"] = q.currency
    if q.created_from is not None or q.created_to is not None:
        rng: Doc = {}
        if q.created_from is not None:
            rng["$gte"] = q.created_from
        if q.created_to is not None:
            rng["$lt"] = q.created_to
        flt["createdTime"] = rng
    return flt


def table_sort(q: TransactionQuery) -> list[tuple[str, int]]:
    return keyset("createdTime", None, q.descending)[1]


def table_query(q: TransactionQuery, after: tuple[Any, str] | None) -> Doc:
    """The table's filter and what lies after `after` (the export's forward walk)."""
    return where(table_filter(q), keyset("createdTime", after, q.descending)[0])


async def table_page(
    org: OrgDb, q: TransactionQuery, position: tuple[Any, str] | None, size: int, backward: bool = False
) -> tuple[list[Doc], bool]:
    """One page of the organization's transactions in keyset order (`backward`: before `position`); one round trip."""
    return await read(org[COLLECTION], table_filter(q), "createdTime", position, size,
                      descending=q.descending, backward=backward)


async def table_count(org: OrgDb, q: TransactionQuery) -> int:
    return await org[COLLECTION].count(table_filter(q))


async def reserve_refund(
    org: OrgDb, sale: Doc, amount_minor: int, child_id: str, now: datetime
) -> Doc | None:
    """Adds `amount_minor` to the sale's refunded part if that stays within the sale (atomic guard).

    Returns the sale afterwards, or None when the guard failed (refunded meanwhile, over the amount).
    """
    return await org[COLLECTION].find_one_and_update(
        {
            "id": sale["id"],
            "type": "SALE",
            "result": "APPROVED",
            "status": {"$in": REFUNDABLE_STATUSES},
            "refundedMinor": {"$lte": sale["amountMinor"] - amount_minor},
        },
        {
            "$inc": {"refundedMinor": amount_minor, "revision": 1},
            "$push": {"childTransactionIds": child_id},
            "$set": {"updatedTime": now},
        },
    )


async def settle_refund_status(org: OrgDb, after: Doc, now: datetime) -> Doc:
    """Sets PARTIALLY_REFUNDED / REFUNDED from the refunded part seen in `after`.

    Guarded by that refunded part: if another refund landed meanwhile, its own call writes the status
    (the last reservation always sees the final total), so concurrent refunds never leave a stale status.
    """
    status = "REFUNDED" if after["refundedMinor"] >= after["amountMinor"] else "PARTIALLY_REFUNDED"
    doc = await org[COLLECTION].find_one_and_update(
        {"id": after["id"], "refundedMinor": after["refundedMinor"], "status": {"$in": REFUNDABLE_STATUSES}},
        {"$set": {"status": status, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    return _clean(doc) if doc else _clean(after) | {"status": status}


async def release_refund(org: OrgDb, sale_id: str, amount_minor: int, child_id: str, now: datetime) -> None:
    """Gives back a reservation whose refund the gateway did not approve."""
    await org[COLLECTION].update_one(
        {"id": sale_id, "childTransactionIds": child_id},
        {
            "$inc": {"refundedMinor": -amount_minor, "revision": 1},
            "$pull": {"childTransactionIds": child_id},
            "$set": {"updatedTime": now},
        },
    )


async def void(org: OrgDb, sale: Doc, child_id: str, now: datetime) -> Doc | None:
    """Voids a sale that is not settled and not refunded at all (atomic guard); None when it no longer can."""
    doc = await org[COLLECTION].find_one_and_update(
        {
            "id": sale["id"],
            "type": "SALE",
            "result": "APPROVED",
            "status": "COMPLETED",
            "refundedMinor": 0,
            "settlementTime": {"$gt": now},
        },
        {
            "$set": {"status": "VOIDED", "refundedMinor": sale["amountMinor"], "updatedTime": now},
            "$inc": {"revision": 1},
            "$push": {"childTransactionIds": child_id},
        },
    )
    return _clean(doc) if doc else None


async def complete_pending(org: OrgDb, txn_id: str, set_fields: Doc, now: datetime) -> Doc:
    """Records the gateway's answer on a PENDING transaction (written before the gateway was called)."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": txn_id, "status": "PENDING"},
        {"$set": {**set_fields, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is None:
        raise RuntimeError(f"transaction {txn_id} is no longer pending")
    return _clean(doc)


def _clean(doc: Doc) -> Doc:
    doc.pop("_id", None)
    return doc


def new_doc(
    *,
    txn_id: str,
    customer_id: str,
    website_id: str,
    type: str,
    status: str,
    result: str,
    amount_minor: int,
    currency: str,
    now: datetime,
    settlement_time: datetime | None,
    **extra: Any,
) -> Doc:
    return {
        "id": txn_id,
        "customerId": customer_id,
        "websiteId": website_id,
        "type": type,
        "status": status,
        "result": result,
        "amountMinor": amount_minor,
        "currency": currency,
        "refundedMinor": 0,
        "childTransactionIds": [],
        "parentTransactionId": None,
        "description": None,
        "isProcessedOutside": False,
        "processedTime": now,
        "settlementTime": settlement_time,
        "createdTime": now,
        "updatedTime": now,
        "revision": 1,
        **extra,
    }
