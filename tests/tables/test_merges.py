"""Merging duplicate customers: the preview writes nothing, the merge moves everything once, survives a
crash at every step, and leaves tombstones whose ids resolve to the target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers.compliance.aml import AML_RECURRING
from resolvers.compliance.edd import EDD_SEARCH
from resolvers.context import Context, Principal
from resolvers.tables.merges import Interrupted, merge, steps_of
from store import auth, indexes, jobs
from store.activity import timeline
from store.billing import coupons
from store.compliance import edd
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
EDD_SET = """mutation($input: CustomerEddSetInput!) { customerEddSet(input: $input) { userErrors { code } } }"""
KYC_CREATE = """mutation($input: KycRequestCreateInput!) { kycRequestCreate(input: $input) {
  kycRequest { id } userErrors { code } } }"""
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


async def add_records(org, store) -> None:
    """s1 also gets a KYC request and a required EDD (with its monthly search job) through the API, and one
    document in every other collection a merge moves by customerId (orders, invoices, credit memos, quotes,
    ... are written to the store directly, as tests/billing/fixtures.py does for many of them), per-customer
    coupon counters (one coupon the target redeemed too) and a recurring AML screening job."""
    assert (await org.gql(EDD_SET, {"input": {"customerId": "s1", "required": True}}))["customerEddSet"]["userErrors"] == []
    kyc = await org.gql(KYC_CREATE, {"input": {"customerId": "s1", "documents": [{"type": "IDENTITY_PROOF"}]}})
    assert kyc["kycRequestCreate"]["userErrors"] == []
    db, t = store.for_org(org.id), datetime.now(UTC)
    for collection in merges.MOVED_BY_CUSTOMER_ID:
        if await db[collection].count({"customerId": "s1"}) == 0:
            await db[collection].insert_one({"id": f"{collection}-s1", "customerId": "s1", "createdTime": t,
                                             "tokenHash": f"{org.id}-{collection}", "periodKey": f"{collection}-s1"})
    await db[coupons.COUNTERS].insert_many([{"id": "cpn_a:s1", "count": 2}, {"id": "cpn_a:t", "count": 1},
                                            {"id": "cpn_b:s1", "count": 1}])
    await jobs.schedule(db, AML_RECURRING, "s1", t + timedelta(days=10), t)


async def records_of(store, org_id: str) -> dict[str, Any]:
    """Where the moved records are: per collection, how many documents name t and s1."""
    db = store.for_org(org_id)
    out: dict[str, Any] = {}
    for c in merges.MOVED_BY_CUSTOMER_ID:
        owners = [d["customerId"] for d in await db[c].find_list({}, {"_id": 0, "customerId": 1})]
        out[c] = (owners.count("t"), owners.count("s1"))
    out["edd"] = [(p["customerId"], p["required"]) for p in await db[edd.PROFILES].find_list({}, {"_id": 0})]
    out["counters"] = sorted((c["id"], c["count"]) for c in await db[coupons.COUNTERS].find_list({}, {"_id": 0}))
    out["jobs"] = sorted((j["kind"], j["key"], j["status"]) for j in await db[jobs.COLLECTION].find_list(
        {"kind": {"$in": [AML_RECURRING, EDD_SEARCH]}}, {"_id": 0}))
    return out


async def snapshot(store, template) -> dict[str, list[dict[str, Any]]]:
    """Every document of `template`'s organization, by collection (read once, copied per crash point)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for collection in await store.db.list_collection_names():
        if collection in (auth.ORGANIZATIONS, auth.API_KEYS) or collection.startswith("system."):
            continue
        if docs := await store.db[collection].find({"organizationId": template.id}, {"_id": 0}).to_list():
            out[collection] = docs
    return out


async def clone(store, http, template, data: dict[str, list[dict[str, Any]]], name: str):
    """A new organization holding a copy of `data` (the template's built data set): much faster than
    building it again through the API for each crash point."""
    other = await make_org(store, http, name)
    for collection, docs in data.items():
        copies = [{**d, "organizationId": other.id} for d in docs]
        for d in copies:  # token hashes are unique across organizations (hosted pages find them by token)
            if d.get("tokenHash"):
                d["tokenHash"] = f"{d['tokenHash']}-{other.id}"
        await store.db[collection].insert_many(copies)
    other.website_id = template.website_id
    return other


async def drop(store, org_id: str) -> None:
    """Removes a checked crash point's documents: FerretDB v1 scans whole collections, so leaving them makes
    every later crash point slower."""
    for collection in await store.db.list_collection_names():
        if not collection.startswith("system."):
            await store.db[collection].delete_many({"organizationId": org_id})


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
    await add_records(org, store)
    await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1"]}})
    expected = normalised(await org.gql(STATE))
    expected_records = await records_of(store, org.id)
    job = await store.for_org(org.id)[merges.MERGES].find_one({})
    events = await store.for_org(org.id)[timeline.COLLECTION].count({})
    moved_events = job["moved"]["s1"]["notes"] + job["moved"]["s1"]["other timeline events"]
    total = len(steps_of(job)) + moved_events
    await build(template := await make_org(store, http, "template"))
    await add_records(template, store)
    data = await snapshot(store, template)
    for k in range(total):
        other = await clone(store, http, template, data, f"crash-{k}")
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
        assert await records_of(store, other.id) == expected_records, k
        await drop(store, other.id)
    # One more step than there are: the merge finishes without being interrupted.
    other = await clone(store, http, template, data, "no-crash")
    ctx = Context.build(store, settings, Principal(other.id, "key_crash", "crash", "write"))
    assert (await merge(ctx, "t", ["s1"], stop_after=total)).user_errors == []


