"""Payouts: `payout_request_ids` makes a payout's request ID unique per organization (the claim is
inserted before anything is paid, so a second payout with the same ID creates nothing), and
`payout_requests` holds payout requests made on a customer's behalf, with a shareable link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb, Store

REQUEST_IDS = "payout_request_ids"
REQUESTS = "payout_requests"

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    REQUEST_IDS: [
        (
            [("organizationId", ASCENDING), ("requestId", ASCENDING)],
            {"unique": True, "name": "org_request_id_unique"},
        ),
    ],
    REQUESTS: [
        ([("organizationId", ASCENDING), ("id", ASCENDING)], {"unique": True, "name": "org_id_unique"}),
        (
            [("organizationId", ASCENDING), ("customerId", ASCENDING), ("createdTime", DESCENDING)],
            {"name": "org_customer_created"},
        ),
        ([("tokenHash", ASCENDING)], {"unique": True, "name": "token_hash_unique"}),
    ],
}


async def claim_request_id(org: OrgDb, request_id: str, transaction_id: str, now: datetime) -> Doc | None:
    """Reserves `request_id` for `transaction_id`; None when reserved now, else the existing claim."""
    try:
        await org[REQUEST_IDS].insert_one(
            {"requestId": request_id, "transactionId": transaction_id, "createdTime": now}
        )
    except DuplicateKeyError:
        return await org[REQUEST_IDS].find_one({"requestId": request_id}, {"_id": 0})
    return None


async def get_request_id(org: OrgDb, request_id: str) -> Doc | None:
    """The claim of a payout request ID, if it was used."""
    return await org[REQUEST_IDS].find_one({"requestId": request_id}, {"_id": 0})


async def release_request_id(org: OrgDb, request_id: str, transaction_id: str) -> None:
    await org[REQUEST_IDS].delete_one({"requestId": request_id, "transactionId": transaction_id})


async def insert_request(org: OrgDb, doc: Doc) -> Doc:
    await org[REQUESTS].insert_one(doc)
    doc.pop("_id", None)
    return doc


async def get_request(org: OrgDb, request_id: str) -> Doc | None:
    return await org[REQUESTS].find_one({"id": request_id}, {"_id": 0})


async def get_requests(org: OrgDb, ids: list[str]) -> list[Doc | None]:
    return await org[REQUESTS].by_ids(ids)


async def requests_of_customer(org: OrgDb, customer_id: str, limit: int) -> list[Doc]:
    return await org[REQUESTS].find_list(
        {"customerId": customer_id},
        {"_id": 0},
        sort=[("createdTime", DESCENDING), ("id", DESCENDING)],
        limit=limit,
    )


async def request_by_token_hash(store: Store, token_hash: str) -> Doc | None:
    """The payout request a link token opens, in whichever organization (the token establishes the tenant)."""
    return await store.raw(REQUESTS).find_one({"tokenHash": token_hash}, {"_id": 0})


async def move_request(
    org: OrgDb, request_id: str, from_statuses: list[str], set_fields: Doc, now: datetime
) -> Doc | None:
    """Changes a payout request's status if it is in one of `from_statuses` (atomic guard)."""
    doc = await org[REQUESTS].find_one_and_update(
        {"id": request_id, "status": {"$in": from_statuses}},
        {"$set": {**set_fields, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc


async def confirm_request(org: OrgDb, request_id: str, card: Doc, now: datetime) -> Doc | None:
    """PENDING -> READY with the card the customer chose (BIN, last four, brand), only while unexpired."""
    doc = await org[REQUESTS].find_one_and_update(
        {"id": request_id, "status": "PENDING", "expiresTime": {"$gt": now}},
        {"$set": {"status": "READY", **card, "updatedTime": now}, "$inc": {"revision": 1}},
    )
    if doc is not None:
        doc.pop("_id", None)
    return doc
