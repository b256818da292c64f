"""Tenancy and authentication: another organization's data is invisible on every path."""

from __future__ import annotations

from datetime import UTC, datetime

from store import auth
from store.customers import customers

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
