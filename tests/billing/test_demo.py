"""The demo data's billing: a catalog covering every formula and plan type, and orders in every status."""

from __future__ import annotations

from resolvers.seed import DEMO_ORG_ID, seed
from schema.billing.orders import OrderStatus
from store.customers import customers


async def test_demo_catalog_covers_every_formula_and_orders_every_status(store):
    await seed(store)
    org = store.for_org(DEMO_ORG_ID)
    plans = await org["plans"].find_list({})
    assert {p["pricing"]["formula"] for p in plans} == {"FIXED_FEE", "FLAT_RATE", "STAIRSTEP", "TIERED", "VOLUME"}
    assert {p["type"] for p in plans} == {"SUBSCRIPTION", "ONE_TIME", "TRIAL_ONLY"}
    assert any(p.get("meteredBilling") for p in plans) and any(p.get("trial") for p in plans)
    assert any(p.get("setupPrice") for p in plans)
    orders = await org["orders"].find_list({})
    assert {o["status"] for o in orders} == {s.name for s in OrderStatus}
    invoices = await org["invoices"].find_list({})
    assert {o["initialInvoiceId"] for o in orders} == {i["id"] for i in invoices}
    assert {"PAID", "UNPAID", "VOIDED", "ABANDONED"} <= {i["status"] for i in invoices}
    assert {(o.get("shipping") or {}).get("calculator") for o in orders} == {None, "MANUAL", "CALCULATED"}
    assert len(await org["shipping_rates"].find_list({})) == 6  # three per website
    leads = await customers.count(org, customers.CustomerQuery(segment="LEADS"))
    paying = await customers.count(org, customers.CustomerQuery(segment="CUSTOMERS"))
    assert leads + paying == 200
