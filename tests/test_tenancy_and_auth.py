"""Tenancy and authentication: another organization's data is invisible on every path."""

from __future__ import annotations

from datetime import UTC, datetime

from resolvers.compliance.aml import screen as aml_screen
from store import auth
from store.compliance import aml as aml_store
from store.customers import customers
from tests.billing.helpers import add_plan, add_product, create_order
from tests.compliance.test_aml import REVIEW as AML_REVIEW
from tests.compliance.test_aml import REVIEW_START as AML_REVIEW_START
from tests.compliance.test_aml import REVIEW_STOP as AML_REVIEW_STOP
from tests.compliance.test_edd import GET as EDD_GET
from tests.compliance.test_edd import MANUAL as EDD_MANUAL
from tests.compliance.test_edd import SCORES as EDD_SCORES
from tests.compliance.test_edd import SET as EDD_SET
from tests.compliance.test_kyc import ACCEPT as KYC_ACCEPT
from tests.compliance.test_kyc import CREATE as KYC_CREATE
from tests.compliance.test_kyc import PNG, kyc_request, upload_on_behalf
from tests.compliance.test_kyc import REJECT as KYC_REJECT
from tests.compliance.test_kyc import REVIEW as KYC_REVIEW
from tests.links.queries import PORTAL, PORTAL_LINK, SETUP_LINK
from tests.links.test_deposit_requests import CREATE as DEPOSIT_REQUEST_CREATE
from tests.links.test_deposit_requests import PROPS, STRATEGY, STRATEGY_UPDATE, request, strategy
from tests.money_helpers import add_account, add_customer
from tests.tables.exports_helpers import run_due
from tests.tables.test_duplicate_ranking import run_ranking

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


async def test_other_organizations_billing_table_and_its_segments_are_invisible(org, other_org, store):
    await add_account(org)
    plan = await add_plan(org, await add_product(org))
    cid = "only-a"
    await make_customer(org, cid)
    made = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    assert made["userErrors"] == []
    seg = (await org.gql(SEGMENT_CREATE, {"input": {"name": "A bills", "invoices": {"filter": {"statuses": ["UNPAID"]}}}}))
    sid = seg["segmentCreate"]["segment"]["id"]
    assert (await org.gql("{ invoices(first: 5) { totalCount } }"))["invoices"]["totalCount"] == 1
    b = other_org
    assert (await b.gql("{ invoices(first: 5) { totalCount edges { node { id } } } }"))["invoices"] == {
        "totalCount": 0, "edges": []}
    assert (await b.gql(f'{{ invoices(first: 5, filter: {{ customerId: "{cid}" }}) {{ totalCount }} }}'))[
        "invoices"]["totalCount"] == 0
    assert (await b.gql("{ segments(table: INVOICES) { id } }"))["segments"] == []
    errors = await b.errors("query($id: ID!) { invoices(first: 5, segmentId: $id) { totalCount } }", {"id": sid})
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    export = (await b.gql(EXPORT_CREATE, {"input": {"segmentId": sid}}))["dataExportCreate"]
    assert export["userErrors"][0]["code"] == "NOT_FOUND"
    # B's ad-hoc export of "every invoice" holds none of A's.
    own = (await b.gql(EXPORT_CREATE, {"input": {"invoices": {}}}))["dataExportCreate"]["dataExport"]
    await run_due(store)
    done = (await b.gql("query($id: ID!) { dataExport(id: $id) { rowCount } }", {"id": own["id"]}))["dataExport"]
    assert done == {"rowCount": 0}


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


async def test_duplicate_suggestions_stay_inside_the_organization(org, other_org, store):
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
    # The organization-wide ranking: B's refresh ranks B's pair only; A never refreshed and sees nothing.
    refreshed = await other_org.gql("mutation { customerDuplicateRankingRefresh(input: {}) { userErrors { code } } }")
    assert refreshed["customerDuplicateRankingRefresh"]["userErrors"] == []
    assert await run_ranking(store) == 1
    pairs = "{ customerDuplicatePairs(first: 10) { totalCount edges { node { id customers { id } } } } } "
    assert (await other_org.gql(pairs))["customerDuplicatePairs"] == {
        "totalCount": 1, "edges": [{"node": {"id": "x|y", "customers": [{"id": "x"}, {"id": "y"}]}}]}
    assert (await org.gql(pairs))["customerDuplicatePairs"] == {"totalCount": 0, "edges": []}
    state = "{ customerDuplicateRanking { pairCount nextRefreshTime } }"
    assert (await org.gql(state))["customerDuplicateRanking"] == {"pairCount": 0, "nextRefreshTime": None}
