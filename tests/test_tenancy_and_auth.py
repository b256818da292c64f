"""Tenancy and authentication: another organization's data is invisible on every path."""

from __future__ import annotations

from datetime import UTC, datetime

from store import auth
from store.customers import customers
from tests.tables.exports_helpers import run_due

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code field message } } }"""
UPDATE = """mutation($input: CustomerUpdateInput!) { customerUpdate(input: $input) {
  customer { id } userErrors { code field message } } }"""


async def make_customer(org, cid: str) -> None:
    data = await org.gql(CREATE, {"input": {"id": cid, "websiteId": org.website_id, "lastName": "Secret",
                                            "emails": [{"value": f"{cid}@example.com"}], "address": {"country": "US"}}})
    assert data["customerCreate"]["userErrors"] == []


async def test_other_organizations_customers_are_invisible_everywhere(org, other_org, store):
    await make_customer(org, "shared-id")
    await make_customer(org, "only-a")
    await make_customer(other_org, "shared-id")  # the same merchant id in two organizations is fine

    b = other_org
    data = await b.gql('{ customer(id: "only-a") { id } node(id: "only-a") { id } nodes(ids: ["only-a"]) { id } }')
    assert data == {"customer": None, "node": None, "nodes": [None]}
    # Indistinguishable from an id that does not exist.
    missing = await b.gql('{ customer(id: "never-existed") { id } node(id: "never-existed") { id } }')
    assert missing == {"customer": None, "node": None}
    for flt in ({}, {"email": "only-a@example.com"}, {"search": "secret"}, {"country": "US"},
                {"websiteId": org.website_id}):
        listed = await b.gql("query($f: CustomerFilter) { customers(first: 50, filter: $f) { totalCount edges { node { id } } } }",
                             {"f": flt})
        assert [e["node"]["id"] for e in listed["customers"]["edges"]] == ([] if flt.get("websiteId") or flt.get("email") else ["shared-id"])
    refused = await b.gql(UPDATE, {"input": {"id": "only-a", "lastName": "Hacked"}})
    never = await b.gql(UPDATE, {"input": {"id": "never-existed", "lastName": "Hacked"}})
    assert refused["customerUpdate"]["userErrors"][0]["code"] == never["customerUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    # B's website cannot be used for A's customers, and vice versa.
    cross = await org.gql(CREATE, {"input": {"websiteId": b.website_id}})
    assert cross["customerCreate"]["userErrors"][0]["code"] == "NOT_FOUND"
    doc = await customers.get(store.for_org(org.id), "only-a")
    assert doc["lastName"] == "Secret" and doc["revision"] == 1


async def test_every_document_carries_its_organization(org, other_org, store):
    await make_customer(org, "a1")
    await make_customer(other_org, "b1")
    for name in await store.db.list_collection_names():
        if name in (auth.ORGANIZATIONS,):
            continue
        async for doc in store.db[name].find({}):
            assert doc.get("organizationId") in {org.id, other_org.id}, (name, doc)


async def test_requests_without_a_valid_key_are_unauthenticated(org, http):
    for headers in ({}, {"Authorization": "Bearer cgk_not-a-real-key"}, {"Authorization": "Basic abc"}):
        response = await http.post("/graphql", json={"query": "{ customers(first: 1) { totalCount } }"}, headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body["data"] is None


async def test_revoked_key_stops_working(org, store):
    secret, doc = await auth.create_api_key(store, org.id, "write", "temp", datetime.now(UTC))
    assert (await org.post("{ customers(first: 1) { totalCount } }", key=secret)).status_code == 200
    await store.raw(auth.API_KEYS).update_one({"id": doc["id"]}, {"$set": {"revoked": True}})
    assert (await org.post("{ customers(first: 1) { totalCount } }", key=secret)).status_code == 401


async def test_read_key_can_query_but_not_mutate(org, store):
    await make_customer(org, "a1")
    data = await org.gql('{ customer(id: "a1") { id } }', key=org.read_key)
    assert data["customer"]["id"] == "a1"
    body = (await org.post(UPDATE, {"input": {"id": "a1", "lastName": "X"}}, key=org.read_key)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None
    assert (await customers.get(store.for_org(org.id), "a1"))["lastName"] == "Secret"


async def test_api_keys_are_stored_hashed(org, store):
    async for doc in store.raw(auth.API_KEYS).find({}):
        assert org.write_key not in str(doc) and org.read_key not in str(doc)
        assert len(doc["hash"]) == 64


# ------------------------------------------------------------------------------------ tables (issue 15)

SEGMENT_CREATE = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
  segment { id } userErrors { code field message } } }"""
