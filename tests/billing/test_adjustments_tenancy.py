"""Cross-organization: every coupon, credit memo and quote operation of issue 13 sees and touches only
its own organization's documents."""

from __future__ import annotations

from tests.billing.helpers import add_plan, add_product, create_order
from tests.billing.test_coupons import coupon, redeem
from tests.billing.test_credit_memos import memo
from tests.billing.test_quotes import act, make
from tests.money_helpers import add_customer

READ = """query($cpn: ID!, $cpnr: ID!, $crmm: ID!, $qt: ID!) {
  coupon(id: $cpn) { id } c: node(id: $cpn) { id } r: node(id: $cpnr) { id }
  creditMemo(id: $crmm) { id } m: node(id: $crmm) { id } coupons(first: 10) { totalCount }
  quote(id: $qt) { id } q: node(id: $qt) { id } }"""

MUTATIONS = {
    "couponUpdate": ("CouponUpdateInput", lambda ids: {"couponId": ids["cpn"], "description": "Hacked"}),
    "couponExpire": ("CouponExpireInput", lambda ids: {"couponId": ids["cpn"]}),
    "customerCouponsRedeem": ("CustomerCouponsRedeemInput",
                              lambda ids: {"customerId": ids["cus"], "couponIds": [ids["cpn"]], "idempotencyKey": "t-1"}),
    "couponRedemptionCancel": ("CouponRedemptionCancelInput", lambda ids: {"redemptionId": ids["cpnr"]}),
    "creditMemoCreate": ("CreditMemoCreateInput", lambda ids: {"customerId": ids["cus"], "reason": "OTHER",
                                                               "currency": "USD", "items": [{"unitPrice": "1"}]}),
    "creditMemoUpdate": ("CreditMemoUpdateInput", lambda ids: {"creditMemoId": ids["crmm"], "shippingAmount": "1"}),
    "creditMemoIssue": ("CreditMemoActionInput", lambda ids: {"creditMemoId": ids["crmm"]}),
    "creditMemoVoid": ("CreditMemoActionInput", lambda ids: {"creditMemoId": ids["crmm"]}),
    "creditMemoRefund": ("CreditMemoRefundInput", lambda ids: {"creditMemoId": ids["crmm"], "idempotencyKey": "t-5"}),
    "creditMemoAllocate": ("CreditMemoAllocateInput",
                           lambda ids: {"creditMemoId": ids["crmm"], "invoiceId": ids["inv"], "idempotencyKey": "t-2"}),
    "invoiceCreditBalanceAllocate": ("InvoiceCreditBalanceAllocateInput",
                                     lambda ids: {"invoiceId": ids["inv"], "idempotencyKey": "t-3"}),
    "quoteCreate": ("QuoteCreateInput", lambda ids: {"customerId": ids["cus"], "items": [{"planId": ids["plan"]}]}),
    "quoteUpdate": ("QuoteUpdateInput", lambda ids: {"quoteId": ids["qt"], "autopay": True}),
    "quoteIssue": ("QuoteActionInput", lambda ids: {"quoteId": ids["qt"]}),
    "quoteRecall": ("QuoteActionInput", lambda ids: {"quoteId": ids["qt"]}),
    "quoteCancel": ("QuoteActionInput", lambda ids: {"quoteId": ids["qt"]}),
    "quoteReject": ("QuoteActionInput", lambda ids: {"quoteId": ids["qt"]}),
    "quoteAccept": ("QuoteAcceptInput", lambda ids: {"quoteId": ids["qt"], "idempotencyKey": "t-4"}),
}
COLLECTIONS = ("coupons", "coupon_redemptions", "coupon_counters", "credit_memos", "invoices", "quotes", "orders")


async def test_coupons_and_credit_memos_of_another_organization_are_invisible_and_untouchable(org, other_org, store):
    cid = await add_customer(org)
    made = await coupon(org)
    rdm = (await redeem(org, cid, made["id"]))["redemptions"][0]["id"]
    plan = await add_plan(org, await add_product(org))
    inv = (await create_order(org, cid, [{"planId": plan["id"]}], autopay=False))["invoice"]["id"]
    crmm = (await memo(org, cid, draft=True))["id"]
    qt = (await make(org, cid, plan["id"]))["id"]
    await act(org, "quoteIssue", qt)
    ids = {"cus": cid, "cpn": made["id"], "cpnr": rdm, "crmm": crmm, "inv": inv, "qt": qt, "plan": plan["id"]}
    before = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in COLLECTIONS}
    seen = await other_org.gql(READ, {"cpn": made["id"], "cpnr": rdm, "crmm": crmm, "qt": qt})
    assert seen == {"coupon": None, "c": None, "r": None, "creditMemo": None, "m": None, "coupons": {"totalCount": 0},
                    "quote": None, "q": None}
    for name, (input_type, build) in MUTATIONS.items():
        query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
        data = await other_org.gql(query, {"input": build(ids)})
        codes = {e["code"] for e in data[name]["userErrors"]}
        assert codes and codes <= {"NOT_FOUND"}, (name, data)
    after = {c: [d async for d in store.db[c].find({}, {"_id": 0})] for c in COLLECTIONS}
    assert after == before
    token = (await org.gql("""query($id: ID!) { quote(id: $id) { acceptanceUrl } }""", {"id": qt}))["quote"]["acceptanceUrl"]
    pdf = await other_org.http.get(f"/quotes/{qt}.pdf", headers={"Authorization": f"Bearer {other_org.read_key}"})
    assert pdf.status_code == 404 and token
