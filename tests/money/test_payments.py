"""Collect or register a payment: paid outside, amounts and currencies, gateway accounts, segments."""

from __future__ import annotations

from resolvers.seed import DEMO_ORG_ID, seed
from store.customers import customers as customers_store
from store.money import transactions as txn_store
from tests.money_helpers import (
    APPROVE_CARD,
    COLLECT,
    INSUFFICIENT_FUNDS_CARD,
    TRANSACTIONS,
    add_account,
    add_customer,
    card_sale,
    collect,
    customer_money,
    key,
    paid_outside,
    pay_on_page,
    payment_link,
    refund,
)

SEGMENT_CUSTOMERS = """query($segment: CustomerSegment!) { customers(first: 10, segment: $segment) {
  edges { node { id } } } }"""

TRANSACTION = """query($id: ID!) { transaction(id: $id) { id type status result amount { amount currency }
  customer { id } childTransactions { id type } parentTransaction { id } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 10) { edges { node { kind message
  ... on PaymentApprovedEvent { transactionId amount { amount currency } } } } } } }"""

ACCOUNTS = "{ gatewayAccounts { id name acceptedCurrencies gatewayName active } }"


async def _segment(org, segment):
    data = await org.gql(SEGMENT_CUSTOMERS, {"segment": segment})
    return [e["node"]["id"] for e in data["customers"]["edges"]]


async def test_registered_payment_is_an_approved_sale_processed_outside(org):
    cid = await add_customer(org)
    result = await collect(
        org,
        customerId=cid,
        amount="49.90",
        currency="EUR",
        description="Invoice 7",
        paidOutside={"method": "CHECK", "reference": "check 1042"},
    )
    assert result["userErrors"] == []
    txn = result["transaction"]
    assert (txn["type"], txn["status"], txn["result"]) == ("SALE", "COMPLETED", "APPROVED")
    assert txn["amount"] == {"amount": "49.90", "currency": "EUR"}
    assert txn["isProcessedOutside"] is True
    assert (txn["method"], txn["reference"], txn["description"]) == ("CHECK", "check 1042", "Invoice 7")
    assert txn["gatewayAccountId"] is None and txn["gatewayName"] is None


async def test_first_payment_moves_the_lead_to_the_customers_segment_and_updates_aggregates(org):
    cid = await add_customer(org)
    assert cid in await _segment(org, "LEADS")
    await paid_outside(org, cid, "100.00")
    await paid_outside(org, cid, "50.00")
    money = await customer_money(org, cid)
    assert money["isLead"] is False and money["paymentCount"] == 2
    assert money["lifetimeRevenue"] == [{"amount": "150.00", "currency": "USD"}]
    assert money["averageValue"] == [{"amount": "75.00", "currency": "USD"}]
    assert money["lastPaymentTime"] is not None
    assert cid in await _segment(org, "CUSTOMERS") and cid not in await _segment(org, "LEADS")


async def test_payment_is_on_the_timeline(org):
    cid = await add_customer(org)
    txn = await paid_outside(org, cid, "12.00")
    data = await org.gql(TIMELINE, {"id": cid})
    event = data["customer"]["timeline"]["edges"][0]["node"]
    assert event["kind"] == "PAYMENT_APPROVED"
    assert event["transactionId"] == txn["id"]
    assert event["amount"] == {"amount": "12.00", "currency": "USD"}


async def test_amounts_with_too_many_decimals_are_refused_and_change_nothing(org, store):
    cid = await add_customer(org)
    for amount, currency in (("10.001", "USD"), ("10.5", "JPY"), ("1.0001", "BHD")):
        result = await collect(org, customerId=cid, amount=amount, currency=currency)
        assert result["transaction"] is None
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["amount"], "TOO_MANY_DECIMALS")]
    ok = await collect(org, customerId=cid, amount="1.234", currency="BHD")
    assert ok["transaction"]["amount"] == {"amount": "1.234", "currency": "BHD"}
    ok = await collect(org, customerId=cid, amount="1500", currency="JPY")
    assert ok["transaction"]["amount"] == {"amount": "1500", "currency": "JPY"}
    assert await txn_store.count(store.for_org(org.id), cid, "ALL") == 2


