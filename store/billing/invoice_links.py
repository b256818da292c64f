"""The `invoice_payment_links` collection: hosted pages where a customer pays one invoice.

As with payment links, the token is never stored: only its SHA-256 (`tokenHash`), looked up when the
customer opens the page. That lookup establishes the tenant (the customer has no API key), so it is
unscoped. What the page charges is always read from the invoice itself (its amount due), never from the
link; the link keeps only its expiry, whether it takes partial payments, and the sales made through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING

from store.db import Doc, OrgDb, Store

COLLECTION = "invoice_payment_links"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
    (
        [("organizationId", ASCENDING), ("invoiceId", ASCENDING), ("createdTime", DESCENDING), ("id", DESCENDING)],
        {"name": "org_invoice_created"},
    ),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, link_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": link_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    return await org[COLLECTION].by_ids(ids)


async def by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The link a token opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(COLLECTION).find_one({"tokenHash": token_hash}, {"_id": 0})


async def of_invoices(org: OrgDb, invoice_ids: Sequence[str]) -> list[list[Doc]]:
    """The links of several invoices, newest first, in the order of `invoice_ids`: one `$in` query."""
    docs = await org[COLLECTION].find_list(
        {"invoiceId": {"$in": list(set(invoice_ids))}}, {"_id": 0, "tokenHash": 0},
        sort=[("createdTime", DESCENDING), ("id", DESCENDING)],
    )
    out: dict[str, list[Doc]] = {i: [] for i in invoice_ids}
    for d in docs:
        out[d["invoiceId"]].append(d)
    return [out[i] for i in invoice_ids]


async def count_of_invoice(org: OrgDb, invoice_id: str) -> int:
    return await org[COLLECTION].count({"invoiceId": invoice_id})


async def record_attempt(org: OrgDb, link_id: str, transaction_id: str, now: datetime) -> None:
    """Adds a sale made through the link (once: guarded by the sale not being listed yet)."""
    await org[COLLECTION].update_one(
        {"id": link_id, "transactionIds": {"$ne": transaction_id}},
        {"$push": {"transactionIds": transaction_id}, "$set": {"updatedTime": now}, "$inc": {"revision": 1}},
    )
