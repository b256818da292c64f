"""Nested reads go through per-request loaders: the cost in store round trips does not grow with the page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from store.activity import timeline
from store.customers import customers
from tests.billing.fixtures import seed_billing
from tests.billing.helpers import add_plan, add_product

PAGE = """query($first: Int!) { customers(first: $first) { edges { node {
  id email website { name }
  timeline(first: 5) { edges { node { kind occurredTime author { name } } } pageInfo { hasNextPage } } } } } }"""


async def seed_customers(store, org, n: int) -> None:
    org_db = store.for_org(org.id)
    now = datetime.now(UTC)
    docs, events = [], []
    for i in range(n):
        cid = f"c{i:03d}"
        docs.append(customers.with_derived({
            "id": cid, "websiteId": org.website_id, "lastName": f"L{i}",
            "emails": [{"value": f"{cid}@example.com", "label": "main", "primary": True}],
            "paymentCount": 0, "revenue": {}, "tags": [], "createdTime": now, "updatedTime": now, "revision": 1, "timelineSeq": 7,
        }))
        events += [timeline.event_doc(cid, s, "CUSTOMER_UPDATED", {"type": "SYSTEM", "name": "t"}, now, {"changedFields": ["x"]})
                   for s in range(1, 8)]
    await org_db[customers.COLLECTION].insert_many(docs)
    await org_db[timeline.COLLECTION].insert_many(events)


@pytest.mark.parametrize("first", [10, 100])
async def test_listing_customers_with_timelines_costs_the_same_round_trips(org, store, commands, first):
    await seed_customers(store, org, 100)
    before = commands.count(store.db.name)
    data = await org.gql(PAGE, {"first": first})
    names = commands.names(store.db.name)[before:]
    edges = data["customers"]["edges"]
    assert len(edges) == first
    assert all(len(e["node"]["timeline"]["edges"]) == 5 and e["node"]["timeline"]["pageInfo"]["hasNextPage"] for e in edges)
    assert all(e["node"]["website"]["name"] == "Org A shop" for e in edges)
    # api key lookup, customer page, websites ($in), timelines (one $or of seq windows)
    assert names == ["find", "find", "find", "find"], names


async def test_timeline_pages_newest_first_without_gaps_or_repeats(org, store):
    await seed_customers(store, org, 1)
    seen, after = [], None
    while True:
        data = await org.gql("""query($after: String) { customer(id: "c000") {
            timeline(first: 3, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }""",
                             {"after": after})
        t = data["customer"]["timeline"]
        assert t["totalCount"] == 7
        seen += [e["node"]["id"] for e in t["edges"]]
        if not t["pageInfo"]["hasNextPage"]:
            break
        after = t["pageInfo"]["endCursor"]
    docs = await store.for_org(org.id)[timeline.COLLECTION].find_list({"customerId": "c000"}, sort=[("seq", -1)])
    assert seen == [d["id"] for d in docs]


async def test_timeline_survives_a_reserved_but_unwritten_seq(org, store):
    """A seq reserved by a writer that then failed leaves a gap; pages still fill up."""
    await seed_customers(store, org, 1)
    org_db = store.for_org(org.id)
    await org_db[timeline.COLLECTION].delete_one({"customerId": "c000", "seq": 6})
    data = await org.gql('{ customer(id: "c000") { timeline(first: 3) { edges { node { id } } pageInfo { hasNextPage } } } }')
    assert len(data["customer"]["timeline"]["edges"]) == 3
    assert data["customer"]["timeline"]["pageInfo"]["hasNextPage"] is True


async def test_timeline_filter_by_kind(org, store):
    await seed_customers(store, org, 1)
    data = await org.gql('{ customer(id: "c000") { a: timeline(first: 10, kinds: [CUSTOMER_CREATED]) { totalCount edges { node { id } } } '
                         'b: timeline(first: 10, kinds: [CUSTOMER_UPDATED]) { totalCount } } }')
    assert data["customer"]["a"] == {"totalCount": 0, "edges": []}
    assert data["customer"]["b"]["totalCount"] == 7


# billing (issue 11): the dashboard page also selecting active subscriptions and the latest invoices
BILLING_PAGE = """query($first: Int!) { customers(first: $first) { edges { node {
  id email
  subscriptions(first: 10, status: ACTIVE) { edges { node { id status renewalTime mrr { amount }
    items { quantity plan { name pricing { formula price } } product { name } } } } }
  invoices(first: 5) { edges { node { id invoiceNumber status total { amount currency } dueTime } }
    pageInfo { hasNextPage } } } } } }"""


@pytest.mark.parametrize("first", [10, 50, 100])
async def test_dashboard_with_subscriptions_and_invoices_costs_constant_round_trips(org, store, commands, first):
    await seed_customers(store, org, 100)
    product = await add_product(org, name="Storage")
    plan = await add_plan(org, product)
    await seed_billing(store, org.id, [f"c{i:03d}" for i in range(100)], org.website_id, plan["id"])
    before = commands.count(store.db.name)
    data = await org.gql(BILLING_PAGE, {"first": first})
    names = commands.names(store.db.name)[before:]
    edges = data["customers"]["edges"]
    assert len(edges) == first
    for e in edges:
        subs = e["node"]["subscriptions"]["edges"]
        assert [s["node"]["status"] for s in subs] == ["ACTIVE"]
        assert subs[0]["node"]["items"][0]["plan"]["name"] == "Basic"
        assert subs[0]["node"]["items"][0]["product"]["name"] == "Storage"
        invoices = e["node"]["invoices"]
        assert len(invoices["edges"]) == 5 and invoices["pageInfo"]["hasNextPage"]
        numbers = [i["node"]["invoiceNumber"] for i in invoices["edges"]]
        assert numbers == sorted(numbers, reverse=True)
    # api key lookup, customer page, active orders ($in), latest invoices ($in), products ($in)
    assert names == ["find", "find", "find", "find", "find"], names
    assert len(names) <= 6
