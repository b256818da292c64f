"""Timeline money events carry their transaction (issue 18): the guide's *Refund from the Timeline
section* needs no second request, and the transactions of a page of events load in one batch."""

from __future__ import annotations

from tests.helpers import CommandCounter, Org
from tests.money_helpers import add_account, add_payee, paid_outside, payout, refund

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind
  ... on PaymentApprovedEvent { transactionId transaction { id type refundableAmount { amount currency } } }
  ... on TransactionRefundedEvent { transactionId transaction { id refundedAmount { amount } } }
  ... on PayoutSentEvent { transactionId transaction { id type } } } } } } }"""


async def test_payment_events_carry_their_transaction_in_one_batch(org: Org, store, commands: CommandCounter):
    await add_account(org)
    cid = await add_payee(org)
    sales = [await paid_outside(org, cid, "10.00") for _ in range(3)]
    assert (await refund(org, sales[0]["id"], "4.00"))["userErrors"] == []
    credit = (await payout(org, cid, "po-t"))["transaction"]
    before = commands.count(store.db.name)
    edges = (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]
    finds = [n for n in commands.names(store.db.name)[before:] if n == "find"]
    events = [e["node"] for e in edges if "transactionId" in e["node"]]
    assert [e["kind"] for e in events] == ["PAYOUT_SENT", "TRANSACTION_REFUNDED", "PAYMENT_APPROVED",
                                          "PAYMENT_APPROVED", "PAYMENT_APPROVED"]
    assert all(e["transaction"]["id"] == e["transactionId"] for e in events)
    assert events[0]["transaction"] == {"id": credit["id"], "type": "CREDIT"}
    assert events[1]["transaction"]["refundedAmount"] == {"amount": "4.00"}
    assert events[-1]["transaction"]["refundableAmount"] == {"amount": "6.00", "currency": "USD"}
    assert len(finds) == 4  # API key, customer, timeline page, one batch for every transaction
    # refund straight from what the timeline returned
    result = await refund(org, events[2]["transaction"]["id"], events[2]["transaction"]["refundableAmount"]["amount"])
    assert result["userErrors"] == []
