"""Merging duplicate customers: the preview writes nothing, the merge moves everything once, survives a
crash at every step, and leaves tombstones whose ids resolve to the target."""

from __future__ import annotations

from typing import Any

from resolvers.context import Context, Principal
from resolvers.tables.merges import Interrupted, merge, steps_of
from store import auth
from store.activity import timeline
from store.tables import merges
from tests.conftest import make_org
from tests.money_helpers import paid_outside, refund

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code field message } } }"""
ADD_CARD = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) {
  paymentInstrument { id } userErrors { code field } } }"""
NOTE = """mutation($input: TimelineNoteAddInput!) { timelineNoteAdd(input: $input) { note { id } userErrors { code } } }"""
TAGS_ADD = """mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }"""
PREVIEW = """query($s: [ID!]!, $t: ID!) { customersMergePreview(sourceIds: $s, targetId: $t) {
  target { id } sources { id } moves { what count } notMerged
  conflicts { field targetValue sourceValues winner result } userErrors { field message code } } }"""
MERGE = """mutation($input: CustomersMergeInput!) { customersMerge(input: $input) {
  customer { id } mergedIds userErrors { field message code } } }"""
STATE = """{ t: customer(id: "t") { id firstName lastName jobTitle dateOfBirth email emails { value primary }
    tags { name } paymentCount isLead lifetimeRevenue { amount currency } mergedIds
    paymentInstruments { id } transactions(first: 20) { totalCount }
    timeline(first: 50) { totalCount edges { node { kind ... on CustomerMergedEvent { mergedCustomerId moved } } } } }
  s1: customer(id: "s1") { id mergedIds } n1: node(id: "s2") { id }
  customers(first: 10) { totalCount edges { node { id } } } }"""


async def build(org) -> None:
    """Target `t` (a paying customer), duplicates `s1` (paying, a card, a note, other details) and `s2` (a lead)."""
    for cid, fields in (
        ("t", {"firstName": "Ada", "lastName": "Lovelace", "emails": [{"value": "ada@example.com"}]}),
        ("s1", {"firstName": "Ada", "lastName": "Byron", "jobTitle": "Countess", "dateOfBirth": "1985-12-10",
                "emails": [{"value": "ADA@example.com"}, {"value": "ada@home.example", "primary": True}]}),
        ("s2", {"firstName": "Augusta", "emails": [{"value": "augusta@example.com"}]}),
    ):
        r = await org.gql(CREATE, {"input": {"id": cid, "websiteId": org.website_id, **fields}})
        assert r["customerCreate"]["userErrors"] == []
    await paid_outside(org, "t", "5.00")
    sale = await paid_outside(org, "s1", "10.00")
    assert (await refund(org, sale["id"], "2.00"))["userErrors"] == []
    card = await org.gql(ADD_CARD, {"input": {"customerId": "s1", "card": {"number": "4111111111111111",
                                                                          "expMonth": 12, "expYear": 2039}}})
    assert card["paymentInstrumentAdd"]["userErrors"] == []
    assert (await org.gql(NOTE, {"input": {"customerId": "s1", "message": "prefers email"}}))["timelineNoteAdd"]["note"]
    assert (await org.gql(TAGS_ADD, {"input": {"customerIds": ["t"], "tags": ["vip"]}}))["customerTagsAdd"]["userErrors"] == []
    assert (await org.gql(TAGS_ADD, {"input": {"customerIds": ["s2"], "tags": ["newsletter"]}}))["customerTagsAdd"]["userErrors"] == []


async def clone(store, http, template, name: str):
    """A new organization holding a copy of every document of `template` (its built data set): much
    faster than building it again through the API for each crash point."""
    other = await make_org(store, http, name)
    for collection in await store.db.list_collection_names():
        if collection in (auth.ORGANIZATIONS, auth.API_KEYS) or collection.startswith("system."):
            continue
        docs = [{**d, "organizationId": other.id} for d in await store.db[collection].find(
            {"organizationId": template.id}, {"_id": 0}).to_list()]
        if docs:
            await store.db[collection].insert_many(docs)
    other.website_id = template.website_id
    return other


def normalised(state: dict[str, Any]) -> dict[str, Any]:
    t = dict(state["t"])
    t["paymentInstruments"] = len(t["paymentInstruments"])
    t["timeline"] = sorted(e["node"]["kind"] for e in t["timeline"]["edges"])
    return {**state, "t": t}


async def test_preview_says_what_moves_and_which_value_wins_and_writes_nothing(org, store):
    await build(org)
    before = {name: await store.for_org(org.id)[name].count({}) for name in ("customers", "transactions", "timeline")}
    data = (await org.gql(PREVIEW, {"s": ["s1", "s2"], "t": "t"}))["customersMergePreview"]
    assert data["userErrors"] == [] and data["target"] == {"id": "t"} and data["sources"] == [{"id": "s1"}, {"id": "s2"}]
    moves = {m["what"]: m["count"] for m in data["moves"]}
    assert moves["transactions"] == 2 and moves["payment instruments"] == 1 and moves["notes"] == 1
    assert moves["tags"] == 1 and moves["attachments"] == 0
    conflicts = {c["field"]: c for c in data["conflicts"]}
    assert conflicts["lastName"] == {"field": "lastName", "targetValue": "Lovelace", "sourceValues": ["Byron", None],
                                     "winner": "TARGET", "result": "Lovelace"}
    assert conflicts["firstName"]["winner"] == "TARGET" and conflicts["firstName"]["sourceValues"] == ["Ada", "Augusta"]
    assert conflicts["jobTitle"]["winner"] == "SOURCE" and conflicts["jobTitle"]["result"] == "Countess"
    assert any("API log" in text for text in data["notMerged"])
    after = {name: await store.for_org(org.id)[name].count({}) for name in ("customers", "transactions", "timeline")}
    assert after == before and await store.for_org(org.id)[merges.MERGES].count({}) == 0


