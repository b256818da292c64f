"""The `email_outbox` collection: every email the gateway sends, queued first, then marked SENT (or
FAILED with the server's answer) by the sender. Without SMTP settings messages stay QUEUED."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.db import Doc, OrgDb

COLLECTION = "email_outbox"

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    ([("organizationId", ASCENDING), ("status", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_status"}),
    ([("organizationId", ASCENDING), ("invoiceId", ASCENDING), ("createdTime", ASCENDING)], {"name": "org_invoice"}),
]


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, message_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": message_id}, {"_id": 0})


async def of_invoice(org: OrgDb, invoice_id: str, limit: int = 20) -> list[Doc]:
    return await org[COLLECTION].find_list({"invoiceId": invoice_id}, {"_id": 0, "attachment": 0},
                                           sort=[("createdTime", ASCENDING)], limit=limit)


async def claim(org: OrgDb, message_id: str, now: datetime) -> Doc | None:
    """Marks a QUEUED (or FAILED) message SENDING, so two senders never send it twice; None: not claimable."""
    doc = await org[COLLECTION].find_one_and_update(
        {"id": message_id, "status": {"$in": ["QUEUED", "FAILED"]}},
        {"$set": {"status": "SENDING", "updatedTime": now}, "$inc": {"attempts": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def finish(org: OrgDb, message_id: str, status: str, error: str | None, now: datetime) -> Doc | None:
    fields: Doc = {"status": status, "lastError": error, "updatedTime": now}
    if status == "SENT":
        fields["sentTime"] = now
    doc = await org[COLLECTION].find_one_and_update({"id": message_id, "status": "SENDING"}, {"$set": fields})
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def queued(store_db: Any, limit: int) -> list[Doc]:
    """Queued messages of every organization, oldest first (for the sender command)."""
    return await store_db[COLLECTION].find({"status": "QUEUED"}, {"_id": 0}).sort("createdTime", ASCENDING).limit(limit).to_list()