async def test_every_problem_of_a_payment_is_reported_at_once(org, store):
    result = await collect(org, customerId="cus_nobody", amount="0", description="x" * 300)
    codes = sorted((e["field"][0], e["code"]) for e in result["userErrors"])
    assert codes == [("amount", "INVALID"), ("customerId", "NOT_FOUND"), ("description", "TOO_LONG")]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0


async def test_amount_is_stored_as_integer_minor_units(org, store):
    cid = await add_customer(org)
    txn = await paid_outside(org, cid, "19.99")
    doc = await txn_store.get(store.for_org(org.id), txn["id"])
    assert doc["amountMinor"] == 1999 and isinstance(doc["amountMinor"], int)
    customer = await customers_store.get(store.for_org(org.id), cid)
    assert customer["revenue"] == {"USD": {"amount": 1999, "paid": 1999, "count": 1}}


async def test_currency_not_accepted_by_any_gateway_account_is_refused(org, store):
    cid = await add_customer(org)
    await add_account(org, ["EUR"])
    result = await collect(org, customerId=cid, currency="USD", option="HOSTED_FORM")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["currency"], "CURRENCY_NOT_ACCEPTED")
    ]
    assert result["paymentLink"] is None
    assert await store.for_org(org.id)["payment_links"].count({}) == 0


async def test_currency_mismatch_with_the_chosen_gateway_account_is_refused(org):
    cid = await add_customer(org)
    await add_account(org, ["USD"], "US account")
    eur = await add_account(org, ["EUR"], "EU account")
    result = await collect(org, customerId=cid, currency="USD", option="HOSTED_FORM", gatewayAccountId=eur)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["currency"], "CURRENCY_NOT_ACCEPTED")
    ]


async def test_gateway_accounts_are_listed_per_organization(org, other_org):
    await add_account(org, ["USD", "EUR"], "Main")
    data = await org.gql(ACCOUNTS)
    assert [(a["name"], a["acceptedCurrencies"], a["gatewayName"]) for a in data["gatewayAccounts"]] == [
        ("Main", ["USD", "EUR"], "SANDBOX")
    ]
    assert (await other_org.gql(ACCOUNTS))["gatewayAccounts"] == []


async def test_gateway_account_with_repeated_currency_is_refused(org):
    data = await org.gql(
        """mutation($input: GatewayAccountCreateInput!) { gatewayAccountCreate(input: $input) {
      gatewayAccount { id } userErrors { field code } } }""",
        {"input": {"name": " ", "acceptedCurrencies": ["USD", "USD"]}},
    )
    errors = data["gatewayAccountCreate"]["userErrors"]
    assert sorted((tuple(e["field"]), e["code"]) for e in errors) == [
        (("acceptedCurrencies", "1"), "DUPLICATE"),
        (("name",), "REQUIRED"),
    ]


async def test_another_organizations_customer_cannot_be_charged(org, other_org):
    cid = await add_customer(org)
    result = await collect(other_org, customerId=cid)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["customerId"], "NOT_FOUND")]


async def test_transaction_of_another_organization_is_invisible(org, other_org):
    cid = await add_customer(org)
    txn = await paid_outside(org, cid)
    mine = await org.gql(TRANSACTION, {"id": txn["id"]})
    assert mine["transaction"]["customer"]["id"] == cid
    assert (await other_org.gql(TRANSACTION, {"id": txn["id"]}))["transaction"] is None
    assert (await other_org.gql("query($id: ID!) { node(id: $id) { id } }", {"id": txn["id"]}))[
        "node"
    ] is None


async def test_customer_transactions_are_filtered_by_the_guides_segments(org, settings):
    settings.settlement_delay_seconds = 0
    await add_account(org)
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "30.00")
    await card_sale(org, cid, "20.00", INSUFFICIENT_FUNDS_CARD)
    await refund(org, sale["id"], "5.00")

    async def seg(segment):
        data = await org.gql(TRANSACTIONS, {"id": cid, "first": 10, "segment": segment})
        return [(e["node"]["type"], e["node"]["result"]) for e in data["customer"]["transactions"]["edges"]]

    assert await seg("SALES") == [("SALE", "APPROVED")]
    assert await seg("DECLINED") == [("SALE", "DECLINED")]
    assert await seg("REFUNDS") == [("REFUND", "APPROVED")]
    assert await seg("PAYOUTS") == []
    assert len(await seg("ALL")) == 3


