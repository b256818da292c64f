"""The export worker: a task in the gateway process that claims export jobs from the store and writes
their CSV files, resumable after a crash or restart from the last exported key (store/tables/exports.py
describes the steps). Several gateway processes may run it: a lease gives each job to one of them.

Memory stays bounded whatever the row count: rows come from one cursor in batches, and at most
`export_checkpoint_rows` rows (or 1 MiB of CSV) are held before they are written out as GridFS chunks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bson import Binary
from ulid import ULID

from resolvers.context import now as clock_now
from resolvers.customers.customers import list_query, saved_customer_arguments
from resolvers.settings import Settings
from resolvers.tables.csvfile import BOM, CsvBuffer
from resolvers.tables.payments import saved_transaction_arguments, table_query
from store.activity import notifications
from store.customers import customers
from store.db import Doc, OrgDb, SortSpec, Store
from store.money import transactions
from store.tables import columns, exports

log = logging.getLogger("customer_graph.exports")

MAX_ATTEMPTS = 5
FLUSH_BYTES = 1024 * 1024
CURSOR_BATCH = 1_000
SWEEP_SECONDS = 300.0
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


class ExportWorker:
    def __init__(self, store: Store, settings: Settings, *, worker_id: str | None = None,
                 clock: Callable[[], datetime] = clock_now) -> None:
        self.store = store
        self.settings = settings
        self.id = worker_id or f"{os.getpid()}-{ULID()}"
        self.clock = clock
        self.lease = timedelta(seconds=settings.export_lease_seconds)

    async def run_once(self, *, stop_after_checkpoints: int | None = None) -> bool:
        """Claims one job and works on it; False when there was none. `stop_after_checkpoints` abandons
        the job (lease kept, as a crashed process would) after that many checkpoints: for tests."""
        job = await exports.claim(self.store, self.id, self.clock(), self.lease)
        if job is None:
            return False
        org = self.store.for_org(job["organizationId"])
        if job["attempts"] > MAX_ATTEMPTS:
            await exports.guarded_set(org, job["id"], self.id, {
                "status": "FAILED", "failureReason": "MAX_RETRIES_REACHED", "leaseOwner": None, "leaseUntil": None})
            return True
        try:
            await self._process(org, job, stop_after_checkpoints)
        except Exception:  # the lease runs out and another attempt resumes from the last checkpoint
            log.exception("export %s failed (attempt %s)", job["id"], job["attempts"])
        return True

    async def run_until_idle(self) -> int:
        """Works until no job is left; returns how many were processed."""
        done = 0
        while await self.run_once():
            done += 1
        return done

    async def sweep(self) -> int:
        """Removes the files of completed exports past their expiry (no TTL indexes on FerretDB)."""
        t = self.clock()
        removed = 0
        for job in await exports.expired(self.store, t):
            org = self.store.for_org(job["organizationId"])
            await exports.delete_file(org, job["fileId"])
            removed += await org[exports.COLLECTION].update_one(
                {"id": job["id"], "status": "COMPLETED"}, {"$set": {"status": "EXPIRED"}, "$inc": {"revision": 1}})
        return removed

    async def run_forever(self) -> None:
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() - last_sweep > SWEEP_SECONDS:
                    await self.sweep()
                    last_sweep = loop.time()
                if await self.run_once():
                    continue
            except Exception:  # the store is down, say: try again at the next poll
                log.exception("export worker poll failed")
            await asyncio.sleep(self.settings.export_poll_seconds)

    async def _process(self, org: OrgDb, job: Doc, stop_after: int | None) -> None:
        me, job_id, file_id = self.id, job["id"], job["fileId"]
        p = plan(job)
        cells = columns.cells(job["table"], job["columns"])
        if job.get("totalRows") is None:
            total = await org[p.collection].count(p.filter_from(None))
            if not await exports.guarded_set(org, job_id, me, {"totalRows": total, "countedTime": self.clock()}):
                return
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
                        return
                    checkpoints += 1
                    if stop_after is not None and checkpoints >= stop_after:
                        return
        finally:
            with contextlib.suppress(Exception):
                await cursor.close()
        if not await flush(final=True):
            return
        t = self.clock()
        await exports.finish_file(org, file_id, job["filename"], length, t,
                                  {"contentType": "text/csv", "exportId": job_id})
        if job.get("userId"):
            await notifications.insert_many(org, [ready_notification({**job, "rowCount": rows}, t)])
        await exports.guarded_set(org, job_id, me, {
            "status": "COMPLETED", "completedTime": t, "leaseOwner": None, "leaseUntil": None,
            "expiresTime": t + timedelta(hours=self.settings.export_expiry_hours)})
