"""Deposit requests and KYC requests become EXPIRED in the store at their expiry through the shared
scheduler (`links.deposit_expiry`, `compliance.kyc_expiry`), with the timeline event, once — however
often the job runs and whether or not the hosted page is opened too. Time is a `FixedClock`; one test
runs the real `run-due --until` command."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from resolvers.compliance.kyc_expiry import KYC_EXPIRY, kyc_expiry
from resolvers.links.deposit_expiry import DEPOSIT_EXPIRY, RECHECK, deposit_expiry
from resolvers.scheduler import FixedClock, JobRun, Worker
from resolvers.settings import Settings
from store import jobs
from tests.compliance.test_kyc import PNG, kyc_request, page_upload
from tests.links.test_deposit_requests import request
from tests.money_helpers import APPROVE_CARD, add_account, add_customer, path_of

ROOT = Path(__file__).resolve().parents[2]
KINDS = [DEPOSIT_EXPIRY, KYC_EXPIRY]
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 40) { edges { node { kind author { name }
  ... on DepositRequestChangedEvent { depositRequestId status } ... on KycRequestChangedEvent { kycRequestId status } } } } } }"""
DEPOSIT = "query($id: ID!) { depositRequest(id: $id) { status } }"
KYC = "query($id: ID!) { kycRequest(id: $id) { status } }"


def worker(store, at: datetime) -> Worker:
    return Worker(store, Settings(mongodb_uri=None), clock=FixedClock(at), kinds=KINDS)


def expires(req) -> datetime:
    return datetime.fromisoformat(req["expiresTime"])


async def stored(store, collection: str, rid: str):
    return await store.raw(collection).find_one({"id": rid}, {"_id": 0})


async def changes(org, cid, kind: str):
    edges = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    return [(e["node"]["status"], e["node"]["author"]["name"]) for e in edges if e["node"]["kind"] == kind]


async def run_handler_again(store, org, kind: str, key: str, at: datetime, handler) -> datetime | None:
    """Runs a job's handler once more, as a second worker whose claim raced the first would."""
    job = await jobs.by_key(store.for_org(org.id), kind, key)
    assert job is not None
    return await handler(JobRun(store, store.for_org(org.id), job, at, Settings(mongodb_uri=None), FixedClock(at)))


