"""CHANGE and REACTIVATION quotes through GraphQL over HTTP on the real document server, on a FixedClock:
the proration of a change shown on the quote before acceptance (`invoicePreview`) and carried onto an
INTERIM invoice or an ORDER_CHANGE credit memo on acceptance, with the amounts of CHANGE_TABLE computed
by hand here (price x remaining seconds / period seconds, rounded half up once; January 2027 has 31
days); and the PAYMENT condition on change and reactivation quotes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.billing import invoicing
from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from tests.billing.helpers import ERR, add_card, add_plan, add_product, create_order
from tests.billing.test_invoice_documents import pdf_text
from tests.billing.test_quotes import act
from tests.helpers import Org
from tests.money_helpers import INSUFFICIENT_FUNDS_CARD, add_account, add_customer, key

T0 = datetime(2027, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)

PREVIEW = """invoicePreview { effectiveTime charge { amount currency } credit { amount } amountDue { amount }
  creditMemoAmount { amount } items { type description amount { amount } periodStartTime periodEndTime } }"""
FIELDS = f"""id status type prorated invoiceId creditMemoId {PREVIEW}
  invoice {{ id type status total {{ amount }} amountDue {{ amount }} items {{ type amount {{ amount }} }} }}
  order {{ id status rebillNumber renewalTime currentPeriodStart currentPeriodEnd items {{ quantity plan {{ planId }} }} }}"""
CREATE = f"""mutation($input: QuoteCreateInput!) {{ quoteCreate(input: $input) {{ quote {{ {FIELDS} }} {ERR} }} }}"""
ACCEPT = f"""mutation($input: QuoteAcceptInput!) {{ quoteAccept(input: $input) {{ quote {{ {FIELDS} }} {ERR} }} }}"""
QUOTE = f"""query($id: ID!) {{ quote(id: $id) {{ {FIELDS} }} }}"""
MEMO = """query($id: ID!) { creditMemo(id: $id) { status reason total { amount } unused { amount } } }"""
CANCEL = """mutation($input: OrderCancelInput!) { orderCancel(input: $input) { order { status } userErrors { code } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status rebillNumber items { quantity } renewalTime } }"""


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


def codes(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


def flat(price: str, **more: Any) -> dict[str, Any]:
    return {"pricing": {"formula": "FLAT_RATE", "price": price}, **more}


TEN_DAYS = {"recurringInterval": {"unit": "DAY", "length": 10}}

# (name, old plan, old qty, new plan (None: the same plan), new qty, currency, time into the period, prorated,
#  expected (credit, charge, amount due, credit memo))
CHANGE_TABLE: list[tuple[str, dict[str, Any], int, dict[str, Any] | None, int, str, timedelta, bool,
                         tuple[str, str, str, str]]] = [
    # credit 10 x 21/31 = 6.774 -> 6.77; charge 30 x 21/31 = 20.322 -> 20.32; due 13.55
    ("quantity up", flat("10.00"), 1, None, 3, "USD", 10 * DAY, True, ("6.77", "20.32", "13.55", "0.00")),
    # the other way round: nothing due, 13.55 left as a credit memo
    ("quantity down", flat("10.00"), 3, None, 1, "USD", 10 * DAY, True, ("20.32", "6.77", "0.00", "13.55")),
    # plan change 31.00 -> 62.00 with 21 of 31 days left: credit 21.00, charge 42.00
    ("plan up", flat("31.00"), 1, flat("62.00"), 1, "USD", 10 * DAY, True, ("21.00", "42.00", "21.00", "0.00")),
    # yen: credit 1000 x 21/31 = 677.4 -> 677; charge 3000 x 21/31 = 2032.2 -> 2032
    ("yen", flat("1000"), 1, flat("3000"), 1, "JPY", 10 * DAY, True, ("677", "2032", "1355", "0")),
    # 10-day plan at half time: credit 0.01 x 1/2 = 0.005 -> 0.01; charge 0.03 x 1/2 = 0.015 -> 0.02
    ("half cents round up", flat("0.01", **TEN_DAYS), 1, None, 3, "USD", 5 * DAY, True, ("0.01", "0.02", "0.01", "0.00")),
    # at the period's end nothing is left: no lines, no invoice
    ("zero remainder", flat("10.00"), 1, None, 3, "USD", 31 * DAY, True, ("0.00", "0.00", "0.00", "0.00")),
    # without proration the change only bills from the next renewal
    ("not prorated", flat("10.00"), 1, None, 3, "USD", 10 * DAY, False, ("0.00", "0.00", "0.00", "0.00")),
]


async def active_order(org: Org, clock: FixedClock, cid: str, plan_id: str, quantity: int, **fields: Any) -> dict[str, Any]:
    clock.at = T0
    made = await create_order(org, cid, [{"planId": plan_id, "quantity": quantity}], startTime=T0.isoformat(), **fields)
    assert made["userErrors"] == [] and made["order"]["status"] == "ACTIVE", made
    return made["order"]


async def quote(org: Org, **inp: Any) -> dict[str, Any]:
    made = (await org.gql(CREATE, {"input": inp}))["quoteCreate"]
    assert made["userErrors"] == [], made
    assert (await act(org, "quoteIssue", made["quote"]["id"]))["userErrors"] == []
    return (await org.gql(QUOTE, {"id": made["quote"]["id"]}))["quote"]


async def accept(org: Org, quote_id: str, **inp: Any) -> dict[str, Any]:
    return (await org.gql(ACCEPT, {"input": {"quoteId": quote_id, "idempotencyKey": key(), **inp}}))["quoteAccept"]


async def test_a_change_quote_shows_and_then_invoices_the_proration_the_table_says(org, clock):
    await add_account(org, ["USD", "JPY"])
    product = await add_product(org)
    for name, old, qty, new, new_qty, currency, after, prorated, (credit, charge, due, memo) in CHANGE_TABLE:
        old_plan = await add_plan(org, product, name=f"{name} old", currency=currency, **old)
        new_plan = await add_plan(org, product, name=f"{name} new", currency=currency, **new) if new else old_plan
        cid = await add_customer(org)
        await add_card(org, cid)
        order = await active_order(org, clock, cid, old_plan["id"], qty)
        clock.at = T0 + after
        q = await quote(org, customerId=cid, type="CHANGE", orderId=order["id"], prorated=prorated,
                        items=[{"planId": new_plan["id"], "quantity": new_qty}])
        seen = q["invoicePreview"]
        assert (seen["credit"]["amount"], seen["charge"]["amount"], seen["amountDue"]["amount"],
                seen["creditMemoAmount"]["amount"]) == (credit, charge, due, memo), name
        assert seen["charge"]["currency"] == currency and seen["effectiveTime"] == clock.at.isoformat(), name
        kinds = [(i["type"], i["amount"]["amount"]) for i in seen["items"]]
        assert kinds == [li for li in [("CREDIT", credit), ("DEBIT", charge)] if float(li[1]) > 0], name
        done = await accept(org, q["id"])
        assert done["userErrors"] == [] and done["quote"]["status"] == "ACCEPTED", (name, done)
        changed = done["quote"]["order"]
        assert changed["items"] == [{"quantity": new_qty, "plan": {"planId": new_plan["id"]}}], name
        assert changed["renewalTime"] == order["renewalTime"], name  # retain-recurring: the renewal stays
        inv = done["quote"]["invoice"]
        if not kinds:
            assert inv is None and done["quote"]["creditMemoId"] is None, name
            continue
        assert (inv["type"], inv["total"]["amount"]) == ("INTERIM", due), name
        assert inv["status"] == ("PAID" if float(due) == 0 else "UNPAID"), name
        if float(memo) > 0:
            got = (await org.gql(MEMO, {"id": done["quote"]["creditMemoId"]}))["creditMemo"]
            assert got == {"status": "ISSUED", "reason": "ORDER_CHANGE", "total": {"amount": memo},
                           "unused": {"amount": memo}}, name
        else:
            assert done["quote"]["creditMemoId"] is None, name


async def test_a_change_quote_refuses_plans_of_another_period_length(org, clock):
    product = await add_product(org)
    monthly = await add_plan(org, product, **flat("10.00"))
    yearly = await add_plan(org, product, **flat("100.00", recurringInterval={"unit": "YEAR", "length": 1}))
    cid = await add_customer(org)
    await add_account(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, monthly["id"], 1)
    bad = (await org.gql(CREATE, {"input": {"customerId": cid, "type": "CHANGE", "orderId": order["id"],
                                            "items": [{"planId": yearly["id"]}]}}))["quoteCreate"]
    assert codes(bad) == [(["items"], "PERIOD_MISMATCH")]
    wrong = (await org.gql(CREATE, {"input": {"customerId": cid, "items": [{"planId": monthly["id"]}],
                                              "prorated": True}}))["quoteCreate"]
    assert codes(wrong) == [(["prorated"], "INVALID")]


async def test_the_payment_condition_on_a_change_charges_the_proration_before_the_order_changes(org, clock, tmp_path):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **flat("10.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 1)
    declining = await add_card(org, cid, INSUFFICIENT_FUNDS_CARD, default=False)
    clock.at = T0 + 10 * DAY
    q = await quote(org, customerId=cid, type="CHANGE", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"], "quantity": 3}])
    assert q["invoicePreview"]["amountDue"]["amount"] == "13.55"
    pdf = await org.http.get(f"/quotes/{q['id']}.pdf", headers={"Authorization": f"Bearer {org.read_key}"})
    text = pdf_text(pdf.content, tmp_path)
    for expected in ("Due on acceptance", "Unused time: ", "-6.77 USD", "Remaining time: ", "20.32 USD", "13.55 USD"):
        assert expected in text, (expected, text)
    refused = await accept(org, q["id"], paymentInstrumentId=declining)
    assert codes(refused) == [(["paymentInstrumentId"], "DECLINED")]
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["items"] == [{"quantity": 1}]  # unchanged
    still = (await org.gql(QUOTE, {"id": q["id"]}))["quote"]
    assert (still["status"], still["invoiceId"]) == ("ISSUED", None)
    done = await accept(org, q["id"])  # the customer's default card
    assert done["userErrors"] == [], done
    got = done["quote"]
    assert (got["status"], got["invoice"]["status"], got["invoice"]["total"]["amount"]) == ("ACCEPTED", "PAID", "13.55")
    assert got["order"]["items"] == [{"quantity": 3, "plan": {"planId": plan["id"]}}]
    # the declined attempt's invoice was voided, the paid one is the quote's
    voided = await org.gql("""query($id: ID!) { customer(id: $id) { invoices(first: 10) { edges { node {
      type status total { amount } } } } } }""", {"id": cid})
    interim = sorted((e["node"]["status"], e["node"]["total"]["amount"]) for e in voided["customer"]["invoices"]["edges"]
                     if e["node"]["type"] == "INTERIM")
    assert interim == [("PAID", "13.55"), ("VOIDED", "13.55")]


async def test_the_payment_condition_with_nothing_due_accepts_without_a_charge(org, clock):
    product = await add_product(org)
    plan = await add_plan(org, product, **flat("10.00"))
    cid = await add_customer(org)
    await add_account(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 3)
    clock.at = T0 + 10 * DAY
    q = await quote(org, customerId=cid, type="CHANGE", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"], "quantity": 1}])
    done = await accept(org, q["id"])
    assert done["userErrors"] == [] and done["quote"]["invoice"]["status"] == "PAID"
    assert done["quote"]["invoice"]["total"]["amount"] == "0.00" and done["quote"]["creditMemoId"]


async def test_the_payment_condition_on_reactivating_a_churned_order_pays_its_new_period(org, clock):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **flat("10.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 1)
    clock.at = T0 + 5 * DAY
    assert (await org.gql(CANCEL, {"input": {"orderId": order["id"]}}))["orderCancel"]["order"]["status"] == "CHURNED"
    clock.at = T0 + 40 * DAY  # February 10
    q = await quote(org, customerId=cid, type="REACTIVATION", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"], "quantity": 2}])
    assert (q["invoicePreview"]["amountDue"]["amount"], q["invoicePreview"]["credit"]["amount"]) == ("20.00", "0.00")
    done = await accept(org, q["id"])
    assert done["userErrors"] == [], done
    got = done["quote"]
    assert (got["invoice"]["type"], got["invoice"]["status"], got["invoice"]["total"]["amount"]) == ("RENEWAL", "PAID", "20.00")
    assert (got["order"]["status"], got["order"]["rebillNumber"]) == ("ACTIVE", 2)
    assert (got["order"]["currentPeriodStart"], got["order"]["currentPeriodEnd"], got["order"]["renewalTime"]) == (
        "2027-02-10T00:00:00+00:00", "2027-03-10T00:00:00+00:00", "2027-03-10T00:00:00+00:00")


async def test_a_declined_reactivation_leaves_the_order_churned(org, clock):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **flat("10.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 1)
    await org.gql(CANCEL, {"input": {"orderId": order["id"]}})
    declining = await add_card(org, cid, INSUFFICIENT_FUNDS_CARD, default=False)
    q = await quote(org, customerId=cid, type="REACTIVATION", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"]}])
    refused = await accept(org, q["id"], paymentInstrumentId=declining)
    assert codes(refused) == [(["paymentInstrumentId"], "DECLINED")]
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "CHURNED"
    assert (await org.gql(QUOTE, {"id": q["id"]}))["quote"]["status"] == "ISSUED"


async def test_reactivating_a_canceled_order_in_its_paid_period_needs_no_payment(org, clock):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **flat("10.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 1)
    clock.at = T0 + 5 * DAY
    await org.gql(CANCEL, {"input": {"orderId": order["id"], "timing": "END_OF_PERIOD"}})
    q = await quote(org, customerId=cid, type="REACTIVATION", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"]}])
    assert q["invoicePreview"]["amountDue"]["amount"] == "0.00" and q["invoicePreview"]["items"] == []
    done = await accept(org, q["id"])
    assert done["userErrors"] == [] and done["quote"]["invoice"] is None
    assert (done["quote"]["order"]["status"], done["quote"]["order"]["renewalTime"]) == ("ACTIVE", "2027-02-01T00:00:00+00:00")


class Crash(Exception):
    pass


@pytest.fixture
def crash_at() -> Iterator[dict[str, str | None]]:
    armed: dict[str, str | None] = {"step": None}

    async def hook(name: str) -> None:
        if name == armed["step"]:
            armed["step"] = None  # crash once
            raise Crash(name)

    invoicing.STEP_HOOKS.append(hook)
    yield armed
    invoicing.STEP_HOOKS.remove(hook)


# (where it crashes, new quantity: 3 = an upgrade, its proration charged; 1 = a downgrade, its credit a memo)
CRASHES = [("QUOTE_INVOICE", 3), ("CHARGE_CLAIMED", 3), ("CHARGED", 3), ("QUOTE_ORDER", 3),
           ("QUOTE_INVOICE", 1), ("QUOTE_ORDER", 1), ("QUOTE_MEMO", 1)]


@pytest.mark.parametrize(("where", "quantity"), CRASHES)
async def test_an_acceptance_interrupted_after_each_step_is_finished_by_a_retry_once(org, store, clock, crash_at,
                                                                                      where, quantity):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), **flat("10.00"))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = await active_order(org, clock, cid, plan["id"], 2 if quantity == 3 else 3)
    clock.at = T0 + 10 * DAY
    q = await quote(org, customerId=cid, type="CHANGE", orderId=order["id"], acceptanceConditions=["PAYMENT"],
                    items=[{"planId": plan["id"], "quantity": quantity}])
    inp = {"quoteId": q["id"], "idempotencyKey": key("crash")}
    crash_at["step"] = where
    crashed = await org.post(ACCEPT, {"input": inp})
    assert crashed.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert crash_at["step"] is None  # the crash happened
    done = (await org.gql(ACCEPT, {"input": inp}))["quoteAccept"]
    assert done["userErrors"] == [], done
    got = done["quote"]
    assert got["status"] == "ACCEPTED" and got["order"]["items"] == [{"quantity": quantity, "plan": {"planId": plan["id"]}}]
    db = store.for_org(org.id)
    assert await db["invoices"].count({"type": "INTERIM"}) == 1
    assert got["invoice"]["status"] == "PAID"
    # one sale for the initial invoice, one for the upgrade's proration; none for a downgrade
    assert await db["transactions"].count({"type": "SALE"}) == (2 if quantity == 3 else 1)
    assert await db["credit_memos"].count({}) == (0 if quantity == 3 else 1)
    assert (await org.gql(ACCEPT, {"input": inp}))["quoteAccept"]["quote"]["invoiceId"] == got["invoiceId"]
