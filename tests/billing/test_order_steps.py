"""`orderCreate` interrupted after each of its steps (a crash simulated by a fault hook) and retried with
the same idempotency key: it finishes, with one order, one initial invoice and one charge."""

from __future__ import annotations

import asyncio

import pytest

from resolvers.billing import invoicing
from tests.billing.helpers import ORDER_CREATE, add_card, add_plan, add_product
from tests.money_helpers import add_account, add_customer, customer_money, key

STEPS = ["ORDER", "INVOICE", "CHARGE_CLAIMED", "CHARGED", "CHARGE", "SETTLE"]


class Crash(Exception):
    pass


@pytest.fixture
def crash_at():
    hooks = invoicing.STEP_HOOKS
    armed: dict[str, str | None] = {"step": None}

    async def hook(name: str) -> None:
        if name == armed["step"]:
            armed["step"] = None  # crash once
            raise Crash(name)

    hooks.append(hook)
    yield armed
    hooks.remove(hook)


@pytest.mark.parametrize("where", STEPS)
async def test_a_crash_after_each_step_is_finished_by_a_retry_without_duplicates(org, store, crash_at, where):
    await add_account(org)
    cid = await add_customer(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "25.00"})
    await add_card(org, cid)
    inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": [{"planId": plan["id"]}],
           "idempotencyKey": key("crash")}
    crash_at["step"] = where
    crashed = await org.post(ORDER_CREATE, {"input": inp})
    assert crashed.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert crash_at["step"] is None  # the crash happened
    retried = (await org.gql(ORDER_CREATE, {"input": inp}))["orderCreate"]
    assert retried["userErrors"] == []
    assert retried["order"]["status"] == "ACTIVE" and retried["invoice"]["status"] == "PAID"
    db = store.for_org(org.id)
    assert await db["orders"].count({}) == 1
    assert await db["invoices"].count({}) == 1
    assert await db["transactions"].count({"type": "SALE"}) == 1
    assert retried["invoice"]["transactionIds"] == [retried["transaction"]["id"]]
    assert (await customer_money(org, cid))["lifetimeRevenue"] == [{"amount": "25.00", "currency": "USD"}]
    again = (await org.gql(ORDER_CREATE, {"input": inp}))["orderCreate"]
    assert again["order"]["id"] == retried["order"]["id"]
    assert await db["transactions"].count({}) == 1


async def test_concurrent_duplicates_make_one_order_and_one_charge(org, store):
    await add_account(org)
    cid = await add_customer(org)
    plan = await add_plan(org, await add_product(org))
    await add_card(org, cid)
    inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": [{"planId": plan["id"]}],
           "idempotencyKey": key("dup")}
    results = await asyncio.gather(*(org.gql(ORDER_CREATE, {"input": inp}) for _ in range(4)))
    assert len({r["orderCreate"]["order"]["id"] for r in results}) == 1
    db = store.for_org(org.id)
    assert await db["orders"].count({}) == 1
    assert await db["invoices"].count({}) == 1
    assert await db["transactions"].count({}) == 1
