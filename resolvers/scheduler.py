"""The scheduler: durable due work (store/jobs.py) run by workers inside the gateway or on their own.

A domain declares what a kind of job does:

    @job_handler("billing.renewal")
    async def renew(run: JobRun) -> datetime | None:
        ...                      # idempotent steps through run.org, at run.now
        return next_time         # None: done; a time: run this job again then (recurring work)

and schedules one with `store.jobs.schedule(org, "billing.renewal", key, due, now, payload)`, the key
making it unique (e.g. `ord_…:3` for an order's third period). A handler that raises is retried with
backoff until its job's `maxAttempts`, then FAILED with the error; `Retry(at)` asks for a retry at a
given time without counting it as a failure of the code.

Time comes from a `Clock`: the system clock in production, a `FixedClock` that tests (and the
`run-due --until` dev command) move by hand, so months of renewals run in seconds.

Workers: `Worker.run_due()` runs everything due now and returns; `Worker.run_forever()` loops, sleeping
until the next due job or the poll interval. The gateway runs one in-process (`SCHEDULER_ENABLED`,
default on); `python -m resolvers.cli worker` runs one on its own. Several workers (processes or hosts)
share the work through the claim's lease; see store/jobs.py for what "once" rests on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from resolvers.edge.observe import SCHEDULER_JOBS, SCHEDULER_LAG
from resolvers.settings import Settings
from store import jobs
from store.db import Doc, OrgDb, Store

log = logging.getLogger("customer_graph.scheduler")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        t = datetime.now(UTC)
        return t.replace(microsecond=t.microsecond // 1000 * 1000)


@dataclass(slots=True)
class FixedClock:
    """A clock that stands still until moved: for tests and for running due work "as of" a time."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        self.at = self.at + delta
        return self.at


class Retry(Exception):
    """Raised by a handler to run its job again at `at` (counted as an attempt)."""

    def __init__(self, at: datetime, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.at = at


@dataclass(slots=True)
class JobRun:
    """What a handler gets: its job, the job's organization's store, the time, and the settings."""

    store: Store
    org: OrgDb
    job: Doc
    now: datetime
    settings: Settings
    clock: Clock

    @property
    def payload(self) -> Doc:
        return self.job.get("payload") or {}


Handler = Callable[[JobRun], Awaitable[datetime | None]]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Registers the handler of one kind of job."""

    def register(fn: Handler) -> Handler:
        if HANDLERS.get(kind, fn) is not fn:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        HANDLERS[kind] = fn
        return fn

    return register


def backoff(attempts: int) -> timedelta:
    """Retry delay after a handler error: 30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class Worker:
    store: Store
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    lease: timedelta = timedelta(seconds=60)
    kinds: list[str] | None = None  # None: every registered kind

    async def run_one(self) -> bool:
        """Claims and runs one due job; False when nothing is due."""
        now = self.clock.now()
        kinds = self.kinds if self.kinds is not None else list(HANDLERS)
        job = await jobs.claim(self.store, self.owner, now, self.lease, kinds)
        if job is None:
            return False
        SCHEDULER_LAG.observe(max(0.0, (now - job["dueTime"]).total_seconds()))
        handler = HANDLERS[job["kind"]]
        outcome = "done"
        run = JobRun(self.store, self.store.for_org(job["organizationId"]), job, now, self.settings, self.clock)
        try:
            again_at = await handler(run)
        except Retry as retry:
            outcome = "retry"
            await jobs.again(self.store, job, self.owner, retry.at, self.clock.now(), str(retry))
        except Exception as exc:  # the handler's bug or a store failure: retried, then FAILED
            message = f"{type(exc).__name__}: {exc}"
            outcome = "failed" if job["attempts"] >= job.get("maxAttempts", 5) else "retry"
            if outcome == "failed":
                log.error("job %s (%s) failed for good: %s", job["id"], job["kind"], message, exc_info=exc)
                await jobs.fail(self.store, job, self.owner, self.clock.now(), message)
            else:
                log.warning("job %s (%s) failed, will retry: %s", job["id"], job["kind"], message)
                later = self.clock.now() + backoff(job["attempts"])
                await jobs.again(self.store, job, self.owner, later, self.clock.now(), message)
        else:
            if again_at is None:
                await jobs.finish(self.store, job, self.owner, self.clock.now())
            else:
                outcome = "again"
                await jobs.again(self.store, job, self.owner, again_at, self.clock.now(), count_attempt=False)
        SCHEDULER_JOBS.labels(job["kind"], outcome).inc()
        return True

    async def run_due(self, limit: int | None = None) -> int:
        """Runs jobs until none is due (or `limit` ran); returns how many ran."""
        done = 0
        while limit is None or done < limit:
            if not await self.run_one():
                break
            done += 1
        return done

    async def run_forever(self, poll_seconds: float = 1.0) -> None:
        """Runs due work as it falls due until cancelled; store outages are waited out."""
        while True:
            try:
                await self.run_due()
                upcoming = await jobs.next_due(self.store)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # e.g. the document store is unreachable: try again shortly
                log.warning("scheduler: %s", exc)
                upcoming = None
            wait = poll_seconds
            if upcoming is not None:
                wait = max(0.0, min(poll_seconds, (upcoming - self.clock.now()).total_seconds()))
            await asyncio.sleep(wait)
