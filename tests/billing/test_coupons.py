"""Coupons through GraphQL over HTTP on the real document server: create/update/expire, redeem (one or
more, email to a real SMTP server on loopback), cancel, coupons on orderCreate, the discount table
(coupon x order, computed by hand below) and the redemption limit under concurrency."""

from __future__ import annotations

import asyncio
import email
from decimal import Decimal
from email import policy
from typing import Any

import httpx2

from resolvers.app import create_app
from resolvers.settings import Settings
from tests.billing.helpers import ERR, add_plan, add_product, create_order
from tests.billing.test_invoice_documents import smtp  # noqa: F401  (the loopback SMTP server fixture)
from tests.conftest import make_org
from tests.helpers import Org
from tests.money_helpers import add_customer, key

COUPON_FIELDS = """id status description redemptionsCount revision issuedTime expiredTime
  discount { type amount { amount currency } percent context }
  restrictions { totalRedemptions redemptionsPerCustomer exclusive countries paidByTime
    minimumOrderAmount { amount currency } plans { ids minimumQuantity } }"""
CREATE = f"""mutation($input: CouponCreateInput!) {{ couponCreate(input: $input) {{ coupon {{ {COUPON_FIELDS} }} {ERR} }} }}"""
UPDATE = f"""mutation($input: CouponUpdateInput!) {{ couponUpdate(input: $input) {{ coupon {{ {COUPON_FIELDS} }} {ERR} }} }}"""
EXPIRE = f"""mutation($input: CouponExpireInput!) {{ couponExpire(input: $input) {{ coupon {{ {COUPON_FIELDS} }} {ERR} }} }}"""
REDEEM = f"""mutation($input: CustomerCouponsRedeemInput!) {{ customerCouponsRedeem(input: $input) {{
  redemptions {{ id couponId customerId status coupon {{ id }} }} email {{ to status subject }} {ERR} }} }}"""
CANCEL = f"""mutation($input: CouponRedemptionCancelInput!) {{ couponRedemptionCancel(input: $input) {{
  redemption {{ id status canceledTime }} {ERR} }} }}"""
