"""CSV exports: queued by dataExportCreate, written by the worker, resumable, downloaded by org key only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from resolvers.context import now
from resolvers.tables.worker import ExportWorker
from store.customers import customers
from store.tables import exports
from tests.collab import add_user
from tests.money_helpers import add_customer, paid_outside
from tests.tables.exports_helpers import run_due, settings

CREATE = """mutation($input: DataExportCreateInput!) { dataExportCreate(input: $input) {
  dataExport { id status progress rowCount totalRows columns filename downloadUrl byteOrderMark table segmentId
               requestedBy { type name } }
  userErrors { field message code } } }"""
STATUS = """query($id: ID!) { dataExport(id: $id) { id status progress rowCount totalRows downloadUrl sizeBytes
  completedTime expiresTime } }"""
SEGMENT = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) { segment { id } userErrors { code } } }"""
NOTIFICATIONS = """{ viewer { notifications(first: 10) { edges { node { reason dataExportId excerpt customerId
  author { type name } } } } } }"""

# Values a CSV writer and a spreadsheet get wrong: separators, quotes, line breaks, formula starts, non-ASCII.
NASTY = ["=HYPERLINK(\"http://x\")", "+1 555", "-2+3", "@SUM(A1)", "\tTab", "\rCR", "O'Brien, \"Jr\"",
         "line\nbreak", "Zoë Ångström 日本"]


async def download(org, url: str, key: str | None = None):
    path = url.removeprefix("http://test")
    return await org.http.get(path, headers={"Authorization": f"Bearer {key or org.write_key}"})


def parse(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def add_nasty_customers(org, store) -> list[str]:
    """Through the API where it keeps the value; tabs, CRs and line breaks the API refuses in names
    (text hygiene), so those rows are written to the store directly (as data imported by other means
    would be)."""
    ids = []
    for i, name in enumerate(NASTY):
        if any(c in name for c in "\t\r\n"):
            t = now()
            doc = {"id": f"raw-{i}", "websiteId": org.website_id, "firstName": name, "lastName": f"N{i:02d}",
                   "emails": [], "phoneNumbers": [], "paymentCount": 0, "revenue": {}, "tags": [],
                   "createdTime": t, "updatedTime": t, "revision": 1, "timelineSeq": 0}
            await customers.insert(store.for_org(org.id), customers.with_derived(doc))
            ids.append(doc["id"])
        else:
            ids.append(await add_customer(org, firstName=name, lastName=f"N{i:02d}"))
    return ids


@pytest.mark.parametrize("bom", [False, True])
async def test_export_of_a_segment_writes_every_row_once_neutralised_and_notifies_the_user(org, store, bom,
                                                                                           monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 40)  # many GridFS chunks, rows across chunk boundaries
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    ids = await add_nasty_customers(org, store)
    seg = (await org.gql(SEGMENT, {"input": {"name": "By name", "customers": {
        "sort": {"field": "LAST_NAME", "direction": "ASC"}}, "columns": ["lastName", "firstName", "id"]}}))
    sid = seg["segmentCreate"]["segment"]["id"]
    made = (await org.gql(CREATE, {"input": {"segmentId": sid, "byteOrderMark": bom, "filename": "nasty"}},
                          key=ada.key))["dataExportCreate"]
    assert made["userErrors"] == []
    job = made["dataExport"]
    assert job["status"] == "PENDING" and job["progress"] == 0 and job["downloadUrl"] is None
    assert job["columns"] == ["lastName", "firstName", "id"] and job["filename"] == "nasty.csv"
    assert job["segmentId"] == sid and job["requestedBy"] == {"type": "USER", "name": "Ada Lovelace"}

    assert await run_due(store) == 2  # starts the export's task, then finds the export done
    done = (await org.gql(STATUS, {"id": job["id"]}))["dataExport"]
    assert done["status"] == "COMPLETED" and done["progress"] == 1 and done["rowCount"] == done["totalRows"] == 9
    response = await download(org, done["downloadUrl"])
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert len(response.content) == done["sizeBytes"]
    assert response.content.startswith(b"\xef\xbb\xbf") is bom
    rows = parse(response.content)
    assert rows[0] == ["lastName", "firstName", "id"]
    expected = [[f"N{i:02d}", ("'" + n if n[0] in "=+-@\t\r" else n), ids[i]] for i, n in enumerate(NASTY)]
    assert rows[1:] == expected
    assert b"\r\n" in response.content  # RFC 4180 line ends
    for row in rows[1:]:
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row)
    notes = (await org.gql(NOTIFICATIONS, key=ada.key))["viewer"]["notifications"]["edges"]
    assert [n["node"]["reason"] for n in notes] == ["DATA_EXPORT_READY"]
    assert notes[0]["node"]["dataExportId"] == job["id"] and notes[0]["node"]["customerId"] is None
    assert notes[0]["node"]["author"]["type"] == "SYSTEM" and "9 rows" in notes[0]["node"]["excerpt"]


