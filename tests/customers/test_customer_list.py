"""The customer data table: segments, filters, sorts, keyset pages, totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.customers import customers

CREATE = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { code field } } }"""

LIST = """query($first: Int!, $after: String, $filter: CustomerFilter, $sort: CustomerSort, $segment: CustomerSegment) {
  customers(first: $first, after: $after, filter: $filter, sort: $sort, segment: $segment) {
    totalCount edges { cursor node { id lastName paymentCount isLead } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

PEOPLE = [
    ("c1", "Ada", "Lovelace", "ada@example.com", "GB"),
    ("c2", "Grace", "Hopper", "grace@navy.example", "US"),
    ("c3", "Alan", "Turing", "alan@example.com", "GB"),
    ("c4", "Linus", "Torvalds", "linus@kernel.example", "FI"),
    ("c5", "Margaret", "Hamilton", "margaret@nasa.example", "US"),
    ("c6", "barbara", "liskov", "barbara@mit.example", "US"),
]


async def add_people(org, store) -> None:
    for cid, first, last, email, country in PEOPLE:
        data = await org.gql(CREATE, {"input": {"id": cid, "websiteId": org.website_id, "firstName": first,
                                                "lastName": last, "emails": [{"value": email}],
                                                "address": {"country": country}}})
        assert data["customerCreate"]["userErrors"] == []
    # Payments arrive with the money issue; until then set the maintained aggregate directly.
    org_db = store.for_org(org.id)
    for cid, n in (("c2", 1), ("c4", 3), ("c5", 2)):
        await customers.bump_aggregates(org_db, cid, {"paymentCount": n}, {}, datetime.now(UTC))


def ids(data: dict) -> list[str]:
    return [e["node"]["id"] for e in data["customers"]["edges"]]


async def test_default_order_is_newest_first_with_total(org, store):
    await add_people(org, store)
    data = await org.gql(LIST, {"first": 10})
    assert ids(data) == ["c6", "c5", "c4", "c3", "c2", "c1"]
    assert data["customers"]["totalCount"] == 6
    assert data["customers"]["pageInfo"]["hasNextPage"] is False


async def test_segments_split_leads_from_customers(org, store):
    await add_people(org, store)
    leads = await org.gql(LIST, {"first": 10, "segment": "LEADS"})
    paying = await org.gql(LIST, {"first": 10, "segment": "CUSTOMERS"})
    assert sorted(ids(leads)) == ["c1", "c3", "c6"]
    assert all(e["node"]["isLead"] for e in leads["customers"]["edges"])
    # A customer with exactly one payment is a customer (the guide's "> 1" is a typo).
    assert sorted(ids(paying)) == ["c2", "c4", "c5"]
    assert paying["customers"]["totalCount"] == 3


async def test_keyset_pages_cover_everything_once_and_survive_inserts(org, store):
    await add_people(org, store)
    page1 = await org.gql(LIST, {"first": 2})
    assert ids(page1) == ["c6", "c5"] and page1["customers"]["pageInfo"]["hasNextPage"] is True
    # Rows inserted before the cursor's position do not shift the next page.
    await org.gql(CREATE, {"input": {"id": "new", "websiteId": org.website_id}})
    page2 = await org.gql(LIST, {"first": 2, "after": page1["customers"]["pageInfo"]["endCursor"]})
    assert ids(page2) == ["c4", "c3"] and page2["customers"]["pageInfo"]["hasPreviousPage"] is True
    page3 = await org.gql(LIST, {"first": 2, "after": page2["customers"]["pageInfo"]["endCursor"]})
    assert ids(page3) == ["c2", "c1"] and page3["customers"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ({"field": "LAST_NAME", "direction": "ASC"}, ["c5", "c2", "c6", "c1", "c4", "c3"]),
        ({"field": "LAST_NAME", "direction": "DESC"}, ["c3", "c4", "c1", "c6", "c2", "c5"]),
        ({"field": "PAYMENT_COUNT", "direction": "DESC"}, ["c4", "c5", "c2", "c6", "c3", "c1"]),
        ({"field": "PAYMENT_COUNT", "direction": "ASC"}, ["c1", "c3", "c6", "c2", "c5", "c4"]),
        ({"field": "CREATED_TIME", "direction": "ASC"}, ["c1", "c2", "c3", "c4", "c5", "c6"]),
    ],
)
async def test_sorts_page_in_order(org, store, sort, expected):
    await add_people(org, store)
    seen: list[str] = []
    after = None
    while True:
        data = await org.gql(LIST, {"first": 4, "after": after, "sort": sort})
        seen += ids(data)
        if not data["customers"]["pageInfo"]["hasNextPage"]:
            break
        after = data["customers"]["pageInfo"]["endCursor"]
    assert seen == expected


async def test_filters(org, store):
    await add_people(org, store)

    async def only(flt: dict, segment: str = "ALL") -> list[str]:
        return sorted(ids(await org.gql(LIST, {"first": 50, "filter": flt, "segment": segment})))

    assert await only({"search": "hop"}) == ["c2"]
    assert await only({"search": "LIS"}) == ["c6"]
    assert await only({"search": "navy"}) == ["c2"]
    assert await only({"search": "example"}) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    assert await only({"search": "ada love"}) == ["c1"]
    assert await only({"email": "GRACE@navy.example"}) == ["c2"]
    assert await only({"country": "us"}) == ["c2", "c5", "c6"]
    assert await only({"country": "US"}, "CUSTOMERS") == ["c2", "c5"]
    assert await only({"websiteId": org.website_id}) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert len(await only({"createdTime": {"from": past, "to": future}})) == 6
    assert await only({"createdTime": {"from": future}}) == []
    total = await org.gql(LIST, {"first": 1, "filter": {"country": "US"}})
    assert total["customers"]["totalCount"] == 3


async def test_page_size_limits_and_bad_cursors_are_clear_errors(org, store):
    await add_people(org, store)
    assert len(ids(await org.gql(LIST, {"first": 100}))) == 6
    for first in (0, 101):
        errors = await org.errors(LIST, {"first": first})
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "`first` must be between 1 and 100" in errors[0]["message"]
    errors = await org.errors(LIST, {"first": 5, "after": "garbage"})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    cursor = (await org.gql(LIST, {"first": 1}))["customers"]["pageInfo"]["endCursor"]
    errors = await org.errors(LIST, {"first": 5, "after": cursor, "sort": {"field": "LAST_NAME"}})
    assert "sorted by CREATED_TIME" in errors[0]["message"]
    errors = await org.errors(LIST, {"first": 5, "filter": {"country": "Narnia"}})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_node_and_nodes_refetch_by_id(org, store):
    await add_people(org, store)
    data = await org.gql("""query($ids: [ID!]!, $w: ID!) {
        nodes(ids: $ids) { __typename id ... on Customer { lastName } }
        node(id: $w) { __typename id ... on Website { name } } }""",
                         {"ids": ["c1", "nope", "c2"], "w": org.website_id})
    assert data["nodes"] == [{"__typename": "Customer", "id": "c1", "lastName": "Lovelace"}, None,
                             {"__typename": "Customer", "id": "c2", "lastName": "Hopper"}]
    assert data["node"] == {"__typename": "Website", "id": org.website_id, "name": "Org A shop"}
    event = (await org.gql('{ customer(id: "c1") { timeline(first: 1) { edges { node { id } } } } }'))
    event_id = event["customer"]["timeline"]["edges"][0]["node"]["id"]
    data = await org.gql("query($id: ID!) { node(id: $id) { __typename id } }", {"id": event_id})
    assert data["node"] == {"__typename": "CustomerCreatedEvent", "id": event_id}


async def test_nodes_takes_up_to_a_hundred_ids(org):
    data = await org.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [f"x{i}" for i in range(100)]})
    assert data["nodes"] == [None] * 100
    errors = await org.errors("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [f"x{i}" for i in range(101)]})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