COUPON = f"""query($id: ID!) {{ coupon(id: $id) {{ {COUPON_FIELDS} }} n: node(id: $id) {{ id }} }}"""
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  couponRedemptions { id couponId status applicationsCount appliedInvoiceIds }
  timeline(first: 10, kinds: [COUPON_REDEEMED, COUPON_REDEMPTION_CANCELED, COUPON_APPLIED]) {
    edges { node { kind ... on CouponEvent { couponId invoiceId amount { amount } } } } } } }"""
ORDER_WITH_DISCOUNTS = f"""mutation($input: OrderCreateInput!) {{ orderCreate(input: $input) {{
  invoice {{ id subtotal {{ amount }} discount {{ amount }} shipping {{ amount }} total {{ amount }}
    discounts {{ couponId description amount {{ amount }} }} }} {ERR} }} }}"""


async def coupon(org: Org, **fields: Any) -> dict[str, Any]:
    inp = {"discount": {"type": "PERCENT", "percent": "10"}, **fields}
    result = (await org.gql(CREATE, {"input": inp}))["couponCreate"]
    assert result["userErrors"] == [], result
    return result["coupon"]


async def redeem(org: Org, customer_id: str, *coupon_ids: str, **fields: Any) -> dict[str, Any]:
    inp = {"customerId": customer_id, "couponIds": list(coupon_ids), "idempotencyKey": key("r"), **fields}
    return (await org.gql(REDEEM, {"input": inp}))["customerCouponsRedeem"]


def codes(result: dict[str, Any]) -> list[tuple[list[str] | None, str]]:
    return [(e["field"], e["code"]) for e in result["userErrors"]]


async def test_a_coupon_is_created_with_its_discount_and_restrictions_and_read_back(org):
    made = await coupon(org, id="SUMMER-10", description="Summer sale",
                        discount={"type": "FIXED", "amount": "5.00", "currency": "USD", "context": "ITEMS_AND_SHIPPING"},
                        restrictions={"totalRedemptions": 100, "redemptionsPerCustomer": 1, "countries": ["de", "FR"],
                                      "minimumOrderAmount": {"amount": "20", "currency": "USD"}})
    assert made["id"] == "SUMMER-10" and made["status"] == "ISSUED" and made["redemptionsCount"] == 0
    assert made["discount"] == {"type": "FIXED", "amount": {"amount": "5.00", "currency": "USD"}, "percent": None,
                                "context": "ITEMS_AND_SHIPPING"}
    assert made["restrictions"]["countries"] == ["DE", "FR"]
    read = await org.gql(COUPON, {"id": "SUMMER-10"})
    assert read["coupon"] == made and read["n"] is None  # custom codes carry no id prefix for node()
    generated = await coupon(org)
    assert generated["id"].startswith("cpn_") and generated["description"] == f'Coupon "{generated["id"]}"'
    assert (await org.gql(COUPON, {"id": generated["id"]}))["n"] == {"id": generated["id"]}


async def test_a_bad_coupon_is_refused_with_every_problem_at_once_and_nothing_written(org):
    bad = (await org.gql(CREATE, {"input": {
        "id": "cus_taken", "discount": {"type": "PERCENT", "percent": "150", "amount": "1"},
        "restrictions": {"totalRedemptions": 0, "plans": {"ids": ["prod_x"]}, "countries": ["XX"]},
        "issuedTime": "2030-01-02T00:00:00Z", "expiredTime": "2030-01-01T00:00:00Z"}}))["couponCreate"]
    assert sorted(codes(bad), key=str) == sorted([
        (["id"], "RESERVED_ID"), (["discount", "amount"], "INVALID"), (["discount", "percent"], "INVALID"),
        (["restrictions", "totalRedemptions"], "INVALID"), (["restrictions", "plans", "ids", "0"], "WRONG_ID_TYPE"),
        (["restrictions", "countries", "0"], "INVALID_COUNTRY"), (["expiredTime"], "INVALID")], key=str)
    fixed = (await org.gql(CREATE, {"input": {"discount": {"type": "FIXED", "amount": "1.001", "currency": "USD"}}}))
    assert codes(fixed["couponCreate"]) == [(["discount", "amount"], "TOO_MANY_DECIMALS")]
    await coupon(org, id="ONCE")
    again = (await org.gql(CREATE, {"input": {"id": "ONCE", "discount": {"type": "PERCENT", "percent": "5"}}}))
    assert codes(again["couponCreate"]) == [(["id"], "ALREADY_EXISTS")]
    assert (await org.gql("{ coupons(first: 10) { totalCount } }"))["coupons"]["totalCount"] == 1


async def test_update_and_expire_follow_the_rules(org):
    cid = await add_customer(org)
    made = await coupon(org, restrictions={"paidByTime": "2099-01-01T00:00:00Z"})
    changed = (await org.gql(UPDATE, {"input": {"couponId": made["id"], "description": "Ten off",
                                                "discount": {"type": "PERCENT", "percent": "12.5"}}}))["couponUpdate"]
    assert changed["userErrors"] == [] and changed["coupon"]["discount"]["percent"] == "12.5"
    assert changed["coupon"]["revision"] == 2
    await redeem(org, cid, made["id"])
    refused = (await org.gql(UPDATE, {"input": {
        "couponId": made["id"], "discount": {"type": "PERCENT", "percent": "50"},
        "restrictions": {"paidByTime": "2099-06-01T00:00:00Z"}}}))["couponUpdate"]
    assert sorted(codes(refused), key=str) == sorted([(["discount"], "COUPON_IN_USE"),
                                                      (["restrictions", "paidByTime"], "NOT_EDITABLE")], key=str)
    early = (await org.gql(EXPIRE, {"input": {"couponId": made["id"], "expiredTime": "2000-01-01T00:00:00Z"}}))
    assert codes(early["couponExpire"]) == [(["expiredTime"], "INVALID")]
    later = (await org.gql(EXPIRE, {"input": {"couponId": made["id"], "expiredTime": "2098-01-01T00:00:00Z"}}))
    assert later["couponExpire"]["coupon"]["status"] == "ISSUED"
    now = (await org.gql(EXPIRE, {"input": {"couponId": made["id"]}}))["couponExpire"]["coupon"]
    assert now["status"] == "EXPIRED"
    assert codes((await org.gql(EXPIRE, {"input": {"couponId": made["id"]}}))["couponExpire"]) == [
        (["couponId"], "INVALID_STATUS")]
    other = await add_customer(org)
    assert codes(await redeem(org, other, made["id"])) == [(["couponIds", "0"], "COUPON_NOT_REDEEMABLE")]


async def test_redeeming_several_coupons_then_canceling_one(org):
    cid = await add_customer(org, address={"country": "DE"})
    a = await coupon(org, id="A10")
    b = await coupon(org, id="B5", discount={"type": "FIXED", "amount": "5", "currency": "USD"})
    fr = await coupon(org, id="FR-ONLY", restrictions={"countries": ["FR"]})
    draft = await coupon(org, id="LATER", issuedTime="2099-01-01T00:00:00Z")
    assert draft["status"] == "DRAFT"
    refused = await redeem(org, cid, "A10", "FR-ONLY", "LATER", "NOPE", "A10")
    assert sorted(codes(refused), key=str) == sorted([
        (["couponIds"], "DUPLICATE"), (["couponIds", "1"], "COUPON_NOT_REDEEMABLE"),
        (["couponIds", "2"], "COUPON_NOT_REDEEMABLE"), (["couponIds", "3"], "NOT_FOUND")], key=str)
    assert refused["redemptions"] == []
    done = await redeem(org, cid, a["id"], b["id"])
    assert done["userErrors"] == [] and [r["couponId"] for r in done["redemptions"]] == ["A10", "B5"]
    assert fr["status"] == "ISSUED"
    first = done["redemptions"][0]["id"]
    canceled = (await org.gql(CANCEL, {"input": {"redemptionId": first}}))["couponRedemptionCancel"]
    assert canceled["redemption"]["status"] == "CANCELED" and canceled["redemption"]["canceledTime"]
    twice = (await org.gql(CANCEL, {"input": {"redemptionId": first}}))["couponRedemptionCancel"]
    assert codes(twice) == [(["redemptionId"], "INVALID_STATUS")]
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert [(r["couponId"], r["status"]) for r in seen["couponRedemptions"]] == [("A10", "CANCELED"), ("B5", "ACTIVE")]
    assert [e["node"]["kind"] for e in seen["timeline"]["edges"]] == [
        "COUPON_REDEMPTION_CANCELED", "COUPON_REDEEMED", "COUPON_REDEEMED"]
    # the canceled coupon no longer discounts; B5 does
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "30.00"})
    made = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    assert made["invoice"]["total"]["amount"] == "25.00"
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]
    assert seen["couponRedemptions"][1]["appliedInvoiceIds"] == [made["invoice"]["id"]]
    assert seen["timeline"]["edges"][0]["node"] == {"kind": "COUPON_APPLIED", "couponId": "B5",
                                                    "invoiceId": made["invoice"]["id"], "amount": {"amount": "5.00"}}


async def test_a_redemption_with_email_reaches_the_smtp_server(store, smtp):  # noqa: F811
    port, sink = smtp
    settings = Settings(mongodb_uri=None, api_key_cache_seconds=0, smtp_host="127.0.0.1", smtp_port=port,
                        smtp_starttls=False, email_from="billing@shop.example")
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=create_app(settings, store)),
                                  base_url="http://test") as http:
        org = await make_org(store, http, "Coupons")
        cid = await add_customer(org, lastName="Lovelace", emails=[{"value": "ada@example.com", "primary": True}])
        await coupon(org, id="WELCOME", description="Welcome: 10% off")
        done = await redeem(org, cid, "WELCOME", sendEmail=True)
        assert done["userErrors"] == [] and done["email"] == {"to": "ada@example.com", "status": "SENT",
                                                              "subject": "Coupons redeemed"}
        nobody = await add_customer(org)
        assert codes(await redeem(org, nobody, "WELCOME", sendEmail=True)) == [(["sendEmail"], "REQUIRED")]
    assert len(sink.messages) == 1
    message = email.message_from_bytes(sink.messages[0], policy=policy.default)
    assert message["To"] == "ada@example.com"
    assert "WELCOME: Welcome: 10% off" in message.get_content()


async def test_twenty_concurrent_redemptions_of_a_coupon_with_five_left_give_exactly_five(org):
    await coupon(org, id="FIVE", restrictions={"totalRedemptions": 5})
    customers = [await add_customer(org) for _ in range(20)]
    results = await asyncio.gather(*(redeem(org, c, "FIVE") for c in customers))
    ok = [r for r in results if r["userErrors"] == []]
    refused = [r for r in results if r["userErrors"]]
    assert len(ok) == 5 and len(refused) == 15
    assert all(codes(r) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")] for r in refused)
    assert (await org.gql(COUPON, {"id": "FIVE"}))["coupon"]["redemptionsCount"] == 5


async def test_concurrent_redemptions_by_one_customer_respect_the_per_customer_limit(org):
    await coupon(org, id="TWICE", restrictions={"redemptionsPerCustomer": 2})
    cid = await add_customer(org)
    results = await asyncio.gather(*(redeem(org, cid, "TWICE") for _ in range(8)))
    assert sum(r["userErrors"] == [] for r in results) == 2
    assert (await org.gql(COUPON, {"id": "TWICE"}))["coupon"]["redemptionsCount"] == 2


async def test_a_replayed_redemption_redeems_once(org):
    await coupon(org, id="ONE", restrictions={"totalRedemptions": 1})
    cid = await add_customer(org)
    inp = {"customerId": cid, "couponIds": ["ONE"], "idempotencyKey": "same"}
    first = (await org.gql(REDEEM, {"input": inp}))["customerCouponsRedeem"]
    again = (await org.gql(REDEEM, {"input": inp}))["customerCouponsRedeem"]
    assert first["userErrors"] == [] and again["redemptions"] == first["redemptions"]
    other = (await org.gql(REDEEM, {"input": {**inp, "couponIds": ["ONE", "ONE"]}}))["customerCouponsRedeem"]
    assert codes(other) == [(["couponIds"], "DUPLICATE")]


# ---------------------------------------------------------------------------------------------- the table
#
# Catalog: plan P20 (FLAT_RATE 20.00 per unit), plan P5 (FIXED_FEE 5.00, another product), shipping 4.00 when
# asked for. Each row: coupons (redeemed in this order), the order's lines, shipping, and the discount
# worked out by hand.

COUPONS: dict[str, dict[str, Any]] = {
    "PCT10": {"discount": {"type": "PERCENT", "percent": "10"}},
    "FIX7": {"discount": {"type": "FIXED", "amount": "7.00", "currency": "USD"}},
    "FIX7EUR": {"discount": {"type": "FIXED", "amount": "7.00", "currency": "EUR"}},
    "SHIP50": {"discount": {"type": "PERCENT", "percent": "50", "context": "SHIPPING"}},
    "BOTH25": {"discount": {"type": "PERCENT", "percent": "25", "context": "ITEMS_AND_SHIPPING"}},
    "EXCL30": {"discount": {"type": "PERCENT", "percent": "30"}, "restrictions": {"exclusive": True}},
    "EXCL5": {"discount": {"type": "FIXED", "amount": "5.00", "currency": "USD"}, "restrictions": {"exclusive": True}},
    "MIN50": {"discount": {"type": "FIXED", "amount": "10.00", "currency": "USD"},
              "restrictions": {"minimumOrderAmount": {"amount": "50.00", "currency": "USD"}}},
    "MAX30": {"discount": {"type": "FIXED", "amount": "3.00", "currency": "USD"},
              "restrictions": {"maximumOrderAmount": {"amount": "30.00", "currency": "USD"}}},
    "P20X3": {"discount": {"type": "PERCENT", "percent": "50"}, "restrictions": {"plans": {"minimumQuantity": 3}}},
    "PRODP5": {"discount": {"type": "PERCENT", "percent": "100"}, "restrictions": {"products": {}}},
    "BIG": {"discount": {"type": "FIXED", "amount": "1000.00", "currency": "USD"}},
    "BXGY": {"discount": {"type": "PERCENT", "percent": "100"}, "restrictions": {"buyXGetY": {}}},
    "THIRD": {"discount": {"type": "PERCENT", "percent": "33.33"}},
}

# (coupons, P20 quantity, P5 quantity, shipping, expected discount, expected coupons that apply)
TABLE: list[tuple[list[str], int, int, str | None, str, list[str]]] = [
    (["PCT10"], 1, 0, None, "2.00", ["PCT10"]),                      # 10% of 20.00
    (["FIX7"], 1, 0, None, "7.00", ["FIX7"]),
    (["FIX7EUR"], 1, 0, None, "0.00", []),                          # another currency never applies
    (["PCT10", "FIX7"], 2, 0, None, "11.00", ["PCT10", "FIX7"]),     # 4.00 + 7.00 on 40.00
    (["SHIP50"], 1, 0, "4.00", "2.00", ["SHIP50"]),                  # half the shipping
    (["SHIP50"], 1, 0, None, "0.00", []),                           # no shipping: nothing to discount
    (["BOTH25"], 1, 1, "4.00", "7.25", ["BOTH25"]),                  # 25% of (20 + 5 + 4) = 7.25
    (["EXCL30", "PCT10", "FIX7"], 2, 0, None, "12.00", ["EXCL30"]),  # 30% of 40 = 12 beats 4 + 7 = 11
    (["EXCL30", "PCT10", "FIX7"], 1, 0, None, "9.00", ["PCT10", "FIX7"]),  # 6 does not beat 2 + 7 = 9
    (["EXCL5", "FIX7"], 1, 0, None, "7.00", ["FIX7"]),               # 5 < 7
    (["EXCL30", "EXCL5"], 1, 0, None, "6.00", ["EXCL30"]),           # the best exclusive one, alone
    (["EXCL5", "PCT10"], 1, 0, None, "5.00", ["EXCL5"]),             # 5 beats 2
    (["MIN50"], 2, 0, None, "0.00", []),                            # 40.00 < 50.00
    (["MIN50"], 3, 0, None, "10.00", ["MIN50"]),                     # 60.00 >= 50.00
    (["MAX30"], 2, 0, None, "0.00", []),                            # 40.00 > 30.00
    (["MAX30"], 1, 1, None, "3.00", ["MAX30"]),                      # 25.00 <= 30.00
    (["P20X3"], 2, 1, None, "0.00", []),                            # P20 quantity 2 < 3
    (["P20X3"], 3, 1, None, "30.00", ["P20X3"]),                     # 50% of the P20 line only (60.00)
    (["PRODP5"], 1, 1, None, "5.00", ["PRODP5"]),                    # 100% of P5's product lines only
    (["BIG"], 1, 0, "4.00", "20.00", ["BIG"]),                       # items context: at most the items
    (["BIG", "SHIP50"], 1, 0, "4.00", "22.00", ["BIG", "SHIP50"]),   # 20 + 2: never more than the order
    (["BXGY"], 2, 1, None, "5.00", ["BXGY"]),                        # buy 2 P20, get the P5 free
    (["BXGY"], 1, 1, None, "0.00", []),                             # only 1 P20
    (["THIRD"], 1, 0, None, "6.67", ["THIRD"]),                      # 33.33% of 20.00 = 6.666 -> 6.67 (half up)
]


async def test_discounts_apply_exactly_as_the_restrictions_say(org):
    prod, other = await add_product(org), await add_product(org, name="Stickers")
    p20 = await add_plan(org, prod, name="Seat", pricing={"formula": "FLAT_RATE", "price": "20.00"})
    p5 = await add_plan(org, other, name="Sticker", pricing={"formula": "FIXED_FEE", "price": "5.00"})
    fill = {"P20X3": {"plans": {"ids": [p20["id"]], "minimumQuantity": 3}},
            "PRODP5": {"products": {"ids": [other]}},
            "BXGY": {"buyXGetY": {"buy": [{"planId": p20["id"], "quantity": 2}], "get": [{"planId": p5["id"], "quantity": 1}]}}}
    for code, spec in COUPONS.items():
        inp = {"id": code, **spec}
        if code in fill:
            inp["restrictions"] = fill[code]
        await coupon(org, **inp)
    for n, (codes_, q20, q5, shipping, expected, applied) in enumerate(TABLE):
        cid = await add_customer(org)
        assert (await redeem(org, cid, *codes_))["userErrors"] == [], n
        items = [{"planId": p20["id"], "quantity": q20}] + ([{"planId": p5["id"], "quantity": q5}] if q5 else [])
        inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": items, "autopay": False,
               "idempotencyKey": key("t"), **({"shippingAmount": shipping} if shipping else {})}
        result = (await org.gql(ORDER_WITH_DISCOUNTS, {"input": inp}))["orderCreate"]
        assert result["userErrors"] == [], (n, result)
        inv = result["invoice"]
        assert inv["discount"]["amount"] == expected, (n, codes_, inv)
        assert [d["couponId"] for d in inv["discounts"]] == applied, (n, inv)
        total = Decimal(inv["subtotal"]["amount"]) + Decimal(inv["shipping"]["amount"]) - Decimal(expected)
        assert Decimal(inv["total"]["amount"]) == total, (n, inv)


async def test_coupons_on_order_create_are_redeemed_with_the_order_all_or_none(org):
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "50.00"})
    await coupon(org, id="LAST", discount={"type": "FIXED", "amount": "10", "currency": "USD"},
                 restrictions={"totalRedemptions": 1})
    await coupon(org, id="GONE", expiredTime="2099-01-01T00:00:00Z")
    await org.gql(EXPIRE, {"input": {"couponId": "GONE"}})
    cid = await add_customer(org)
    bad = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False, couponIds=["LAST", "GONE", "NONE"])
    assert sorted(codes(bad), key=str) == sorted([(["couponIds", "1"], "COUPON_NOT_REDEEMABLE"),
                                                 (["couponIds", "2"], "NOT_FOUND")], key=str)
    assert (await org.gql(COUPON, {"id": "LAST"}))["coupon"]["redemptionsCount"] == 0
    inp = {"customerId": cid, "orderType": "SUBSCRIPTION", "items": [{"planId": plan["id"]}], "autopay": False,
           "couponIds": ["LAST"], "idempotencyKey": "with-coupon"}
    made = (await org.gql(ORDER_WITH_DISCOUNTS, {"input": inp}))["orderCreate"]
    assert made["userErrors"] == [] and made["invoice"]["total"]["amount"] == "40.00"
    assert made["invoice"]["discounts"] == [{"couponId": "LAST", "description": 'Coupon "LAST"', "amount": {"amount": "10.00"}}]
    again = (await org.gql(ORDER_WITH_DISCOUNTS, {"input": inp}))["orderCreate"]
    assert again["invoice"]["id"] == made["invoice"]["id"]  # the retry redeems nothing twice
    assert (await org.gql(COUPON, {"id": "LAST"}))["coupon"]["redemptionsCount"] == 1
    other = await add_customer(org)
    late = await create_order(org, other, [{"planId": plan["id"]}], autopay=False, couponIds=["LAST"])
    assert codes(late) == [(["couponIds", "0"], "REDEMPTION_LIMIT_REACHED")] and late["order"] is None


TAGS_ADD = """mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { userErrors { code } } }"""


async def test_customer_restrictions_are_checked_when_redeeming(org):
    vip, regular, other = await add_customer(org), await add_customer(org), await add_customer(org)
    await org.gql(TAGS_ADD, {"input": {"customerIds": [vip], "tags": ["VIP", "Wholesale"]}})
    await org.gql(TAGS_ADD, {"input": {"customerIds": [regular], "tags": ["wholesale"]}})
    await coupon(org, id="ALLTAGS", restrictions={"customerTags": {"tags": ["vip", "wholesale"], "requireAllTags": True}})
    await coupon(org, id="ANYTAG", restrictions={"customerTags": {"tags": ["VIP", "wholesale"], "requireAllTags": False}})
    await coupon(org, id="JUSTVIP", restrictions={"customerIds": [vip]})
    await coupon(org, id="PAIDBY", restrictions={"paidByTime": "2000-01-01T00:00:00Z"})
    assert (await redeem(org, vip, "ALLTAGS", "ANYTAG", "JUSTVIP"))["userErrors"] == []
    assert sorted(codes(await redeem(org, regular, "ALLTAGS", "ANYTAG", "JUSTVIP", "PAIDBY")), key=str) == sorted([
        (["couponIds", "0"], "COUPON_NOT_REDEEMABLE"), (["couponIds", "2"], "COUPON_NOT_REDEEMABLE"),
        (["couponIds", "3"], "COUPON_NOT_REDEEMABLE")], key=str)
    assert codes(await redeem(org, other, "ANYTAG")) == [(["couponIds", "0"], "COUPON_NOT_REDEEMABLE")]


async def test_discounts_per_redemption_limit_the_invoices_one_redemption_discounts(org):
    cid = await add_customer(org)
    plan = await add_plan(org, await add_product(org), pricing={"formula": "FIXED_FEE", "price": "10.00"})
    await coupon(org, id="FIRST", discount={"type": "FIXED", "amount": "3", "currency": "USD"},
                 restrictions={"discountsPerRedemption": 1})
    await redeem(org, cid, "FIRST")
    first = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    second = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    assert (first["invoice"]["total"]["amount"], second["invoice"]["total"]["amount"]) == ("7.00", "10.00")
    seen = (await org.gql(CUSTOMER, {"id": cid}))["customer"]["couponRedemptions"]
    assert [(r["applicationsCount"], r["appliedInvoiceIds"]) for r in seen] == [(1, [first["invoice"]["id"]])]
