"""Renewal invoices take what the first invoice takes: the customer's coupon discounts (a coupon for
one invoice, for N, or for every invoice discounts exactly those) and the customer's credit balance,
applied before autopay charges the rest. A renewal that stops midway (a crash after each of its steps)
and is retried by the scheduler discounts and allocates once. Amounts are computed here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from resolvers.billing import credit_memos as credit_service
from resolvers.billing import invoicing
from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from store import jobs
from store.billing import credit_memos as credit_memos_store
from store.db import Store
from tests.billing.clock_helpers import kind_count, months, run_until, worker
from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.billing.test_coupons import coupon, redeem
from tests.billing.test_credit_memos import memo
from tests.helpers import Org
from tests.money_helpers import add_account, add_customer

T0 = datetime(2027, 4, 10, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

INVOICES = """query($id: ID!) { customer(id: $id) { creditBalance { amount currency }
  couponRedemptions { couponId applicationsCount }
  invoices(first: 50) { edges { node { id invoiceNumber periodNumber status total { amount } discount { amount }
    amountPaid { amount } creditApplied { amount } discounts { couponId amount { amount } }
    transactionIds } } } } }"""
SALES = """query($id: ID!) { customer(id: $id) { transactions(first: 50) { edges { node {
  type result amount { amount } } } } } }"""
MEMO = """query($id: ID!) { node(id: $id) { ... on CreditMemo { status unused { amount }
  allocations { invoiceId amount { amount } } } } }"""


class Crash(Exception):
    pass


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


async def customer_state(org: Org, cid: str) -> dict[str, Any]:
    seen = (await org.gql(INVOICES, {"id": cid}))["customer"]
    seen["invoices"] = sorted((e["node"] for e in seen["invoices"]["edges"]), key=lambda i: i["invoiceNumber"])
    return seen


async def approved_sales(org: Org, cid: str) -> list[str]:
    edges = (await org.gql(SALES, {"id": cid}))["customer"]["transactions"]["edges"]
    return sorted(e["node"]["amount"]["amount"] for e in edges if e["node"]["result"] == "APPROVED")


async def subscriber(org: Org, plan_id: str, *coupon_ids: str) -> tuple[str, str]:
    cid = await add_customer(org)
    await add_card(org, cid)
    if coupon_ids:
        assert (await redeem(org, cid, *coupon_ids))["userErrors"] == []
    made = await create_order(org, cid, [{"planId": plan_id}])
    assert made["userErrors"] == [] and made["order"]["status"] == "ACTIVE", made
    return cid, made["order"]["id"]


async def test_a_coupons_duration_decides_which_renewals_it_discounts(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    two = {"type": "FIXED", "amount": "2.00", "currency": "USD"}
    await coupon(org, id="ONCE", discount=two, restrictions={"discountsPerRedemption": 1})
    await coupon(org, id="THREE", discount=two, restrictions={"discountsPerRedemption": 3})
    await coupon(org, id="FOREVER", discount={"type": "PERCENT", "percent": "15"})
    once, _ = await subscriber(org, plan["id"], "ONCE")
    three, _ = await subscriber(org, plan["id"], "THREE")
    forever, _ = await subscriber(org, plan["id"], "FOREVER")
    plain, _ = await subscriber(org, plan["id"])

    await run_until(worker(store, clock), store, clock, months(T0, 5) + DAY)  # 5 renewals: 6 invoices each

    expected = {once: ["8.00"] + ["10.00"] * 5, three: ["8.00"] * 3 + ["10.00"] * 3, forever: ["8.50"] * 6,
                plain: ["10.00"] * 6}
    applications = {once: 1, three: 3, forever: 6}
    for cid, totals in expected.items():
        seen = await customer_state(org, cid)
        invs = seen["invoices"]
        assert [i["periodNumber"] for i in invs] == [1, 2, 3, 4, 5, 6]
        assert [i["total"]["amount"] for i in invs] == totals, cid
        assert all(i["status"] == "PAID" and i["amountPaid"]["amount"] == i["total"]["amount"] for i in invs)
        assert await approved_sales(org, cid) == sorted(totals)  # autopay charged the discounted amounts
        if cid in applications:
            assert [r["applicationsCount"] for r in seen["couponRedemptions"]] == [applications[cid]]
            assert await kind_count(org, cid, "COUPON_APPLIED") == applications[cid]
            assert [bool(i["discounts"]) for i in invs] == [t != "10.00" for t in totals]


async def test_the_credit_balance_pays_renewals_before_autopay_charges_the_rest(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    cid, _ = await subscriber(org, plan["id"])
    first = await memo(org, cid, items=[{"unitPrice": "12.00", "quantity": 1}])
    clock.at = T0 + DAY
    second = await memo(org, cid, items=[{"unitPrice": "3.50", "quantity": 1}])
    eur = await memo(org, cid, currency="EUR", items=[{"unitPrice": "50.00", "quantity": 1}])

    await run_until(worker(store, clock), store, clock, months(T0, 3) + DAY)

    seen = await customer_state(org, cid)
    invs = seen["invoices"]
    # Period 2: 10.00 from the oldest memo (12.00), nothing charged. Period 3: the oldest memo's last 2.00,
    # then 3.50 from the next one, 4.50 charged. Period 4: no USD credit left, 10.00 charged.
    assert [(i["periodNumber"], i["status"], i["creditApplied"]["amount"], len(i["transactionIds"])) for i in invs] == [
        (1, "PAID", "0.00", 1), (2, "PAID", "10.00", 0), (3, "PAID", "5.50", 1), (4, "PAID", "0.00", 1)]
    assert await approved_sales(org, cid) == sorted(["10.00", "4.50", "10.00"])
    assert seen["creditBalance"] == [{"amount": "50.00", "currency": "EUR"}]
    for m, status in ((first, "APPLIED"), (second, "APPLIED"), (eur, "ISSUED")):
        assert (await org.gql(MEMO, {"id": m["id"]}))["node"]["status"] == status
    assert await kind_count(org, cid, "CREDIT_MEMO_APPLIED") == 3


async def test_credit_and_discount_on_a_non_autopay_renewal_leave_the_rest_due(org, store, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    await coupon(org, id="TWO", discount={"type": "FIXED", "amount": "2.00", "currency": "USD"},
                 restrictions={"discountsPerRedemption": 2})
    cid, _ = await subscriber(org, plan["id"], "TWO")
    await memo(org, cid, items=[{"unitPrice": "5.00", "quantity": 1}])
    await run_until(worker(store, clock), store, clock, months(T0, 1) + DAY)
    inv = (await customer_state(org, cid))["invoices"][-1]
    assert (inv["periodNumber"], inv["total"]["amount"], inv["discount"]["amount"], inv["creditApplied"]["amount"],
            inv["status"]) == (2, "8.00", "2.00", "5.00", "PAID")
    assert await approved_sales(org, cid) == ["3.00", "8.00"]  # the first invoice (discounted) and the rest


CRASH_STEPS = ["RENEWAL_INVOICE", "RENEWAL_SETTLED", "CREDIT_HALF_ALLOCATED"]


@pytest.fixture
def crash_at(org: Org, store: Store) -> Iterator[dict[str, str | None]]:
    """Crashes the renewal once at the named step. CREDIT_HALF_ALLOCATED: right after the invoice is
    written, the memo's half of an allocation is made (as `allocate` makes it) and the worker dies before
    the invoice's half."""
    armed: dict[str, str | None] = {"step": None}

    async def hook(name: str) -> None:
        if armed["step"] == "CREDIT_HALF_ALLOCATED" and name == "RENEWAL_INVOICE":
            armed["step"] = None
            db = store.for_org(org.id)
            inv = await db["invoices"].find_one({"periodNumber": 2}, {"_id": 0})
            m = (await credit_memos_store.open_of_customers(db, [inv["customerId"]]))[0][0]
            amount = min(m["unusedMinor"], inv["totalMinor"])
            entry = {"id": credit_service.allocation_id(f"renewal:{inv['id']}", m["id"], inv["id"]),
                     "invoiceId": inv["id"], "amountMinor": amount, "createdTime": T0}
            unused = m["unusedMinor"] - amount
            assert await credit_memos_store.transition(
                db, m["id"], {"revision": m["revision"]}, {"unusedMinor": unused, "status": credit_service.memo_status(unused)},
                T0, {"$push": {"allocations": entry}})
            raise Crash(name)
        if name == armed["step"]:
            armed["step"] = None
            raise Crash(name)

    invoicing.STEP_HOOKS.append(hook)
    yield armed
    invoicing.STEP_HOOKS.remove(hook)


