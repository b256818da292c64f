"""A CSV export written by a real worker process that is killed (SIGKILL) in the middle: another worker
process takes it over when the leases run out, resumes from the last checkpoint, and the file holds every
row exactly once, in order (bounded: a few thousand rows, well under a minute on FerretDB)."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

import pytest

from store.customers import customers
from store.tables import exports
from tests.tables.test_exports import download, parse
from tests.test_workers_across_processes import WAIT, start_worker, stop

ROWS = 1_500
CREATE = """mutation($input: DataExportCreateInput!) { dataExportCreate(input: $input) {
  dataExport { id } userErrors { field message code } } }"""
STATUS = """query($id: ID!) { dataExport(id: $id) { status rowCount totalRows downloadUrl } }"""
# Small checkpoints and short leases, so the kill lands between checkpoints and the takeover is quick.
EXPORT_ENV = {"EXPORT_CHECKPOINT_ROWS": "100", "EXPORT_LEASE_SECONDS": "2", "EXPORT_POLL_SECONDS": "0.2"}


async def load(store, org_id: str) -> list[str]:
    """ROWS customers written straight to the store (as the export benchmark loads them), oldest first."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    docs = [customers.with_derived({
        "id": f"c{i:05d}", "websiteId": "web_x", "firstName": f"First {i}", "lastName": f"Last {i}",
        "emails": [{"value": f"c{i}@example.com", "label": "main", "primary": True}], "phoneNumbers": [],
        "paymentCount": 0, "revenue": {}, "tags": [], "createdTime": t0 + timedelta(seconds=i),
        "updatedTime": t0, "revision": 1, "timelineSeq": 0}) for i in range(ROWS)]
    await store.for_org(org_id)[customers.COLLECTION].insert_many(docs)
    return [d["id"] for d in docs]


@pytest.mark.slow
async def test_an_export_whose_worker_process_is_killed_completes_on_another_with_every_row_once(
        mongodb_uri, store, org, monkeypatch) -> None:
    ids = await load(store, org.id)
    made = (await org.gql(CREATE, {"input": {"customers": {"sort": {"field": "CREATED_TIME", "direction": "ASC"}},
                                             "columns": ["id", "email"]}}))["dataExportCreate"]
    assert made["userErrors"] == []
    export_id = made["dataExport"]["id"]
    for k, v in EXPORT_ENV.items():
        monkeypatch.setenv(k, v)
    db = store.for_org(org.id)
    a = await start_worker(mongodb_uri, store.db.name)
    b = None
    try:
        async with asyncio.timeout(WAIT):  # let A write a few checkpoints, then kill it mid-export
            while True:
                doc = await exports.get(db, export_id)
                assert doc is not None and doc["status"] != "COMPLETED", "A finished before it could be killed"
                if doc["rowCount"] >= 200:
                    break
                await asyncio.sleep(0.05)
        a.send_signal(signal.SIGKILL)
        await asyncio.wait_for(a.wait(), 10)
        at_kill = await exports.get(db, export_id)
        assert at_kill is not None and 0 < at_kill["rowCount"] < ROWS and at_kill["status"] == "PROCESSING"
        b = await start_worker(mongodb_uri, store.db.name)
        async with asyncio.timeout(WAIT):
            while (doc := await exports.get(db, export_id)) is not None and doc["status"] != "COMPLETED":  # noqa: ASYNC110 - polls the store, bounded
                await asyncio.sleep(0.2)
    finally:
        await stop(a)
        if b is not None:
            await stop(b)
    done = (await org.gql(STATUS, {"id": export_id}))["dataExport"]
    assert done["status"] == "COMPLETED" and done["rowCount"] == ROWS and done["totalRows"] == ROWS
    final = await exports.get(db, export_id)
    assert final is not None and final["leaseOwner"] is None
    assert final["startedTime"] == at_kill["startedTime"]  # resumed, not started again
    rows = parse((await download(org, done["downloadUrl"])).content)
    assert rows[0] == ["id", "email"]
    assert [r[0] for r in rows[1:]] == ids  # every row exactly once, in order
    assert all(r[1] == f"c{int(r[0][1:])}@example.com" for r in rows[1:])
