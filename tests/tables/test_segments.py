"""Saved segments of the customers and payments tables: built-ins, own segments, listing by segmentId."""

from __future__ import annotations

from tests.collab import add_user
from tests.money_helpers import add_customer, paid_outside, refund

SEGMENT_FIELDS = """id table name builtIn revision columns owner { type name }
  customers { segment sort { field direction } filter { search email country websiteId tags createdTime { from to } } }
  transactions { segment sort { field direction } filter { customerId types statuses results currency } }"""
CREATE = f"""mutation($input: SegmentCreateInput!) {{ segmentCreate(input: $input) {{
  segment {{ {SEGMENT_FIELDS} }} userErrors {{ field message code }} }} }}"""
UPDATE = f"""mutation($input: SegmentUpdateInput!) {{ segmentUpdate(input: $input) {{
  segment {{ {SEGMENT_FIELDS} }} userErrors {{ field message code }} }} }}"""
DELETE = """mutation($input: SegmentDeleteInput!) { segmentDelete(input: $input) {
  deletedSegmentId userErrors { field message code } } }"""
SEGMENTS = f"""query($table: DataTable!) {{ segments(table: $table) {{ {SEGMENT_FIELDS} }} }}"""
ONE = f"""query($id: ID!) {{ segment(id: $id) {{ {SEGMENT_FIELDS} }} node(id: $id) {{ id ... on Segment {{ name }} }} }}"""
BY_SEGMENT = """query($id: ID!, $after: String, $sort: CustomerSort) {
  customers(first: 2, after: $after, segmentId: $id, sort: $sort) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }"""
PAYMENTS = """query($id: ID, $filter: TransactionFilter, $after: String) {
  transactions(first: 2, segmentId: $id, filter: $filter, after: $after) {
    totalCount edges { node { id type customerId } } pageInfo { hasNextPage endCursor } } }"""
TAGS_ADD = """mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }"""


