"""AML screening against the fictional watch list: on sign-up, on the first payment and on the recurring
schedule (scheduler jobs: leases, restart-safe), `Customer.amlChecks` with hits, confidence, source type and priority,
the review flow, and the timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.compliance.aml import AML_RECURRING
from resolvers.compliance.aml_screening import Person, match
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from store import jobs
from tests.money_helpers import add_customer, paid_outside

CHECKS = """query($id: ID!) { customer(id: $id) { amlChecks { id source status priority provider noMatchReason
  reviewerName reviewStartTime reviewTime revision screened { firstName lastName dateOfBirth country }
  hits { entryId firstName lastName source sourceTypes confidence priority nameScore matchCriteria } } } }"""
REVIEW_START = """mutation($input: AmlCheckReviewStartInput!) { amlCheckReviewStart(input: $input) {
  amlCheck { id status reviewStartTime reviewerName revision } userErrors { field code } } }"""
REVIEW_STOP = """mutation($input: AmlCheckReviewStartInput!) { amlCheckReviewStop(input: $input) {
  amlCheck { id status reviewStartTime } userErrors { field code } } }"""
REVIEW = """mutation($input: AmlCheckReviewInput!) { amlCheckReview(input: $input) {
  amlCheck { id status reviewTime } userErrors { field code } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind message
  ... on AmlCheckCompletedEvent { source status hitCount priority } ... on AmlCheckReviewedEvent { status } } } } } }"""


@pytest.fixture
def settings() -> Settings:
    return Settings(mongodb_uri=None, api_key_cache_seconds=0, mask_errors=True, aml_screening_enabled=True)


async def checks(org, cid):
    return (await org.gql(CHECKS, {"id": cid}))["customer"]["amlChecks"]


# (customer, hits as (entry, confidence, priority, criteria)): the rules of docs/compliance.md by hand
MATCHES = [
    (Person("Zoltan", "Krevisky", "1971-03-14", "HU"), [("FWL-001", "VERY_STRONG", "P0", ("NAME_EXACT", "DOB", "COUNTRY_MATCH"))]),
    (Person("zoltán", "KREVISKY", None, None), [("FWL-001", "MEDIUM", "P1", ("NAME_EXACT", "NO_DOB"))]),
    (Person("Krevisky", "Zoltan", "1971-05-01", "US"), [("FWL-001", "MEDIUM", "P1", ("NAME_EXACT", "YOB", "COUNTRY_MISMATCH"))]),
    (Person("Zoltan", "Krevski", "1971-03-14", None), [("FWL-001", "STRONG", "P0", ("NAME_INEXACT", "DOB"))]),
    (Person("Zoltan", "Krevisky", "1980-01-01", None), []),  # another year of birth: someone else
    (Person("Marla", "Quenby Thorne", "1983-11-02", "GB"), [("FWL-002", "VERY_STRONG", "P1", ("NAME_EXACT", "DOB", "COUNTRY_MATCH"))]),
    (Person("Oscar", "Villemur", "1966-02-02", "FR"), [("FWL-003", "VERY_STRONG", "P2", ("NAME_EXACT", "YOB", "COUNTRY_MATCH"))]),
    (Person("Ada", "Lovelace", "1815-12-10", "GB"), []),
]


@pytest.mark.parametrize(("person", "expected"), MATCHES, ids=[f"{p.first_name} {p.last_name}" for p, _ in MATCHES])
def test_fuzzy_matching_confidence_and_priority(person, expected):
    assert [(h.entry_id, h.confidence, h.priority, h.match_criteria) for h in match(person)] == expected


async def test_sign_up_screening_records_hits_and_the_timeline(org):
    cid = await add_customer(org, firstName="Zoltán", lastName="Krevisky", dateOfBirth="1971-03-14", address={"country": "HU"})
    [check] = await checks(org, cid)
    assert (check["source"], check["status"], check["priority"], check["provider"]) == ("SIGN_UP", "PENDING_REVIEW", "P0", "SANDBOX")
    assert check["screened"] == {"firstName": "Zoltán", "lastName": "Krevisky", "dateOfBirth": "1971-03-14", "country": "HU"}
    [hit] = check["hits"]
    assert (hit["entryId"], hit["confidence"], hit["sourceTypes"], hit["nameScore"]) == ("FWL-001", "VERY_STRONG", ["SANCTIONS"], 100)
    clean = await add_customer(org, firstName="Ada", lastName="Lovelace")
    [none] = await checks(org, clean)
    assert (none["status"], none["hits"], none["noMatchReason"], none["priority"]) == ("NO_MATCH", [], "NO_HITS_FOUND", None)
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert events[0]["kind"] == "AML_CHECK_COMPLETED" and (events[0]["status"], events[0]["hitCount"]) == ("PENDING_REVIEW", 1)


async def test_first_payment_screens_once(org):
    cid = await add_customer(org, firstName="Marla", lastName="Quenby-Thorne")
    await paid_outside(org, cid)
    await paid_outside(org, cid)
    sources = [c["source"] for c in await checks(org, cid)]
    assert sources == ["PURCHASE", "SIGN_UP"]


async def test_recurring_checks_run_on_the_scheduler_every_30_days(org, store, settings):
    cid = await add_customer(org, firstName="Oskar", lastName="Villemure")
    job = await jobs.by_key(store.for_org(org.id), AML_RECURRING, cid)
    assert job["status"] == "PENDING"
    assert timedelta(days=29, hours=23) < job["dueTime"].replace(tzinfo=UTC) - datetime.now(UTC) <= timedelta(days=30)
    clock = FixedClock(datetime.now(UTC))
    worker = Worker(store, settings, clock=clock, kinds=[AML_RECURRING])
    assert await worker.run_due() == 0  # nothing due yet
    clock.advance(timedelta(days=31))
    assert await worker.run_due() == 1
    assert [c["source"] for c in await checks(org, cid)] == ["RECURRING", "SIGN_UP"]
    assert await worker.run_due() == 0  # next one 30 days on
    clock.advance(timedelta(days=30))
    assert await worker.run_due() == 1
    assert [c["source"] for c in await checks(org, cid)] == ["RECURRING", "RECURRING", "SIGN_UP"]


async def test_a_worker_that_died_mid_check_is_taken_over_after_its_lease(org, store, settings):
    cid = await add_customer(org, firstName="Talia", lastName="Brenngaard")
    clock = FixedClock(datetime.now(UTC) + timedelta(days=31))
    dead = await jobs.claim(store, "dead-worker", clock.now(), timedelta(seconds=60), [AML_RECURRING])
    assert dead is not None and dead["key"] == cid
    worker = Worker(store, settings, clock=clock, kinds=[AML_RECURRING], lease=timedelta(seconds=60))
    assert await worker.run_due() == 0  # the lease still holds
    clock.advance(timedelta(seconds=61))
    assert await worker.run_due() == 1
    assert [c["source"] for c in await checks(org, cid)] == ["RECURRING", "SIGN_UP"]


async def test_review_flow_start_stop_confirm_or_false_positive(org):
    cid = await add_customer(org, firstName="Ruslan", lastName="Okhmatov", dateOfBirth="1958-01-30")
    [check] = await checks(org, cid)
    started = (await org.gql(REVIEW_START, {"input": {"id": check["id"]}}))["amlCheckReviewStart"]["amlCheck"]
    assert started["status"] == "IN_REVIEW" and started["reviewStartTime"] and started["reviewerName"]
    again = (await org.gql(REVIEW_START, {"input": {"id": check["id"]}}))["amlCheckReviewStart"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["id"], "INVALID_STATUS")]
    stopped = (await org.gql(REVIEW_STOP, {"input": {"id": check["id"]}}))["amlCheckReviewStop"]["amlCheck"]
    assert stopped["status"] == "PENDING_REVIEW" and stopped["reviewStartTime"] is None
    stale = (await org.gql(REVIEW, {"input": {"id": check["id"], "decision": "FALSE_POSITIVE", "expectedRevision": 1}}))
    assert [e["code"] for e in stale["amlCheckReview"]["userErrors"]] == ["REVISION_CONFLICT"]
    decided = (await org.gql(REVIEW, {"input": {"id": check["id"], "decision": "CONFIRMED_MATCH"}}))["amlCheckReview"]["amlCheck"]
    assert decided["status"] == "CONFIRMED_MATCH" and decided["reviewTime"]
    late = (await org.gql(REVIEW, {"input": {"id": check["id"], "decision": "FALSE_POSITIVE"}}))["amlCheckReview"]
    assert [e["code"] for e in late["userErrors"]] == ["INVALID_STATUS"]
    clean = await add_customer(org, firstName="Ada", lastName="Lovelace")
    [no_match] = await checks(org, clean)
    refused = (await org.gql(REVIEW, {"input": {"id": no_match["id"], "decision": "FALSE_POSITIVE"}}))["amlCheckReview"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_STATUS"]
    wrong = (await org.gql(REVIEW, {"input": {"id": cid, "decision": "FALSE_POSITIVE"}}))["amlCheckReview"]
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [(["id"], "WRONG_ID_TYPE")]
    reviewed = [e["node"]["status"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
                if e["node"]["kind"] == "AML_CHECK_REVIEWED"]
    assert reviewed == ["CONFIRMED_MATCH", "PENDING_REVIEW", "IN_REVIEW"]