# billing (issue 11): every query and mutation of the catalog, orders and invoices
BILLING_READ = """query($prod: ID!, $plan: ID!, $order: ID!, $inv: ID!) {
  product(id: $prod) { id } plan(id: $plan) { id } order(id: $order) { id } invoice(id: $inv) { id }
  p: node(id: $prod) { id } l: node(id: $plan) { id } o: node(id: $order) { id } i: node(id: $inv) { id }
  products(first: 10) { totalCount } plans(first: 10) { totalCount } }"""
BILLING_MUTATIONS = {
    "productUpdate": ("ProductUpdateInput", lambda ids: {"productId": ids["prod"], "name": "Hacked"}),
    "productDeactivate": ("CatalogDeactivateInput", lambda ids: {"id": ids["prod"]}),
    "planCreate": ("PlanCreateInput", lambda ids: {"productId": ids["prod"], "name": "X", "currency": "USD",
                                                   "pricing": {"formula": "FIXED_FEE", "price": "1"},
                                                   "recurringInterval": {"unit": "MONTH"}}),
    "planUpdate": ("PlanUpdateInput", lambda ids: {"planId": ids["plan"], "settings": {"name": "Hacked"}}),
    "planDeactivate": ("CatalogDeactivateInput", lambda ids: {"id": ids["plan"]}),
    "orderCreate": ("OrderCreateInput", lambda ids: {"customerId": ids["cus"], "orderType": "SUBSCRIPTION",
                                                     "items": [{"planId": ids["plan"]}], "idempotencyKey": "t-1"}),
    "orderCancel": ("OrderCancelInput", lambda ids: {"orderId": ids["order"]}),
    "orderVoid": ("OrderActionInput", lambda ids: {"orderId": ids["order"]}),
    "orderPause": ("OrderActionInput", lambda ids: {"orderId": ids["order"]}),
    "orderResume": ("OrderActionInput", lambda ids: {"orderId": ids["order"]}),
    "orderRenewalTimeUpdate": ("OrderRenewalTimeUpdateInput",
                               lambda ids: {"orderId": ids["order"], "renewalTime": "2099-01-01T00:00:00Z"}),
    "orderItemsChange": ("OrderItemsChangeInput", lambda ids: {"orderId": ids["order"], "items": [{"planId": ids["plan"]}]}),
    "invoiceIssue": ("InvoiceActionInput", lambda ids: {"invoiceId": ids["inv"]}),
    "invoiceVoid": ("InvoiceActionInput", lambda ids: {"invoiceId": ids["inv"]}),
    "invoiceAbandon": ("InvoiceActionInput", lambda ids: {"invoiceId": ids["inv"]}),
    "invoiceReissue": ("InvoiceActionInput", lambda ids: {"invoiceId": ids["inv"]}),
    "invoiceUpdate": ("InvoiceUpdateInput", lambda ids: {"invoiceId": ids["inv"], "tax": "1"}),
    "invoiceEmail": ("InvoiceEmailInput", lambda ids: {"invoiceId": ids["inv"]}),
}


