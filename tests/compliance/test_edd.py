"""EDD: `customerEddSet`, `customerEddScoresUpdate`, `Customer.edd` (scores, likelihoods, next search
date, search logs), the monthly automatic search by the sandbox provider (leases) and the guide's rule
that a manual score is never overwritten by the automatic search, whose logs are still collected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resolvers.compliance.edd import EDD_SEARCH, next_month
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from store import jobs
from tests.money_helpers import add_customer

EDD_FIELDS = """required revision nextSearchTime lastSearchTime manualUpdatedBy
  scores { occupation arrest bankruptcy fraud } manualScores { occupation arrest bankruptcy fraud }
  automaticScores { occupation arrest bankruptcy fraud }"""
GET = f"""query($id: ID!) {{ customer(id: $id) {{ edd {{ {EDD_FIELDS}
  searchLogs(first: 20) {{ id factor likelihood applied provider results {{ url details }} }} }} }} }}"""
SET = f"""mutation($input: CustomerEddSetInput!) {{ customerEddSet(input: $input) {{
  edd {{ {EDD_FIELDS} }} userErrors {{ field message code }} }} }}"""
SCORES = f"""mutation($input: CustomerEddScoresUpdateInput!) {{ customerEddScoresUpdate(input: $input) {{
  edd {{ {EDD_FIELDS} }} userErrors {{ field message code }} }} }}"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind message
  ... on EddSearchPerformedEvent { manualKept } ... on EddChangedEvent { required } } } } } }"""
MANUAL = {"occupation": "CONFIRMED", "arrest": "UNLIKELY", "bankruptcy": "NOT_FOUND", "fraud": "UNCLEAR"}


def worker(store, t):
    return Worker(store, Settings(mongodb_uri=None), clock=FixedClock(t), kinds=[EDD_SEARCH])


async def get(org, cid):
    return (await org.gql(GET, {"id": cid}))["customer"]["edd"]


def test_next_search_is_a_calendar_month_later():
    assert next_month(datetime(2026, 1, 31, 9, 30, tzinfo=UTC)) == datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert next_month(datetime(2026, 12, 15, tzinfo=UTC)) == datetime(2027, 1, 15, tzinfo=UTC)


async def test_activate_edd_then_the_automatic_search_fills_scores_and_logs(org, store):
    cid = await add_customer(org, firstName="Zoltan", lastName="Krevisky", dateOfBirth="1971-03-14", jobTitle="Importer",
                             customFields={"eddSandbox": {"bankruptcy": "PROBABLE"}})
    assert await get(org, cid) is None
    on = (await org.gql(SET, {"input": {"customerId": cid, "required": True}}))["customerEddSet"]["edd"]
    assert on["required"] is True and on["scores"] is None and on["nextSearchTime"] is not None
    t = datetime.now(UTC) + timedelta(seconds=1)
    assert await worker(store, t).run_due() == 1
    assert await worker(store, t).run_due() == 0  # rescheduled a month on
    assert await worker(store, next_month(t)).run_due() == 1
    edd = await get(org, cid)
    assert edd["automaticScores"] == {"occupation": "CONFIRMED", "arrest": "PROBABLE", "bankruptcy": "PROBABLE", "fraud": "NOT_FOUND"}
    assert edd["scores"] == edd["automaticScores"] and edd["manualScores"] is None
    next_search = datetime.fromisoformat(edd["nextSearchTime"])
    assert next_search.date() == next_month(next_month(t)).date()  # after the second, monthly search
    logs = {log["factor"]: log for log in edd["searchLogs"]}
    assert set(logs) == {"occupation", "arrest", "bankruptcy", "fraud"} and all(log["applied"] for log in logs.values())
    assert logs["arrest"]["results"][0]["url"].startswith("https://edd.sandbox.invalid/")
    assert logs["occupation"]["results"] == [{"url": f"https://edd.sandbox.invalid/{cid}/occupation", "details": "listed as Importer"}]


async def test_manual_scores_are_never_overwritten_but_logs_are_kept(org, store):
    cid = await add_customer(org, firstName="Ada", lastName="Lovelace", customFields={"eddSandbox": {"arrest": "CONFIRMED"}})
    await org.gql(SET, {"input": {"customerId": cid, "required": True}})
    manual = (await org.gql(SCORES, {"input": {"customerId": cid, **MANUAL}}))["customerEddScoresUpdate"]
    assert manual["userErrors"] == [] and manual["edd"]["scores"] == MANUAL and manual["edd"]["manualUpdatedBy"]
    assert await worker(store, datetime.now(UTC) + timedelta(seconds=1)).run_due() == 1
    edd = await get(org, cid)
    assert edd["manualScores"] == MANUAL and edd["scores"] == MANUAL
    assert edd["automaticScores"]["arrest"] == "CONFIRMED"  # what the search found, kept aside
    assert {log["factor"]: (log["likelihood"], log["applied"]) for log in edd["searchLogs"]}["arrest"] == ("CONFIRMED", False)
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert [e["kind"] for e in events[:3]] == ["EDD_SEARCH_PERFORMED", "EDD_SCORES_UPDATED", "EDD_CHANGED"]
    assert events[0]["manualKept"] == ["occupation", "arrest", "bankruptcy", "fraud"]


async def test_scores_need_edd_required_and_a_fresh_revision(org):
    cid = await add_customer(org)
    off = (await org.gql(SCORES, {"input": {"customerId": cid, **MANUAL}}))["customerEddScoresUpdate"]
    assert [(e["field"], e["code"]) for e in off["userErrors"]] == [(["customerId"], "EDD_NOT_REQUIRED")]
    on = (await org.gql(SET, {"input": {"customerId": cid, "required": True}}))["customerEddSet"]["edd"]
    stale = (await org.gql(SCORES, {"input": {"customerId": cid, **MANUAL, "expectedRevision": on["revision"] - 1}}))
    assert [e["code"] for e in stale["customerEddScoresUpdate"]["userErrors"]] == ["REVISION_CONFLICT"]
    missing = (await org.gql(SET, {"input": {"customerId": "cus_01J00000000000000000000000", "required": True}}))
    assert [(e["field"], e["code"]) for e in missing["customerEddSet"]["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    (await org.gql(SET, {"input": {"customerId": cid, "required": False}}))
    edd = await get(org, cid)
    assert edd["required"] is False and edd["nextSearchTime"] is None


async def test_turning_edd_off_stops_the_searches_and_on_again_starts_fresh(org, store):
    cid = await add_customer(org)
    await org.gql(SET, {"input": {"customerId": cid, "required": True}})
    await org.gql(SET, {"input": {"customerId": cid, "required": False}})
    t = datetime.now(UTC) + timedelta(seconds=1)
    assert await worker(store, t).run_due() == 0  # the first activation's job was canceled
    await org.gql(SET, {"input": {"customerId": cid, "required": True}})
    assert await worker(store, t).run_due() == 1
    assert (await get(org, cid))["lastSearchTime"] is not None
    assert (await jobs.by_key(store.for_org(org.id), EDD_SEARCH, f"{cid}:1"))["status"] == "CANCELED"
