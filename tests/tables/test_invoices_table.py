"""The Billing data table: `invoices(…)` over every invoice of the organization, its saved segments
(filter, sort, columns) and its CSV export, through GraphQL on the real document server."""

from __future__ import annotations

from typing import Any

from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.money_helpers import add_account, add_customer
from tests.tables.exports_helpers import run_due
from tests.tables.test_exports import download, parse

TABLE = """query($first: Int!, $after: String, $filter: InvoiceFilter, $sort: InvoiceSort, $id: ID) {
  invoices(first: $first, after: $after, filter: $filter, sort: $sort, segmentId: $id) {
    totalCount edges { node { id invoiceNumber status customerId total { amount currency } customer { id } } }
    pageInfo { hasNextPage endCursor } } }"""
SEGMENT = """mutation($input: SegmentCreateInput!) { segmentCreate(input: $input) {
  segment { id table columns invoices { filter { statuses customerId currency createdTime { from to } }
            sort { field direction } } }
  userErrors { field message code } } }"""
UPDATE = """mutation($input: SegmentUpdateInput!) { segmentUpdate(input: $input) {
  segment { id revision } userErrors { field message code } } }"""
EXPORT = """mutation($input: DataExportCreateInput!) { dataExportCreate(input: $input) {
  dataExport { id table columns filename } userErrors { field message code } } }"""
STATUS = """query($id: ID!) { dataExport(id: $id) { status rowCount downloadUrl } }"""
VOID = """mutation($input: OrderActionInput!) { orderVoid(input: $input) { order { status } userErrors { code } } }"""


async def billing(org) -> dict[str, Any]:
    """Ada: a paid subscription invoice and an unpaid one; Bob: an unpaid one and a voided one (4 invoices,
    numbered 1 to 4 in creation order)."""
    await add_account(org)
    plan = await add_plan(org, await add_product(org))
    ada, bob = await add_customer(org, lastName="Ada"), await add_customer(org, lastName="Bob")
    await add_card(org, ada)
    made = [await create_order(org, ada, [{"planId": plan["id"]}]),
            await create_order(org, ada, [{"planId": plan["id"]}], autopay=False),
            await create_order(org, bob, [{"planId": plan["id"]}], autopay=False),
            await create_order(org, bob, [{"planId": plan["id"]}], autopay=False)]
    assert all(m["userErrors"] == [] for m in made), made
    voided = await org.gql(VOID, {"input": {"orderId": made[3]["order"]["id"]}})
    assert voided["orderVoid"]["userErrors"] == []
    return {"ada": ada, "bob": bob, "invoices": [m["invoice"]["id"] for m in made]}


