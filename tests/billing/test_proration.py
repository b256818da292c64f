"""Proration through GraphQL over HTTP on the real document server, on a FixedClock: a prorated cancellation
credits the unused part of the period as a credit memo (allocated to the period's invoice while unpaid).
The amounts in CANCEL_TABLE are computed by hand here: price x remaining seconds / period seconds,
rounded half up once. January 2027 has 31 days = 2,678,400 s; a 10-day period is 864,000 s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from store.billing import orders as order_store
from tests.billing.clock_helpers import invoices_of, run_until, worker
from tests.billing.helpers import ERR, add_card, add_plan, add_product, create_order
from tests.billing.test_orders import COLLECT
from tests.helpers import Org
from tests.money_helpers import add_account, add_customer, key

T0 = datetime(2027, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

CANCEL = f"""mutation($input: OrderCancelInput!) {{ orderCancel(input: $input) {{
  order {{ id status cancellationCreditMemoId }} {ERR} }} }}"""
MEMO = """query($id: ID!) { creditMemo(id: $id) { id status reason invoiceId total { amount currency } unused { amount }
  items { description amount { amount } planId } allocations { invoiceId amount { amount } } } }"""
INVOICE = """query($id: ID!) { invoice(id: $id) { status total { amount } amountDue { amount } creditApplied { amount } } }"""
BALANCE = """query($id: ID!) { customer(id: $id) { creditBalance { amount currency }
  creditMemos(first: 5) { totalCount } } }"""


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


def fixed(price: str, **more: Any) -> dict[str, Any]:
    return {"pricing": {"formula": "FIXED_FEE", "price": price}, **more}


TEN_DAYS = {"recurringInterval": {"unit": "DAY", "length": 10}}

# (name, plan settings, quantity, currency, time after the period's start, timing, expected credit or None)
CANCEL_TABLE: list[tuple[str, dict[str, Any], int, str, timedelta, str, str | None]] = [
    # 31.00 x 21/31 days
    ("fixed, 10 of 31 days used", fixed("31.00"), 1, "USD", 10 * DAY, "NOW", "21.00"),
    # 10.00 x 21/31 = 6.7741… → 6.77
    ("fixed, rounds down", fixed("10.00"), 1, "USD", 10 * DAY, "NOW", "6.77"),
    # exact line 0.125 x 3 = 0.375 (the invoice shows 0.38) x 21/31 = 0.2540… → 0.25 (rounded once, from the exact amount)
    ("flat rate with sub-cent price", {"pricing": {"formula": "FLAT_RATE", "price": "0.125"}}, 3, "USD", 10 * DAY,
     "NOW", "0.25"),
    # tiered: 5 x 10 + 2 x 7.5 = 65.00; x 21/31 = 44.0322… → 44.03
    ("tiered, quantity 7", {"pricing": {"formula": "TIERED", "brackets": [{"price": "10", "maxQuantity": 5},
                                                                           {"price": "7.5"}]}}, 7, "USD", 10 * DAY,
     "NOW", "44.03"),
    # JPY has no minor unit: 1000 x 21/31 = 677.41… → 677
    ("yen", fixed("1000"), 1, "JPY", 10 * DAY, "NOW", "677"),
    # 0.01 x 432000/864000 = 0.005 → half up → 0.01
    ("half a cent rounds up", fixed("0.01", **TEN_DAYS), 1, "USD", 5 * DAY, "NOW", "0.01"),
    # one second later: 0.01 x 431999/864000 = 0.0049999… → 0.00: nothing to credit
    ("just under half a cent", fixed("0.01", **TEN_DAYS), 1, "USD", 5 * DAY + timedelta(seconds=1), "NOW", None),
    # by the second: 10 d 12 h 30 min 15 s = 909015 s used; 2678400 - 909015 = 1769385 s left;
    # 31 x 1769385/2678400 = 20.4789… → 20.48
    ("by the second", fixed("31.00"), 1, "USD", 10 * DAY + timedelta(hours=12, minutes=30, seconds=15), "NOW", "20.48"),
    # canceled at the period's start: everything
    ("nothing used", fixed("31.00"), 1, "USD", timedelta(0), "NOW", "31.00"),
    # canceled at the period's end: a zero-length remainder
    ("zero remainder", fixed("31.00"), 1, "USD", 31 * DAY, "NOW", None),
    # at the end of the period nothing is left to credit
    ("end of period", fixed("31.00"), 1, "USD", 10 * DAY, "END_OF_PERIOD", None),
    # postpaid items are billed for what was used at the period's end: no credit
    ("postpaid", fixed("31.00", billingTiming="POSTPAID"), 1, "USD", 10 * DAY, "NOW", None),
]


async def churned_with_credit(org: Org, clock: FixedClock, cid: str, plan_id: str, quantity: int, after: timedelta,
                              timing: str = "NOW", **order: Any) -> dict[str, Any]:
    clock.at = T0
    made = await create_order(org, cid, [{"planId": plan_id, "quantity": quantity}], startTime=T0.isoformat(), **order)
    assert made["userErrors"] == [], made
    clock.at = T0 + after
    done = (await org.gql(CANCEL, {"input": {"orderId": made["order"]["id"], "timing": timing, "prorated": True,
                                             "category": "TOO_EXPENSIVE"}}))["orderCancel"]
    assert done["userErrors"] == [], done
    return {"order": made["order"], "invoice": made["invoice"], "canceled": done["order"]}


async def test_a_prorated_cancellation_credits_the_unused_time_exactly_as_the_table_says(org, clock):
    await add_account(org, ["USD", "JPY"])
    product = await add_product(org)
    for name, settings, quantity, currency, after, timing, expected in CANCEL_TABLE:
        plan = await add_plan(org, product, name=name, currency=currency, **settings)
        cid = await add_customer(org)
        await add_card(org, cid)
        got = await churned_with_credit(org, clock, cid, plan["id"], quantity, after, timing)
        assert got["invoice"]["status"] == "PAID", name
        memo_id = got["canceled"]["cancellationCreditMemoId"]
        balance = (await org.gql(BALANCE, {"id": cid}))["customer"]
        if expected is None:
            assert memo_id is None, name
            assert balance == {"creditBalance": [], "creditMemos": {"totalCount": 0}}, name
            continue
        memo = (await org.gql(MEMO, {"id": memo_id}))["creditMemo"]
        assert (memo["status"], memo["reason"], memo["total"], memo["unused"]["amount"]) == (
            "ISSUED", "ORDER_CANCELLATION", {"amount": expected, "currency": currency}, expected), name
        assert memo["invoiceId"] == got["invoice"]["id"] and memo["items"][0]["planId"] == plan["id"], name
        assert memo["items"][0]["description"].startswith("Unused time: "), name
        assert balance["creditBalance"] == [{"amount": expected, "currency": currency}], name


async def test_the_credit_of_a_cancellation_pays_the_periods_invoice_while_it_is_unpaid(org, store, clock):
    product = await add_product(org)
    plan = await add_plan(org, product, **fixed("31.00"))
    cid = await add_customer(org)
    made = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False, startTime=T0.isoformat())
    paid = await org.gql(COLLECT, {"input": {"customerId": cid, "amount": "31.00", "currency": "USD", "option": "PAID_OUTSIDE",
                                             "invoiceId": made["invoice"]["id"], "idempotencyKey": key()}})
    assert paid["customerPaymentCollect"]["userErrors"] == []
    # the clock renews on February 1 without autopay: period 2's invoice (February, 28 days) is not paid
    await run_until(worker(store, clock), store, clock, datetime(2027, 2, 1, 0, 1, tzinfo=UTC))
    renewal = (await invoices_of(org, cid))[-1]
    assert (renewal["periodNumber"], renewal["status"]) == (2, "PAST_DUE")  # due at issue, unpaid
    clock.at = datetime(2027, 2, 11, tzinfo=UTC)
    done = (await org.gql(CANCEL, {"input": {"orderId": made["order"]["id"], "prorated": True}}))["orderCancel"]
    assert done["userErrors"] == [] and done["order"]["status"] == "CHURNED"
    # 31.00 x 18/28 days = 19.9285… → 19.93, allocated to the unpaid February invoice
    memo = (await org.gql(MEMO, {"id": done["order"]["cancellationCreditMemoId"]}))["creditMemo"]
    assert memo["status"] == "APPLIED" and memo["allocations"] == [
        {"invoiceId": renewal["id"], "amount": {"amount": "19.93"}}]
    inv = (await org.gql(INVOICE, {"id": renewal["id"]}))["invoice"]
    assert inv == {"status": "PARTIALLY_PAID", "total": {"amount": "31.00"}, "amountDue": {"amount": "11.07"},
                   "creditApplied": {"amount": "19.93"}}


async def test_a_cancellation_without_proration_credits_nothing(org, clock):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **fixed("31.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    made = await create_order(org, cid, [{"planId": plan["id"]}])
    clock.at = T0 + 10 * DAY
    done = (await org.gql(CANCEL, {"input": {"orderId": made["order"]["id"]}}))["orderCancel"]
    assert done["order"] == {"id": made["order"]["id"], "status": "CHURNED", "cancellationCreditMemoId": None}
    assert (await org.gql(BALANCE, {"id": cid}))["customer"]["creditMemos"]["totalCount"] == 0


async def test_a_prorated_cancellation_interrupted_before_its_memo_is_finished_by_a_retry(org, store, clock):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **fixed("31.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    got = await churned_with_credit(org, clock, cid, plan["id"], 1, 10 * DAY)
    db = store.for_org(org.id)
    memo_id = got["canceled"]["cancellationCreditMemoId"]
    # the crash: the cancel and its credit are on the order, the memo is not written yet
    await db["credit_memos"].delete_one({"id": memo_id})
    await db[order_store.COLLECTION].update_one({"id": got["order"]["id"]}, {"$set": {"cancelCredit.done": False}})
    again = (await org.gql(CANCEL, {"input": {"orderId": got["order"]["id"], "prorated": True}}))["orderCancel"]
    assert again["userErrors"] == [] and again["order"]["cancellationCreditMemoId"] == memo_id
    assert (await org.gql(BALANCE, {"id": cid}))["customer"]["creditBalance"] == [{"amount": "21.00", "currency": "USD"}]
    # finished: a further cancel is refused as before, and nothing is credited twice
    twice = (await org.gql(CANCEL, {"input": {"orderId": got["order"]["id"], "prorated": True}}))["orderCancel"]
    assert [e["code"] for e in twice["userErrors"]] == ["INVALID_STATUS"]
    assert (await org.gql(BALANCE, {"id": cid}))["customer"]["creditMemos"]["totalCount"] == 1