async def page_all(org, query, variables, root):
    out, after = [], None
    while True:
        data = (await org.gql(query, {**variables, "after": after}))[root]
        out += [e["node"]["id"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return out, data["totalCount"]
        after = data["pageInfo"]["endCursor"]


async def test_built_in_leads_and_customers_are_readable_segments_and_list_the_same_rows(org):
    lead = await add_customer(org, lastName="Lead")
    payer = await add_customer(org, lastName="Payer")
    await paid_outside(org, payer)
    data = await org.gql(SEGMENTS, {"table": "CUSTOMERS"})
    built = {s["id"]: s for s in data["segments"]}
    assert list(built) == ["seg_leads", "seg_customers"]
    assert built["seg_leads"]["name"] == "Leads" and built["seg_leads"]["builtIn"] is True
    assert built["seg_leads"]["customers"]["segment"] == "LEADS"  # the guide's "press Filters"
    assert built["seg_customers"]["customers"]["segment"] == "CUSTOMERS"
    assert built["seg_leads"]["owner"] is None and "email" in built["seg_leads"]["columns"]
    assert await page_all(org, BY_SEGMENT, {"id": "seg_leads"}, "customers") == ([lead], 1)
    assert await page_all(org, BY_SEGMENT, {"id": "seg_customers"}, "customers") == ([payer], 1)
    one = await org.gql(ONE, {"id": "seg_leads"})
    assert one["segment"]["name"] == one["node"]["name"] == "Leads"
    refused = await org.gql(UPDATE, {"input": {"id": "seg_leads", "name": "Mine"}})
    assert refused["segmentUpdate"]["userErrors"][0]["code"] == "BUILT_IN"
    refused = await org.gql(DELETE, {"input": {"id": "seg_customers"}})
    assert refused["segmentDelete"]["userErrors"][0]["code"] == "BUILT_IN"


async def test_tag_segment_lists_tagged_customers_with_keyset_pages_and_its_sort(org):
    ids = [await add_customer(org, lastName=name) for name in ("Cole", "Abbot", "Bell", "Drake")]
    untagged = await add_customer(org, lastName="Zed")
    r = await org.gql(TAGS_ADD, {"input": {"customerIds": ids, "tags": ["VIP"]}})
    assert r["customerTagsAdd"]["userErrors"] == []
    created = (await org.gql(CREATE, {"input": {
        "name": "VIPs by name", "customers": {"filter": {"tags": ["vip"]}, "sort": {"field": "LAST_NAME", "direction": "ASC"}},
        "columns": ["lastName", "email", "tags"],
    }}))["segmentCreate"]
    assert created["userErrors"] == []
    seg = created["segment"]
    assert seg["id"].startswith("seg_") and seg["table"] == "CUSTOMERS" and seg["columns"] == ["lastName", "email", "tags"]
    assert seg["customers"]["filter"]["tags"] == ["vip"]
    assert seg["customers"]["sort"] == {"field": "LAST_NAME", "direction": "ASC"}
    listed, total = await page_all(org, BY_SEGMENT, {"id": seg["id"]}, "customers")
    assert listed == [ids[1], ids[2], ids[0], ids[3]] and total == 4 and untagged not in listed
    # `sort` given with the segment overrides the saved sort.
    newest, _ = await page_all(org, BY_SEGMENT, {"id": seg["id"], "sort": {"field": "CREATED_TIME"}}, "customers")
    assert newest == list(reversed(ids))


async def test_owner_renames_edits_and_deletes_others_in_the_org_only_read(org, store):
    ada = await add_user(store, org, "Ada Lovelace", "ada@example.com")
    grace = await add_user(store, org, "Grace Hopper", "grace@example.com")
    made = (await org.gql(CREATE, {"input": {"name": "GB", "customers": {"filter": {"country": "gb"}}}}, key=ada.key))
    seg = made["segmentCreate"]["segment"]
    assert seg["owner"] == {"type": "USER", "name": "Ada Lovelace"}
    assert seg["customers"]["filter"]["country"] == "GB"
    # Shared: Grace sees it, but may not change it.
    assert [s["id"] for s in (await org.gql(SEGMENTS, {"table": "CUSTOMERS"}, key=grace.key))["segments"]][-1] == seg["id"]
    for op, inp, root in ((UPDATE, {"id": seg["id"], "name": "Mine"}, "segmentUpdate"), (DELETE, {"id": seg["id"]}, "segmentDelete")):
        refused = (await org.gql(op, {"input": inp}, key=grace.key))[root]
        assert refused["userErrors"] == [{"field": ["id"], "message": "only its owner (Ada Lovelace) may change this segment", "code": "NOT_OWNER"}]
    renamed = (await org.gql(UPDATE, {"input": {
        "id": seg["id"], "expectedRevision": 1, "name": "Great Britain, leads",
        "customers": {"segment": "LEADS", "filter": {"country": "GB"}}, "columns": ["email", "id"],
    }}, key=ada.key))["segmentUpdate"]
    assert renamed["userErrors"] == []
    assert renamed["segment"]["name"] == "Great Britain, leads" and renamed["segment"]["revision"] == 2
    assert renamed["segment"]["customers"]["segment"] == "LEADS" and renamed["segment"]["columns"] == ["email", "id"]
    stale = (await org.gql(UPDATE, {"input": {"id": seg["id"], "expectedRevision": 1, "name": "x"}}, key=ada.key))
    assert stale["segmentUpdate"]["userErrors"][0]["code"] == "REVISION_CONFLICT"
    gone = (await org.gql(DELETE, {"input": {"id": seg["id"]}}, key=ada.key))["segmentDelete"]
    assert gone == {"deletedSegmentId": seg["id"], "userErrors": []}
    assert (await org.gql(ONE, {"id": seg["id"]}))["segment"] is None


async def test_bad_segment_input_reports_every_problem_and_writes_nothing(org, store):
    bad = (await org.gql(CREATE, {"input": {
        "name": "", "customers": {"filter": {"country": "XX", "websiteId": "cus_01J00000000000000000000000",
                                              "createdTime": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}},
        "columns": ["email", "nope", "email"],
    }}))["segmentCreate"]
    assert bad["segment"] is None
    assert sorted((tuple(e["field"]), e["code"]) for e in bad["userErrors"]) == sorted([
        (("name",), "REQUIRED"),
        (("customers", "filter", "country"), "INVALID_COUNTRY"),
        (("customers", "filter", "websiteId"), "WRONG_ID_TYPE"),
        (("customers", "filter", "createdTime"), "INVALID"),
        (("columns", "1"), "INVALID"),
        (("columns", "2"), "DUPLICATE"),
    ])
    both = (await org.gql(CREATE, {"input": {"name": "x", "customers": {}, "transactions": {}}}))["segmentCreate"]
    assert both["userErrors"][0]["code"] == "EXACTLY_ONE_REQUIRED"
    wrong_table = (await org.gql(CREATE, {"input": {"name": "x", "transactions": {}, "columns": ["lastName"]}}))
    assert wrong_table["segmentCreate"]["userErrors"][0]["code"] == "INVALID"
    assert await store.for_org(org.id)["segments"].count({}) == 0


async def test_list_by_segment_id_refuses_wrong_type_unknown_other_table_and_extra_filter(org):
    pay = (await org.gql(CREATE, {"input": {"name": "Refunds", "transactions": {"segment": "REFUNDS"}}}))["segmentCreate"]
    for sid, message in (
        ("cus_01J00000000000000000000000", "is a Customer id"),
        ("seg_01J00000000000000000000000", "no segment seg_01J00000000000000000000000"),
        (pay["segment"]["id"], "belongs to the TRANSACTIONS table"),
    ):
        errors = await org.errors(BY_SEGMENT, {"id": sid})
        assert message in errors[0]["message"] and errors[0]["extensions"]["code"] in ("BAD_USER_INPUT", "NOT_FOUND")
    errors = await org.errors('{ customers(first: 1, segmentId: "seg_leads", segment: LEADS) { totalCount } }')
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_payments_table_lists_a_saved_segment_with_keyset_pages(org):
    ada = await add_customer(org, lastName="Ada")
    bob = await add_customer(org, lastName="Bob")
    sales = [(await paid_outside(org, c, "10.00"))["id"] for c in (ada, bob, ada)]
    r = await refund(org, sales[0], "5.00")
    assert r["userErrors"] == []
    everything, total = await page_all(org, PAYMENTS, {}, "transactions")
    assert total == 4 and everything[1:] == list(reversed(sales))
    seg = (await org.gql(CREATE, {"input": {"name": "Ada's sales", "transactions": {
        "segment": "SALES", "filter": {"customerId": ada}, "sort": {"direction": "ASC"}},
        "columns": ["id", "amount", "currency"]}}))["segmentCreate"]
    assert seg["userErrors"] == []
    assert seg["segment"]["transactions"]["filter"]["customerId"] == ada
    listed, total = await page_all(org, PAYMENTS, {"id": seg["segment"]["id"]}, "transactions")
    assert listed == [sales[0], sales[2]] and total == 2
    refunds, _ = await page_all(org, PAYMENTS, {"filter": {"types": ["REFUND", "VOID"]}}, "transactions")
    assert refunds == [everything[0]]
    errors = await org.errors(PAYMENTS, {"id": "seg_leads"})
    assert "belongs to the CUSTOMERS table" in errors[0]["message"]