SEGMENT_UPDATE = """mutation($input: SegmentUpdateInput!) { segmentUpdate(input: $input) {
  segment { id } userErrors { code field message } } }"""
SEGMENT_DELETE = """mutation($input: SegmentDeleteInput!) { segmentDelete(input: $input) {
  deletedSegmentId userErrors { code field message } } }"""


async def test_other_organizations_segments_and_payments_table_are_invisible(org, other_org, store):
    await make_customer(org, "only-a")
    seg = (await org.gql(SEGMENT_CREATE, {"input": {"name": "A's", "customers": {"filter": {"country": "US"}}}}))
    sid = seg["segmentCreate"]["segment"]["id"]
    pay = (await org.gql(SEGMENT_CREATE, {"input": {"name": "A pay", "transactions": {}}}))["segmentCreate"]["segment"]["id"]
    b = other_org
    data = await b.gql("query($id: ID!) { segment(id: $id) { id } node(id: $id) { id } }", {"id": sid})
    assert data == {"segment": None, "node": None}
    listed = await b.gql("{ c: segments(table: CUSTOMERS) { id } t: segments(table: TRANSACTIONS) { id } }")
    assert [s["id"] for s in listed["c"]] == ["seg_leads", "seg_customers"] and listed["t"] == []
    for query, segment_id in (("{ customers(first: 5, segmentId: $id) { totalCount } }", sid),
                              ("{ transactions(first: 5, segmentId: $id) { totalCount } }", pay)):
        errors = await b.errors("query($id: ID!) " + query, {"id": segment_id})
        assert errors[0]["extensions"]["code"] == "NOT_FOUND" and segment_id in errors[0]["message"]
    # The built-ins list B's own rows only.
    assert (await b.gql('{ customers(first: 5, segmentId: "seg_leads") { totalCount } }'))["customers"]["totalCount"] == 0
    assert (await b.gql("{ transactions(first: 5) { totalCount } }"))["transactions"]["totalCount"] == 0
    for op, root in ((SEGMENT_UPDATE, "segmentUpdate"), (SEGMENT_DELETE, "segmentDelete")):
        inp = {"id": sid, **({"name": "hacked"} if root == "segmentUpdate" else {})}
        refused = (await b.gql(op, {"input": inp}))[root]
        assert refused["userErrors"][0]["code"] == "NOT_FOUND"
    doc = await store.for_org(org.id)["segments"].find_one({"id": sid})
    assert doc["name"] == "A's" and doc["revision"] == 1


EXPORT_CREATE = """mutation($input: DataExportCreateInput!) { dataExportCreate(input: $input) {
  dataExport { id downloadUrl } userErrors { code field message } } }"""


