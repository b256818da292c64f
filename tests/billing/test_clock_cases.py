"""The billing clock's cases one by one, through GraphQL and the scheduler's worker on the real store with
one FixedClock: metered billing by the last report, clamped by the maximum, sticky or not; usage
reports made once per idempotency key; a renewal declined on the default card and paid by a backup; a
renewal without autopay going past due and paid by hand; a paid trial; a trial converted by a manual
payment. Every amount and time is computed here."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from store import jobs
from store.billing import clock as clock_store
from tests.billing.clock_helpers import invoices_of, kind_count, months, order_state, run_until, same, worker
from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.helpers import Org
from tests.money_helpers import INSUFFICIENT_FUNDS_CARD, add_account, add_customer, collect, key

T0 = datetime(2027, 6, 1, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
USAGE = """mutation($input: UsageReportInput!) { usageReport(input: $input) {
  usage { id quantity usageTime invoiceId } userErrors { field code } } }"""
SALES = """query($id: ID!) { customer(id: $id) { transactions(first: 50) { edges { node {
  result amount { amount } paymentInstrumentId } } } } }"""


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


def ok(result: dict[str, Any]) -> dict[str, Any]:
    assert result["userErrors"] == [], result
    return result


def summary(invs: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(i["periodNumber"], i["status"], i["total"]["amount"]) for i in invs]


async def report(org: Org, order: dict[str, Any], quantity: str, idem: str | None = None) -> dict[str, Any]:
    inp = {"orderId": order["id"], "orderItemId": order["items"][0]["id"], "quantity": quantity,
           "idempotencyKey": idem or key("use")}
    return (await org.gql(USAGE, {"input": inp}))["usageReport"]


async def sales(org: Org, cid: str) -> list[tuple[str, str, str]]:
    edges = (await org.gql(SALES, {"id": cid}))["customer"]["transactions"]["edges"]
    return sorted((e["node"]["result"], e["node"]["amount"]["amount"], e["node"]["paymentInstrumentId"]) for e in edges)


async def metered_order(org: Org, product: str, name: str, **metered: Any) -> tuple[str, dict[str, Any]]:
    plan = await add_plan(org, product, name=name, billingTiming="POSTPAID", pricing={"formula": "FLAT_RATE", "price": "1.00"},
                          recurringInterval={"unit": "MONTH", "length": 1, "limit": 4}, meteredBilling=metered)
    cid = await add_customer(org, lastName=name)
    await add_card(org, cid)
    return cid, ok(await create_order(org, cid, [{"planId": plan["id"]}]))["order"]


async def test_metered_billing_by_the_last_report_clamped_and_sticky(org, store, clock):
    await add_account(org)
    product = await add_product(org)
    last_cid, last = await metered_order(org, product, "LastMax", strategy="LAST", maxQuantity="50")
    sticky_cid, sticky = await metered_order(org, product, "Sticky", strategy="LAST", sticky=True)
    plain_cid, plain = await metered_order(org, product, "Plain", strategy="LAST")
    sum_cid, summed = await metered_order(org, product, "SumMax", strategy="SUM", maxQuantity="60", minQuantity="5")
    w = worker(store, clock)
    # Period 1 (Jun 1 - Jul 1): LastMax 30 then 70 (the last, 70, clamped to 50); Sticky and Plain 20;
    # SumMax 30 + 40 = 70, clamped to 60.
    for day, reports in ((1, ((last, "30"), (sticky, "20"), (plain, "20"), (summed, "30"))),
                         (2, ((last, "70"), (summed, "40")))):
        clock.at = T0 + day * DAY
        for order, q in reports:
            ok(await report(org, order, q))
    # Period 2 (Jul 1 - Aug 1): nothing reported: Sticky bills its last known 20, Plain nothing, SumMax its
    # minimum 5, LastMax nothing. Period 3 (Aug 1 - Sep 1): Sticky 7.5.
    await run_until(w, store, clock, months(T0, 2) + 3 * DAY)
    ok(await report(org, sticky, "7.5"))
    await run_until(w, store, clock, months(T0, 4) + DAY)

    assert summary(await invoices_of(org, last_cid)) == [
        (1, "PAID", "0.00"), (2, "PAID", "50.00"), (3, "PAID", "0.00"), (4, "PAID", "0.00"), (5, "PAID", "0.00")]
    assert summary(await invoices_of(org, sticky_cid)) == [
        (1, "PAID", "0.00"), (2, "PAID", "20.00"), (3, "PAID", "20.00"), (4, "PAID", "7.50"), (5, "PAID", "7.50")]
    assert summary(await invoices_of(org, plain_cid)) == [
        (1, "PAID", "0.00"), (2, "PAID", "20.00"), (3, "PAID", "0.00"), (4, "PAID", "0.00"), (5, "PAID", "0.00")]
    assert summary(await invoices_of(org, sum_cid)) == [
        (1, "PAID", "0.00"), (2, "PAID", "60.00"), (3, "PAID", "5.00"), (4, "PAID", "5.00"), (5, "PAID", "5.00")]
    lines = [i["items"][0] for i in (await invoices_of(org, sticky_cid))[1:]]  # the first bills nothing in advance
    assert [line["meteredQuantity"] for line in lines] == ["20", "20", "7.5", "7.5"]
    for n, line in enumerate(lines):
        assert same(line["periodStartTime"], months(T0, n)) and same(line["periodEndTime"], months(T0, n + 1))
    assert (await order_state(org, sticky["id"]))["status"] == "COMPLETED"  # after its 4 periods
    assert [s[:2] for s in await sales(org, last_cid)] == [("APPROVED", "50.00")]


async def test_a_usage_report_is_counted_once_per_idempotency_key(org, store, clock):
    await add_account(org)
    cid, order = await metered_order(org, await add_product(org), "Sum", strategy="SUM")
    clock.at = T0 + DAY
    first = ok(await report(org, order, "30", "report-1"))["usage"]
    again = ok(await report(org, order, "30", "report-1"))["usage"]
    assert again == first
    racing = await asyncio.gather(*(report(org, order, "12.5", "report-2") for _ in range(4)))
    assert len({ok(r)["usage"]["id"] for r in racing}) == 1
    other = await report(org, order, "31", "report-1")
    assert (other["usage"], other["userErrors"]) == (None, [{"field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED"}])
    assert await store.for_org(org.id)[clock_store.USAGE].count({}) == 2
    assert await kind_count(org, cid, "USAGE_REPORTED") == 2

    await run_until(worker(store, clock), store, clock, months(T0, 1) + DAY)
    inv = (await invoices_of(org, cid))[1]
    assert (inv["total"]["amount"], inv["items"][0]["meteredQuantity"]) == ("42.50", "42.5")
    # A late retry of the first request (its period is closed now) still answers as the first time did.
    replay = ok(await report(org, order, "30", "report-1"))["usage"]
    assert (replay["id"], replay["invoiceId"]) == (first["id"], inv["id"])


async def test_a_renewal_declined_on_the_default_card_is_paid_by_a_backup(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    cid = await add_customer(org)
    first = await add_card(org, cid)
    order = ok(await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    declining = await add_card(org, cid, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))  # the new default
    backup = await add_card(org, cid, "5555555555554444", default=False, backup=True)

    await run_until(worker(store, clock), store, clock, months(T0, 1) + DAY)

    invs = await invoices_of(org, cid)
    assert summary(invs) == [(1, "PAID", "10.00"), (2, "PAID", "10.00")]
    assert same(invs[1]["paidTime"], months(T0, 1))
    assert await sales(org, cid) == sorted([("APPROVED", "10.00", first), ("DECLINED", "10.00", declining),
                                            ("APPROVED", "10.00", backup)])
    assert invs[1]["transactionIds"] and len(invs[1]["transactionIds"]) == 1
    state = await order_state(org, order["id"])
    assert (state["status"], state["billingStatus"], state["rebillNumber"]) == ("ACTIVE", "PAID", 2)
    # Paid on the first attempt (by its backup): no retry was scheduled.
    assert await store.for_org(org.id)[jobs.COLLECTION].count({"kind": "billing.collect"}) == 1


async def test_a_renewal_without_autopay_goes_past_due_and_is_paid_by_hand(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    cid = await add_customer(org)
    await add_card(org, cid)
    made = ok(await create_order(org, cid, [{"planId": plan["id"]}], autopay=False,
                                 invoiceDueShift={"unit": "DAY", "length": 3}))
    assert made["order"]["status"] == "PENDING" and made["transaction"] is None
    ok(await collect(org, customerId=cid, amount="10.00", invoiceId=made["invoice"]["id"]))
    order_id = made["order"]["id"]
    assert (await order_state(org, order_id))["status"] == "ACTIVE"
    w = worker(store, clock)
    renewal = months(T0, 1)

    await run_until(w, store, clock, renewal + 2 * DAY)
    inv = (await invoices_of(org, cid))[-1]
    assert (inv["periodNumber"], inv["status"]) == (2, "UNPAID")
    assert same(inv["issuedTime"], renewal) and same(inv["dueTime"], renewal + 3 * DAY)
    await run_until(w, store, clock, renewal + 20 * DAY)
    inv = (await invoices_of(org, cid))[-1]
    assert (inv["status"], inv["transactionIds"]) == ("PAST_DUE", [])
    state = await order_state(org, order_id)
    assert (state["status"], state["billingStatus"]) == ("ACTIVE", "PAST_DUE")  # no delinquency period: not canceled
    assert [s[0] for s in await sales(org, cid)] == ["APPROVED"]  # only the payment by hand of the first invoice
    assert await store.for_org(org.id)[jobs.COLLECTION].count({"kind": "billing.collect"}) == 1  # no retries
    assert await kind_count(org, cid, "INVOICE_PAST_DUE") == 1

    ok(await collect(org, customerId=cid, amount="10.00", invoiceId=inv["id"]))
    inv = (await invoices_of(org, cid))[-1]
    assert inv["status"] == "PAID" and same(inv["paidTime"], renewal + 20 * DAY)
    assert (await order_state(org, order_id))["billingStatus"] == "PAID"


async def test_a_paid_trial_bills_its_price_then_the_plan_from_its_end(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "15.00"},
                          trial={"price": "5.00", "unit": "DAY", "length": 10})
    cid = await add_customer(org)
    await add_card(org, cid)
    made = ok(await create_order(org, cid, [{"planId": plan["id"]}]))
    order_id, trial_end = made["order"]["id"], T0 + 10 * DAY
    assert (made["invoice"]["total"]["amount"], made["invoice"]["status"]) == ("5.00", "PAID")
    assert made["order"]["inTrial"] is True and same(made["order"]["trialEndTime"], trial_end)

    await run_until(worker(store, clock), store, clock, months(trial_end, 2) + DAY)

    invs = await invoices_of(org, cid)
    assert summary(invs) == [(1, "PAID", "5.00"), (2, "PAID", "15.00"), (3, "PAID", "15.00"), (4, "PAID", "15.00")]
    for n, inv in enumerate(invs[1:]):
        assert same(inv["issuedTime"], months(trial_end, n)) and same(inv["paidTime"], months(trial_end, n))
        assert same(inv["items"][0]["periodStartTime"], months(trial_end, n))
        assert same(inv["items"][0]["periodEndTime"], months(trial_end, n + 1))
    state = await order_state(org, order_id)
    assert state["inTrial"] is False and same(state["trialConversionTime"], trial_end)
    assert await kind_count(org, cid, "ORDER_TRIAL_CONVERTED") == 1


async def test_a_trial_is_converted_by_a_payment_by_hand(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "15.00"},
                          trial={"price": "0", "unit": "DAY", "length": 14})
    cid = await add_customer(org)
    made = ok(await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))
    order_id, trial_end = made["order"]["id"], T0 + 14 * DAY
    assert made["order"]["status"] == "ACTIVE" and made["invoice"]["total"]["amount"] == "0.00"
    w = worker(store, clock)

    await run_until(w, store, clock, trial_end + 2 * DAY)
    state = await order_state(org, order_id)
    assert state["inTrial"] is False and state["trialConversionTime"] is None  # ended, not converted yet
    inv = (await invoices_of(org, cid))[-1]
    assert (inv["periodNumber"], inv["status"], inv["total"]["amount"]) == (2, "PAST_DUE", "15.00")

    ok(await collect(org, customerId=cid, amount="15.00", invoiceId=inv["id"]))
    state = await order_state(org, order_id)
    assert same(state["trialConversionTime"], trial_end + 2 * DAY) and state["billingStatus"] == "PAID"
    await run_until(w, store, clock, months(trial_end, 1) + DAY)  # the next renewal does not convert again
    assert summary(await invoices_of(org, cid))[-1] == (3, "PAST_DUE", "15.00")
    assert await kind_count(org, cid, "ORDER_TRIAL_CONVERTED") == 1
