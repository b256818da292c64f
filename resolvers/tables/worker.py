"""Writing CSV exports on the scheduler (resolvers/scheduler.py): `dataExportCreate` schedules a
`tables.export` job keyed by the export's id; its handler starts a task of the process that writes the
file (resumable after a crash or restart from the last exported key: store/tables/exports.py describes
the steps) and checks on it until the export is done. When the file is complete a
`tables.export-expiry` job is scheduled at its expiry time to remove it.

Memory stays bounded whatever the row count: rows come from one cursor in batches, and at most
`export_checkpoint_rows` rows (or 1 MiB of CSV) are held before they are written out as GridFS chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import Binary

from resolvers.context import now as clock_now
from resolvers.customers.customers import list_query, saved_customer_arguments
from resolvers.scheduler import JobRun, job_handler
from resolvers.settings import Settings
from resolvers.tables.csvfile import BOM, CsvBuffer
from resolvers.tables.invoices import saved_invoice_arguments
from resolvers.tables.invoices import table_query as invoice_table_query
from resolvers.tables.payments import saved_transaction_arguments, table_query
from store import jobs
from store.activity import notifications
from store.billing import invoices
from store.customers import customers
from store.db import Doc, OrgDb, SortSpec, Store
from store.money import transactions
from store.tables import columns, exports

log = logging.getLogger("customer_graph.exports")

EXPORT_JOB = "tables.export"
EXPIRY_JOB = "tables.export-expiry"
FLUSH_BYTES = 1024 * 1024
CURSOR_BATCH = 1_000
SYSTEM_ACTOR = {"type": "SYSTEM", "id": None, "name": "Data export"}


@dataclass(frozen=True, slots=True)
class Plan:
    """How to read one export's rows: collection, filter from a position, sort, and a row's position."""

    collection: str
    filter_from: Callable[[tuple[Any, str] | None], Doc]
    sort: SortSpec
    key: Callable[[Doc], Any]


def plan(job: Doc) -> Plan:
    """The export's query, built by the same code as the table's list (and its `segmentId`)."""
    if job["table"] == "CUSTOMERS":
        q = list_query(*saved_customer_arguments(job))
        return Plan(customers.COLLECTION, lambda after: customers.page_filter(q, after), customers.page_sort(q),
                    lambda d: customers.sort_value(q, d))
    if job["table"] == "INVOICES":
        iq = invoice_table_query(*saved_invoice_arguments(job))
        return Plan(invoices.COLLECTION, lambda after: invoices.table_query(iq, after), invoices.table_sort(iq),
                    lambda d: d["createdTime"])
    tq = table_query(*saved_transaction_arguments(job))
    return Plan(transactions.COLLECTION, lambda after: transactions.table_query(tq, after),
                transactions.table_sort(tq), lambda d: d["createdTime"])


def ready_notification(job: Doc, t: datetime) -> Doc:
    return {
        "id": notifications.notification_id(job["userId"], job["id"], "DATA_EXPORT_READY"),
        "userId": job["userId"], "reason": "DATA_EXPORT_READY", "via": None, "eventId": None, "customerId": None,
        "dataExportId": job["id"], "actor": SYSTEM_ACTOR,
        "excerpt": f"{job['filename']} is ready: {job['rowCount']} rows", "time": t, "read": False, "readTime": None,
    }


async def schedule(org: OrgDb, export_id: str, now: datetime) -> None:
    """The export's job (one per export: its id is the key, so scheduling twice makes one job)."""
    await jobs.schedule(org, EXPORT_JOB, export_id, now, now)


