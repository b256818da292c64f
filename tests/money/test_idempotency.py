"""Exactly once: the same idempotency key with the same input returns the first result without a second
effect (also concurrently); a different input under the same key is refused; keys are per organization."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import resolvers.money.idempotency
from resolvers.context import now
from resolvers.money.idempotency import input_hash
from schema.common import CurrencyCode
from schema.money.transactions import CustomerPaymentCollectInput, PaymentOption
from store.money import idempotency
from store.money import transactions as txn_store
from tests.money_helpers import (
    COLLECT,
    REFUND,
    add_account,
    add_customer,
    add_payee,
    customer_money,
    paid_outside,
    payout,
)


def _collect_input(cid, key, amount="10.00"):
    return {
        "input": {
            "customerId": cid,
            "amount": amount,
            "currency": "USD",
            "option": "PAID_OUTSIDE",
            "idempotencyKey": key,
        }
    }


async def test_same_key_and_input_returns_the_first_result_without_a_second_payment(org, store):
    cid = await add_customer(org)
    first = (await org.gql(COLLECT, _collect_input(cid, "order-1")))["customerPaymentCollect"]
    again = (await org.gql(COLLECT, _collect_input(cid, "order-1")))["customerPaymentCollect"]
    assert again["transaction"]["id"] == first["transaction"]["id"] and again["userErrors"] == []
    assert await txn_store.count(store.for_org(org.id), cid, "ALL") == 1
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_equal_amounts_written_differently_are_the_same_input(org, store):
    cid = await add_customer(org)
    first = (await org.gql(COLLECT, _collect_input(cid, "order-2", "10.5")))["customerPaymentCollect"]
    again = (await org.gql(COLLECT, _collect_input(cid, "order-2", "10.50")))["customerPaymentCollect"]
    assert again["transaction"]["id"] == first["transaction"]["id"]


async def test_same_key_with_a_different_input_is_refused(org, store):
    cid = await add_customer(org)
    await org.gql(COLLECT, _collect_input(cid, "order-3", "10.00"))
    other = (await org.gql(COLLECT, _collect_input(cid, "order-3", "11.00")))["customerPaymentCollect"]
    assert [(e["field"], e["code"]) for e in other["userErrors"]] == [
        (["idempotencyKey"], "IDEMPOTENCY_KEY_REUSED")
    ]
    assert other["transaction"] is None
    assert await txn_store.count(store.for_org(org.id), cid, "ALL") == 1
    sale = (await txn_store.list_page(store.for_org(org.id), cid, "ALL", True, None, 1))[0][0]
    refund = await org.gql(REFUND, {"input": {"transactionId": sale["id"], "idempotencyKey": "order-3"}})
    assert refund["transactionRefund"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


async def test_twenty_concurrent_identical_payments_charge_once(org, store):
    cid = await add_customer(org)
    responses = await asyncio.gather(*(org.gql(COLLECT, _collect_input(cid, "burst")) for _ in range(20)))
    results = [r["customerPaymentCollect"] for r in responses]
    assert all(r["userErrors"] == [] for r in results)
    assert len({r["transaction"]["id"] for r in results}) == 1
    assert await txn_store.count(store.for_org(org.id), cid, "ALL") == 1
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_twenty_concurrent_identical_refunds_refund_once(org, store):
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "100.00")
    variables = {"input": {"transactionId": sale["id"], "amount": "10.00", "idempotencyKey": "refund-burst"}}
    responses = await asyncio.gather(*(org.gql(REFUND, variables) for _ in range(20)))
    refunds = {r["transactionRefund"]["refund"]["id"] for r in responses}
    assert len(refunds) == 1
    assert (await txn_store.get(store.for_org(org.id), sale["id"]))["refundedMinor"] == 1000


async def test_payout_replay_pays_once(org, store):
    await add_account(org)
    cid = await add_payee(org)
    first = await payout(org, cid, "po-9", idem="payout-key")
    again = await payout(org, cid, "po-9", idem="payout-key")
    assert again["userErrors"] == [] and again["transaction"]["id"] == first["transaction"]["id"]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({"type": "CREDIT"}) == 1


async def test_keys_are_scoped_to_the_organization(org, other_org, store):
    mine = await add_customer(org)
    theirs = await add_customer(other_org)
    a = (await org.gql(COLLECT, _collect_input(mine, "shared-key")))["customerPaymentCollect"]
    b = (await other_org.gql(COLLECT, _collect_input(theirs, "shared-key")))["customerPaymentCollect"]
    assert a["userErrors"] == b["userErrors"] == []
    assert a["transaction"]["id"] != b["transaction"]["id"]


async def test_refused_input_does_not_use_up_the_key(org):
    cid = await add_customer(org)
    bad = (await org.gql(COLLECT, _collect_input(cid, "fix-me", "10.001")))["customerPaymentCollect"]
    assert bad["userErrors"][0]["code"] == "TOO_MANY_DECIMALS"
    good = (await org.gql(COLLECT, _collect_input(cid, "fix-me", "10.00")))["customerPaymentCollect"]
    assert good["userErrors"] == [] and good["transaction"] is not None


async def test_keys_are_kept_at_least_a_day_then_expire(org, store):
    ttl = [opts["expireAfterSeconds"] for _, opts in idempotency.INDEXES if "expireAfterSeconds" in opts]
    assert ttl and ttl[0] >= 24 * 3600
    cid = await add_customer(org)
    await org.gql(COLLECT, _collect_input(cid, "old-key", "10.00"))
    claims = store.for_org(org.id)[idempotency.COLLECTION]
    await claims.update_one({"key": "old-key"}, {"$set": {"createdTime": now() - timedelta(hours=23)}})
    within = (await org.gql(COLLECT, _collect_input(cid, "old-key", "12.00")))["customerPaymentCollect"]
    assert within["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    await claims.update_one(
        {"key": "old-key"}, {"$set": {"createdTime": now() - timedelta(seconds=ttl[0] + 1)}}
    )
    later = (await org.gql(COLLECT, _collect_input(cid, "old-key", "12.00")))["customerPaymentCollect"]
    assert later["userErrors"] == [] and later["transaction"]["amount"]["amount"] == "12.00"


async def test_duplicate_of_a_request_still_in_progress_gets_a_retryable_error(org, store, monkeypatch):
    """A claim left PENDING (its request still running) makes duplicates wait, then answer IN_PROGRESS."""
    cid = await add_customer(org)
    same = CustomerPaymentCollectInput(
        customer_id=cid, amount=Decimal("10.00"), currency=CurrencyCode["USD"],
        option=PaymentOption.PAID_OUTSIDE, idempotency_key="slow",
    )
    digest = input_hash("customerPaymentCollect", same)
    claimed = await idempotency.claim(store.for_org(org.id), "slow", "customerPaymentCollect", digest, now())
    assert claimed is None
    monkeypatch.setattr(resolvers.money.idempotency, "WAIT_SECONDS", 0.3)
    result = (await org.gql(COLLECT, _collect_input(cid, "slow")))["customerPaymentCollect"]
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [
        (["idempotencyKey"], "IDEMPOTENCY_REQUEST_IN_PROGRESS")]
    assert await txn_store.count(store.for_org(org.id), cid, "ALL") == 0
