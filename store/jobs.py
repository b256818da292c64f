"""Due work, durable in the document store: the scheduler's jobs.

A job is a document with a `kind`, a `key` unique within (organization, kind) — so scheduling the same
work twice (a retried request, two processes, a resumed step) makes one job — a `dueTime`, and a
status: PENDING → RUNNING (claimed with a lease) → DONE, back to PENDING for a retry or the next run of
recurring work, FAILED after its last attempt, or CANCELED.

Workers claim due jobs with one single-document atomic `findAndModify` that sets the lease; a lease
that runs out (its worker died) makes the job claimable again. Completion is guarded by the lease
owner. A claim is not the guarantee of "exactly once": two workers may run one job when a lease runs
out mid-step (or, on FerretDB v1, when two processes race a claim), so every handler's effects are
idempotent steps guarded by unique keys and preconditions. The claim makes the duplicate rare; the
steps make it harmless.

Claiming is the one cross-organization query besides authentication: a worker serves every tenant.
It goes through `Store.raw`, and whatever the job does goes through the job's organization's `OrgDb`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from store.db import Doc, IndexList, OrgDb, Store
from store.ids import new_id

COLLECTION = "jobs"
INDEXES: IndexList = [
    ([("organizationId", 1), ("kind", 1), ("key", 1)], {"unique": True, "name": "org_kind_key_unique"}),
    ([("organizationId", 1), ("id", 1)], {"unique": True, "name": "org_id_unique"}),
    # The claim: due PENDING jobs, oldest first; expired RUNNING leases.
    ([("status", 1), ("dueTime", 1)], {"name": "status_due"}),
]

PENDING, RUNNING, DONE, FAILED, CANCELED = "PENDING", "RUNNING", "DONE", "FAILED", "CANCELED"
# The organization of work that serves every organization (sweeps); no real organization id looks like it.
SYSTEM_ORG = "system"


def job_doc(kind: str, key: str, due: datetime, now: datetime, payload: Doc | None = None, max_attempts: int = 5) -> Doc:
    """A new PENDING job document (for `schedule`, or for writing several at once)."""
    return {
        "id": new_id("job"), "kind": kind, "key": key, "dueTime": due, "status": PENDING, "attempts": 0,
        "maxAttempts": max_attempts, "payload": payload or {}, "createdTime": now, "updatedTime": now,
        "leaseOwner": None, "leaseUntil": None, "lastError": None, "revision": 1,
    }


async def schedule(
    org: OrgDb, kind: str, key: str, due: datetime, now: datetime, payload: Doc | None = None, max_attempts: int = 5
) -> Doc:
    """The job (kind, key), created due at `due` if it does not exist yet (an existing one is left as is)."""
    doc = job_doc(kind, key, due, now, payload, max_attempts)
    try:
        await org[COLLECTION].insert_one(doc)
        return doc
    except DuplicateKeyError:
        pass
    existing = await org[COLLECTION].find_one({"kind": kind, "key": key}, {"_id": 0})
    assert existing is not None  # a unique key that refused the insert names a document
    return existing


async def get(org: OrgDb, job_id: str) -> Doc | None:
    return await org[COLLECTION].find_one({"id": job_id}, {"_id": 0})


async def by_key(org: OrgDb, kind: str, key: str) -> Doc | None:
    return await org[COLLECTION].find_one({"kind": kind, "key": key}, {"_id": 0})


async def cancel(org: OrgDb, kind: str, key: str, now: datetime) -> bool:
    """Cancels a job that has not started (PENDING); a running one finishes its step."""
    return bool(await org[COLLECTION].update_one(
        {"kind": kind, "key": key, "status": PENDING},
        {"$set": {"status": CANCELED, "updatedTime": now}, "$inc": {"revision": 1}},
    ))


async def reschedule(org: OrgDb, kind: str, key: str, due: datetime, now: datetime) -> bool:
    """Moves a PENDING job to a new due time (e.g. a renewal date changed)."""
    return bool(await org[COLLECTION].update_one(
        {"kind": kind, "key": key, "status": PENDING},
        {"$set": {"dueTime": due, "updatedTime": now}, "$inc": {"revision": 1}},
    ))


async def revive(org: OrgDb, kind: str, key: str, due: datetime, now: datetime) -> bool:
    """A job that ended (DONE, FAILED or CANCELED) PENDING again at `due`, its attempts counted from zero."""
    return bool(await org[COLLECTION].update_one(
        {"kind": kind, "key": key, "status": {"$in": [DONE, FAILED, CANCELED]}},
        {"$set": {"status": PENDING, "dueTime": due, "attempts": 0, "updatedTime": now, "lastError": None},
         "$inc": {"revision": 1}},
    ))


async def claim(store: Store, owner: str, now: datetime, lease: timedelta, kinds: list[str] | None = None) -> Doc | None:
    """Takes the oldest due job (or one whose lease ran out) for `owner` until now + lease; None: nothing due."""
    due: Doc = {"$or": [
        {"status": PENDING, "dueTime": {"$lte": now}},
        {"status": RUNNING, "leaseUntil": {"$lt": now}},
    ]}
    if kinds is not None:
        due["kind"] = {"$in": kinds}
    return await store.raw(COLLECTION).find_one_and_update(
        due,
        {"$set": {"status": RUNNING, "leaseOwner": owner, "leaseUntil": now + lease, "updatedTime": now},
         "$inc": {"attempts": 1, "revision": 1}},
        sort=[("dueTime", 1)],
        return_document=ReturnDocument.AFTER,
    )


async def next_due(store: Store) -> datetime | None:
    """When the next PENDING job falls due (to sleep until then)."""
    doc = await store.raw(COLLECTION).find_one({"status": PENDING}, {"dueTime": 1}, sort=[("dueTime", 1)])
    return doc["dueTime"] if doc else None


def _mine(job: Doc, owner: str) -> Doc:
    return {"organizationId": job["organizationId"], "id": job["id"], "status": RUNNING, "leaseOwner": owner}


async def finish(store: Store, job: Doc, owner: str, now: datetime) -> bool:
    """DONE, if `owner` still holds the lease (False: another worker took the job over)."""
    result = await store.raw(COLLECTION).update_one(
        _mine(job, owner),
        {"$set": {"status": DONE, "finishedTime": now, "updatedTime": now, "leaseOwner": None, "leaseUntil": None},
         "$inc": {"revision": 1}},
    )
    return result.modified_count == 1


async def again(store: Store, job: Doc, owner: str, due: datetime, now: datetime, error: str | None = None,
                count_attempt: bool = True) -> bool:
    """Back to PENDING at `due`: a retry after an error (`error`), or the next run of recurring work
    (`count_attempt=False` resets the attempt counter)."""
    update: dict[str, Any] = {
        "$set": {"status": PENDING, "dueTime": due, "updatedTime": now, "leaseOwner": None, "leaseUntil": None,
                 "lastError": error},
        "$inc": {"revision": 1},
    }
    if not count_attempt:
        update["$set"]["attempts"] = 0
    result = await store.raw(COLLECTION).update_one(_mine(job, owner), update)
    return result.modified_count == 1


async def fail(store: Store, job: Doc, owner: str, now: datetime, error: str) -> bool:
    result = await store.raw(COLLECTION).update_one(
        _mine(job, owner),
        {"$set": {"status": FAILED, "finishedTime": now, "updatedTime": now, "leaseOwner": None,
                  "leaseUntil": None, "lastError": error},
         "$inc": {"revision": 1}},
    )
    return result.modified_count == 1

