"""The `payment_instruments` collection: a customer's vaulted cards, bank accounts and other methods.

Card numbers, CVVs and bank account numbers are never stored: a card keeps brand, BIN, last 4, expiry
and a keyed fingerprint; a bank account keeps last 4 and a fingerprint. Stored statuses are INACTIVE,
ACTIVE and DEACTIVATED; EXPIRED is derived from the expiry when read (`effective_status`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from store.customers import customers
from store.db import Doc, OrgDb
from store.errors import NotFound, RevisionConflict

COLLECTION = "payment_instruments"
MAX_PER_CUSTOMER = 100

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
    (
        [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", ASCENDING)],
        {"name": "org_customer"},
    ),
    ([("organizationId", ASCENDING), ("fingerprint", ASCENDING)], {"name": "org_fingerprint"}),
]


def fingerprint(secret: str, org_id: str, kind: str, number: str) -> str:
    """HMAC-SHA256 of the organization and the number: equal for the same card (or account) within one
    organization, unrelated across organizations, and useless without the deployment's secret."""
    message = f"{org_id}:{kind}:{number}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def card_expired(exp_month: int, exp_year: int, now: datetime) -> bool:
    """A card is valid through the last day of its expiry month."""
    return (exp_year, exp_month) < (now.year, now.month)


def effective_status(doc: Doc, now: datetime) -> str:
    status = str(doc["status"])
    card = doc.get("card")
    if status != "DEACTIVATED" and card and card_expired(card["expMonth"], card["expYear"], now):
        return "EXPIRED"
    return status


async def insert(org: OrgDb, doc: Doc) -> Doc:
    await org[COLLECTION].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get(org: OrgDb, instrument_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": instrument_id}, {"_id": 0})


async def get_many(org: OrgDb, ids: Sequence[str]) -> list[Doc | None]:
    """Instruments in the order of `ids` (None where absent): one `$in` query."""
    return await org[COLLECTION].by_ids(ids)


# First-batch size per customer for "all instruments of these customers": a page's instruments then
# arrive in one round trip unless customers hold more than this on average (then a getMore follows).
EXPECTED_PER_CUSTOMER = 10


async def by_customers(org: OrgDb, customer_ids: Sequence[str]) -> list[list[Doc]]:
    """Every instrument of each customer, oldest first: one `$in` query for all of them."""
    docs = await org[COLLECTION].find_list(
        {"customerId": {"$in": list(set(customer_ids))}},
        {"_id": 0},
        sort=[("createdTime", ASCENDING), ("id", ASCENDING)],
        expect=len(customer_ids) * EXPECTED_PER_CUSTOMER,
    )
    found: dict[str, list[Doc]] = {}
    for d in docs:
        found.setdefault(d["customerId"], []).append(d)
    return [found.get(c, []) for c in customer_ids]


async def count_for_customer(org: OrgDb, customer_id: str) -> int:
    return await org[COLLECTION].count({"customerId": customer_id})


async def update(
    org: OrgDb, instrument_id: str, *, revision: int | None, set_fields: Mapping[str, Any], now: datetime
) -> Doc:
    """Changes one instrument that is not deactivated (and, when given, still at `revision`).

    Raises NotFound when there is no such instrument, RevisionConflict when it moved on, and
    `Deactivated` when it is deactivated (a final state: nothing changes it any more).
    """
    flt: Doc = {"id": instrument_id, "status": {"$ne": "DEACTIVATED"}}
    if revision is not None:
        flt["revision"] = revision
    doc = await org[COLLECTION].find_one_and_update(
        flt, {"$set": {**set_fields, "updatedTime": now}, "$inc": {"revision": 1}}
    )
    if doc is None:
        await _why_not(org, instrument_id)
    assert doc is not None
    doc.pop("_id", None)
    return doc


async def deactivate(org: OrgDb, instrument_id: str, *, revision: int | None, now: datetime) -> Doc:
    """Deactivates once: a second call raises `Deactivated`."""
    return await update(
        org,
        instrument_id,
        revision=revision,
        set_fields={"status": "DEACTIVATED", "deactivatedTime": now},
        now=now,
    )


async def activate(org: OrgDb, instrument_id: str, now: datetime | None = None) -> Doc | None:
    """Marks an INACTIVE instrument ACTIVE after its first approved payment (called by the payment code).

    Idempotent: an ACTIVE instrument is returned unchanged; a DEACTIVATED one is never reactivated
    (returns None, as for an unknown id).
    """
    set_fields: Doc = {"status": "ACTIVE"}
    if now is not None:
        set_fields["updatedTime"] = now
    doc = await org[COLLECTION].find_one_and_update(
        {"id": instrument_id, "status": "INACTIVE"}, {"$set": set_fields, "$inc": {"revision": 1}}
    )
    if doc is None:
        doc = await org[COLLECTION].find_one({"id": instrument_id, "status": "ACTIVE"}, {"_id": 0})
    if doc is not None:
        doc.pop("_id", None)
    return doc


class Deactivated(Exception):
    pass


async def _why_not(org: OrgDb, instrument_id: str) -> None:
    current = await org[COLLECTION].find_one({"id": instrument_id}, {"status": 1, "revision": 1})
    if current is None:
        raise NotFound(instrument_id)
    if current["status"] == "DEACTIVATED":
        raise Deactivated(instrument_id)
    raise RevisionConflict(current["revision"])


async def set_default(org: OrgDb, customer_id: str, instrument_id: str, now: datetime) -> Doc | None:
    """Makes the instrument the customer's default, reserving a timeline seq in the same update.

    Returns the customer afterwards (None when it is gone). Callers check the instrument first and
    re-check it afterwards (`clear_default`), so a concurrent deactivation cannot leave it default.
    """
    doc = await org[customers.COLLECTION].find_one_and_update(
        {"id": customer_id},
        {
            "$set": {"defaultPaymentInstrumentId": instrument_id, "updatedTime": now},
            "$inc": {"revision": 1, "timelineSeq": 1},
        },
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def clear_default(org: OrgDb, customer_id: str, instrument_id: str, now: datetime) -> bool:
    """Clears the customer's default if it is still this instrument (idempotent)."""
    changed = await org[customers.COLLECTION].update_one(
        {"id": customer_id, "defaultPaymentInstrumentId": instrument_id},
        {"$set": {"defaultPaymentInstrumentId": None, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    return changed > 0