@pytest.mark.parametrize("where", CRASH_STEPS)
async def test_a_renewal_retried_after_a_crash_discounts_and_allocates_once(org, store, clock, crash_at, where):
    await add_account(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    await coupon(org, id="TWO", discount={"type": "FIXED", "amount": "2.00", "currency": "USD"},
                 restrictions={"discountsPerRedemption": 2})
    cid, _ = await subscriber(org, plan["id"], "TWO")
    credit = await memo(org, cid, items=[{"unitPrice": "5.00", "quantity": 1}])
    crash_at["step"] = where
    w = worker(store, clock)
    await run_until(w, store, clock, months(T0, 1) + DAY)
    assert crash_at["step"] is None  # it crashed, and the scheduler ran the job again
    job = await store.for_org(org.id)[jobs.COLLECTION].find_one({"kind": "billing.renewal", "status": jobs.DONE})
    assert job is not None and job["attempts"] == 2
    seen = await customer_state(org, cid)
    invs = seen["invoices"]
    assert [(i["periodNumber"], i["total"]["amount"], i["discount"]["amount"], i["creditApplied"]["amount"],
             i["status"]) for i in invs] == [(1, "8.00", "2.00", "0.00", "PAID"), (2, "8.00", "2.00", "5.00", "PAID")]
    assert [r["applicationsCount"] for r in seen["couponRedemptions"]] == [2]
    after = (await org.gql(MEMO, {"id": credit["id"]}))["node"]
    assert (after["status"], after["unused"]["amount"]) == ("APPLIED", "0.00")
    assert [a["amount"]["amount"] for a in after["allocations"]] == ["5.00"]
    assert await approved_sales(org, cid) == ["3.00", "8.00"]
    assert await kind_count(org, cid, "COUPON_APPLIED") == 2


