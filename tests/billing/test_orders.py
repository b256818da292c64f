"""*Create an order* end to end through GraphQL: the initial invoice, the charge with autopay (backup
instruments on a decline), paying a waiting invoice, and every rule refused at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from store.ids import new_id
from tests.billing.helpers import INVOICE, ORDER, add_card, add_plan, add_product, create_order
from tests.money_helpers import COLLECT, INSUFFICIENT_FUNDS_CARD, add_account, add_customer, customer_money, key

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind
  ... on OrderEvent { orderId } ... on InvoiceEvent { invoiceId amount { amount } } } } } } }"""


async def _setup(org, **plan_fields):
    await add_account(org)
    cid = await add_customer(org)
    product = await add_product(org)
    plan = await add_plan(org, product, **plan_fields)
    return cid, product, plan


async def test_subscription_with_autopay_is_charged_and_active_at_once(org):
    cid, _, plan = await _setup(org, pricing={"formula": "FLAT_RATE", "price": "19.99"}, setupPrice="5.00")
    card = await add_card(org, cid)
    result = await create_order(org, cid, [{"planId": plan["id"], "quantity": 3}], notes="Thanks!")
    assert result["userErrors"] == []
    order, invoice, txn = result["order"], result["invoice"], result["transaction"]
    assert order["status"] == "ACTIVE" and order["billingStatus"] == "PAID"
    assert order["mrr"] == {"amount": "59.97", "currency": "USD"}
    assert [(i["description"], i["unitPrice"], i["quantity"], i["amount"]["amount"]) for i in invoice["items"]] == [
        ("Setup fee: Basic", "5.00", 1, "5.00"), ("Basic × 3", "19.99", 3, "59.97")]
    assert invoice["total"]["amount"] == "64.97" and invoice["amountDue"]["amount"] == "0.00"
    assert (invoice["status"], invoice["type"], invoice["invoiceNumber"], invoice["notes"]) == ("PAID", "INITIAL", 1, "Thanks!")
    assert txn["result"] == "APPROVED" and txn["amount"]["amount"] == "64.97" and txn["paymentInstrumentId"] == card
    assert invoice["transactionIds"] == [txn["id"]]
    start = datetime.fromisoformat(order["currentPeriodStart"])
    end = datetime.fromisoformat(order["currentPeriodEnd"])
    assert 28 <= (end - start).days <= 31 and order["renewalTime"] == order["currentPeriodEnd"]
    assert (await customer_money(org, cid))["lifetimeRevenue"] == [{"amount": "64.97", "currency": "USD"}]
    kinds = [e["node"]["kind"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    assert kinds[:5] == ["ORDER_ACTIVATED", "INVOICE_PAID", "PAYMENT_APPROVED", "INVOICE_ISSUED", "ORDER_CREATED"]


async def test_without_autopay_the_invoice_waits_and_paying_it_activates_the_order(org):
    cid, _, plan = await _setup(org)
    result = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    assert result["userErrors"] == [] and result["transaction"] is None
    order, invoice = result["order"], result["invoice"]
    assert (order["status"], order["billingStatus"], invoice["status"]) == ("PENDING", "UNPAID", "UNPAID")
    assert order["mrr"]["amount"] == "0.00"
    too_much = await org.gql(COLLECT, {"input": {"customerId": cid, "amount": "10.01", "currency": "USD",
                                                 "option": "PAID_OUTSIDE", "invoiceId": invoice["id"], "idempotencyKey": key()}})
    assert [e["code"] for e in too_much["customerPaymentCollect"]["userErrors"]] == ["OVER_PAYMENT"]
    part = await org.gql(COLLECT, {"input": {"customerId": cid, "amount": "4.00", "currency": "USD",
                                             "option": "PAID_OUTSIDE", "invoiceId": invoice["id"], "idempotencyKey": key()}})
    assert part["customerPaymentCollect"]["userErrors"] == []
    half = (await org.gql(INVOICE, {"id": invoice["id"]}))["invoice"]
    assert (half["status"], half["amountPaid"]["amount"], half["amountDue"]["amount"]) == ("PARTIALLY_PAID", "4.00", "6.00")
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "PENDING"
    rest = await org.gql(COLLECT, {"input": {"customerId": cid, "amount": "6.00", "currency": "USD",
                                             "option": "PAID_OUTSIDE", "invoiceId": invoice["id"], "idempotencyKey": key()}})
    assert rest["customerPaymentCollect"]["userErrors"] == []
    paid = (await org.gql(INVOICE, {"id": invoice["id"]}))["invoice"]
    assert paid["status"] == "PAID" and len(paid["transactions"]) == 2
    after = (await org.gql(ORDER, {"id": order["id"]}))["order"]
    assert (after["status"], after["billingStatus"], after["mrr"]["amount"]) == ("ACTIVE", "PAID", "10.00")


async def test_a_declined_charge_falls_back_to_a_backup_card(org):
    cid, _, plan = await _setup(org)
    await add_card(org, cid, INSUFFICIENT_FUNDS_CARD)
    backup = await add_card(org, cid, "5555555555554444", default=False, backup=True)
    result = await create_order(org, cid, [{"planId": plan["id"]}])
    assert result["userErrors"] == []
    assert result["order"]["status"] == "ACTIVE"
    assert result["transaction"]["paymentInstrumentId"] == backup


async def test_a_declined_charge_leaves_the_order_pending_and_a_retry_charges_nothing_again(org):
    cid, _, plan = await _setup(org)
    await add_card(org, cid, INSUFFICIENT_FUNDS_CARD)
    idem = key("o")
    first = await create_order(org, cid, [{"planId": plan["id"]}], idem=idem)
    assert [e["code"] for e in first["userErrors"]] == ["DECLINED"]
    assert first["order"]["status"] == "PENDING" and first["invoice"]["status"] == "UNPAID"
    again = await create_order(org, cid, [{"planId": plan["id"]}], idem=idem)
    assert again["order"]["id"] == first["order"]["id"]
    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert [e["code"] for e in again["userErrors"]] == ["DECLINED"]
    other = await create_order(org, cid, [{"planId": plan["id"], "quantity": 2}], idem=idem)
    assert other["order"] is None and [e["code"] for e in other["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_one_time_order_is_completed_when_paid(org):
    await add_account(org)
    cid = await add_customer(org)
    product = await add_product(org, name="Starter kit", requiresShipping=True)
    plan = await add_plan(org, product, type="ONE_TIME", recurringInterval=None,
                          pricing={"formula": "VOLUME", "brackets": [{"price": "8", "maxQuantity": 10},
                                                                     {"price": "5", "maxQuantity": None}]})
    await add_card(org, cid)
    result = await create_order(org, cid, [{"planId": plan["id"], "quantity": 12}], orderType="ONE_TIME",
                                shippingAmount="4.50")
    assert result["userErrors"] == []
    assert result["order"]["status"] == "COMPLETED" and result["order"]["renewalTime"] is None
    assert result["order"]["shipping"] == {"calculator": "MANUAL", "amount": {"amount": "4.50"}}
    invoice = result["invoice"]
    assert (invoice["type"], invoice["subtotal"]["amount"], invoice["shipping"]["amount"], invoice["total"]["amount"]) == (
        "ONE_TIME", "60.00", "4.50", "64.50")


async def test_a_free_trial_costs_nothing_now_and_the_order_is_active_in_trial(org):
    cid, _, plan = await _setup(org, trial={"price": "0", "unit": "DAY", "length": 14})
    result = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    order, invoice = result["order"], result["invoice"]
    assert (order["status"], order["inTrial"]) == ("ACTIVE", True)
    assert invoice["total"]["amount"] == "0.00" and invoice["status"] == "PAID"
    start = datetime.fromisoformat(order["startTime"])
    assert datetime.fromisoformat(order["trialEndTime"]) - start == timedelta(days=14)
    assert order["renewalTime"] == order["trialEndTime"]


async def test_trial_only_and_overridden_trials(org):
    cid, _, plan = await _setup(org)
    end = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    trial_only = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False, isTrialOnly=True,
                                    trialEndTime=end.isoformat())
    order = trial_only["order"]
    assert (order["isTrialOnly"], order["inTrial"], order["renewalTime"]) == (True, True, None)
    assert datetime.fromisoformat(order["trialEndTime"]) == end
    needs_end = await create_order(org, cid, [{"planId": plan["id"]}], isTrialOnly=True)
    assert [(e["field"], e["code"]) for e in needs_end["userErrors"]] == [(["trialEndTime"], "REQUIRED")]


async def test_customised_items_keep_their_copy_when_the_plan_changes_later(org):
    cid, _, plan = await _setup(org)
    result = await create_order(org, cid, [{"planId": plan["id"], "customize": {
        "name": "Basic (friends)", "pricing": {"formula": "FIXED_FEE", "price": "7.00"}}}], autopay=False)
    item = result["order"]["items"][0]
    assert item["isCustomized"] and sorted(item["customizedSettings"]) == ["name", "pricing"]
    assert item["plan"]["pricing"]["price"] == "7.00" and result["invoice"]["total"]["amount"] == "7.00"
    assert item["isGrandfathered"] is False
    await org.gql("""mutation($input: PlanUpdateInput!) { planUpdate(input: $input) { userErrors { code } } }""",
                  {"input": {"planId": plan["id"], "settings": {"pricing": {"formula": "FIXED_FEE", "price": "15.00"}}}})
    later = (await org.gql(ORDER, {"id": result["order"]["id"]}))["order"]["items"][0]
    assert later["plan"]["pricing"]["price"] == "7.00" and later["plan"]["planRevision"] == 1
    assert later["isGrandfathered"] is True


async def test_every_rule_of_an_order_is_refused_at_once_and_nothing_is_written(org, store):
    cid, product, plan = await _setup(org)
    yearly = await add_plan(org, product, name="Yearly", recurringInterval={"unit": "YEAR", "length": 1})
    euro = await add_plan(org, product, name="Euro", currency="EUR")
    one_time = await add_plan(org, product, name="Kit", type="ONE_TIME", recurringInterval=None)
    bounded = await add_plan(org, product, name="Seats", pricing={"formula": "FLAT_RATE", "price": "2", "maxQuantity": 5})
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    result = await create_order(org, cid, [
        {"planId": plan["id"]}, {"planId": yearly["id"]}, {"planId": euro["id"]}, {"planId": one_time["id"]},
        {"planId": bounded["id"], "quantity": 6}, {"planId": new_id("plan")},
        {"planId": cid}, {"planId": plan["id"], "customize": {"meteredBilling": {"strategy": "SUM"}}},
    ], abandonTime=past, paymentInstrumentId=new_id("inst"), shippingAmount="-1")
    errors = {(".".join(e["field"] or []), e["code"]) for e in result["userErrors"]}
    assert errors == {
        ("items.1.planId", "PERIOD_MISMATCH"),
        ("items.2.planId", "CURRENCY_MISMATCH"),
        ("items.3.planId", "ORDER_TYPE_MISMATCH"),
        ("items.4.quantity", "QUANTITY_OUT_OF_RANGE"),
        ("items.5.planId", "NOT_FOUND"),
        ("items.6.planId", "WRONG_ID_TYPE"),
        ("items.7.customize.meteredBilling", "METERED_NEEDS_POSTPAID"),
        ("abandonTime", "DATE_IN_PAST"),
        ("paymentInstrumentId", "NOT_FOUND"),
        ("shippingAmount", "INVALID"),
    }
    assert result["order"] is None
    db = store.for_org(org.id)
    assert await db["orders"].count({}) == 0 and await db["invoices"].count({}) == 0