async def test_merge_moves_billing_and_compliance_records_and_carries_recurring_work(org, store):
    await build(org)
    await add_records(org, store)
    preview = (await org.gql(PREVIEW, {"s": ["s1"], "t": "t"}))["customersMergePreview"]
    moves = {m["what"]: m["count"] for m in preview["moves"]}
    for what in ("orders", "invoices", "credit memos", "quotes", "coupon redemptions", "KYC document requests",
                 "KYC documents", "AML checks", "EDD search logs", "deposit requests", "EDD profile"):
        assert moves[what] == 1, what
    assert (await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1"]}}))["customersMerge"]["userErrors"] == []
    records = await records_of(store, org.id)
    for collection in merges.MOVED_BY_CUSTOMER_ID:
        assert records[collection][1] == 0 and records[collection][0] >= 1, collection
    assert records["edd"] == [("t", True)]
    # Per-customer redemption limits count the duplicate's redemptions; the source's counters are left behind.
    assert records["counters"] == [("cpn_a:s1", 2), ("cpn_a:t", 3), ("cpn_b:s1", 1), ("cpn_b:t", 1)]
    # The recurring screening and the monthly EDD search continue for the target.
    assert (AML_RECURRING, "t", "PENDING") in records["jobs"] and (EDD_SEARCH, "t:1", "PENDING") in records["jobs"]
    edd_state = await org.gql("""{ customer(id: "t") { edd { required } } }""")
    assert edd_state["customer"]["edd"]["required"] is True


async def test_every_collection_keyed_by_customer_is_moved_or_handled_by_a_merge():
    """A new collection with a customerId index must be added to the merge (or named here with the reason)."""
    handled = {
        *merges.MOVED_BY_CUSTOMER_ID,
        timeline.COLLECTION,  # one event at a time (new sequence numbers on the target)
        edd.PROFILES,  # one per customer: moves only when the target has none
        "attachments.files",  # GridFS metadata.customerId: the `files` step
        "api_logs",  # keep the source id: they record the requests as they were made
        "customers", merges.TOMBSTONES,
    }
    keyed = {collection for collection, specs in indexes.ALL.items()
             if any(any(k in ("customerId", "metadata.customerId") for k, _ in keys) for keys, _ in specs)}
    assert keyed - handled == set()


async def test_the_targets_own_edd_profile_stays_and_the_duplicates_is_left_under_its_id(org, store):
    await build(org)
    for cid, required in (("t", False), ("s1", True)):
        assert (await org.gql(EDD_SET, {"input": {"customerId": cid, "required": required}}))["customerEddSet"]["userErrors"] == []
    preview = (await org.gql(PREVIEW, {"s": ["s1"], "t": "t"}))["customersMergePreview"]
    assert {m["what"]: m["count"] for m in preview["moves"]}["EDD profile"] == 0
    assert any("EDD profile" in text for text in preview["notMerged"])
    assert (await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1"]}}))["customersMerge"]["userErrors"] == []
    profiles = sorted((p["customerId"], p["required"]) for p in await store.for_org(org.id)[edd.PROFILES].find_list({}))
    assert profiles == [("s1", True), ("t", False)]
    assert (await org.gql('{ customer(id: "t") { edd { required } } }'))["customer"]["edd"] == {"required": False}


async def test_every_step_run_twice_gives_the_same_merge(org, store, http, settings):
    """A crash after a step's effect but before it is recorded repeats the step on the rerun: every step
    run twice in a row leaves the same result as one uninterrupted merge."""
    await build(org)
    await add_records(org, store)
    await org.gql(MERGE, {"input": {"targetId": "t", "sourceIds": ["s1", "s2"]}})
    expected, expected_records = normalised(await org.gql(STATE)), await records_of(store, org.id)
    events = await store.for_org(org.id)[timeline.COLLECTION].count({})
    await build(template := await make_org(store, http, "template"))
    await add_records(template, store)
    other = await clone(store, http, template, await snapshot(store, template), "twice")
    ctx = Context.build(store, settings, Principal(other.id, "key_twice", "twice", "write"))
    assert (await merge(ctx, "t", ["s1", "s2"], repeat=True)).user_errors == []
    assert normalised(await other.gql(STATE)) == expected
    assert await records_of(store, other.id) == expected_records
    assert await store.for_org(other.id)[timeline.COLLECTION].count({}) == events
    assert await store.for_org(other.id)[merges.TOMBSTONES].count({}) == 2
