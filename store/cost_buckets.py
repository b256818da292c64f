"""The `cost_buckets` collection: each API key's query-cost bucket, shared by every gateway process.

A bucket's state is a chain of small documents, one per change, `{keyId, rev, level, at, holds}`, with
a unique `(organizationId, keyId, rev)` index: a process reads the latest revision and writes the next
one; if another process wrote it first, the insert is refused as a duplicate and the process reads
again. That is a compare-and-swap that holds on every server, including FerretDB v1, whose updates of
one document on two connections race (measured: 40 concurrent guarded `findAndModify` calls on 8
connections, of which 10 should win, gave 33 to 40 winners) while its unique indexes are enforced by
SQLite (one winner of 8 racing inserts, every time).

Old revisions are pruned, but only those superseded more than `PRUNE_AFTER_SECONDS` ago, and a write
whose read is older than `STALE_READ_SECONDS` is never sent, so a pruned revision cannot be written
again by a slow process (that would need its insert to take ~8 s to arrive).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from store.db import Doc, OrgDb

COLLECTION = "cost_buckets"
STALE_READ_SECONDS = 2.0
PRUNE_AFTER_SECONDS = 10.0  # short: FerretDB scans the whole collection on every read
PRUNE_EVERY = 8  # revisions between two prunes of one key's chain

INDEXES: list[tuple[list[tuple[str, int]], dict[str, Any]]] = [
    ([("organizationId", ASCENDING), ("keyId", ASCENDING), ("rev", DESCENDING)],
     {"unique": True, "name": "org_key_rev_unique"}),
]


async def latest(org: OrgDb, key_id: str) -> Doc | None:
    """The bucket's latest revision (None: the key never spent anything)."""
    docs = await org[COLLECTION].find_list({"keyId": key_id}, {"_id": 0}, sort=[("rev", DESCENDING)], limit=1)
    return docs[0] if docs else None


async def append(org: OrgDb, key_id: str, rev: int, state: Doc, now: datetime) -> bool:
    """Writes revision `rev` of the bucket; False when another process wrote it first."""
    try:
        await org[COLLECTION].insert_one({"keyId": key_id, "rev": rev, **state, "writtenTime": now})
    except DuplicateKeyError:
        return False
    if rev % PRUNE_EVERY == 0:
        await prune(org, key_id, now)
    return True


async def prune(org: OrgDb, key_id: str, now: datetime) -> int:
    """Removes the revisions older than the newest one written `PRUNE_AFTER_SECONDS` ago (each of them
    was superseded at least that long ago)."""
    horizon = now - timedelta(seconds=PRUNE_AFTER_SECONDS)
    old = await org[COLLECTION].find_list({"keyId": key_id, "writtenTime": {"$lt": horizon}}, {"_id": 0, "rev": 1},
                                          sort=[("rev", DESCENDING)], limit=1)
    if not old:
        return 0
    return await org[COLLECTION].delete_many({"keyId": key_id, "rev": {"$lt": old[0]["rev"]}})