async def test_deposit_request_expires_in_the_store_at_its_time_once(org, store):
    await add_account(org)
    cid = await add_customer(org)
    req = await request(org, cid)
    job = await jobs.by_key(store.for_org(org.id), DEPOSIT_EXPIRY, req["id"])
    assert job is not None and job["dueTime"] == expires(req)
    assert await worker(store, expires(req) - timedelta(seconds=1)).run_due() == 0  # not due yet
    assert (await stored(store, "deposit_requests", req["id"]))["status"] == "CREATED"

    at = expires(req) + timedelta(seconds=1)
    assert await worker(store, at).run_due() == 1
    doc = await stored(store, "deposit_requests", req["id"])
    assert doc["status"] == "EXPIRED" and doc["revision"] == 2
    assert await changes(org, cid, "DEPOSIT_REQUEST_CHANGED") == [("EXPIRED", "Scheduler")]

    # Run twice (a raced claim), run again later, open the page: nothing moves, no second event.
    assert await run_handler_again(store, org, DEPOSIT_EXPIRY, req["id"], at, deposit_expiry) is None
    assert await worker(store, at + timedelta(days=1)).run_due() == 0
    page = await org.http.post(path_of(req["url"]), data={"amount": "1000", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert page.status_code == 410 and "expired" in page.text
    assert (await stored(store, "deposit_requests", req["id"]))["revision"] == 2
    assert await changes(org, cid, "DEPOSIT_REQUEST_CHANGED") == [("EXPIRED", "Scheduler")]
    assert (await org.gql(DEPOSIT, {"id": req["id"]}))["depositRequest"]["status"] == "EXPIRED"


async def test_completed_deposit_is_left_alone_and_a_page_expiry_first_is_not_repeated(org, store):
    await add_account(org)
    cid = await add_customer(org)
    paid, opened = await request(org, cid), await request(org, cid)
    ok = await org.http.post(path_of(paid["url"]), data={"amount": "1000", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert ok.status_code == 200
    # `opened`: its page is opened after its expiry, before the job runs (the page stores EXPIRED itself).
    await store.raw("deposit_requests").update_one(
        {"id": opened["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    assert (await org.http.get(path_of(opened["url"]))).status_code == 410
    assert await worker(store, expires(paid) + timedelta(minutes=1)).run_due() == 2
    assert (await stored(store, "deposit_requests", paid["id"]))["status"] == "COMPLETED"
    assert (await stored(store, "deposit_requests", opened["id"]))["status"] == "EXPIRED"
    assert await changes(org, cid, "DEPOSIT_REQUEST_CHANGED") == [
        ("EXPIRED", "Hosted deposit page"), ("COMPLETED", "Hosted deposit page"),
        ("INITIATED", "Hosted deposit page"), ("PENDING", "Hosted deposit page")]


async def test_deposit_with_a_charge_in_flight_at_expiry_is_looked_at_again(org, store):
    await add_account(org)
    cid = await add_customer(org)
    req = await request(org, cid)
    await store.raw("deposit_requests").update_one({"id": req["id"]}, {"$set": {"status": "INITIATED"}})
    at = expires(req) + timedelta(seconds=1)
    assert await worker(store, at).run_due() == 1
    job = await jobs.by_key(store.for_org(org.id), DEPOSIT_EXPIRY, req["id"])
    assert job["status"] == "PENDING" and job["dueTime"] == at + RECHECK
    assert (await stored(store, "deposit_requests", req["id"]))["status"] == "INITIATED"
    # The charge came back declined: the next look expires it.
    await store.raw("deposit_requests").update_one({"id": req["id"]}, {"$set": {"status": "ATTEMPTED"}})
    assert await worker(store, at + RECHECK).run_due() == 1
    assert (await stored(store, "deposit_requests", req["id"]))["status"] == "EXPIRED"
    assert (await jobs.by_key(store.for_org(org.id), DEPOSIT_EXPIRY, req["id"]))["status"] == "DONE"


async def test_kyc_requests_expire_or_are_abandoned_in_the_store_at_their_time_once(org, store):
    cid = await add_customer(org)
    untouched = await kyc_request(org, cid, [{"type": "ADDRESS_PROOF"}])
    tried = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF"}, {"type": "ADDRESS_PROOF"}])
    fulfilled = await kyc_request(org, cid, [{"type": "ADDRESS_PROOF"}])
    assert (await page_upload(org, tried, "IDENTITY_PROOF", "passport.png", PNG)).status_code == 200
    assert (await page_upload(org, fulfilled, "ADDRESS_PROOF", "utility-bill.png", PNG)).status_code == 200
    assert (await stored(store, "kyc_requests", fulfilled["id"]))["status"] == "FULFILLED"

    assert await worker(store, expires(untouched) - timedelta(seconds=1)).run_due() == 0
    at = expires(fulfilled) + timedelta(seconds=1)
    assert await worker(store, at).run_due() == 3
    assert (await stored(store, "kyc_requests", untouched["id"]))["status"] == "EXPIRED"
    assert (await stored(store, "kyc_requests", tried["id"]))["status"] == "ABANDONED"
    assert (await stored(store, "kyc_requests", fulfilled["id"]))["status"] == "FULFILLED"
    expected = sorted([("EXPIRED", "Scheduler"), ("ABANDONED", "Scheduler")])
    scheduled = [c for c in await changes(org, cid, "KYC_REQUEST_CHANGED") if c[1] == "Scheduler"]
    assert sorted(scheduled) == expected

    # A second run of each handler, a later run and the page opened: nothing more.
    for req in (untouched, tried, fulfilled):
        assert await run_handler_again(store, org, KYC_EXPIRY, req["id"], at, kyc_expiry) is None
    assert await worker(store, at + timedelta(days=1)).run_due() == 0
    page = await org.http.get(path_of(untouched["url"]))
    assert page.status_code == 410
    scheduled = [c for c in await changes(org, cid, "KYC_REQUEST_CHANGED") if c[1] == "Scheduler"]
    assert sorted(scheduled) == expected
    assert (await org.gql(KYC, {"id": tried["id"]}))["kycRequest"]["status"] == "ABANDONED"


async def test_run_due_until_expires_deposit_and_kyc_requests(org, store, mongodb_uri):
    await add_account(org)
    cid = await add_customer(org)
    dep = await request(org, cid)
    kyc = await kyc_request(org, cid, [{"type": "ADDRESS_PROOF"}])
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "MONGODB_DATABASE": store.db.name}
    until = (max(expires(dep), expires(kyc)) + timedelta(seconds=1)).isoformat()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "resolvers.cli", "run-due", "--until", until, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().startswith("ran 2 due jobs")
    assert (await stored(store, "deposit_requests", dep["id"]))["status"] == "EXPIRED"
    assert (await stored(store, "kyc_requests", kyc["id"]))["status"] == "EXPIRED"
