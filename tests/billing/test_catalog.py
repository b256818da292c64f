"""The catalog through GraphQL: products and plans with every setting, the rules of §19 all at once,
edits with revisions, deactivation."""

from __future__ import annotations

from tests.billing.helpers import ERR, PLAN_CREATE, PLAN_FIELDS, PLAN_UPDATE, add_plan, add_product

PLANS = f"""query($first: Int!, $product: ID) {{ plans(first: $first, productId: $product) {{ totalCount
  edges {{ node {{ {PLAN_FIELDS} product {{ id name }} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
PRODUCTS = """query { products(first: 10) { totalCount edges { node { id name unitLabel } } } }"""
NODE = """query($id: ID!) { node(id: $id) { __typename ... on Plan { name } ... on Product { name } } }"""
DEACTIVATE = f"""mutation($input: CatalogDeactivateInput!) {{ planDeactivate(input: $input) {{ plan {{ isActive }} {ERR} }} }}"""
PRODUCT_UPDATE = f"""mutation($input: ProductUpdateInput!) {{ productUpdate(input: $input) {{
  product {{ name unitLabel revision }} {ERR} }} }}"""


async def test_a_plan_keeps_every_setting_it_was_given(org):
    product = await add_product(org, unitLabel="GB", requiresShipping=False, options=["region"])
    plan = await add_plan(
        org, product, name="Tiered storage", type="SUBSCRIPTION", billingTiming="POSTPAID",
        pricing={"formula": "TIERED", "minQuantity": 1,
                 "brackets": [{"price": "1.00", "maxQuantity": 10}, {"price": "0.125", "maxQuantity": None}]},
        recurringInterval={"unit": "MONTH", "length": 3, "limit": 4},
        trial={"price": "0", "unit": "DAY", "length": 14}, setupPrice="5.00",
        meteredBilling={"strategy": "SUM", "minQuantity": "1", "maxQuantity": "1000"},
        periodAnchorDay=31, invoiceIssueShift={"unit": "DAY", "length": 2}, invoiceDueShift={"unit": "HOUR", "length": 12},
    )
    assert plan["pricing"] == {"formula": "TIERED", "price": None, "minQuantity": 1, "maxQuantity": None,
                               "brackets": [{"price": "1.00", "maxQuantity": 10}, {"price": "0.125", "maxQuantity": None}]}
    assert plan["recurringInterval"] == {"unit": "MONTH", "length": 3, "limit": 4}
    assert plan["trial"] == {"price": "0", "unit": "DAY", "length": 14}
    assert plan["meteredBilling"] == {"strategy": "SUM", "minQuantity": "1", "maxQuantity": "1000"}
    assert (plan["setupPrice"], plan["periodAnchorDay"], plan["billingTiming"]) == ("5.00", 31, "POSTPAID")
    assert plan["invoiceDueShift"] == {"unit": "HOUR", "length": 12}
    listed = await org.gql(PLANS, {"first": 10, "product": product})
    assert listed["plans"]["totalCount"] == 1
    assert listed["plans"]["edges"][0]["node"]["product"]["id"] == product
    assert (await org.gql(NODE, {"id": plan["id"]}))["node"] == {"__typename": "Plan", "name": "Tiered storage"}
    assert (await org.gql(NODE, {"id": product}))["node"]["__typename"] == "Product"


async def test_every_rule_of_a_plan_is_reported_at_once_and_nothing_is_written(org):
    product = await add_product(org)
    data = await org.gql(PLAN_CREATE, {"input": {
        "productId": product, "name": " ", "currency": "USD", "type": "SUBSCRIPTION",
        "pricing": {"formula": "VOLUME", "price": "3", "brackets": [
            {"price": "1", "maxQuantity": None}, {"price": "-2", "maxQuantity": 5}]},
        "meteredBilling": {"strategy": "LAST"}, "setupPrice": "0", "periodAnchorDay": 32,
    }})
    errors = {(".".join(e["field"] or []), e["code"]) for e in data["planCreate"]["userErrors"]}
    assert errors == {
        ("name", "REQUIRED"),
        ("pricing.price", "INVALID"),
        ("pricing.brackets.0.maxQuantity", "INVALID"),
        ("pricing.brackets.1.price", "INVALID"),
        ("recurringInterval", "REQUIRED"),
        ("meteredBilling", "METERED_NEEDS_POSTPAID"),
        ("setupPrice", "INVALID"),
        ("periodAnchorDay", "INVALID"),
    }
    assert (await org.gql(PLANS, {"first": 10, "product": None}))["plans"]["totalCount"] == 0


async def test_plan_types_need_their_own_settings(org):
    product = await add_product(org)
    one_time = await org.gql(PLAN_CREATE, {"input": {
        "productId": product, "name": "Kit", "currency": "USD", "type": "ONE_TIME",
        "pricing": {"formula": "FLAT_RATE", "price": "3"}, "recurringInterval": {"unit": "MONTH"},
        "trial": {"length": 3}}})
    assert {e["code"] for e in one_time["planCreate"]["userErrors"]} == {"INVALID"}
    assert {tuple(e["field"]) for e in one_time["planCreate"]["userErrors"]} == {("recurringInterval",), ("trial",)}
    trial_only = await org.gql(PLAN_CREATE, {"input": {
        "productId": product, "name": "Trial", "currency": "USD", "type": "TRIAL_ONLY",
        "pricing": {"formula": "FIXED_FEE", "price": "0"}}})
    assert [(e["field"], e["code"]) for e in trial_only["planCreate"]["userErrors"]] == [(["trial"], "REQUIRED")]


async def test_plan_edits_bump_the_revision_and_stale_ones_are_refused(org):
    product = await add_product(org)
    plan = await add_plan(org, product)
    done = await org.gql(PLAN_UPDATE, {"input": {"planId": plan["id"], "expectedRevision": 1,
                                                 "settings": {"pricing": {"formula": "FLAT_RATE", "price": "12.50"}}}})
    assert done["planUpdate"]["userErrors"] == []
    assert done["planUpdate"]["plan"]["revision"] == 2
    assert done["planUpdate"]["plan"]["pricing"]["price"] == "12.50"
    stale = await org.gql(PLAN_UPDATE, {"input": {"planId": plan["id"], "expectedRevision": 1,
                                                  "settings": {"name": "Other"}}})
    assert [e["code"] for e in stale["planUpdate"]["userErrors"]] == ["REVISION_CONFLICT"]
    same = await org.gql(PLAN_UPDATE, {"input": {"planId": plan["id"], "settings": {"name": "Basic"}}})
    assert [e["code"] for e in same["planUpdate"]["userErrors"]] == ["NOTHING_TO_CHANGE"]
    cleared = await org.gql(PLAN_UPDATE, {"input": {"planId": plan["id"], "settings": {"trial": {"length": 7}}}})
    assert cleared["planUpdate"]["plan"]["trial"] == {"price": "0", "unit": "DAY", "length": 7}
    removed = await org.gql(PLAN_UPDATE, {"input": {"planId": plan["id"], "settings": {"trial": None}}})
    assert removed["planUpdate"]["plan"]["trial"] is None


async def test_deactivated_plans_stay_listed_and_products_are_edited(org):
    product = await add_product(org)
    plan = await add_plan(org, product)
    off = await org.gql(DEACTIVATE, {"input": {"id": plan["id"]}})
    assert off["planDeactivate"] == {"plan": {"isActive": False}, "userErrors": []}
    again = await org.gql(DEACTIVATE, {"input": {"id": plan["id"]}})
    assert [e["code"] for e in again["planDeactivate"]["userErrors"]] == ["INVALID_STATUS"]
    wrong = await org.gql(DEACTIVATE, {"input": {"id": product}})
    assert [e["code"] for e in wrong["planDeactivate"]["userErrors"]] == ["WRONG_ID_TYPE"]
    edited = await org.gql(PRODUCT_UPDATE, {"input": {"productId": product, "unitLabel": "seat"}})
    assert edited["productUpdate"] == {"product": {"name": "Cloud storage", "unitLabel": "seat", "revision": 2},
                                       "userErrors": []}
    products = await org.gql(PRODUCTS)
    assert products["products"]["totalCount"] == 1
