"""Refunds: partial and full after settlement, voids before, refusals, several at once, and never
over-refunding under concurrency."""

from __future__ import annotations

import asyncio

from store.money import transactions as txn_store
from tests.money_helpers import (
    INSUFFICIENT_FUNDS_CARD,
    REFUND,
    add_account,
    add_customer,
    add_payee,
    card_sale,
    customer_money,
    key,
    paid_outside,
    payout,
    refund,
)

REFUND_MANY = """mutation($input: TransactionsRefundInput!) { transactionsRefund(input: $input) {
  results { transactionId transaction { id status refundedAmount { amount } }
            refund { id type amount { amount } } userErrors { field code } }
  userErrors { field code } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 10) { edges { node { kind
  ... on TransactionRefundedEvent { transactionId refundTransactionId amount { amount } }
  ... on TransactionVoidedEvent { transactionId voidTransactionId amount { amount } } } } } } }"""


def _codes(result):
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_partial_then_full_refund_after_settlement(org, settings):
    settings.settlement_delay_seconds = 0
    await add_account(org)
    cid = await add_customer(org)
    sale_id = await card_sale(org, cid, "100.00")
    first = await refund(org, sale_id, "40.00")
    assert first["userErrors"] == []
    assert (first["transaction"]["status"], first["transaction"]["refundedAmount"]["amount"]) == (
        "PARTIALLY_REFUNDED",
        "40.00",
    )
    assert first["transaction"]["refundableAmount"]["amount"] == "60.00"
    child = first["refund"]
    assert (child["type"], child["status"], child["result"], child["parentTransactionId"]) == (
        "REFUND",
        "COMPLETED",
        "APPROVED",
        sale_id,
    )
    assert child["gatewayName"] == "SANDBOX"
    rest = await refund(org, sale_id)  # no amount: all that remains
    assert rest["refund"]["amount"]["amount"] == "60.00"
    assert rest["transaction"]["status"] == "REFUNDED"
    assert rest["transaction"]["refundableAmount"]["amount"] == "0.00"
    money = await customer_money(org, cid)
    assert money["paymentCount"] == 1 and money["lifetimeRevenue"] == [{"amount": "0.00", "currency": "USD"}]
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert [e["kind"] for e in events[:2]] == ["TRANSACTION_REFUNDED", "TRANSACTION_REFUNDED"]
    assert events[1]["refundTransactionId"] == child["id"] and events[1]["amount"] == {"amount": "40.00"}


async def test_refund_before_settlement_is_a_void_of_the_whole_sale(org, settings):
    settings.settlement_delay_seconds = 3600
    await add_account(org)
    cid = await add_customer(org)
    sale_id = await card_sale(org, cid, "80.00")
    partial = await refund(org, sale_id, "10.00")
    assert _codes(partial) == [(["amount"], "NOT_SETTLED")]
    assert partial["refund"] is None and partial["transaction"]["status"] == "COMPLETED"
    voided = await refund(org, sale_id)
    assert voided["userErrors"] == []
    assert voided["refund"]["type"] == "VOID" and voided["refund"]["amount"]["amount"] == "80.00"
    assert voided["transaction"]["status"] == "VOIDED" and voided["transaction"]["isSettled"] is False
    assert (await customer_money(org, cid))["lifetimeRevenue"] == [{"amount": "0.00", "currency": "USD"}]
    again = await refund(org, sale_id)
    assert _codes(again) == [(["transactionId"], "NOT_REFUNDABLE")]
    events = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    assert events[0]["node"]["kind"] == "TRANSACTION_VOIDED"


async def test_over_refund_is_refused_and_changes_nothing(org, store):
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "50.00")
    await refund(org, sale["id"], "30.00")
    before = await txn_store.get(store.for_org(org.id), sale["id"])
    result = await refund(org, sale["id"], "20.01")
    assert _codes(result) == [(["amount"], "OVER_REFUND")]
    assert "20.00" in result["userErrors"][0]["message"]
    assert await txn_store.get(store.for_org(org.id), sale["id"]) == before
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({"type": "REFUND"}) == 1


async def test_declined_payouts_and_refunds_cannot_be_refunded(org, settings):
    settings.settlement_delay_seconds = 0
    await add_account(org)
    cid = await add_payee(org)
    declined = await card_sale(org, cid, "10.00", INSUFFICIENT_FUNDS_CARD)
    credit = (await payout(org, cid, "payout-1"))["transaction"]["id"]
    sale = await paid_outside(org, cid, "10.00")
    child = (await refund(org, sale["id"], "1.00"))["refund"]["id"]
    for txn_id in (declined, credit, child):
        result = await refund(org, txn_id)
        assert _codes(result) == [(["transactionId"], "NOT_REFUNDABLE")], txn_id


