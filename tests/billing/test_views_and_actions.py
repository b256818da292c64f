"""The billing views of the customer page and the actions of *View or cancel subscription* and of an
invoice, through GraphQL on the real document server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.activity.test_subscriptions import ACTIVITY, WAIT, post, server, until_subscribed, ws_client  # noqa: F401
from tests.billing.helpers import ERR, INVOICE, INVOICE_FIELDS, ORDER, ORDER_FIELDS, add_card, add_plan, add_product, create_order
from tests.money_helpers import COLLECT, add_account, add_customer, customer_money, key, refund

VIEW = """query($id: ID!) { customer(id: $id) {
  active: subscriptions(first: 10, status: ACTIVE) { totalCount edges { node { id status items { plan { name } } } } }
  pending: subscriptions(first: 10, status: PENDING) { totalCount edges { node { id } } }
  past: subscriptions(first: 10, status: PAST) { totalCount edges { node { id status } } }
  orders(first: 10) { totalCount edges { node { id orderType } } }
  invoices(first: 5) { totalCount edges { cursor node { id invoiceNumber status } } pageInfo { hasNextPage endCursor } }
} }"""

CANCEL = f"""mutation($input: OrderCancelInput!) {{ orderCancel(input: $input) {{ order {{ {ORDER_FIELDS} }} {ERR} }} }}"""
VOID = f"""mutation($input: OrderActionInput!) {{ orderVoid(input: $input) {{ order {{ status }} {ERR} }} }}"""
PAUSE = f"""mutation($input: OrderActionInput!) {{ orderPause(input: $input) {{ order {{ status renewalTime }} {ERR} }} }}"""
RESUME = f"""mutation($input: OrderActionInput!) {{ orderResume(input: $input) {{ order {{ status renewalTime }} {ERR} }} }}"""
RENEWAL = f"""mutation($input: OrderRenewalTimeUpdateInput!) {{ orderRenewalTimeUpdate(input: $input) {{
  order {{ renewalTime }} {ERR} }} }}"""
ITEMS = f"""mutation($input: OrderItemsChangeInput!) {{ orderItemsChange(input: $input) {{
  order {{ mrr {{ amount }} items {{ quantity plan {{ name }} }} }} {ERR} }} }}"""
UPCOMING = f"""query($id: ID!) {{ order(id: $id) {{ upcomingInvoice {{ {INVOICE_FIELDS} }} }} }}"""
INV_ACTION = """mutation($input: InvoiceActionInput!) {{ {name}(input: $input) {{ invoice {{ id status dueTime }} userErrors {{ field code }} }} }}"""
INV_UPDATE = f"""mutation($input: InvoiceUpdateInput!) {{ invoiceUpdate(input: $input) {{ invoice {{ {INVOICE_FIELDS} }} {ERR} }} }}"""


async def _setup(org, **plan_fields):
    await add_account(org)
    cid = await add_customer(org)
    plan = await add_plan(org, await add_product(org), **plan_fields)
    return cid, plan


async def test_the_customer_page_groups_subscriptions_and_lists_invoices(org):
    cid, plan = await _setup(org)
    await add_card(org, cid)
    active = (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    pending = (await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))["order"]
    voided = (await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))["order"]
    assert (await org.gql(VOID, {"input": {"orderId": voided["id"]}}))["orderVoid"]["order"]["status"] == "VOIDED"
    view = (await org.gql(VIEW, {"id": cid}))["customer"]
    assert [e["node"]["id"] for e in view["active"]["edges"]] == [active["id"]]
    assert view["active"]["edges"][0]["node"]["items"][0]["plan"]["name"] == "Basic"
    assert [e["node"]["id"] for e in view["pending"]["edges"]] == [pending["id"]]
    assert [(e["node"]["id"], e["node"]["status"]) for e in view["past"]["edges"]] == [(voided["id"], "VOIDED")]
    assert view["orders"]["totalCount"] == 3
    assert [e["node"]["invoiceNumber"] for e in view["invoices"]["edges"]] == [3, 2, 1]
    assert [e["node"]["status"] for e in view["invoices"]["edges"]] == ["VOIDED", "UNPAID", "PAID"]


async def test_cancel_now_or_at_the_end_of_the_period_with_who_and_why(org):
    cid, plan = await _setup(org)
    await add_card(org, cid)
    now_order = (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    later = (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    done = (await org.gql(CANCEL, {"input": {"orderId": now_order["id"], "category": "TOO_EXPENSIVE",
                                             "canceledBy": "CUSTOMER", "description": "Budget"}}))["orderCancel"]
    assert done["userErrors"] == []
    assert (done["order"]["status"], done["order"]["cancelCategory"], done["order"]["canceledBy"]) == (
        "CHURNED", "TOO_EXPENSIVE", "CUSTOMER")
    assert done["order"]["mrr"]["amount"] == "0.00"
    end = (await org.gql(CANCEL, {"input": {"orderId": later["id"], "timing": "END_OF_PERIOD"}}))["orderCancel"]
    assert end["order"]["status"] == "CANCELED" and end["order"]["churnTime"] == later["currentPeriodEnd"]
    assert end["order"]["mrr"]["amount"] == "10.00"
    again = (await org.gql(CANCEL, {"input": {"orderId": now_order["id"]}}))["orderCancel"]
    assert [(e["field"], e["code"]) for e in again["userErrors"]] == [(["orderId"], "INVALID_STATUS")]


async def test_pause_resume_renewal_time_and_items_change(org):
    cid, plan = await _setup(org)
    await add_card(org, cid)
    order = (await create_order(org, cid, [{"planId": plan["id"]}]))["order"]
    paused = (await org.gql(PAUSE, {"input": {"orderId": order["id"]}}))["orderPause"]
    assert paused["order"]["status"] == "PAUSED"
    assert [e["code"] for e in (await org.gql(PAUSE, {"input": {"orderId": order["id"]}}))["orderPause"]["userErrors"]] == [
        "INVALID_STATUS"]
    resumed = (await org.gql(RESUME, {"input": {"orderId": order["id"]}}))["orderResume"]
    assert resumed["order"]["status"] == "ACTIVE"
    assert resumed["order"]["renewalTime"] >= order["renewalTime"]
    when = (datetime.now(UTC) + timedelta(days=45)).replace(microsecond=0)
    moved = (await org.gql(RENEWAL, {"input": {"orderId": order["id"], "renewalTime": when.isoformat()}}))
    assert datetime.fromisoformat(moved["orderRenewalTimeUpdate"]["order"]["renewalTime"]) == when
    past = await org.gql(RENEWAL, {"input": {"orderId": order["id"], "renewalTime": "2020-01-01T00:00:00Z"}})
    assert [e["code"] for e in past["orderRenewalTimeUpdate"]["userErrors"]] == ["DATE_IN_PAST"]
    pro = await add_plan(org, plan["productId"], name="Pro", pricing={"formula": "FLAT_RATE", "price": "30"})
    changed = (await org.gql(ITEMS, {"input": {"orderId": order["id"], "items": [{"planId": pro["id"], "quantity": 2}]}}))
    assert changed["orderItemsChange"]["order"] == {"mrr": {"amount": "60.00"}, "items": [{"quantity": 2, "plan": {"name": "Pro"}}]}
    yearly = await add_plan(org, plan["productId"], name="Y", recurringInterval={"unit": "YEAR", "length": 1})
    refused = await org.gql(ITEMS, {"input": {"orderId": order["id"], "items": [{"planId": yearly["id"]}]}})
    assert [e["code"] for e in refused["orderItemsChange"]["userErrors"]] == ["PERIOD_MISMATCH"]


async def test_upcoming_invoice_previews_the_next_period_and_writes_nothing(org, store):
    cid, plan = await _setup(org, pricing={"formula": "FLAT_RATE", "price": "12.00"}, setupPrice="3.00")
    await add_card(org, cid)
    order = (await create_order(org, cid, [{"planId": plan["id"], "quantity": 2}]))["order"]
    db = store.for_org(org.id)
    before = await db["invoices"].count({})
    upcoming = (await org.gql(UPCOMING, {"id": order["id"]}))["order"]["upcomingInvoice"]
    assert upcoming["type"] == "UPCOMING" and upcoming["status"] == "DRAFT" and upcoming["invoiceNumber"] is None
    assert upcoming["periodNumber"] == 2 and upcoming["total"]["amount"] == "24.00"  # no setup fee again
    assert upcoming["items"][0]["periodStartTime"] == order["renewalTime"]
    assert await db["invoices"].count({}) == before


async def test_invoice_actions_follow_the_lifecycle(org):
    cid, plan = await _setup(org)
    invoice = (await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))["invoice"]
    edited = (await org.gql(INV_UPDATE, {"input": {"invoiceId": invoice["id"], "tax": "1.50", "shipping": "2",
              "items": [{"description": "Consulting", "unitPrice": "0.125", "quantity": 3}]}}))["invoiceUpdate"]
    assert edited["userErrors"] == []
    assert (edited["invoice"]["subtotal"]["amount"], edited["invoice"]["total"]["amount"]) == ("0.38", "3.88")
    name = "invoiceAbandon"
    abandoned = (await org.gql(INV_ACTION.format(name=name), {"input": {"invoiceId": invoice["id"]}}))[name]
    assert abandoned["invoice"]["status"] == "ABANDONED"
    name = "invoiceReissue"
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    reissued = (await org.gql(INV_ACTION.format(name=name), {"input": {"invoiceId": invoice["id"], "dueTime": due.isoformat()}}))[name]
    assert reissued["invoice"]["status"] == "UNPAID" and datetime.fromisoformat(reissued["invoice"]["dueTime"]) == due
    name = "invoiceIssue"
    refused = (await org.gql(INV_ACTION.format(name=name), {"input": {"invoiceId": invoice["id"]}}))[name]
    assert refused["userErrors"] == [{"field": ["invoiceId"], "code": "INVALID_STATUS"}]
    name = "invoiceVoid"
    voided = (await org.gql(INV_ACTION.format(name=name), {"input": {"invoiceId": invoice["id"]}}))[name]
    assert voided["invoice"]["status"] == "VOIDED"
    stale = (await org.gql(INV_UPDATE, {"input": {"invoiceId": invoice["id"], "tax": "1"}}))["invoiceUpdate"]
    assert [e["code"] for e in stale["userErrors"]] == ["INVALID_STATUS"]


async def test_refunds_move_the_invoice_to_partially_refunded_then_refunded(org):
    cid, plan = await _setup(org, pricing={"formula": "FIXED_FEE", "price": "40.00"})
    invoice = (await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))["invoice"]
    paid = await org.gql(COLLECT, {"input": {"customerId": cid, "amount": "40.00", "currency": "USD",
                                             "option": "PAID_OUTSIDE", "invoiceId": invoice["id"], "idempotencyKey": key()}})
    txn = paid["customerPaymentCollect"]["transaction"]["id"]
    assert (await refund(org, txn, "15.00"))["userErrors"] == []
    part = (await org.gql(INVOICE, {"id": invoice["id"]}))["invoice"]
    assert (part["status"], part["amountRefunded"]["amount"]) == ("PARTIALLY_REFUNDED", "15.00")
    assert (await refund(org, txn))["userErrors"] == []
    full = (await org.gql(INVOICE, {"id": invoice["id"]}))["invoice"]
    assert (full["status"], full["amountRefunded"]["amount"]) == ("REFUNDED", "40.00")
    assert (await org.gql(ORDER, {"id": invoice["orderId"]}))["order"]["billingStatus"] == "REFUNDED"
    assert (await customer_money(org, cid))["lifetimeRevenue"] == [{"amount": "0.00", "currency": "USD"}]


async def test_order_and_invoice_events_arrive_over_the_live_subscription(server, org):  # noqa: F811
    cid, plan = await _setup(org)
    async with ws_client(server, org.read_key) as session:
        ACTIVITY.variable_values = {"customerId": cid}
        events = session.subscribe(ACTIVITY)
        first = asyncio.create_task(anext(events))
        await until_subscribed(org.id, cid)
        inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": [{"planId": plan["id"]}], "autopay": False,
               "idempotencyKey": key()}
        await post(server, org.write_key, "mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { id } } }",
                   {"input": inp})
        kinds = [(await asyncio.wait_for(first, WAIT))["customerActivity"]["kind"]]
        kinds.append((await asyncio.wait_for(anext(events), WAIT))["customerActivity"]["kind"])
        assert kinds == ["ORDER_CREATED", "INVOICE_ISSUED"]
        await events.aclose()
