"""The `idempotency_keys` collection: one claim per (organization, key) for money-moving mutations.

A request claims its key with an insert that fails on a duplicate (unique index), does its work, then
stores its result on the claim (guarded by `status: PENDING`). Replays read the stored result. Claims
expire through a TTL index, `TTL_SECONDS` after they were made; where the server has no TTL indexes
(FerretDB v1), a claim past its TTL is deleted when the same key is claimed again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb

COLLECTION = "idempotency_keys"
TTL_SECONDS = 48 * 3600  # keys are kept two days (the promise is at least 24 hours)

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("key", ASCENDING)], {"unique": True, "name": "org_key_unique"}),
    ([("createdTime", ASCENDING)], {"expireAfterSeconds": TTL_SECONDS, "name": "ttl_created"}),
]


async def claim(org: OrgDb, key: str, operation: str, input_hash: str, now: datetime) -> Doc | None:
    """Claims `key`; None when this call owns it now, else the existing claim."""
    doc = {
        "key": key,
        "operation": operation,
        "inputHash": input_hash,
        "status": "PENDING",
        "result": None,
        "createdTime": now,
        "updatedTime": now,
    }
    try:
        await org[COLLECTION].insert_one(doc)
    except DuplicateKeyError:
        existing = await get(org, key)
        if existing is not None and existing["createdTime"] <= now - timedelta(seconds=TTL_SECONDS):
            await org[COLLECTION].delete_one({"key": key, "createdTime": existing["createdTime"]})
            existing = None
        if existing is None:  # released (or expired) between our insert and read: try again
            return await claim(org, key, operation, input_hash, now)
        return existing
    return None


async def get(org: OrgDb, key: str) -> Doc | None:
    return await org[COLLECTION].find_one({"key": key}, {"_id": 0})


async def complete(org: OrgDb, key: str, result: dict[str, Any], now: datetime) -> None:
    await org[COLLECTION].update_one(
        {"key": key, "status": "PENDING"}, {"$set": {"status": "DONE", "result": result, "updatedTime": now}}
    )


async def release(org: OrgDb, key: str) -> None:
    """Drops a pending claim whose work changed nothing (refused input, error), so the key can be retried."""
    await org[COLLECTION].delete_one({"key": key, "status": "PENDING"})
