"""Running CSV exports in tests the way the gateway does: the scheduler's worker and its export tasks."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from resolvers.context import now
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from resolvers.tables import worker
from resolvers.tables.worker import EXPIRY_JOB, EXPORT_JOB
from store.db import Store


def settings(**extra: Any) -> Settings:
    return Settings(mongodb_uri=None, export_checkpoint_rows=3, **extra)


async def run_due(store: Store, at: datetime | None = None, owner: str | None = None) -> int:
    """The scheduler's worker, as the gateway runs it, for the export kinds: runs what is due at `at`,
    lets the export tasks it started finish, and moves its clock on by the poll interval until nothing
    is due. Returns how many job runs there were."""
    clock = FixedClock(at or now())
    extra = {"owner": owner} if owner else {}
    scheduler = Worker(store, settings(), clock=clock, kinds=[EXPORT_JOB, EXPIRY_JOB], **extra)
    total = 0
    while ran := await scheduler.run_due():
        total += ran
        await worker.drain()
        clock.advance(timedelta(seconds=settings().export_poll_seconds))
    return total