async def test_a_crashed_export_resumes_from_its_last_key_on_another_worker(org, store, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 16)
    ids = [await add_customer(org, lastName=f"L{i:02d}") for i in range(11)]
    made = (await org.gql(CREATE, {"input": {"customers": {"sort": {"field": "LAST_NAME", "direction": "ASC"}},
                                             "columns": ["id", "lastName"]}}))["dataExportCreate"]["dataExport"]
    org_db = store.for_org(org.id)
    first = ExportWorker(store, settings(), worker_id="A")
    # "Crashes" holding the lease after 6 rows (2 checkpoints of 3).
    assert await first.run(org_db, made["id"], stop_after_checkpoints=2) is not None
    mid = (await org.gql(STATUS, {"id": made["id"]}))["dataExport"]
    assert mid["status"] == "PROCESSING" and mid["rowCount"] == 6 and mid["totalRows"] == 11
    assert 0.5 < mid["progress"] < 0.6
    job = await org_db[exports.COLLECTION].find_one({"id": made["id"]})
    # A write of the next chunks that never reached its checkpoint: the resumed worker replaces them.
    await exports.write_chunks(org_db, job["fileId"], job["nextChunk"], b"garbage-garbage-garbage-garbage-")
    # The scheduler runs the export's job, but A's lease still holds: the job comes back when it ends.
    assert await run_due(store, owner="B") == 2
    assert (await org.gql(STATUS, {"id": made["id"]}))["dataExport"]["rowCount"] == 6
    assert (await store.for_org(org.id)["jobs"].find_one({"key": made["id"]}))["dueTime"] == job["leaseUntil"]
    assert await run_due(store, at=now() + timedelta(seconds=301), owner="C") == 2
    done = (await org.gql(STATUS, {"id": made["id"]}))["dataExport"]
    assert done["status"] == "COMPLETED" and done["rowCount"] == 11
    rows = parse((await download(org, done["downloadUrl"])).content)
    assert rows == [["id", "lastName"], *([cid, f"L{i:02d}"] for i, cid in enumerate(ids))]
    # The first worker has lost its lease: its late checkpoint changes nothing.
    assert not await exports.guarded_set(org_db, made["id"], "A", {"rowCount": 0})
    assert await org_db[exports.CHUNKS].count({"files_id": job["fileId"]}) == -(-done["sizeBytes"] // 16)


async def test_payments_export_with_chosen_columns_in_order(org, store):
    cid = await add_customer(org, lastName="Payer")
    txns = [(await paid_outside(org, cid, amount))["id"] for amount in ("10.50", "3.00")]
    made = (await org.gql(CREATE, {"input": {"transactions": {"segment": "SALES", "sort": {"direction": "ASC"}},
                                             "columns": ["amount", "currency", "id", "customerId"]}}))
    assert made["dataExportCreate"]["userErrors"] == []
    job = made["dataExportCreate"]["dataExport"]
    assert job["table"] == "TRANSACTIONS" and job["filename"].startswith("transactions-")
    await run_due(store)
    done = (await org.gql(STATUS, {"id": job["id"]}))["dataExport"]
    rows = parse((await download(org, done["downloadUrl"])).content)
    assert rows == [["amount", "currency", "id", "customerId"], ["10.50", "USD", txns[0], cid], ["3.00", "USD", txns[1], cid]]


async def test_download_needs_a_key_of_the_same_organization_a_finished_file_and_expires(org, other_org, store, http):
    await add_customer(org, lastName="Only")
    job = (await org.gql(CREATE, {"input": {"segmentId": "seg_leads"}}))["dataExportCreate"]["dataExport"]
    url = f"/exports/{job['id']}/file"
    assert (await http.get(url, headers={"Authorization": f"Bearer {org.write_key}"})).status_code == 409
    await run_due(store)
    assert (await http.get(url)).status_code == 401
    assert (await http.get(url, headers={"Authorization": f"Bearer {other_org.write_key}"})).status_code == 404
    assert (await http.get(url, headers={"Authorization": f"Bearer {org.read_key}"})).status_code == 200
    assert (await other_org.gql(STATUS, {"id": job["id"]}))["dataExport"] is None
    done = (await org.gql(STATUS, {"id": job["id"]}))["dataExport"]
    assert done["expiresTime"] > done["completedTime"]
    later = now() + timedelta(hours=73)
    assert await run_due(store, at=later) == 1  # the expiry job
    assert (await org.gql(STATUS, {"id": job["id"]}))["dataExport"]["status"] == "EXPIRED"
    assert (await http.get(url, headers={"Authorization": f"Bearer {org.write_key}"})).status_code == 410
    org_db = store.for_org(org.id)
    assert await org_db[exports.CHUNKS].count({}) == 0 and await org_db[exports.FILES].count({}) == 0


async def test_bad_export_input_reports_every_problem_and_queues_nothing(org, store):
    none = (await org.gql(CREATE, {"input": {}}))["dataExportCreate"]
    assert none["userErrors"][0]["code"] == "EXACTLY_ONE_REQUIRED"
    two = (await org.gql(CREATE, {"input": {"segmentId": "seg_leads", "customers": {}}}))["dataExportCreate"]
    assert two["userErrors"][0]["code"] == "EXACTLY_ONE_REQUIRED"
    wrong = (await org.gql(CREATE, {"input": {"segmentId": "cus_01J00000000000000000000000"}}))["dataExportCreate"]
    assert wrong["userErrors"] == [{"field": ["segmentId"], "code": "WRONG_ID_TYPE",
                                    "message": "cus_01J00000000000000000000000 is a Customer id; expected `seg_…`"}]
    missing = (await org.gql(CREATE, {"input": {"segmentId": "seg_01J00000000000000000000000"}}))["dataExportCreate"]
    assert missing["userErrors"][0]["code"] == "NOT_FOUND"
    bad = (await org.gql(CREATE, {"input": {"customers": {"filter": {"country": "XX"}}, "columns": ["id", "amount"],
                                            "filename": "../etc/passwd"}}))["dataExportCreate"]
    assert sorted((tuple(e["field"]), e["code"]) for e in bad["userErrors"]) == [
        (("columns", "1"), "INVALID"), (("customers", "filter", "country"), "INVALID_COUNTRY"), (("filename",), "INVALID")]
    assert await store.for_org(org.id)[exports.COLLECTION].count({}) == 0
    errors = await org.errors('{ dataExport(id: "seg_leads") { id } }')
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
