"""Due work of the activity context, run by the scheduler (resolvers/scheduler.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from resolvers.scheduler import JobRun, job_handler
from store.activity import api_logs

API_LOG_EXPIRY = "activity.api_log_expiry"


@job_handler(API_LOG_EXPIRY)
async def expire_api_logs(run: JobRun) -> datetime | None:
    """API log retention where the server has no TTL indexes (FerretDB v1): one sweep of every
    organization's expired entries per `API_LOG_SWEEP_SECONDS`, by whichever worker claims it."""
    await api_logs.expire(run.store, run.settings.api_log_ttl_days, run.now)
    return run.now + timedelta(seconds=run.settings.api_log_sweep_seconds)