async def test_billing_of_another_organization_is_invisible_and_untouchable(org, other_org, store):
    await make_customer(org, "payer")
    prod = await add_product(org)
    plan = await add_plan(org, prod)
    made = await create_order(org, "payer", [{"planId": plan["id"]}], autopay=False)
    ids = {"cus": "payer", "prod": prod, "plan": plan["id"], "order": made["order"]["id"], "inv": made["invoice"]["id"]}
    before = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in ("products", "plans", "orders", "invoices")}
    seen = await other_org.gql(BILLING_READ, {k: v for k, v in ids.items() if k != "cus"})
    assert seen == {"product": None, "plan": None, "order": None, "invoice": None, "p": None, "l": None, "o": None,
                    "i": None, "products": {"totalCount": 0}, "plans": {"totalCount": 0}}
    for name, (input_type, build) in BILLING_MUTATIONS.items():
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
        data = await other_org.gql(query, {"input": build(ids)})
        codes = {e["code"] for e in data[name]["userErrors"]}
        assert codes and codes <= {"NOT_FOUND"}, (name, data)
    pay = await other_org.gql(
        """mutation($input: CustomerPaymentCollectInput!) { customerPaymentCollect(input: $input) { userErrors { field code } } }""",
        {"input": {"customerId": "payer", "invoiceId": ids["inv"], "amount": "1", "currency": "USD",
                   "option": "PAID_OUTSIDE", "idempotencyKey": "t-2"}})
    assert {e["code"] for e in pay["customerPaymentCollect"]["userErrors"]} == {"NOT_FOUND"}
    after = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in ("products", "plans", "orders", "invoices")}
    assert after == before


# billing clock (issue 12): usage, reactivation, scheduled pauses, retry schedules
CLOCK_MUTATIONS = {
    "usageReport": ("UsageReportInput", lambda ids: {"orderId": ids["order"], "orderItemId": ids["item"], "quantity": "1",
                                                    "idempotencyKey": "tenancy-usage"}),
    "orderReactivate": ("OrderReactivateInput", lambda ids: {"orderId": ids["order"]}),
    "orderPauseSchedule": ("OrderPauseScheduleInput", lambda ids: {"orderId": ids["order"],
                                                                   "startTime": "2099-01-01T00:00:00Z"}),
    "retryScheduleUpdate": ("RetryScheduleUpdateInput", lambda ids: {"websiteId": ids["web"],
                                                                     "delays": [{"unit": "DAY", "length": 1}]}),
}


async def test_billing_clock_of_another_organization_is_invisible_and_untouchable(org, other_org, store):
    await make_customer(org, "payer")
    plan = await add_plan(org, await add_product(org))
    made = await create_order(org, "payer", [{"planId": plan["id"]}], autopay=False)
    ids = {"order": made["order"]["id"], "item": made["order"]["items"][0]["id"], "web": org.website_id}
    before = {c: [d async for d in store.db[c].find({}, {"_id": 0})]
              for c in ("orders", "billing_usage", "billing_retry_schedules", "jobs")}
    seen = await other_org.gql("query($w: ID!) { retrySchedule(websiteId: $w) { websiteId } }", {"w": org.website_id})
    assert seen == {"retrySchedule": None}
    for name, (input_type, build) in CLOCK_MUTATIONS.items():
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
        data = await other_org.gql(query, {"input": build(ids)})
        codes = {e["code"] for e in data[name]["userErrors"]}
        assert codes and codes <= {"NOT_FOUND"}, (name, data)
    after = {c: [d async for d in store.db[c].find({}, {"_id": 0})]
             for c in ("orders", "billing_usage", "billing_retry_schedules", "jobs")}
    assert after == before
# ---------------------------------------------------------------------------------------------- links

LINKS_READ = """query($req: ID!, $setup: ID!, $portalLink: ID!, $cid: ID!, $ids: [ID!]!) {
  depositStrategies { id } depositCustomPropertySets { id } billingPortals { id }
  depositRequest(id: $req) { id } depositRequests(customerId: $cid, first: 10) { id }
  instrumentSetupLink(id: $setup) { id } billingPortalLink(id: $portalLink) { id } nodes(ids: $ids) { id } }"""