async def test_customer_transactions_page_newest_first_with_cursors(org):
    cid = await add_customer(org)
    ids = [(await paid_outside(org, cid, f"{n}.00"))["id"] for n in range(1, 6)]
    seen, after = [], None
    while True:
        data = await org.gql(TRANSACTIONS, {"id": cid, "first": 2, "after": after})
        page = data["customer"]["transactions"]
        assert page["totalCount"] == 5
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ids[::-1]
    oldest = await org.gql(TRANSACTIONS, {"id": cid, "first": 5, "direction": "ASC"})
    assert [e["node"]["id"] for e in oldest["customer"]["transactions"]["edges"]] == ids


async def test_refund_children_link_to_their_parent(org):
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "30.00")
    child = (await refund(org, sale["id"], "10.00"))["refund"]
    data = await org.gql(TRANSACTION, {"id": sale["id"]})
    assert data["transaction"]["childTransactions"] == [{"id": child["id"], "type": "REFUND"}]
    data = await org.gql(TRANSACTION, {"id": child["id"]})
    assert data["transaction"]["parentTransaction"] == {"id": sale["id"]}


async def test_option_specific_fields_must_match_the_option(org):
    cid = await add_customer(org)
    result = (
        await org.gql(
            COLLECT,
            {
                "input": {
                    "customerId": cid,
                    "amount": "1.00",
                    "currency": "USD",
                    "option": "PAID_OUTSIDE",
                    "idempotencyKey": key(),
                    "linkExpiresInHours": 5,
                    "paymentInstrumentId": "inst_x",
                }
            },
        )
    )["customerPaymentCollect"]
    assert sorted(e["field"][0] for e in result["userErrors"]) == [
        "linkExpiresInHours",
        "paymentInstrumentId",
    ]


# ------------------------------------------------------------------------------------ stored instruments

