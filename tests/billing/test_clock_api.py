"""The billing clock's mutations refuse bad input with every problem at once and write nothing; the
retry schedule a website sets is the one its renewals are retried on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from store.billing import clock as clock_store
from tests.billing.clock_helpers import invoices_of, kind_count, months, run_until, worker
from tests.billing.helpers import add_card, add_plan, add_product, create_order
from tests.money_helpers import INSUFFICIENT_FUNDS_CARD, add_account, add_customer

T0 = datetime(2027, 5, 3, 12, 0, tzinfo=UTC)
USAGE = """mutation($input: UsageReportInput!) { usageReport(input: $input) { usage { id quantity }
  userErrors { field code } } }"""
REACTIVATE = """mutation($input: OrderReactivateInput!) { orderReactivate(input: $input) { order { id }
  userErrors { field code } } }"""
PAUSE = """mutation($input: OrderPauseScheduleInput!) { orderPauseSchedule(input: $input) { order { id }
  userErrors { field code } } }"""
RETRIES = """mutation($input: RetryScheduleUpdateInput!) { retryScheduleUpdate(input: $input) {
  retrySchedule { websiteId isDefault delays { unit length } } userErrors { field code } } }"""
RETRY_QUERY = "query($w: ID!) { retrySchedule(websiteId: $w) { isDefault delays { unit length } } }"


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    c = FixedClock(T0)
    use_clock(c.now)
    yield c
    use_clock(None)


def codes(errors: list[dict]) -> set[tuple[str, str]]:
    return {(".".join(str(p) for p in e["field"] or []), e["code"]) for e in errors}


async def test_bad_usage_reports_are_refused_with_every_problem_and_nothing_written(org, store, clock):
    await add_account(org)
    product = await add_product(org)
    fixed = await add_plan(org, product)
    cid = await add_customer(org)
    await add_card(org, cid)
    order = (await create_order(org, cid, [{"planId": fixed["id"]}]))["order"]
    item = order["items"][0]["id"]
    data = await org.gql(USAGE, {"input": {"orderId": order["id"], "orderItemId": item, "quantity": "0.0001",
                                           "usageTime": (T0 + timedelta(hours=1)).isoformat(), "idempotencyKey": " "}})
    assert codes(data["usageReport"]["userErrors"]) == {
        ("quantity", "QUANTITY_OUT_OF_RANGE"), ("usageTime", "DATE_IN_FUTURE"), ("orderItemId", "NOT_METERED"),
        ("idempotencyKey", "REQUIRED")}
    data = await org.gql(USAGE, {"input": {"orderId": order["id"], "orderItemId": "ordi_01M8SSJY0A5R6GFASXSN51NVYN",
                                           "quantity": "2", "usageTime": (T0 - timedelta(days=1)).isoformat(),
                                           "idempotencyKey": "u-1"}})
    assert codes(data["usageReport"]["userErrors"]) == {
        ("orderItemId", "NOT_FOUND"), ("usageTime", "USAGE_PERIOD_CLOSED")}
    assert await store.for_org(org.id)[clock_store.USAGE].count({}) == 0


async def test_reactivation_and_scheduled_pauses_refuse_what_does_not_fit(org, clock):
    await add_account(org)
    plan = await add_plan(org, await add_product(org))
    cid = await add_customer(org)
    await add_card(org, cid)
    order = (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    data = await org.gql(REACTIVATE, {"input": {"orderId": order["id"]}})
    assert codes(data["orderReactivate"]["userErrors"]) == {("orderId", "INVALID_STATUS")}
    data = await org.gql(PAUSE, {"input": {"orderId": order["id"], "startTime": (T0 - timedelta(days=1)).isoformat(),
                                           "endTime": (T0 - timedelta(days=2)).isoformat()}})
    assert codes(data["orderPauseSchedule"]["userErrors"]) == {("startTime", "DATE_IN_PAST"), ("endTime", "INVALID")}
    data = await org.gql(REACTIVATE, {"input": {"orderId": "ord_01M8SSJY0A5R6GFASXSN51NVYN"}})
    assert codes(data["orderReactivate"]["userErrors"]) == {("orderId", "NOT_FOUND")}


async def test_a_websites_retry_schedule_is_the_one_its_renewals_follow(org, store, clock):
    assert (await org.gql(RETRY_QUERY, {"w": org.website_id}))["retrySchedule"] == {
        "isDefault": True, "delays": [{"unit": "DAY", "length": 1}, {"unit": "DAY", "length": 3},
                                      {"unit": "DAY", "length": 7}]}
    bad = await org.gql(RETRIES, {"input": {"websiteId": org.website_id, "delays": [
        {"unit": "DAY", "length": 2}, {"unit": "HOUR", "length": 12}, {"unit": "MONTH", "length": 13}]}})
    assert codes(bad["retryScheduleUpdate"]["userErrors"]) == {("delays.1", "INVALID"), ("delays.2", "INVALID")}
    assert (await org.gql(RETRY_QUERY, {"w": org.website_id}))["retrySchedule"]["isDefault"] is True
    good = await org.gql(RETRIES, {"input": {"websiteId": org.website_id, "delays": [
        {"unit": "HOUR", "length": 6}, {"unit": "DAY", "length": 2}]}})
    assert good["retryScheduleUpdate"]["userErrors"] == []
    assert good["retryScheduleUpdate"]["retrySchedule"]["isDefault"] is False

    await add_account(org)
    plan = await add_plan(org, await add_product(org), recurringInterval={"unit": "MONTH", "length": 1, "limit": 2})
    cid = await add_customer(org)
    await add_card(org, cid)
    assert (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]["status"] == "ACTIVE"
    await add_card(org, cid, INSUFFICIENT_FUNDS_CARD.replace(" ", ""))
    await run_until(worker(store, clock), store, clock, months(T0, 1) + timedelta(days=5))
    invs = await invoices_of(org, cid)
    assert [(i["periodNumber"], i["status"]) for i in invs] == [(1, "PAID"), (2, "PAST_DUE")]
    due = months(T0, 1)
    sales = await store.for_org(org.id)["transactions"].find_list({"customerId": cid, "result": "DECLINED"},
                                                                   {"_id": 0, "processedTime": 1})
    assert sorted(s["processedTime"] for s in sales) == [due, due + timedelta(hours=6), due + timedelta(days=2)]
    assert await kind_count(org, cid, "INVOICE_PAYMENT_DECLINED") == 3