async def test_amount_with_too_many_decimals_is_refused(org):
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "10.00")
    assert _codes(await refund(org, sale["id"], "1.005")) == [(["amount"], "TOO_MANY_DECIMALS")]


async def test_refund_of_another_organizations_transaction_is_not_found(org, other_org, store):
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "10.00")
    theirs = await refund(other_org, sale["id"], "1.00")
    missing = await refund(other_org, "txn_01J000000000000000000000000", "1.00")
    assert _codes(theirs) == _codes(missing) == [(["transactionId"], "NOT_FOUND")]
    assert theirs["transaction"] is None and missing["transaction"] is None
    assert theirs["userErrors"][0]["message"].replace(sale["id"], "X") == missing["userErrors"][0][
        "message"
    ].replace("txn_01J000000000000000000000000", "X")
    assert (await txn_store.get(store.for_org(org.id), sale["id"]))["refundedMinor"] == 0


async def test_refund_with_an_id_of_another_type_is_refused(org):
    cid = await add_customer(org)
    result = await refund(org, cid)
    assert _codes(result) == [(["transactionId"], "WRONG_ID_TYPE")]


async def test_several_transactions_are_refunded_with_a_result_each(org):
    cid = await add_customer(org)
    a = await paid_outside(org, cid, "10.00")
    b = await paid_outside(org, cid, "20.00")
    data = await org.gql(
        REFUND_MANY,
        {
            "input": {
                "idempotencyKey": key(),
                "description": "goodwill",
                "items": [
                    {"transactionId": a["id"]},
                    {"transactionId": b["id"], "amount": "25.00"},
                    {"transactionId": "txn_01J000000000000000000000000"},
                ],
            }
        },
    )
    payload = data["transactionsRefund"]
    assert payload["userErrors"] == []
    r0, r1, r2 = payload["results"]
    assert (r0["transaction"]["status"], r0["refund"]["amount"]["amount"], r0["userErrors"]) == (
        "REFUNDED",
        "10.00",
        [],
    )
    assert (r1["refund"], r1["userErrors"]) == (
        None,
        [{"field": ["items", "1", "amount"], "code": "OVER_REFUND"}],
    )
    assert r1["transaction"]["status"] == "COMPLETED"
    assert (r2["transactionId"], r2["userErrors"]) == (
        "txn_01J000000000000000000000000",
        [{"field": ["items", "2", "transactionId"], "code": "NOT_FOUND"}],
    )


async def test_several_refunds_with_a_repeated_transaction_are_refused_whole(org, store):
    cid = await add_customer(org)
    a = await paid_outside(org, cid, "10.00")
    data = await org.gql(
        REFUND_MANY,
        {
            "input": {
                "idempotencyKey": key(),
                "items": [
                    {"transactionId": a["id"], "amount": "1.00"},
                    {"transactionId": a["id"], "amount": "1.00"},
                ],
            }
        },
    )
    assert data["transactionsRefund"]["userErrors"] == [
        {"field": ["items", "1", "transactionId"], "code": "DUPLICATE"}
    ]
    assert data["transactionsRefund"]["results"] == []
    assert (await txn_store.get(store.for_org(org.id), a["id"]))["refundedMinor"] == 0


async def test_hundred_concurrent_refunds_never_exceed_the_charge(org, store):
    """100 concurrent refunds of 1,000 (10.00) on one 10,000 (100.00) charge: exactly 10 succeed."""
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "100.00")
    inputs = [
        {"input": {"transactionId": sale["id"], "amount": "10.00", "idempotencyKey": f"c-{i}"}}
        for i in range(100)
    ]
    responses = await asyncio.gather(*(org.gql(REFUND, v) for v in inputs))
    results = [r["transactionRefund"] for r in responses]
    succeeded = [r for r in results if not r["userErrors"]]
    refused = [r for r in results if r["userErrors"]]
    assert len(succeeded) == 10
    assert {e["code"] for r in refused for e in r["userErrors"]} == {"OVER_REFUND"}
    doc = await txn_store.get(store.for_org(org.id), sale["id"])
    assert (doc["refundedMinor"], doc["status"], len(doc["childTransactionIds"])) == (10_000, "REFUNDED", 10)
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({"type": "REFUND"}) == 10
    assert (await customer_money(org, cid))["lifetimeRevenue"] == [{"amount": "0.00", "currency": "USD"}]