ADD_INSTRUMENT = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) {
  paymentInstrument { id status } userErrors { field message code } } }"""

INSTRUMENT = """query($id: ID!) { node(id: $id) { ... on PaymentInstrument { id status } } }"""

ATTEMPTS = """mutation($input: CustomerPaymentCollectInput!) { customerPaymentCollect(input: $input) {
  transaction { id result status paymentInstrumentId last4 gatewayResponse { code } }
  attempts { id result paymentInstrumentId } decline { code message }
  userErrors { field message code } } }"""

BLOCK = """mutation($input: BlocklistEntryAddInput!) { blocklistEntryAdd(input: $input) {
  blocklistEntry { id } userErrors { field message code } } }"""

BLOCKED_EVENTS = """query($id: ID!) { customer(id: $id) {
  timeline(first: 5, kinds: [PAYMENT_BLOCKED]) { edges { node {
  kind ... on PaymentBlockedEvent { blocklistType amount { amount currency } } } } } } }"""


async def _add_card(org, cid, number, backup=False, default=False):
    data = await org.gql(
        ADD_INSTRUMENT,
        {
            "input": {
                "customerId": cid,
                "card": {"number": number, "expMonth": 12, "expYear": 2039},
                "useAsBackup": backup,
                "makeDefault": default,
            }
        },
    )
    assert data["paymentInstrumentAdd"]["userErrors"] == [], data
    return data["paymentInstrumentAdd"]["paymentInstrument"]["id"]


async def _charge(org, cid, amount="20.00", **fields):
    inp = {
        "customerId": cid,
        "amount": amount,
        "currency": "USD",
        "option": "PROCESS_WITH_INSTRUMENT",
        "idempotencyKey": key(),
        **fields,
    }
    return (await org.gql(ATTEMPTS, {"input": inp}))["customerPaymentCollect"]


async def _status(org, inst):
    return (await org.gql(INSTRUMENT, {"id": inst}))["node"]["status"]


async def test_charge_uses_the_default_instrument_and_activates_it(org):
    await add_account(org)
    cid = await add_customer(org)
    card = await _add_card(org, cid, "4111111111111111")
    assert await _status(org, card) == "INACTIVE"
    result = await _charge(org, cid)
    assert result["userErrors"] == []
    txn = result["transaction"]
    assert (txn["result"], txn["paymentInstrumentId"], txn["last4"]) == ("APPROVED", card, "1111")
    assert await _status(org, card) == "ACTIVE"
    money = await customer_money(org, cid)
    assert money["paymentCount"] == 1 and money["isLead"] is False


async def test_charge_uses_the_chosen_instrument(org):
    await add_account(org)
    cid = await add_customer(org)
    await _add_card(org, cid, "4111111111111111")
    other = await _add_card(org, cid, "5555555555554444")
    result = await _charge(org, cid, paymentInstrumentId=other)
    assert (result["transaction"]["paymentInstrumentId"], result["transaction"]["last4"]) == (other, "4444")


async def test_declined_default_falls_back_to_a_backup_instrument(org):
    await add_account(org)
    cid = await add_customer(org)
    primary = await _add_card(org, cid, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))
    await _add_card(org, cid, "4000000000000002")  # not allowed as backup: never tried
    backup = await _add_card(org, cid, "5555555555554444", backup=True)
    result = await _charge(org, cid)
    assert result["userErrors"] == []
    assert [(a["result"], a["paymentInstrumentId"]) for a in result["attempts"]] == [
        ("DECLINED", primary),
        ("APPROVED", backup),
    ]
    assert result["transaction"]["paymentInstrumentId"] == backup
    assert (await _status(org, primary), await _status(org, backup)) == ("INACTIVE", "ACTIVE")
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_declined_without_backup_is_recorded_as_a_decline_not_a_user_error(org):
    await add_account(org)
    cid = await add_customer(org)
    await _add_card(org, cid, "4000000000009979")
    result = await _charge(org, cid)
    assert result["userErrors"] == []  # something changed: the declined sale is recorded
    assert result["decline"]["code"] == "DECLINED" and "STOLEN_CARD" in result["decline"]["message"]
    assert (result["transaction"]["result"], result["transaction"]["gatewayResponse"]["code"]) == (
        "DECLINED",
        "STOLEN_CARD",
    )
    assert (await customer_money(org, cid))["paymentCount"] == 0
    page = await org.gql(TRANSACTIONS, {"id": cid, "first": 5, "segment": "DECLINED"})
    assert page["customer"]["transactions"]["totalCount"] == 1


async def test_charge_without_any_instrument_is_refused(org):
    await add_account(org)
    cid = await add_customer(org)
    result = await _charge(org, cid)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["paymentInstrumentId"], "REQUIRED")]


async def test_another_customers_instrument_cannot_be_charged(org, other_org):
    await add_account(org)
    cid = await add_customer(org)
    someone = await add_customer(org)
    theirs = await _add_card(org, someone, "4111111111111111")
    result = await _charge(org, cid, paymentInstrumentId=theirs)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["paymentInstrumentId"], "NOT_FOUND")]
    wrong = await _charge(org, cid, paymentInstrumentId=cid)
    assert [e["code"] for e in wrong["userErrors"]] == ["WRONG_ID_TYPE"]


# ---------------------------------------------------------------------------------------------- blocklists


async def test_blocklisted_email_refuses_the_payment_names_the_type_and_charges_nothing(org, store):
    await add_account(org)
    cid = await add_customer(org, emails=[{"value": "fraud@example.com"}])
    card = await _add_card(org, cid, "4111111111111111")
    assert (await org.gql(BLOCK, {"input": {"type": "EMAIL", "value": "Fraud@Example.com"}}))[
        "blocklistEntryAdd"
    ]["userErrors"] == []
    result = await _charge(org, cid)
    assert [(e["code"], "EMAIL" in e["message"]) for e in result["userErrors"]] == [("BLOCKED", True)]
    assert result["transaction"] is None
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0
    assert await _status(org, card) == "INACTIVE"
    events = (await org.gql(BLOCKED_EVENTS, {"id": cid}))["customer"]["timeline"]["edges"]
    assert [(e["node"]["blocklistType"], e["node"]["amount"]["amount"]) for e in events] == [
        ("EMAIL", "20.00")
    ]


async def test_each_blocklist_attribute_of_the_payment_is_enforced(org, store):
    await add_account(org)
    cid = await add_customer(org, address={"country": "DE"})
    card = await _add_card(org, cid, "5555555555554444")
    fingerprint = (await store.for_org(org.id)["payment_instruments"].find_one({"id": card}))["fingerprint"]
    for kind, value in (
        ("CUSTOMER_ID", cid),
        ("BIN", "555555"),
        ("COUNTRY", "DE"),
        ("FINGERPRINT", fingerprint),
        ("PAYMENT_CARD", card),
    ):
        entry = (await org.gql(BLOCK, {"input": {"type": kind, "value": value}}))["blocklistEntryAdd"]
        assert entry["userErrors"] == [], kind
        result = await _charge(org, cid)
        assert [e["code"] for e in result["userErrors"]] == ["BLOCKED"] and kind in result["userErrors"][0][
            "message"
        ]
        await org.gql(
            """mutation($input: BlocklistEntryRemoveInput!) { blocklistEntryRemove(input: $input) {
          userErrors { code } } }""",
            {"input": {"id": entry["blocklistEntry"]["id"]}},
        )
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0
    assert (await _charge(org, cid))["userErrors"] == []


async def test_blocklisted_card_on_the_hosted_page_is_refused(org, store):
    await add_account(org)
    cid = await add_customer(org)
    await org.gql(BLOCK, {"input": {"type": "BIN", "value": "411111"}})
    link = await payment_link(org, cid)
    response = await pay_on_page(org, link["url"], APPROVE_CARD)
    assert response.status_code == 403
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0
    assert (await pay_on_page(org, link["url"], "5555555555554444")).status_code == 200
    await org.gql(BLOCK, {"input": {"type": "IP_ADDRESS", "value": "127.0.0.1"}})
    second = await payment_link(org, cid)
    assert (await pay_on_page(org, second["url"], "5555555555554444")).status_code == 403


CUSTOMERS_WITH_TRANSACTIONS = """query($first: Int!) { customers(first: $first) { edges { node { id
  transactions(first: 2) { edges { node { id amount { amount } } } pageInfo { hasNextPage } } } } } }"""


async def test_transactions_of_a_customer_page_cost_constant_round_trips(org, store, commands):
    """Customers with their latest transactions: the same number of store commands for 3 or 12 customers."""
    cids = [await add_customer(org) for _ in range(12)]
    for i, cid in enumerate(cids):
        for n in range(i % 4):
            await paid_outside(org, cid, f"{n + 1}.00")
    counts = []
    for size in (3, 12):
        before = commands.count(store.db.name)
        data = await org.gql(CUSTOMERS_WITH_TRANSACTIONS, {"first": size})
        counts.append(commands.count(store.db.name) - before)
        nodes = [e["node"] for e in data["customers"]["edges"]]
        assert len(nodes) == size
        for node in nodes:
            made = (cids.index(node["id"])) % 4
            page = node["transactions"]
            assert len(page["edges"]) == min(made, 2) and page["pageInfo"]["hasNextPage"] == (made > 2)
    assert counts[0] == counts[1], counts


async def test_demo_data_payments_are_real_transactions_matching_the_aggregates(store):
    await seed(store, count=40)
    org = store.for_org(DEMO_ORG_ID)
    payers = 0
    for doc in await org[customers_store.COLLECTION].find_list({}):
        sales = await org[txn_store.COLLECTION].find_list({"customerId": doc["id"]})
        assert len(sales) == doc["paymentCount"]
        assert sum(t["amountMinor"] for t in sales) == sum(v["amount"] for v in doc["revenue"].values())
        assert await org["timeline_events"].count({"customerId": doc["id"]}) == doc["timelineSeq"]
        payers += bool(sales)
    assert payers > 0


CREATE_PAYOUT_REQUEST = """mutation($input: PayoutRequestCreateInput!) {
  payoutRequestCreate(input: $input) { payoutRequest { id url } } }"""

NODE = """query($id: ID!) { node(id: $id) { id __typename
  ... on PaymentLink { url linkStatus: status } ... on PayoutRequest { url requestStatus: status }
  ... on GatewayAccount { name } } }"""


async def test_links_requests_and_accounts_are_nodes_of_their_organization_only(org, other_org):
    account = await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid)
    inp = {"customerId": cid, "amount": "1.00", "currency": "USD"}
    made = await org.gql(CREATE_PAYOUT_REQUEST, {"input": inp})
    request = made["payoutRequestCreate"]["payoutRequest"]
    found = [(await org.gql(NODE, {"id": i}))["node"] for i in (link["id"], request["id"], account)]
    assert [n["__typename"] for n in found] == ["PaymentLink", "PayoutRequest", "GatewayAccount"]
    assert (found[0]["url"], found[1]["url"]) == (link["url"], request["url"])
    for i in (link["id"], request["id"], account):
        assert (await other_org.gql(NODE, {"id": i}))["node"] is None
