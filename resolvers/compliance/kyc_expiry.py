"""A KYC request becomes EXPIRED (nothing uploaded) or ABANDONED (uploads made, not fulfilled) in the
store at its expiry, through the shared scheduler.

`kycRequestCreate` schedules one `compliance.kyc_expiry` job per request before writing it (key: its id, due at
`expiresTime`). Its handler stores the status with one update guarded by the request's revision
(`kyc_flow.expire_request`) and records `KYC_REQUEST_CHANGED` on the timeline; on a race with an
upload or a review it reads the request again. The hosted page does the same when opened after the
expiry; whichever comes first moves it and the other finds nothing to do, so the event is recorded
once however often either runs. After the expiry no upload is counted (`kyc.record_attempt` is
guarded by the expiry), so the status cannot be moved back.
"""

from __future__ import annotations

from datetime import datetime

from resolvers.compliance.kyc_flow import expire_request
from resolvers.scheduler import JobRun, job_handler
from schema.compliance.kyc import OPEN_REQUEST_STATUSES
from store import jobs
from store.compliance import kyc
from store.db import Doc, OrgDb

KYC_EXPIRY = "compliance.kyc_expiry"
ACTOR = {"type": "SYSTEM", "id": None, "name": "Scheduler"}
MAX_RACES = 5


async def schedule(org: OrgDb, doc: Doc, t: datetime) -> None:
    """The request's expiry job (one per request, whatever the retries)."""
    await jobs.schedule(org, KYC_EXPIRY, doc["id"], doc["expiresTime"], t)


@job_handler(KYC_EXPIRY)
async def kyc_expiry(run: JobRun) -> datetime | None:
    """Expires one KYC request (job key: its id)."""
    for _ in range(MAX_RACES):
        req = await kyc.get(run.org, kyc.REQUESTS, run.job["key"])
        if req is None or req["status"] not in OPEN_REQUEST_STATUSES:
            return None
        if req["expiresTime"] > run.now:
            return req["expiresTime"]
        if await expire_request(run.org, req, ACTOR, run.now) is not None:
            return None
    raise RuntimeError(f"KYC request {run.job['key']} kept changing while it was expired")  # retried with backoff
