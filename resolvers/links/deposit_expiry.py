"""A deposit request becomes EXPIRED in the store at its expiry, through the shared scheduler.

`depositRequestCreate` schedules one `links.deposit_expiry` job per request before writing it (key: its id, due
at `expiresTime`). Its handler moves a request still CREATED / PENDING / ATTEMPTED to EXPIRED with one
update guarded by that status, and records `DEPOSIT_REQUEST_CHANGED` (status EXPIRED) on the
timeline. The hosted page does the same when it is opened after the expiry; whichever comes first
moves it, the other finds nothing to move, so the event is recorded once however often either runs.

A request INITIATED at its expiry (a card charge in flight) is left to finish: the charge makes it
COMPLETED or ATTEMPTED, so the job looks again every `RECHECK` and expires an ATTEMPTED one. After
`GIVE_UP` past the expiry it stops looking (a charge that never came back is not reconciled here).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from resolvers.scheduler import JobRun, job_handler
from store import jobs
from store.activity import timeline
from store.db import Doc, OrgDb
from store.links import deposit_requests as dr

DEPOSIT_EXPIRY = "links.deposit_expiry"
RECHECK = timedelta(minutes=5)
GIVE_UP = timedelta(days=1)
PAGE_ACTOR = {"type": "SYSTEM", "id": None, "name": "Hosted deposit page"}
SCHEDULER_ACTOR = {"type": "SYSTEM", "id": None, "name": "Scheduler"}


async def record_status(
    org: OrgDb, doc: Doc, status: str, t: datetime, txn_id: str | None = None, note: str = "", actor: Doc = PAGE_ACTOR
) -> None:
    """The request's status change on its customer's timeline."""
    data: Doc = {"depositRequestId": doc["id"], "status": status}
    if txn_id:
        data["transactionId"] = txn_id
    await timeline.record(org, doc["customerId"], "DEPOSIT_REQUEST_CHANGED", actor, t, data,
                          note or f"Deposit request {status.lower()}")


async def schedule(org: OrgDb, doc: Doc, t: datetime) -> None:
    """The request's expiry job (one per request, whatever the retries)."""
    await jobs.schedule(org, DEPOSIT_EXPIRY, doc["id"], doc["expiresTime"], t)


async def expire(org: OrgDb, doc: Doc, t: datetime, actor: Doc = PAGE_ACTOR) -> Doc | None:
    """Stores EXPIRED for a payable request past its expiry and records it; None when there was nothing
    to move (not expired yet, already EXPIRED, COMPLETED or in flight)."""
    if doc["status"] not in dr.PAYABLE or doc["expiresTime"] > t:
        return None
    moved = await dr.move(org, doc["id"], dr.PAYABLE, {"status": "EXPIRED", "expiredTime": t}, t, unexpired=False)
    if moved is not None:
        await record_status(org, moved, "EXPIRED", t, actor=actor)
    return moved


@job_handler(DEPOSIT_EXPIRY)
async def deposit_expiry(run: JobRun) -> datetime | None:
    """Expires one deposit request (job key: its id); looks again while a charge is in flight."""
    doc = await dr.get(run.org, run.job["key"])
    if doc is None:
        return None
    if doc["expiresTime"] > run.now:
        return doc["expiresTime"]
    if doc["status"] == "INITIATED":
        return run.now + RECHECK if run.now < doc["expiresTime"] + GIVE_UP else None
    await expire(run.org, doc, run.now, SCHEDULER_ACTOR)
    return None