async def test_other_organizations_exports_and_their_files_are_invisible(org, other_org, store, http):
    await make_customer(org, "only-a")
    sid = (await org.gql(SEGMENT_CREATE, {"input": {"name": "A's", "customers": {}}}))["segmentCreate"]["segment"]["id"]
    job = (await org.gql(EXPORT_CREATE, {"input": {"segmentId": sid}}))["dataExportCreate"]["dataExport"]
    b_job = (await other_org.gql(EXPORT_CREATE, {"input": {"segmentId": "seg_leads"}}))["dataExportCreate"]["dataExport"]
    await run_due(store)
    refused = (await other_org.gql(EXPORT_CREATE, {"input": {"segmentId": sid}}))["dataExportCreate"]
    assert refused["userErrors"][0]["code"] == "NOT_FOUND" and refused["dataExport"] is None
    data = await other_org.gql("query($id: ID!) { dataExport(id: $id) { id } node(id: $id) { id } }", {"id": job["id"]})
    assert data == {"dataExport": None, "node": None}
    mine = await org.gql("query($id: ID!) { node(id: $id) { ... on DataExport { status } } }", {"id": job["id"]})
    assert mine == {"node": {"status": "COMPLETED"}}
    url = f"/exports/{job['id']}/file"
    assert (await http.get(url, headers={"Authorization": f"Bearer {other_org.write_key}"})).status_code == 404
    own = await http.get(url, headers={"Authorization": f"Bearer {org.write_key}"})
    assert own.status_code == 200 and b"only-a" in own.content
    # B's export of its own leads holds none of A's rows.
    b_file = await http.get(f"/exports/{b_job['id']}/file", headers={"Authorization": f"Bearer {other_org.write_key}"})
    assert b_file.status_code == 200 and b"only-a" not in b_file.content


MERGE_PREVIEW = """query($s: [ID!]!, $t: ID!) { customersMergePreview(sourceIds: $s, targetId: $t) {
  target { id } moves { what count } userErrors { field code } } }"""
MERGE = """mutation($input: CustomersMergeInput!) { customersMerge(input: $input) {
  customer { id } userErrors { field code } } }"""


async def test_customers_of_another_organization_cannot_be_merged_or_previewed(org, other_org, store):
    await make_customer(org, "a-target")
    await make_customer(org, "a-dup")
    await make_customer(other_org, "b-target")
    b = other_org
    for variables in ({"s": ["a-dup"], "t": "b-target"}, {"s": ["b-target"], "t": "a-target"}):
        preview = (await b.gql(MERGE_PREVIEW, variables))["customersMergePreview"]
        assert preview["moves"] == [] and [e["code"] for e in preview["userErrors"]] == ["NOT_FOUND"]
        merged = (await b.gql(MERGE, {"input": {"targetId": variables["t"], "sourceIds": variables["s"]}}))
        assert [e["code"] for e in merged["customersMerge"]["userErrors"]] == ["NOT_FOUND"]
    assert await customers.get(store.for_org(org.id), "a-dup") is not None
    # A's merge: its tombstone resolves for A only.
    assert (await org.gql(MERGE, {"input": {"targetId": "a-target", "sourceIds": ["a-dup"]}}))["customersMerge"]["userErrors"] == []
    assert (await org.gql('{ customer(id: "a-dup") { id } }'))["customer"] == {"id": "a-target"}
    assert (await b.gql('{ customer(id: "a-dup") { id } node(id: "a-dup") { id } }')) == {"customer": None, "node": None}


async def test_duplicate_suggestions_stay_inside_the_organization(org, other_org):
    card = {"number": "4111111111111111", "expMonth": 12, "expYear": 2039}
    add_card = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) { userErrors { code } } }"""
    for o, cid in ((org, "a"), (other_org, "x")):
        await make_customer(o, cid)  # same last name, country; the email differs by id
        assert (await o.gql(add_card, {"input": {"customerId": cid, "card": card}}))["paymentInstrumentAdd"]["userErrors"] == []
    await make_customer(other_org, "y")
    await other_org.gql(UPDATE, {"input": {"id": "y", "emailsAdd": [{"value": "a@example.com"}]}})
    await other_org.gql(add_card, {"input": {"customerId": "y", "card": card}})
    b_dups = await other_org.gql('{ customer(id: "x") { possibleDuplicates { customer { id } reasons } } }')
    assert b_dups["customer"]["possibleDuplicates"] == [{"customer": {"id": "y"}, "reasons": ["SAME_CARD"]}]
    dups = await org.gql('{ customer(id: "a") { possibleDuplicates { customer { id } } } }')
    assert dups["customer"]["possibleDuplicates"] == []  # B's same card and B's "a@example.com" are not A's
    listed = await org.gql("{ customerDuplicateSuggestions(first: 10) { edges { node { customer { id } } } } }")
    assert listed["customerDuplicateSuggestions"]["edges"] == []