class ExportWorker:
    """Writes exports for one worker (`worker_id`: the holder of the exports' leases)."""

    def __init__(self, store: Store, settings: Settings, *, worker_id: str,
                 clock: Callable[[], datetime] = clock_now) -> None:
        self.store = store
        self.settings = settings
        self.id = worker_id
        self.clock = clock
        self.lease = timedelta(seconds=settings.export_lease_seconds)

    async def run(self, org: OrgDb, export_id: str, *, budget_seconds: float | None = None,
                  stop_after_checkpoints: int | None = None) -> datetime | None:
        """Works on one export until it is done (None), or until the budget is spent or another worker
        holds it (then: when to come back). `stop_after_checkpoints` abandons it with the lease kept, as a
        crashed process would: for tests."""
        job = await exports.claim(org, export_id, self.id, self.clock(), self.lease)
        if job is None:
            current = await exports.get(org, export_id)
            if current is None or current["status"] not in exports.ACTIVE:
                return None
            return current.get("leaseUntil") or self.clock()  # held by another worker: its lease ends then
        if job.get("startedTime") is None:
            await exports.guarded_set(org, export_id, self.id, {"startedTime": self.clock()})
        deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
        done = await self._process(org, job, stop_after_checkpoints, deadline)
        return None if done else self.clock()


    async def _process(self, org: OrgDb, job: Doc, stop_after: int | None, deadline: float | None) -> bool:
        """Writes from the job's last checkpoint; True once the export is COMPLETED."""
        me, job_id, file_id = self.id, job["id"], job["fileId"]
        p = plan(job)
        cells = columns.cells(job["table"], job["columns"])
        if job.get("totalRows") is None:
            total = await org[p.collection].count(p.filter_from(None))
            if not await exports.guarded_set(org, job_id, me, {"totalRows": total, "countedTime": self.clock()}):
                return False
        n, rows, length = int(job["nextChunk"]), int(job["rowCount"]), int(job["length"])
        remainder = bytes(job.get("remainder") or b"")
        last = tuple(job["lastKey"]) if job.get("lastKey") else None
        buf = CsvBuffer()
        if last is None and n == 0 and rows == 0 and not remainder:
            if job.get("bom"):
                buf.raw(BOM)
            buf.row(job["columns"])
            buf.rows = 0
        checkpoints = 0

        async def flush(final: bool) -> bool:
            nonlocal n, rows, length, remainder, buf
            data = remainder + buf.take()
            cut = len(data) if final else len(data) // exports.CHUNK_SIZE * exports.CHUNK_SIZE
            written = await exports.write_chunks(org, file_id, n, data[:cut])
            fields = {"lastKey": list(last) if last else None, "rowCount": rows + buf.rows,
                      "nextChunk": n + written, "remainder": Binary(data[cut:]), "length": length + cut,
                      "leaseUntil": self.clock() + self.lease}
            if not await exports.guarded_set(org, job_id, me, fields, next_chunk=n):
                return False  # the lease went to another worker: it carries on from its own checkpoint
            n, rows, length, remainder = n + written, rows + buf.rows, length + cut, data[cut:]
            buf.rows = 0
            return True

        cursor = org[p.collection].find(p.filter_from(last), {"_id": 0}, sort=p.sort).batch_size(CURSOR_BATCH)
        try:
            async for doc in cursor:
                buf.row([cell(doc) for cell in cells])
                last = (p.key(doc), doc["id"])
                if buf.rows >= self.settings.export_checkpoint_rows or buf.size() >= FLUSH_BYTES:
                    if not await flush(final=False):
                        return False
                    checkpoints += 1
                    if stop_after is not None and checkpoints >= stop_after:
                        return False
                    if deadline is not None and time.monotonic() >= deadline:
                        return False
        finally:
            with contextlib.suppress(Exception):
                await cursor.close()
        if not await flush(final=True):
            return False
        t = self.clock()
        await exports.finish_file(org, file_id, job["filename"], length, t,
                                  {"contentType": "text/csv", "exportId": job_id})
        if job.get("userId"):
            await notifications.insert_many(org, [ready_notification({**job, "rowCount": rows}, t)])
        expires = t + timedelta(hours=self.settings.export_expiry_hours)
        await jobs.schedule(org, EXPIRY_JOB, job_id, expires, t)
        return await exports.guarded_set(org, job_id, me, {
            "status": "COMPLETED", "completedTime": t, "leaseOwner": None, "leaseUntil": None, "expiresTime": expires})


# The exports this process is writing: (organization, export id) -> the task. An export is written by a
# task of its own, so a long one neither holds up the scheduler's other due work nor restarts its cursor
# (a new scan of the table on FerretDB); the scheduler's job only watches it.
RUNNING: dict[tuple[str, str], asyncio.Task[datetime | None]] = {}
PROCESS_OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def drain() -> None:
    """Waits until this process's export tasks have finished (their outcome stays for the next run of
    each export's job to collect)."""
    await asyncio.gather(*RUNNING.values(), return_exceptions=True)


@job_handler(EXPORT_JOB)
async def run_export(run: JobRun) -> datetime | None:
    """Starts (or resumes) writing the export in a task of this process, then checks on it every
    `export_poll_seconds` until the export is no longer active. A task that failed raises here, so the
    scheduler retries with backoff; when its last attempt fails the export is FAILED (MAX_RETRIES_REACHED)."""
    export_id = run.job["key"]
    key = (run.org.org_id, export_id)
    later = run.clock.now() + timedelta(seconds=run.settings.export_poll_seconds)
    task = RUNNING.get(key)
    if task is not None and not task.done():
        return later
    try:
        if task is not None:
            RUNNING.pop(key)
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
            come_back = None if task.cancelled() else task.result()
            if come_back is not None and come_back > run.clock.now():
                return come_back  # another worker holds the export: look again when its lease ends
        current = await exports.get(run.org, export_id)
        if current is None or current["status"] not in exports.ACTIVE:
            return None
        writer = ExportWorker(run.store, run.settings, worker_id=PROCESS_OWNER, clock=run.clock.now)
        RUNNING[key] = asyncio.create_task(writer.run(run.org, export_id))
        return later
    except Exception:
        if run.job["attempts"] >= run.job.get("maxAttempts", 5):
            await exports.fail(run.org, export_id, "MAX_RETRIES_REACHED", run.clock.now())
        raise


@job_handler(EXPIRY_JOB)
async def expire_export(run: JobRun) -> datetime | None:
    """Removes the file at its expiry (FerretDB has no TTL indexes; on MongoDB too, for one behaviour)."""
    await exports.expire(run.org, run.job["key"])
    return None