async def test_links_of_another_organization_are_invisible_and_unusable(org, other_org):
    await add_account(org)
    await add_account(other_org)
    cid = await add_customer(org)
    theirs = await add_customer(other_org)
    ours_strategy = await strategy(org)
    props = (await org.gql(PROPS, {"input": {"name": "P", "properties": [{"name": "a", "label": "A"}]}}))
    set_id = props["depositCustomPropertySetCreate"]["propertySet"]["id"]
    req = await request(org, cid)
    portal = (await org.gql(PORTAL, {"input": {"websiteId": org.website_id, "name": "Main", "slug": "main-portal"}}))
    pid = portal["billingPortalCreate"]["billingPortal"]["id"]
    plink = (await org.gql(PORTAL_LINK, {"input": {"customerId": cid, "billingPortalId": pid}}))
    plink_id = plink["billingPortalLinkCreate"]["billingPortalLink"]["id"]
    slink = (await org.gql(SETUP_LINK, {"input": {"customerId": cid, "currency": "USD"}}))
    slink_id = slink["paymentInstrumentSetupLinkCreate"]["setupLink"]["id"]
    ids = [ours_strategy["id"], set_id, req["id"], pid, plink_id, slink_id]
    seen = await other_org.gql(LINKS_READ, {"req": req["id"], "setup": slink_id, "portalLink": plink_id, "cid": cid, "ids": ids})
    assert seen == {"depositStrategies": [], "depositCustomPropertySets": [], "billingPortals": [], "depositRequest": None,
                    "depositRequests": [], "instrumentSetupLink": None, "billingPortalLink": None, "nodes": [None] * 6}
    mine = await org.gql(LINKS_READ, {"req": req["id"], "setup": slink_id, "portalLink": plink_id, "cid": cid, "ids": ids})
    assert mine["nodes"] == [{"id": i} for i in ids] and mine["depositRequests"] == [{"id": req["id"]}]

    async def codes(query, name, inp):
        data = (await other_org.gql(query, {"input": inp}))[name]
        return sorted((tuple(e["field"]), e["code"]) for e in data["userErrors"])

    assert await codes(DEPOSIT_REQUEST_CREATE, "depositRequestCreate", {"customerId": cid, "currency": "USD"}) == [(("customerId",), "NOT_FOUND")]
    assert await codes(DEPOSIT_REQUEST_CREATE, "depositRequestCreate", {"customerId": theirs, "currency": "USD", "strategyId": ours_strategy["id"],
                                                        "customPropertySetId": set_id, "websiteId": org.website_id}) == sorted([
        (("strategyId",), "NOT_FOUND"), (("customPropertySetId",), "NOT_FOUND"), (("websiteId",), "NOT_FOUND")])
    assert await codes(STRATEGY_UPDATE, "depositStrategyUpdate", {"id": ours_strategy["id"], "isActive": False}) == [(("id",), "NOT_FOUND")]
    assert await codes(STRATEGY, "depositStrategyCreate", {"name": "x", "websiteIds": [org.website_id], "amounts": {
        "calculator": "ABSOLUTE", "baseAmount": "10", "increments": ["5"]}}) == [(("websiteIds", "0"), "NOT_FOUND")]
    assert await codes(PORTAL, "billingPortalCreate", {"websiteId": org.website_id, "name": "x", "slug": "main-portal"}) == [
        (("websiteId",), "NOT_FOUND")]
    portal_update = """mutation($input: BillingPortalUpdateInput!) { billingPortalUpdate(input: $input) {
      billingPortal { id } userErrors { field code } } }"""
    assert await codes(portal_update, "billingPortalUpdate", {"id": pid, "status": "INACTIVE"}) == [(("id",), "NOT_FOUND")]
    assert await codes(PORTAL_LINK, "billingPortalLinkCreate", {"customerId": cid, "billingPortalId": pid}) == sorted([
        (("customerId",), "NOT_FOUND"), (("billingPortalId",), "NOT_FOUND")])
    assert await codes(SETUP_LINK, "paymentInstrumentSetupLinkCreate", {"customerId": cid, "currency": "USD"}) == [
        (("customerId",), "NOT_FOUND")]
    assert await codes(PROPS, "depositCustomPropertySetCreate", {"name": "", "properties": []}) == sorted([
        (("name",), "REQUIRED"), (("properties",), "REQUIRED")])


# ---------------------------------------------------------------------------------------------- compliance

KYC_READ = """query($req: ID!, $doc: ID!, $cid: ID!, $ids: [ID!]!) { kycRequest(id: $req) { id } kycDocument(id: $doc) { id }
  customer(id: $cid) { kycDocuments { id } } nodes(ids: $ids) { id } }"""