async def page_all(org, variables: dict[str, Any]) -> tuple[list[tuple[str, str]], int]:
    rows: list[tuple[str, str]] = []
    after = None
    total = -1
    while True:
        data = (await org.gql(TABLE, {"first": 2, "after": after, **variables}))["invoices"]
        total = data["totalCount"]
        rows += [(e["node"]["id"], e["node"]["status"]) for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            return rows, total
        after = data["pageInfo"]["endCursor"]


async def test_billing_table_lists_every_invoice_with_keyset_pages_filters_and_sort(org):
    b = await billing(org)
    ids = b["invoices"]
    everything, total = await page_all(org, {})
    assert total == 4 and [i for i, _ in everything] == list(reversed(ids))
    assert [s for _, s in everything] == ["VOIDED", "UNPAID", "UNPAID", "PAID"]
    oldest_first, _ = await page_all(org, {"sort": {"direction": "ASC"}})
    assert [i for i, _ in oldest_first] == ids
    unpaid, total = await page_all(org, {"filter": {"statuses": ["UNPAID", "PAST_DUE"]}})
    assert [i for i, _ in unpaid] == [ids[2], ids[1]] and total == 2
    bobs, total = await page_all(org, {"filter": {"customerId": b["bob"], "currency": "usd"}})
    assert [i for i, _ in bobs] == [ids[3], ids[2]] and total == 2
    none, total = await page_all(org, {"filter": {"currency": "EUR"}})
    assert none == [] and total == 0
    first = (await org.gql(TABLE, {"first": 1}))["invoices"]["edges"][0]["node"]
    assert first["customer"] == {"id": b["bob"]} and first["total"] == {"amount": "10.00", "currency": "USD"}


async def test_billing_segment_is_saved_listed_by_segment_id_and_exported_with_its_columns(org, store):
    b = await billing(org)
    ids = b["invoices"]
    seg = (await org.gql(SEGMENT, {"input": {
        "name": "Open invoices", "invoices": {"filter": {"statuses": ["PAST_DUE", "UNPAID"]}, "sort": {"direction": "ASC"}},
        "columns": ["invoiceNumber", "customerId", "status", "total", "amountDue", "currency"]}}))["segmentCreate"]
    assert seg["userErrors"] == []
    s = seg["segment"]
    assert s["table"] == "INVOICES" and s["invoices"]["filter"]["statuses"] == ["PAST_DUE", "UNPAID"]
    assert s["invoices"]["sort"] == {"field": "CREATED_TIME", "direction": "ASC"}
    listed = await org.gql("{ segments(table: INVOICES) { id name } dataTableColumns(table: INVOICES) { name default } }")
    assert listed["segments"] == [{"id": s["id"], "name": "Open invoices"}]
    assert {c["name"] for c in listed["dataTableColumns"] if c["default"]} >= {"id", "status", "total", "amountDue"}
    rows, total = await page_all(org, {"id": s["id"]})
    assert rows == [(ids[1], "UNPAID"), (ids[2], "UNPAID")] and total == 2
    newest, _ = await page_all(org, {"id": s["id"], "sort": {"direction": "DESC"}})  # `sort` overrides the saved one
    assert [i for i, _ in newest] == [ids[2], ids[1]]
    # The export writes the segment's rows with its columns, in order.
    job = (await org.gql(EXPORT, {"input": {"segmentId": s["id"]}}))["dataExportCreate"]
    assert job["userErrors"] == [] and job["dataExport"]["table"] == "INVOICES"
    assert job["dataExport"]["filename"].startswith("invoices-")
    await run_due(store)
    done = (await org.gql(STATUS, {"id": job["dataExport"]["id"]}))["dataExport"]
    assert done["status"] == "COMPLETED" and done["rowCount"] == 2
    csv_rows = parse((await download(org, done["downloadUrl"])).content)
    assert csv_rows == [["invoiceNumber", "customerId", "status", "total", "amountDue", "currency"],
                        ["2", b["ada"], "UNPAID", "10.00", "10.00", "USD"],
                        ["3", b["bob"], "UNPAID", "10.00", "10.00", "USD"]]
    # An export of a filter without a segment, with its own columns.
    adhoc = (await org.gql(EXPORT, {"input": {"invoices": {"filter": {"customerId": b["ada"]}},
                                               "columns": ["id", "status", "amountPaid"]}}))["dataExportCreate"]
    assert adhoc["userErrors"] == []
    await run_due(store)
    done = (await org.gql(STATUS, {"id": adhoc["dataExport"]["id"]}))["dataExport"]
    assert parse((await download(org, done["downloadUrl"])).content) == [
        ["id", "status", "amountPaid"], [ids[1], "UNPAID", "0.00"], [ids[0], "PAID", "10.00"]]


async def test_bad_billing_segment_and_list_input_is_refused_with_every_problem(org, store):
    data = (await org.gql(SEGMENT, {"input": {"name": "Bad", "invoices": {"filter": {
        "customerId": "txn_01J00000000000000000000000", "orderId": "cus_01J00000000000000000000000",
        "currency": "XYZ", "createdTime": {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}},
        "columns": ["total", "lastName", "total"]}}))["segmentCreate"]
    assert data["segment"] is None
    assert [(e["field"], e["code"]) for e in data["userErrors"]] == [
        (["invoices", "filter", "customerId"], "WRONG_ID_TYPE"), (["invoices", "filter", "orderId"], "WRONG_ID_TYPE"),
        (["invoices", "filter", "currency"], "INVALID"), (["invoices", "filter", "createdTime"], "INVALID"),
        (["columns", "1"], "INVALID"), (["columns", "2"], "DUPLICATE")]
    both = (await org.gql(SEGMENT, {"input": {"name": "Two", "invoices": {}, "transactions": {}}}))["segmentCreate"]
    assert [e["code"] for e in both["userErrors"]] == ["EXACTLY_ONE_REQUIRED"]
    assert await store.for_org(org.id)["segments"].count({}) == 0
    # A customers segment cannot take an invoices definition; the table refuses another table's segment.
    cust = (await org.gql(SEGMENT, {"input": {"name": "C", "customers": {}}}))["segmentCreate"]["segment"]["id"]
    wrong = (await org.gql(UPDATE, {"input": {"id": cust, "invoices": {"filter": {"statuses": ["PAID"]}}}}))
    assert [(e["field"], e["code"]) for e in wrong["segmentUpdate"]["userErrors"]] == [(["invoices"], "INVALID")]
    for variables, message in (({"id": cust}, "belongs to the CUSTOMERS table"),
                               ({"id": "seg_leads"}, "belongs to the CUSTOMERS table"),
                               ({"filter": {"customerId": "ord_01J00000000000000000000000"}}, "not a Customer id"),
                               ({"id": cust, "filter": {}}, "do not also pass `filter`")):
        errors = await org.errors(TABLE, {"first": 5, **variables})
        assert message in errors[0]["message"] and errors[0]["extensions"]["code"] == "BAD_USER_INPUT", errors
    refused = (await org.gql(EXPORT, {"input": {"invoices": {"filter": {"currency": "??"}}, "columns": ["nope"]}}))
    assert [e["code"] for e in refused["dataExportCreate"]["userErrors"]] == ["INVALID", "INVALID"]

