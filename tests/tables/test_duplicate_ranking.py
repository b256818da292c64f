"""The organization-wide duplicate ranking: every likely pair, best first, paged; computed by the
scheduler's job, refreshed on demand and on its interval, and pairs of merged customers dropped."""

from __future__ import annotations

from datetime import timedelta

from resolvers.context import now
from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from resolvers.tables.duplicate_ranking import RANKING_JOB
from store.tables import duplicate_ranking
from tests.tables.test_duplicates import add, people

PAIRS = """query($after: String) { customerDuplicatePairs(first: 2, after: $after) {
  totalCount edges { node { id score reasons customers { id } } } pageInfo { hasNextPage endCursor } } }"""
STATE = "{ customerDuplicateRanking { refreshedTime pairCount nextRefreshTime refreshing } }"
REFRESH = """mutation($input: CustomerDuplicateRankingRefreshInput!) { customerDuplicateRankingRefresh(input: $input) {
  ranking { pairCount nextRefreshTime refreshing } userErrors { field message code } } }"""
MERGE = """mutation($input: CustomersMergeInput!) { customersMerge(input: $input) { userErrors { code } } }"""


async def run_ranking(store, at=None) -> int:
    """The scheduler's worker as the gateway runs it, for the ranking's job only, at time `at`."""
    worker = Worker(store, Settings(mongodb_uri=None), clock=FixedClock(at or now()), kinds=[RANKING_JOB])
    return await worker.run_due()


async def ranked(org) -> tuple[list[tuple[str, int, list[str]]], int]:
    rows, after, total = [], None, 0
    while True:
        page = (await org.gql(PAIRS, {"after": after}))["customerDuplicatePairs"]
        total = page["totalCount"]
        for e in page["edges"]:
            n = e["node"]
            assert [c["id"] for c in n["customers"]] == n["id"].split("|")
            rows.append((n["id"], n["score"], n["reasons"]))
        if not page["pageInfo"]["hasNextPage"]:
            return rows, total
        after = page["pageInfo"]["endCursor"]


async def test_every_pair_of_the_organization_is_ranked_best_first_across_pages(org, store):
    await people(org)
    assert (await org.gql(PAIRS))["customerDuplicatePairs"]["edges"] == []  # nothing before the first refresh
    assert (await org.gql(STATE))["customerDuplicateRanking"] == {
        "refreshedTime": None, "pairCount": 0, "nextRefreshTime": None, "refreshing": False}
    asked = (await org.gql(REFRESH, {"input": {}}))["customerDuplicateRankingRefresh"]
    assert asked["userErrors"] == [] and asked["ranking"]["nextRefreshTime"] is not None
    assert await run_ranking(store) == 1
    rows, total = await ranked(org)
    assert rows == [
        ("a|e", 60, ["SAME_NAME_AND_DATE_OF_BIRTH", "SAME_PHONE"]),
        ("a|d", 40, ["SAME_CARD"]),  # ties by pair id, last first (as every newest-first list)
        ("a|b", 40, ["SAME_EMAIL"]),
        ("c|e", 30, ["SAME_PHONE"]),
        ("a|c", 30, ["SAME_PHONE"]),
    ]
    assert total == 5
    state = (await org.gql(STATE))["customerDuplicateRanking"]
    assert state["pairCount"] == 5 and state["refreshedTime"] is not None and state["refreshing"] is False
    # The same pairs as each customer's own `possibleDuplicates`.
    own = await org.gql('{ customer(id: "a") { possibleDuplicates { customer { id } score } } }')
    assert sorted((d["customer"]["id"], d["score"]) for d in own["customer"]["possibleDuplicates"]) == [
        ("b", 40), ("c", 30), ("d", 40), ("e", 60)]


async def test_merged_customers_leave_the_ranking_and_the_next_refresh_finds_new_pairs(org, store):
    await people(org)
    await org.gql(REFRESH, {"input": {}})
    await run_ranking(store)
    assert (await org.gql(MERGE, {"input": {"targetId": "a", "sourceIds": ["e"]}}))["customersMerge"]["userErrors"] == []
    rows, total = await ranked(org)
    assert [r[0] for r in rows] == ["a|d", "a|b", "a|c"] and total == 3
    # A new duplicate shows after the next scheduled refresh (the interval), not before.
    await add(org, "g", firstName="Gus", emails=[{"value": "f@example.com"}])
    assert await run_ranking(store) == 0
    assert await run_ranking(store, now() + timedelta(minutes=61)) == 1
    rows, _ = await ranked(org)
    assert ("f|g", 40, ["SAME_EMAIL"]) in rows
    # Old scans are removed: only the ranking shown is stored.
    db = store.for_org(org.id)
    assert await db[duplicate_ranking.PAIRS].count({}) == len(rows)


async def test_a_refresh_that_crashed_is_written_once_when_taken_up_again(org, store, monkeypatch):
    await people(org)
    await org.gql(REFRESH, {"input": {}})
    real = duplicate_ranking.publish

    async def crash(*args, **kwargs):
        raise RuntimeError("process killed")

    monkeypatch.setattr(duplicate_ranking, "publish", crash)
    await run_ranking(store)  # the pairs are written, the switch to them is not
    assert (await org.gql(PAIRS))["customerDuplicatePairs"]["edges"] == []
    monkeypatch.setattr(duplicate_ranking, "publish", real)
    assert await run_ranking(store, now() + timedelta(minutes=5)) == 1  # the retry, after the scheduler's backoff
    rows, total = await ranked(org)
    assert len(rows) == 5 and total == 5 and len({r[0] for r in rows}) == 5


async def test_bad_refresh_input_and_cursor_are_refused(org, store):
    far = (now() + timedelta(days=31)).isoformat()
    data = (await org.gql(REFRESH, {"input": {"at": far}}))["customerDuplicateRankingRefresh"]
    assert data["ranking"] is None and [(e["field"], e["code"]) for e in data["userErrors"]] == [(["at"], "INVALID")]
    assert await store.for_org(org.id)["jobs"].count({"kind": RANKING_JOB}) == 0
    errors = await org.errors(PAIRS, {"after": "bm9wZQ"})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
