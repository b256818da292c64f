"""The billing clock's simulation: months of subscriptions moved through GraphQL and the scheduler's
worker on one FixedClock, in seconds. Every invoice's amount, status and times are checked against
values computed here (calendar months, shifts, retry delays), not read back from the code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from store import jobs
from tests.billing.clock_helpers import (
    declined_times,
    invoices_of,
    kind_count,
    kinds_of,
    months,
    order_state,
    run_until,
    same,
    worker,
)
from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.money_helpers import INSUFFICIENT_FUNDS_CARD, add_account, add_customer, key

T0 = datetime(2027, 1, 31, 10, 0, tzinfo=UTC)  # a month end: renewals must not drift (Feb 28, Mar 31, …)
DAY = timedelta(days=1)

CANCEL = """mutation($input: OrderCancelInput!) { orderCancel(input: $input) { order { id status churnTime }
  userErrors { code } } }"""
REACTIVATE = """mutation($input: OrderReactivateInput!) { orderReactivate(input: $input) { order { id status renewalTime }
  userErrors { field code } } }"""
USAGE = """mutation($input: UsageReportInput!) { usageReport(input: $input) { usage { id quantity usageTime invoiceId }
  userErrors { field code } } }"""
PAUSE = """mutation($input: OrderPauseScheduleInput!) { orderPauseSchedule(input: $input) { order { id status }
  userErrors { field code } } }"""


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


def ok(result: dict) -> dict:
    assert result["userErrors"] == [], result
    return result


def amounts(invs: list[dict]) -> list[tuple[int, str, str, str]]:
    return [(i["periodNumber"], i["type"], i["status"], i["total"]["amount"]) for i in invs]


async def test_a_year_of_renewals_retries_delinquency_trials_and_usage(org, store, clock):
    await add_account(org)
    product = await add_product(org)
    monthly = await add_plan(org, product, name="Monthly", pricing={"formula": "FLAT_RATE", "price": "19.99"},
                             recurringInterval={"unit": "MONTH", "length": 1, "limit": 13})
    three = {"unit": "MONTH", "length": 1, "limit": 3}  # the other orders end after 3 invoices (a shorter run)
    basic = await add_plan(org, product, name="Basic", pricing={"formula": "FIXED_FEE", "price": "10.00"},
                           recurringInterval=three)
    trial = await add_plan(org, product, name="Trial", pricing={"formula": "FIXED_FEE", "price": "15.00"},
                           trial={"price": "0", "unit": "DAY", "length": 14}, recurringInterval=three)
    metered = await add_plan(org, product, name="Metered", billingTiming="POSTPAID", recurringInterval=three,
                             pricing={"formula": "FLAT_RATE", "price": "0.50"},
                             meteredBilling={"strategy": "SUM", "minQuantity": "10", "maxQuantity": "1000"})
    postpaid = await add_plan(org, product, name="Postpaid", billingTiming="POSTPAID", recurringInterval=three,
                              pricing={"formula": "FIXED_FEE", "price": "8.00"})

    async def customer_with_card(name: str) -> str:
        cid = await add_customer(org, lastName=name)
        await add_card(org, cid)
        return cid

    # A: 12 renewals, invoices issued a day before each period, due at its start; limit 13 invoices.
    a = await customer_with_card("A")
    a_order = ok(await create_order(org, a, [{"planId": monthly["id"]}],
                                    invoiceIssueShift={"unit": "DAY", "length": 1},
                                    invoiceDueShift={"unit": "DAY", "length": 1}))["order"]
    # B: its card is replaced by a declining one; the renewal is declined, the customer adds a good card,
    # the first retry (one day after the due time) pays it.
    b = await customer_with_card("B")
    b_order = ok(await create_order(org, b, [{"planId": basic["id"]}]))["order"]
    await add_card(org, b, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))
    # C: the same decline, never fixed; delinquency period 2 days: canceled 2 days after the due time.
    c = await customer_with_card("C")
    c_order = ok(await create_order(org, c, [{"planId": basic["id"]}],
                                    delinquencyPeriod={"unit": "DAY", "length": 2}))["order"]
    await add_card(org, c, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))
    # D: declines forever with no delinquency period: never canceled.
    d = await customer_with_card("D")
    d_order = ok(await create_order(org, d, [{"planId": basic["id"]}]))["order"]
    await add_card(org, d, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))
    # E: a 14-day free trial converts on its first paid invoice. E2: a trial-only order ends after 7 days.
    e = await customer_with_card("E")
    e_order = ok(await create_order(org, e, [{"planId": trial["id"]}]))["order"]
    e2 = await customer_with_card("E2")
    e2_order = ok(await create_order(org, e2, [{"planId": basic["id"]}], isTrialOnly=True,
                                     trialEndTime=(T0 + 7 * DAY).isoformat()))["order"]
    # F: metered usage, billed in arrears: the sum of the period's reports, at least 10 units.
    f = await customer_with_card("F")
    f_result = ok(await create_order(org, f, [{"planId": metered["id"]}]))
    f_order, f_item = f_result["order"], f_result["order"]["items"][0]["id"]
    # J: billed in arrears: each invoice bills the period that ended, the last one after the third period.
    j = await customer_with_card("J")
    j_order = ok(await create_order(org, j, [{"planId": postpaid["id"]}]))["order"]
    # G: canceled at the end of its period, churns then, is reactivated 5 days later.
    g = await customer_with_card("G")
    g_order = ok(await create_order(org, g, [{"planId": basic["id"]}]))["order"]
    ok((await org.gql(CANCEL, {"input": {"orderId": g_order["id"], "timing": "END_OF_PERIOD",
                                         "category": "TOO_EXPENSIVE"}}))["orderCancel"])
    # H: without autopay and never paid: abandoned at its abandon time (30 days), its invoice too.
    h = await add_customer(org, lastName="H")
    h_order = ok(await create_order(org, h, [{"planId": basic["id"]}], autopay=False))["order"]
    # I: a pause scheduled from day 5 to day 15 moves its renewal 10 days out.
    i = await customer_with_card("I")
    i_order = ok(await create_order(org, i, [{"planId": basic["id"]}]))["order"]
    ok((await org.gql(PAUSE, {"input": {"orderId": i_order["id"], "startTime": (T0 + 5 * DAY).isoformat(),
                                        "endTime": (T0 + 15 * DAY).isoformat()}}))["orderPauseSchedule"])

    for o in (a_order, b_order, c_order, d_order, e_order, e2_order, f_order, g_order, i_order, j_order):
        assert o["status"] == "ACTIVE", o
    assert h_order["status"] == "PENDING"
    w = worker(store, clock)

    # Month 1: usage of F, the pause of I, E2's trial end, E's conversion, H's abandonment.
    clock.at = T0 + DAY
    ok((await org.gql(USAGE, {"input": {"orderId": f_order["id"], "orderItemId": f_item, "quantity": "30",
                                              "idempotencyKey": key("use")}}))["usageReport"])
    await run_until(w, store, clock, T0 + 10 * DAY)
    ok((await org.gql(USAGE, {"input": {"orderId": f_order["id"], "orderItemId": f_item, "quantity": "45.5",
                                              "idempotencyKey": key("use")}}))["usageReport"])
    assert (await order_state(org, i_order["id"]))["status"] == "PAUSED"
    assert (await order_state(org, e2_order["id"]))["status"] == "TRIAL_ENDED"
    await run_until(w, store, clock, T0 + 20 * DAY)
    e_state = await order_state(org, e_order["id"])
    assert (e_state["status"], e_state["inTrial"]) == ("ACTIVE", False) and same(e_state["trialConversionTime"], T0 + 14 * DAY)
    assert amounts(await invoices_of(org, e)) == [(1, "INITIAL", "PAID", "0.00"), (2, "RENEWAL", "PAID", "15.00")]
    i_state = await order_state(org, i_order["id"])
    assert i_state["status"] == "ACTIVE" and same(i_state["renewalTime"], months(T0, 1) + 10 * DAY)

    # B's and C's and D's first renewal (Feb 28) is declined; B fixes its card half a day later.
    renewal = months(T0, 1)
    await run_until(w, store, clock, renewal + DAY / 2)
    for cid in (b, c, d):
        invs = await invoices_of(org, cid)
        assert amounts(invs)[-1] == (2, "RENEWAL", "PAST_DUE", "10.00"), invs
        assert same(invs[-1]["issuedTime"], renewal) and same(invs[-1]["dueTime"], renewal)
    await add_card(org, b)
    await run_until(w, store, clock, renewal + 3 * DAY)
    b_invs = await invoices_of(org, b)
    assert amounts(b_invs)[-1] == (2, "RENEWAL", "PAID", "10.00") and same(b_invs[-1]["paidTime"], renewal + DAY)
    assert len(b_invs[-1]["transactionIds"]) == 1  # the approved one; the declined attempt is recorded apart
    c_state = await order_state(org, c_order["id"])
    assert (c_state["status"], c_state["cancelCategory"], c_state["canceledBy"]) == ("CHURNED", "DELINQUENCY", "SYSTEM")
    assert same(c_state["churnTime"], renewal + 2 * DAY)
    assert (await order_state(org, h_order["id"]))["status"] == "ABANDONED"
    assert amounts(await invoices_of(org, h)) == [(1, "INITIAL", "ABANDONED", "10.00")]
    g_state = await order_state(org, g_order["id"])
    assert g_state["status"] == "CHURNED" and same(g_state["churnTime"], renewal)
    clock.at = renewal + 5 * DAY
    g_back = ok((await org.gql(REACTIVATE, {"input": {"orderId": g_order["id"]}}))["orderReactivate"])["order"]
    assert g_back["status"] == "ACTIVE" and same(g_back["renewalTime"], renewal + 5 * DAY)

    # The rest of the year.
    await run_until(w, store, clock, months(T0, 13) + DAY)
    assert await jobs.next_due(store) is None  # nothing left: every order has ended

    a_invs = await invoices_of(org, a)
    assert len(a_invs) == 13
    for n, inv in enumerate(a_invs[1:], start=2):
        start, end = months(T0, n - 1), months(T0, n)
        assert (inv["periodNumber"], inv["type"], inv["status"], inv["total"]["amount"]) == (n, "RENEWAL", "PAID", "19.99")
        assert same(inv["issuedTime"], start - DAY) and same(inv["dueTime"], start) and same(inv["paidTime"], start)
        assert same(inv["items"][0]["periodStartTime"], start) and same(inv["items"][0]["periodEndTime"], end)
    a_state = await order_state(org, a_order["id"])
    assert (a_state["status"], a_state["rebillNumber"]) == ("COMPLETED", 13)
    assert (await kinds_of(org, a)).count("ORDER_RENEWED") == 12

    # C: canceled, nothing after; its invoice stays PAST_DUE after exactly two declined attempts.
    c_invs = await invoices_of(org, c)
    assert amounts(c_invs) == [(1, "INITIAL", "PAID", "10.00"), (2, "RENEWAL", "PAST_DUE", "10.00")]
    c_kinds = await kinds_of(org, c)
    assert c_kinds.count("INVOICE_PAYMENT_DECLINED") == 2 and c_kinds[-1] == "ORDER_DELINQUENCY_REACHED"
    # D: each invoice declined at its due time and on the three default retries (1, 3, 7 days after), never
    # canceled (no delinquency period): it completes after its 3 invoices with both renewals past due.
    d_invs = await invoices_of(org, d)
    assert amounts(d_invs) == [(1, "INITIAL", "PAID", "10.00"), (2, "RENEWAL", "PAST_DUE", "10.00"),
                               (3, "RENEWAL", "PAST_DUE", "10.00")]
    d_state = await order_state(org, d_order["id"])
    assert (d_state["status"], d_state["cancelCategory"]) == ("COMPLETED", None)
    assert await kind_count(org, d, "INVOICE_PAYMENT_DECLINED") == 2 * 4
    declined = await declined_times(store, org.id, d)
    due2, due3 = months(T0, 1), months(T0, 2)
    assert declined == sorted([due2, due2 + DAY, due2 + 3 * DAY, due2 + 7 * DAY,
                               due3, due3 + DAY, due3 + 3 * DAY, due3 + 7 * DAY])

    # F: period 1 bills 30 + 45.5 = 75.5 units x 0.50; the next periods had no usage: the minimum, 10 units.
    f_invs = await invoices_of(org, f)
    assert amounts(f_invs) == [(1, "INITIAL", "PAID", "0.00"), (2, "RENEWAL", "PAID", "37.75"),
                                  (3, "RENEWAL", "PAID", "5.00"), (4, "RENEWAL", "PAID", "5.00")]
    line = f_invs[1]["items"][0]
    assert (Decimal(line["meteredQuantity"]), line["quantity"]) == (Decimal("75.5"), 1)
    assert same(line["periodStartTime"], T0) and same(line["periodEndTime"], months(T0, 1))

    j_invs = await invoices_of(org, j)
    assert amounts(j_invs) == [(1, "INITIAL", "PAID", "0.00"), (2, "RENEWAL", "PAID", "8.00"),
                               (3, "RENEWAL", "PAID", "8.00"), (4, "RENEWAL", "PAID", "8.00")]
    for n, inv in enumerate(j_invs[1:], start=1):
        assert same(inv["issuedTime"], months(T0, n)) and same(inv["paidTime"], months(T0, n))
        assert same(inv["items"][0]["periodStartTime"], months(T0, n - 1))
        assert same(inv["items"][0]["periodEndTime"], months(T0, n))
    assert (await order_state(org, j_order["id"]))["status"] == "COMPLETED"

    # G: after reactivation a new period starts at once, invoiced and paid then, renewing monthly from it.
    g_invs = await invoices_of(org, g)
    assert amounts(g_invs) == [(1, "INITIAL", "PAID", "10.00"), (2, "RENEWAL", "PAID", "10.00"),
                               (3, "RENEWAL", "PAID", "10.00")]
    assert same(g_invs[1]["issuedTime"], renewal + 5 * DAY) and same(g_invs[2]["issuedTime"], months(renewal + 5 * DAY, 1))
    g_kinds = await kinds_of(org, g)
    assert g_kinds.index("ORDER_CANCELED") < g_kinds.index("ORDER_CHURNED") < g_kinds.index("ORDER_REACTIVATED")

    # I: renewals 10 days later than without the pause.
    i_invs = await invoices_of(org, i)
    assert same(i_invs[1]["issuedTime"], months(T0, 1) + 10 * DAY)
    assert same(i_invs[2]["issuedTime"], months(months(T0, 1) + 10 * DAY, 1))
    i_kinds = await kinds_of(org, i)
    assert i_kinds.index("ORDER_PAUSE_SCHEDULED") < i_kinds.index("ORDER_PAUSED") < i_kinds.index("ORDER_RESUMED")
    assert "ORDER_TRIAL_ENDED" in await kinds_of(org, e2) and "ORDER_TRIAL_CONVERTED" in await kinds_of(org, e)
