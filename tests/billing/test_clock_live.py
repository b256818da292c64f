"""What the billing clock does shows on the live subscription: a worker's renewal and collection arrive
over the websocket as timeline events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from tests.activity.test_subscriptions import ACTIVITY, WAIT, server, until_subscribed, ws_client  # noqa: F401
from tests.billing.clock_helpers import months, run_until, worker
from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.money_helpers import add_account, add_customer

T0 = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


async def test_a_renewal_by_the_worker_arrives_over_the_live_subscription(server, org, store, clock):  # noqa: F811
    await add_account(org)
    plan = await add_plan(org, await add_product(org))
    cid = await add_customer(org)
    await add_card(org, cid)
    assert (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]["status"] == "ACTIVE"
    async with ws_client(server, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": cid}
        events = session.subscribe(ACTIVITY)
        first = asyncio.create_task(anext(events))
        await until_subscribed(org.id, cid)
        await run_until(worker(store, clock), store, clock, months(T0, 1) + timedelta(hours=1))
        kinds = [(await asyncio.wait_for(first, WAIT))["customerActivity"]["kind"]]
        while "INVOICE_PAID" not in kinds and len(kinds) < 8:
            kinds.append((await asyncio.wait_for(anext(events), WAIT))["customerActivity"]["kind"])
        await events.aclose()
    assert kinds[:2] == ["INVOICE_ISSUED", "ORDER_RENEWED"] and kinds[-1] == "INVOICE_PAID", kinds