async def test_preview_and_merge_refuse_bad_sets_with_every_reason(org):
    await build(org)
    data = (await org.gql(PREVIEW, {"s": ["t", "s1", "s1", "nobody", "web_01J00000000000000000000000"], "t": "t"}))
    assert [(e["field"], e["code"]) for e in data["customersMergePreview"]["userErrors"]] == [
        (["sourceIds", "0"], "INVALID"), (["sourceIds", "2"], "DUPLICATE"), (["sourceIds", "3"], "NOT_FOUND"),
        (["sourceIds", "4"], "WRONG_ID_TYPE")]
    refused = (await org.gql(MERGE, {"input": {"targetId": "nobody", "sourceIds": []}}))["customersMerge"]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(["targetId"], "NOT_FOUND"), (["sourceIds"], "REQUIRED")]
    done = (await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s2"]}}))["customersMerge"]
    assert done["userErrors"] == []
    again = (await org.gql(PREVIEW, {"s": ["s2"], "t": "t"}))["customersMergePreview"]["userErrors"]
    assert again == [{"field": ["sourceIds", "0"], "message": "s2 was merged into t already", "code": "ALREADY_MERGED"}]
    into = (await org.gql(PREVIEW, {"s": ["s1"], "t": "s2"}))["customersMergePreview"]["userErrors"]
    assert into[0]["code"] == "ALREADY_MERGED" and "merge into that one" in into[0]["message"]


async def test_merge_moves_everything_recomputes_and_leaves_tombstones_that_resolve(org, store):
    await build(org)
    data = (await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1", "s2"]}}))["customersMerge"]
    assert data == {"customer": {"id": "t"}, "mergedIds": ["s1", "s2"], "userErrors": []}
    state = await org.gql(STATE)
    t = state["t"]
    assert (t["firstName"], t["lastName"], t["jobTitle"], t["dateOfBirth"]) == ("Ada", "Lovelace", "Countess", "1985-12-10")
    assert t["emails"] == [{"value": "ada@example.com", "primary": True}, {"value": "ada@home.example", "primary": False},
                           {"value": "augusta@example.com", "primary": False}]
    assert sorted(x["name"] for x in t["tags"]) == ["newsletter", "vip"]
    assert t["paymentCount"] == 2 and t["isLead"] is False
    assert t["lifetimeRevenue"] == [{"amount": "13.00", "currency": "USD"}]
    assert len(t["paymentInstruments"]) == 1 and t["transactions"]["totalCount"] == 3
    kinds = [e["node"]["kind"] for e in t["timeline"]["edges"]]
    assert kinds.count("CUSTOMER_MERGED") == 2 and "NOTE" in kinds and kinds.count("CUSTOMER_CREATED") == 3
    merged = [e["node"] for e in t["timeline"]["edges"] if e["node"]["kind"] == "CUSTOMER_MERGED"]
    assert {m["mergedCustomerId"] for m in merged} == {"s1", "s2"}
    assert next(m for m in merged if m["mergedCustomerId"] == "s1")["moved"]["transactions"] == 2
    # The duplicates' ids say where they went; the table lists the target once.
    assert state["s1"]["id"] == "t" and state["s1"]["mergedIds"] == ["s1", "s2"] and state["n1"] == {"id": "t"}
    assert state["customers"]["totalCount"] == 1 and state["customers"]["edges"] == [{"node": {"id": "t"}}]
    assert t["mergedIds"] == ["s1", "s2"]
    # Repeating the request changes nothing.
    again = (await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1", "s2"]}}))["customersMerge"]
    assert again["userErrors"] == [] and normalised(await org.gql(STATE)) == normalised(state)


async def test_a_merge_interrupted_at_every_step_finishes_on_a_rerun(org, store, http, settings):
    """s1 holds every kind of record; its merge is crashed after 0, 1, 2, ... steps (each timeline event
    moved counts as one), then the same request is repeated: the result equals an uninterrupted merge."""
    await build(org)
    await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1"]}})
    expected = normalised(await org.gql(STATE))
    job = await store.for_org(org.id)[merges.MERGES].find_one({})
    events = await store.for_org(org.id)[timeline.COLLECTION].count({})
    moved_events = job["moved"]["s1"]["notes"] + job["moved"]["s1"]["other timeline events"]
    total = len(steps_of(job)) + moved_events
    await build(template := await make_org(store, http, "template"))
    for k in range(total):
        other = await clone(store, http, template, f"crash-{k}")
        ctx = Context.build(store, settings, Principal(other.id, "key_crash", "crash", "write"))
        try:
            await merge(ctx, "t", ["s1"], stop_after=k)
            raise AssertionError(f"merge finished within {k} steps")
        except Interrupted:
            pass
        rerun = (await other.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1"]}}))["customersMerge"]
        assert rerun["userErrors"] == [], (k, rerun)
        assert normalised(await other.gql(STATE)) == expected, k
        org_db = store.for_org(other.id)
        assert await org_db[timeline.COLLECTION].count({}) == events, k  # nothing lost or written twice
        assert await org_db[merges.TOMBSTONES].count({}) == 1
    # One more step than there are: the merge finishes without being interrupted.
    other = await clone(store, http, template, "no-crash")
    ctx = Context.build(store, settings, Principal(other.id, "key_crash", "crash", "write"))
    assert (await merge(ctx, "t", ["s1"], stop_after=total)).user_errors == []