async def test_kyc_of_another_organization_is_invisible_and_unusable(org, other_org, store):
    cid = await add_customer(org)
    req = await kyc_request(org, cid, [{"type": "ADDRESS_PROOF"}])
    await org.http.post("/kyc/" + req["url"].rsplit("/", 1)[1], data={"type": "ADDRESS_PROOF", "revision": "1"},
                        files={"file": ("bill.png", PNG, "image/png")})
    doc_id = (await store.raw("kyc_documents").find_one({}))["id"]
    variables = {"req": req["id"], "doc": doc_id, "cid": cid, "ids": [req["id"], doc_id]}
    assert await other_org.gql(KYC_READ, variables) == {"kycRequest": None, "kycDocument": None, "customer": None, "nodes": [None, None]}
    mine = await org.gql(KYC_READ, variables)
    assert mine["nodes"] == [{"id": req["id"]}, {"id": doc_id}] and mine["customer"]["kycDocuments"] == [{"id": doc_id}]
    created = (await other_org.gql(KYC_CREATE, {"input": {"customerId": cid, "documents": [{"type": "ADDRESS_PROOF"}]}}))
    assert [(e["field"], e["code"]) for e in created["kycRequestCreate"]["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    for query, name, extra in ((KYC_ACCEPT, "kycDocumentAccept", {}), (KYC_REVIEW, "kycDocumentReviewStart", {}),
                               (KYC_REJECT, "kycDocumentReject", {"reason": "OTHER"})):
        data = (await other_org.gql(query, {"input": {"id": doc_id, **extra}}))[name]
        assert [(e["field"], e["code"]) for e in data["userErrors"]] == [(["id"], "NOT_FOUND")], name
    uploaded = await upload_on_behalf(other_org, cid)
    assert [(e["field"], e["code"]) for e in uploaded["userErrors"]] == [(["customerId"], "NOT_FOUND")]
    assert (await store.raw("kyc_documents").find_one({"id": doc_id}))["status"] == "ACCEPTED"


AML_READ = """query($chk: ID!, $cid: ID!) { amlCheck(id: $chk) { id } customer(id: $cid) { amlChecks { id } }
  nodes(ids: [$chk]) { id } }"""


async def test_aml_checks_of_another_organization_are_invisible_and_unreviewable(org, other_org, store):
    cid = await add_customer(org, firstName="Zoltan", lastName="Krevisky")
    customer = await customers.get(store.for_org(org.id), cid)
    check = await aml_screen(store.for_org(org.id), customer, "SIGN_UP", datetime.now(UTC), 30)
    variables = {"chk": check["id"], "cid": cid}
    assert await other_org.gql(AML_READ, variables) == {"amlCheck": None, "customer": None, "nodes": [None]}
    assert (await org.gql(AML_READ, variables))["customer"]["amlChecks"] == [{"id": check["id"]}]
    for query, name, extra in ((AML_REVIEW_START, "amlCheckReviewStart", {}), (AML_REVIEW_STOP, "amlCheckReviewStop", {}),
                               (AML_REVIEW, "amlCheckReview", {"decision": "FALSE_POSITIVE"})):
        data = (await other_org.gql(query, {"input": {"id": check["id"], **extra}}))[name]
        assert [(e["field"], e["code"]) for e in data["userErrors"]] == [(["id"], "NOT_FOUND")], name
    assert (await aml_store.get(store.for_org(org.id), check["id"]))["status"] == "PENDING_REVIEW"


async def test_edd_of_another_organization_is_invisible_and_unchangeable(org, other_org, store):
    cid = await add_customer(org)
    assert (await org.gql(EDD_SET, {"input": {"customerId": cid, "required": True}}))["customerEddSet"]["userErrors"] == []
    for query, name, extra in ((EDD_SET, "customerEddSet", {"required": False}),
                               (EDD_SCORES, "customerEddScoresUpdate", EDD_MANUAL)):
        data = (await other_org.gql(query, {"input": {"customerId": cid, **extra}}))[name]
        assert [(e["field"], e["code"]) for e in data["userErrors"]] == [(["customerId"], "NOT_FOUND")], name
    assert (await other_org.gql(EDD_GET, {"id": cid}))["customer"] is None
    assert (await org.gql(EDD_GET, {"id": cid}))["customer"]["edd"]["required"] is True
    assert await store.raw("edd_profiles").count_documents({"organizationId": other_org.id}) == 0
