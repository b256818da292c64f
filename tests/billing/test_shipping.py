"""Shipping rate tables per website and calculated shipping on *Create an order*: the table managed through
GraphQL with every problem at once, the cheapest applicable rate (or the one named), the shipping line on
the order's invoices (and the renewal preview, and the PDF), and a refused order that writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.ids import new_id
from tests.billing.helpers import ERR, ORDER_CREATE, add_plan, add_product, create_order
from tests.billing.test_invoice_documents import pdf_text
from tests.helpers import Org
from tests.money_helpers import add_customer, key

RATE_FIELDS = """id websiteId name price { amount currency } minSubtotal { amount } maxSubtotal { amount }
  countries regions revision"""
CREATE = f"""mutation($input: ShippingRateCreateInput!) {{ shippingRateCreate(input: $input) {{
  shippingRate {{ {RATE_FIELDS} }} {ERR} }} }}"""
UPDATE = f"""mutation($input: ShippingRateUpdateInput!) {{ shippingRateUpdate(input: $input) {{
  shippingRate {{ {RATE_FIELDS} }} {ERR} }} }}"""
DELETE = f"""mutation($input: ShippingRateDeleteInput!) {{ shippingRateDelete(input: $input) {{
  deletedShippingRateId {ERR} }} }}"""
TABLE = f"""query($w: ID!) {{ shippingRates(websiteId: $w) {{ {RATE_FIELDS} }} }}"""
SHIPPED = """query($id: ID!) { order(id: $id) {
  shipping { calculator amount { amount currency } rateId rateName destination { country region } rate { name } }
  initialInvoice { subtotal { amount } shipping { amount } total { amount }
    shippingDetails { calculator rateId rateName amount { amount } } }
  upcomingInvoice { shipping { amount } shippingDetails { calculator rateName } } } }"""


async def add_rate(org: Org, name: str, price: str, currency: str = "USD", **fields: Any) -> dict[str, Any]:
    data = await org.gql(CREATE, {"input": {"websiteId": org.website_id, "name": name, "price": price,
                                            "currency": currency, **fields}})
    assert data["shippingRateCreate"]["userErrors"] == [], data
    return data["shippingRateCreate"]["shippingRate"]


async def _table(org: Org) -> dict[str, dict[str, Any]]:
    """Express (any), Standard US, Free over 100 (US), EU rate in EUR."""
    return {
        "express": await add_rate(org, "Express", "15.00"),
        "standard": await add_rate(org, "Standard US", "5.00", countries=["US"]),
        "free": await add_rate(org, "Free over 100", "0", countries=["us"], minSubtotal="100"),
        "eu": await add_rate(org, "EU", "8.00", "EUR", countries=["DE", "FR"]),
    }


async def _shop(org: Org, *, ships: bool = True, country: str = "US", region: str | None = None) -> tuple[str, str]:
    address = {"country": country, **({"region": region} if region else {})}
    cid = await add_customer(org, address=address)
    product = await add_product(org, "Coffee beans", requiresShipping=ships)
    plan = await add_plan(org, product, pricing={"formula": "FLAT_RATE", "price": "10.00"})
    return cid, plan["id"]


async def _counts(store: Any) -> tuple[int, int]:
    return await store.db["orders"].count_documents({}), await store.db["invoices"].count_documents({})


async def test_the_rate_table_is_created_listed_edited_and_deleted(org):
    express = await add_rate(org, "Express", "15.00", minSubtotal="10", maxSubtotal="500", countries=["us", "CA"],
                             regions=["NY", "Ontario"])
    assert express["price"] == {"amount": "15.00", "currency": "USD"}
    assert (express["minSubtotal"], express["maxSubtotal"]) == ({"amount": "10.00"}, {"amount": "500.00"})
    assert (express["countries"], express["regions"], express["revision"]) == (["US", "CA"], ["NY", "Ontario"], 1)
    free = await add_rate(org, "Pick-up", "0", "EUR")
    assert free["price"] == {"amount": "0.00", "currency": "EUR"} and free["countries"] == [] == free["regions"]
    table = (await org.gql(TABLE, {"w": org.website_id}))["shippingRates"]
    assert [r["name"] for r in table] == ["Express", "Pick-up"]
    node = await org.gql('query($id: ID!) { node(id: $id) { id ... on ShippingRate { name } } }', {"id": free["id"]})
    assert node["node"] == {"id": free["id"], "name": "Pick-up"}

    edited = (await org.gql(UPDATE, {"input": {"shippingRateId": express["id"], "expectedRevision": 1,
                                               "price": "12.5", "maxSubtotal": None, "countries": None}}))
    rate = edited["shippingRateUpdate"]["shippingRate"]
    assert (rate["price"]["amount"], rate["maxSubtotal"], rate["countries"], rate["regions"], rate["revision"]) == (
        "12.50", None, [], ["NY", "Ontario"], 2)
    stale = await org.gql(UPDATE, {"input": {"shippingRateId": express["id"], "expectedRevision": 1, "name": "X"}})
    assert [e["code"] for e in stale["shippingRateUpdate"]["userErrors"]] == ["REVISION_CONFLICT"]
    same = await org.gql(UPDATE, {"input": {"shippingRateId": express["id"], "price": "12.50"}})
    assert [e["code"] for e in same["shippingRateUpdate"]["userErrors"]] == ["NOTHING_TO_CHANGE"]

    gone = await org.gql(DELETE, {"input": {"shippingRateId": express["id"], "expectedRevision": 2}})
    assert gone["shippingRateDelete"] == {"deletedShippingRateId": express["id"], "userErrors": []}
    again = await org.gql(DELETE, {"input": {"shippingRateId": express["id"]}})
    assert [e["code"] for e in again["shippingRateDelete"]["userErrors"]] == ["NOT_FOUND"]
    assert [r["name"] for r in (await org.gql(TABLE, {"w": org.website_id}))["shippingRates"]] == ["Pick-up"]


async def test_a_bad_rate_reports_every_problem_at_once_and_writes_nothing(org, store):
    bad = await org.gql(CREATE, {"input": {
        "websiteId": "cus_nope", "name": "  ", "price": "-1", "currency": "JPY", "minSubtotal": "10.5",
        "maxSubtotal": "3", "countries": ["US", "ZZ", "us", ""], "regions": ["NY", "ny"]}})
    errors = bad["shippingRateCreate"]["userErrors"]
    assert bad["shippingRateCreate"]["shippingRate"] is None
    assert sorted((".".join(e["field"]), e["code"]) for e in errors) == sorted([
        ("websiteId", "WRONG_ID_TYPE"), ("name", "REQUIRED"), ("price", "INVALID"),
        ("minSubtotal", "TOO_MANY_DECIMALS"), ("countries.1", "INVALID_COUNTRY"), ("countries.2", "DUPLICATE"),
        ("countries.3", "REQUIRED"), ("regions.1", "DUPLICATE")])
    unknown = await org.gql(CREATE, {"input": {"websiteId": new_id("web"), "name": "A",
                                               "price": "1", "currency": "USD", "minSubtotal": "5", "maxSubtotal": "4"}})
    assert sorted((e["field"][0], e["code"]) for e in unknown["shippingRateCreate"]["userErrors"]) == [
        ("maxSubtotal", "INVALID"), ("websiteId", "NOT_FOUND")]
    rate = await add_rate(org, "Standard", "5")
    refused = await org.gql(UPDATE, {"input": {"shippingRateId": rate["id"], "name": None, "price": None,
                                               "minSubtotal": "9", "maxSubtotal": "1"}})
    assert sorted((e["field"][0], e["code"]) for e in refused["shippingRateUpdate"]["userErrors"]) == [
        ("maxSubtotal", "INVALID"), ("name", "REQUIRED"), ("price", "REQUIRED")]
    wrong = await org.gql(UPDATE, {"input": {"shippingRateId": org.website_id, "name": "X"}})
    assert [e["code"] for e in wrong["shippingRateUpdate"]["userErrors"]] == ["WRONG_ID_TYPE"]
    assert [d["name"] async for d in store.db["shipping_rates"].find({})] == ["Standard"]
    assert (await org.gql(TABLE, {"w": org.website_id}))["shippingRates"][0]["revision"] == 1


async def test_calculated_shipping_takes_the_cheapest_rate_that_applies(org):
    rates = await _table(org)
    cid, plan = await _shop(org)
    made = await create_order(org, cid, [{"planId": plan, "quantity": 3}], autopay=False, calculatedShipping={})
    assert made["userErrors"] == []
    assert made["order"]["shipping"] == {"calculator": "CALCULATED", "amount": {"amount": "5.00"}}
    assert (made["invoice"]["subtotal"]["amount"], made["invoice"]["shipping"]["amount"],
            made["invoice"]["total"]["amount"]) == ("30.00", "5.00", "35.00")
    seen = (await org.gql(SHIPPED, {"id": made["order"]["id"]}))["order"]
    assert seen["shipping"] == {"calculator": "CALCULATED", "amount": {"amount": "5.00", "currency": "USD"},
                                "rateId": rates["standard"]["id"], "rateName": "Standard US",
                                "destination": {"country": "US", "region": None}, "rate": {"name": "Standard US"}}
    assert seen["initialInvoice"]["shippingDetails"] == {"calculator": "CALCULATED", "rateId": rates["standard"]["id"],
                                                         "rateName": "Standard US", "amount": {"amount": "5.00"}}
    assert seen["upcomingInvoice"] == {"shipping": {"amount": "5.00"},
                                       "shippingDetails": {"calculator": "CALCULATED", "rateName": "Standard US"}}

    big = await create_order(org, cid, [{"planId": plan, "quantity": 10}], autopay=False, calculatedShipping={})
    assert big["order"]["shipping"]["amount"]["amount"] == "0.00"  # Free over 100 (inclusive minimum)
    abroad = await create_order(org, cid, [{"planId": plan}], autopay=False,
                                calculatedShipping={"deliveryAddress": {"country": "CA", "city": "Toronto"}})
    order = (await org.gql(SHIPPED, {"id": abroad["order"]["id"]}))["order"]
    assert (order["shipping"]["rateName"], order["shipping"]["amount"]["amount"], order["shipping"]["destination"]) == (
        "Express", "15.00", {"country": "CA", "region": None})


async def test_a_named_rate_is_used_when_it_applies_and_refused_when_not(org, store):
    rates = await _table(org)
    cid, plan = await _shop(org)
    chosen = await create_order(org, cid, [{"planId": plan}], autopay=False,
                                calculatedShipping={"rateId": rates["express"]["id"]})
    assert chosen["userErrors"] == [] and chosen["invoice"]["shipping"]["amount"] == "15.00"
    before = await _counts(store)
    for rate, words in [("eu", "is in EUR; the order is in USD"), ("free", "needs an items subtotal of at least 100.00 USD")]:
        refused = await create_order(org, cid, [{"planId": plan}], autopay=False,
                                     calculatedShipping={"rateId": rates[rate]["id"]})
        assert refused["order"] is None and refused["invoice"] is None
        [error] = refused["userErrors"]
        assert (error["field"], error["code"]) == (["calculatedShipping", "rateId"], "SHIPPING_RATE_NOT_APPLICABLE")
        assert words in error["message"]
    missing = await create_order(org, cid, [{"planId": plan}], autopay=False,
                                 calculatedShipping={"rateId": new_id("ship_rate")})
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [(["calculatedShipping", "rateId"], "NOT_FOUND")]
    assert await _counts(store) == before


async def test_no_applicable_rate_is_a_clear_error_and_nothing_is_written(org, store):
    rates = await _table(org)
    await org.gql(DELETE, {"input": {"shippingRateId": rates["express"]["id"]}})  # the one rate for anywhere
    cid, plan = await _shop(org, country="JP")
    refused = await create_order(org, cid, [{"planId": plan}], autopay=False, calculatedShipping={})
    [error] = refused["userErrors"]
    assert (error["field"], error["code"]) == (["calculatedShipping"], "NO_SHIPPING_RATE")
    assert "delivery to JP" in error["message"] and "3 rate(s)" in error["message"]
    both = await create_order(org, cid, [{"planId": plan}], autopay=False, shippingAmount="3",
                              calculatedShipping={}, notes="x\u0000")
    assert sorted((e["field"][0], e["code"]) for e in both["userErrors"]) == [
        ("calculatedShipping", "EXACTLY_ONE_REQUIRED"), ("notes", "INVALID_CHARACTERS")]
    digital_customer, digital = await _shop(org, ships=False)
    nothing = await create_order(org, digital_customer, [{"planId": digital}], autopay=False, calculatedShipping={},
                                 abandonTime="2000-01-01T00:00:00Z")
    assert sorted((e["field"][0], e["code"]) for e in nothing["userErrors"]) == [
        ("abandonTime", "DATE_IN_PAST"), ("calculatedShipping", "INVALID")]
    assert await _counts(store) == (0, 0)


async def test_regions_match_without_regard_to_case_and_the_pdf_names_the_rate(org, tmp_path: Path):
    await add_rate(org, "California ground", "6.50", countries=["US"], regions=["CA", "Nevada"])
    await add_rate(org, "Anywhere", "20.00")
    cid, plan = await _shop(org, region="ca")
    made = await create_order(org, cid, [{"planId": plan}], autopay=False, calculatedShipping={})
    assert made["invoice"]["shipping"]["amount"] == "6.50"
    elsewhere = await create_order(org, cid, [{"planId": plan}], autopay=False,
                                   calculatedShipping={"deliveryAddress": {"country": "US", "region": "Texas"}})
    assert elsewhere["invoice"]["shipping"]["amount"] == "20.00"
    pdf = await org.http.get(f"/invoices/{made['invoice']['id']}.pdf", headers={"Authorization": f"Bearer {org.write_key}"})
    assert pdf.status_code == 200
    text = pdf_text(pdf.content, tmp_path)
    assert "Shipping (California ground):" in text and "6.50 USD" in text


async def test_the_same_order_retried_with_its_key_is_not_priced_twice(org, store):
    await _table(org)
    cid, plan = await _shop(org)
    inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": [{"planId": plan}], "autopay": False,
           "calculatedShipping": {}, "idempotencyKey": key("ship")}
    first = (await org.gql(ORDER_CREATE, {"input": inp}))["orderCreate"]
    again = (await org.gql(ORDER_CREATE, {"input": inp}))["orderCreate"]
    assert again["order"]["id"] == first["order"]["id"] and again["invoice"]["shipping"]["amount"] == "5.00"
    other = (await org.gql(ORDER_CREATE, {"input": {**inp, "calculatedShipping": {"deliveryAddress": {"country": "CA"}}}}))
    assert [e["code"] for e in other["orderCreate"]["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await _counts(store) == (1, 1)


async def test_calculated_shipping_costs_two_more_store_round_trips_than_manual(org, store, commands):
    await _table(org)
    cid, plan = await _shop(org)
    spent = []
    for shipping in ({"shippingAmount": "5.00"}, {"calculatedShipping": {}}):
        before = commands.count(store.db.name)
        made = await create_order(org, cid, [{"planId": plan}], autopay=False, **shipping)
        assert made["invoice"]["shipping"]["amount"] == "5.00"
        spent.append(commands.names(store.db.name)[before:])
    manual, calculated = spent
    assert len(calculated) - len(manual) == 2, (manual, calculated)  # the items' products and the rate table
