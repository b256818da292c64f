"""Payouts (credit transactions, request ID unique per organization, never refundable) and payout requests
with a shareable link."""

from __future__ import annotations

from datetime import timedelta

from resolvers.context import now
from store.money import transactions as txn_store
from tests.money_helpers import (
    APPROVE_CARD,
    TRANSACTIONS,
    add_account,
    add_customer,
    add_payee,
    path_of,
    pay_on_page,
    payout,
)

CREATE_REQUEST = """mutation($input: PayoutRequestCreateInput!) { payoutRequestCreate(input: $input) {
  payoutRequest { id status url expiresTime cardLast4 transactionId amount { amount currency } }
  userErrors { field code } } }"""

CANCEL_REQUEST = """mutation($input: PayoutRequestCancelInput!) { payoutRequestCancel(input: $input) {
  payoutRequest { id status cancellationReason } userErrors { field code } } }"""

GET_REQUEST = """query($id: ID!) { payoutRequest(id: $id) { id status cardLast4 transactionId } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 10) { edges { node { kind
  ... on PayoutSentEvent { transactionId requestId amount { amount currency } }
  ... on PayoutRequestChangedEvent { payoutRequestId status } } } } } }"""


def _codes(result):
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_payout_is_a_credit_transaction_on_the_timeline(org):
    await add_account(org)
    cid = await add_payee(org)
    result = await payout(org, cid, "po-2024-001", "25.00", description="Commission")
    assert result["userErrors"] == []
    txn = result["transaction"]
    assert (txn["type"], txn["status"], txn["result"], txn["requestId"]) == (
        "CREDIT",
        "COMPLETED",
        "APPROVED",
        "po-2024-001",
    )
    assert txn["amount"] == {"amount": "25.00", "currency": "USD"} and txn["description"] == "Commission"
    assert txn["refundableAmount"]["amount"] == "0.00"
    page = await org.gql(TRANSACTIONS, {"id": cid, "first": 5, "segment": "PAYOUTS"})
    assert [e["node"]["id"] for e in page["customer"]["transactions"]["edges"]] == [txn["id"]]
    event = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"][0]["node"]
    assert (event["kind"], event["transactionId"], event["requestId"]) == (
        "PAYOUT_SENT",
        txn["id"],
        "po-2024-001",
    )


async def test_second_payout_with_the_same_request_id_creates_nothing_and_a_replay_is_no_error(org, other_org, store):
    await add_account(org)
    await add_account(other_org)
    cid = await add_payee(org)
    first = await payout(org, cid, "po-1", "25.00")
    replay = await payout(org, cid, "po-1", "25.00")  # the same payout again (another idempotency key)
    assert replay["userErrors"] == [] and replay["alreadySent"] is True
    assert replay["transaction"]["id"] == first["transaction"]["id"] and first["alreadySent"] is False
    second = await payout(org, cid, "po-1", "30.00")  # another payout under a used request ID
    assert _codes(second) == [(["requestId"], "ALREADY_EXISTS")] and second["transaction"] is None
    assert first["transaction"]["id"] in second["userErrors"][0]["message"]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({"type": "CREDIT"}) == 1
    theirs = await payout(other_org, await add_payee(other_org), "po-1", "30.00")
    assert theirs["userErrors"] == []  # request IDs are unique per organization


async def test_payout_input_problems_are_reported_together(org, store):
    await add_account(org, ["EUR"])
    cid = await add_payee(org)
    result = await payout(org, cid, "bad id!", "1.001", "USD")
    assert sorted(_codes(result)) == [
        (["amount"], "TOO_MANY_DECIMALS"),
        (["currency"], "CURRENCY_NOT_ACCEPTED"),
        (["requestId"], "INVALID"),
    ]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0


