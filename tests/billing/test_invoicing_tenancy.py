"""Cross-organization tests of the shipping rate tables and the invoice payment links: another organization
sees none of them and can change none of them, and cannot price an order with a rate of this one."""

from __future__ import annotations

from tests.billing.helpers import add_plan, add_product, create_order
from tests.billing.test_invoice_pay_page import CREATE as LINK_CREATE
from tests.billing.test_shipping import add_rate
from tests.money_helpers import add_account, add_customer

READ = """query($rate: ID!, $link: ID!, $web: ID!, $inv: ID!) {
  shippingRate(id: $rate) { id } r: node(id: $rate) { id } shippingRates(websiteId: $web) { id }
  invoicePaymentLink(id: $link) { id } l: node(id: $link) { id } invoice(id: $inv) { id } }"""
MUTATIONS = {
    "shippingRateCreate": ("ShippingRateCreateInput", lambda ids: {"websiteId": ids["web"], "name": "X", "price": "1",
                                                                   "currency": "USD"}),
    "shippingRateUpdate": ("ShippingRateUpdateInput", lambda ids: {"shippingRateId": ids["rate"], "name": "Hacked"}),
    "shippingRateDelete": ("ShippingRateDeleteInput", lambda ids: {"shippingRateId": ids["rate"]}),
    "invoicePaymentLinkCreate": ("InvoicePaymentLinkCreateInput", lambda ids: {"invoiceId": ids["inv"]}),
}
COLLECTIONS = ("shipping_rates", "invoice_payment_links", "orders", "invoices")


async def test_rates_and_invoice_links_of_another_organization_are_invisible_and_untouchable(org, other_org, store):
    await add_account(org)
    cid = await add_customer(org, address={"country": "US"})
    rate = await add_rate(org, "Standard", "5.00")
    plan = await add_plan(org, await add_product(org, requiresShipping=True))
    made = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False, calculatedShipping={})
    assert made["invoice"]["shipping"]["amount"] == "5.00"
    link = (await org.gql(LINK_CREATE, {"input": {"invoiceId": made["invoice"]["id"]}}))["invoicePaymentLinkCreate"]
    ids = {"rate": rate["id"], "link": link["paymentLink"]["id"], "web": org.website_id, "inv": made["invoice"]["id"]}
    before = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in COLLECTIONS}
    seen = await other_org.gql(READ, ids)
    assert seen == {"shippingRate": None, "r": None, "shippingRates": [], "invoicePaymentLink": None, "l": None,
                    "invoice": None}
    for name, (input_type, build) in MUTATIONS.items():
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
        data = await other_org.gql(query, {"input": build(ids)})
        codes = {e["code"] for e in data[name]["userErrors"]}
        assert codes == {"NOT_FOUND"}, (name, data)
    # B's own customer and plan cannot be priced with A's rate
    await add_account(other_org)
    b_customer = await add_customer(other_org, address={"country": "US"})
    b_plan = await add_plan(other_org, await add_product(other_org, requiresShipping=True))
    foreign = await create_order(other_org, b_customer, [{"planId": b_plan["id"]}], autopay=False,
                                 calculatedShipping={"rateId": rate["id"]})
    assert [(e["field"], e["code"]) for e in foreign["userErrors"]] == [(["calculatedShipping", "rateId"], "NOT_FOUND")]
    none = await create_order(other_org, b_customer, [{"planId": b_plan["id"]}], autopay=False, calculatedShipping={})
    assert [e["code"] for e in none["userErrors"]] == ["NO_SHIPPING_RATE"]  # A's table is not B's
    after = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in COLLECTIONS}
    assert after == before