async def test_payout_request_is_confirmed_on_its_page_then_fulfilled(org):
    await add_account(org)
    cid = await add_payee(org)
    data = await org.gql(
        CREATE_REQUEST,
        {"input": {"customerId": cid, "amount": "40.00", "currency": "USD", "description": "Winnings"}},
    )
    req = data["payoutRequestCreate"]["payoutRequest"]
    assert req["id"].startswith("pout_req_") and req["status"] == "PENDING"
    assert "/payout-requests/" in req["url"]
    page = await org.http.get(path_of(req["url"]))
    assert page.status_code == 200 and "40.00 USD" in page.text
    confirmed = await pay_on_page(org, req["url"], APPROVE_CARD)
    assert "card ending 1111" in confirmed.text
    assert (await org.gql(GET_REQUEST, {"id": req["id"]}))["payoutRequest"]["status"] == "READY"
    sent = await payout(org, cid, "po-req-1", "40.00", payoutRequestId=req["id"])
    assert sent["userErrors"] == [] and sent["transaction"]["last4"] == "1111"
    after = (await org.gql(GET_REQUEST, {"id": req["id"]}))["payoutRequest"]
    assert (after["status"], after["transactionId"]) == ("FULFILLED", sent["transaction"]["id"])
    again = await payout(org, cid, "po-req-2", "40.00", payoutRequestId=req["id"])
    assert _codes(again) == [(["payoutRequestId"], "INVALID_STATUS")]
    cancel = await org.gql(CANCEL_REQUEST, {"input": {"id": req["id"]}})
    assert _codes(cancel["payoutRequestCancel"]) == [(["id"], "INVALID_STATUS")]
    kinds = [
        e["node"]["kind"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    ]
    assert kinds[:4] == [
        "PAYOUT_REQUEST_CHANGED",
        "PAYOUT_SENT",
        "PAYOUT_REQUEST_CHANGED",
        "PAYOUT_REQUEST_CREATED",
    ]


async def test_canceled_or_expired_payout_request_page_takes_no_confirmation(org, store):
    cid = await add_payee(org)
    make = {"input": {"customerId": cid, "amount": "5.00", "currency": "EUR"}}
    req = (await org.gql(CREATE_REQUEST, make))["payoutRequestCreate"]["payoutRequest"]
    canceled = await org.gql(CANCEL_REQUEST, {"input": {"id": req["id"], "reason": "duplicate"}})
    assert canceled["payoutRequestCancel"]["payoutRequest"]["status"] == "CANCELED"
    assert (await pay_on_page(org, req["url"])).status_code == 410
    other = (await org.gql(CREATE_REQUEST, make))["payoutRequestCreate"]["payoutRequest"]
    await store.for_org(org.id)["payout_requests"].update_one(
        {"id": other["id"]}, {"$set": {"expiresTime": now() - timedelta(seconds=1)}}
    )
    assert (await pay_on_page(org, other["url"])).status_code == 410
    assert (await org.gql(GET_REQUEST, {"id": other["id"]}))["payoutRequest"]["status"] == "EXPIRED"


async def test_payout_request_of_another_organization_is_invisible(org, other_org):
    cid = await add_payee(org)
    req = await org.gql(CREATE_REQUEST, {"input": {"customerId": cid, "amount": "5.00", "currency": "EUR"}})
    rid = req["payoutRequestCreate"]["payoutRequest"]["id"]
    assert (await other_org.gql(GET_REQUEST, {"id": rid}))["payoutRequest"] is None
    cancel = await other_org.gql(CANCEL_REQUEST, {"input": {"id": rid}})
    assert _codes(cancel["payoutRequestCancel"]) == [(["id"], "NOT_FOUND")]
    assert (await org.gql(GET_REQUEST, {"id": rid}))["payoutRequest"]["status"] == "PENDING"


async def test_payout_needs_a_key(org):
    cid = await add_payee(org)
    result = await payout(org, cid, "po-x", idem=" ")
    assert _codes(result) == [(["idempotencyKey"], "REQUIRED")]


ADD_CARD = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) {
  paymentInstrument { id } userErrors { code } } }"""

BLOCK = """mutation($input: BlocklistEntryAddInput!) { blocklistEntryAdd(input: $input) {
  blocklistEntry { id } userErrors { code } } }"""


async def test_payout_goes_to_the_default_instrument(org):
    await add_account(org)
    cid = await add_customer(org)
    card = {"number": "5555555555554444", "expMonth": 1, "expYear": 2040}
    added = await org.gql(ADD_CARD, {"input": {"customerId": cid, "card": card}})
    inst = added["paymentInstrumentAdd"]["paymentInstrument"]["id"]
    result = await payout(org, cid, "po-card")
    assert (result["transaction"]["last4"], result["transaction"]["method"]) == ("4444", "PAYMENT_CARD")
    txn = await org.gql("query($id: ID!) { transaction(id: $id) { paymentInstrumentId } }",
                        {"id": result["transaction"]["id"]})
    assert txn["transaction"]["paymentInstrumentId"] == inst


async def test_payout_to_a_blocklisted_customer_is_refused_and_keeps_the_request_id(org, store):
    await add_account(org)
    cid = await add_payee(org)
    entry = await org.gql(BLOCK, {"input": {"type": "CUSTOMER_ID", "value": cid}})
    result = await payout(org, cid, "po-blocked")
    assert [e["code"] for e in result["userErrors"]] == ["BLOCKED"]
    assert "CUSTOMER_ID" in result["userErrors"][0]["message"]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 0
    events = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    assert events[0]["node"]["kind"] == "PAYMENT_BLOCKED"
    await org.gql("""mutation($input: BlocklistEntryRemoveInput!) { blocklistEntryRemove(input: $input) {
      userErrors { code } } }""", {"input": {"id": entry["blocklistEntryAdd"]["blocklistEntry"]["id"]}})
    assert (await payout(org, cid, "po-blocked"))["userErrors"] == []
