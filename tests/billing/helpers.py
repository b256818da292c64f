"""Shared steps of the billing tests: a catalog, cards, orders, and the operations they use."""

from __future__ import annotations

from typing import Any

from tests.helpers import Org
from tests.money_helpers import key

ERR = "userErrors { field message code }"

PRODUCT_CREATE = f"""mutation($input: ProductCreateInput!) {{ productCreate(input: $input) {{
  product {{ id name unitLabel requiresShipping options isActive revision }} {ERR} }} }}"""

PLAN_FIELDS = """id productId name currency type isActive revision billingTiming setupPrice periodAnchorDay
  pricing { formula price minQuantity maxQuantity brackets { price maxQuantity } }
  recurringInterval { unit length limit } trial { price unit length }
  meteredBilling { strategy minQuantity maxQuantity } invoiceIssueShift { unit length } invoiceDueShift { unit length }"""

PLAN_CREATE = f"""mutation($input: PlanCreateInput!) {{ planCreate(input: $input) {{ plan {{ {PLAN_FIELDS} }} {ERR} }} }}"""
PLAN_UPDATE = f"""mutation($input: PlanUpdateInput!) {{ planUpdate(input: $input) {{ plan {{ {PLAN_FIELDS} }} {ERR} }} }}"""

ORDER_FIELDS = """id status orderType billingStatus currency autopay inTrial isTrialOnly trialEndTime startTime
  renewalTime currentPeriodStart currentPeriodEnd rebillNumber activationTime paymentInstrumentId notes
  mrr { amount currency } initialInvoiceId canceledBy cancelCategory churnTime revision
  shipping { calculator amount { amount } }
  items { id quantity isCustomized customizedSettings isGrandfathered
    plan { planId planRevision name type pricing { formula price } recurringInterval { unit length } } }"""

INVOICE_FIELDS = """id invoiceNumber type status orderId periodNumber subtotal { amount currency } total { amount }
  shipping { amount } tax { amount } amountDue { amount } amountPaid { amount } amountRefunded { amount }
  issuedTime dueTime paidTime transactionIds notes
  items { description unitPrice quantity amount { amount } periodStartTime periodEndTime planId }"""

ORDER_CREATE = f"""mutation($input: OrderCreateInput!) {{ orderCreate(input: $input) {{
  order {{ {ORDER_FIELDS} }} invoice {{ {INVOICE_FIELDS} }}
  transaction {{ id result status amount {{ amount }} paymentInstrumentId }} {ERR} }} }}"""

ORDER = f"""query($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"""
INVOICE = f"""query($id: ID!) {{ invoice(id: $id) {{ {INVOICE_FIELDS} transactions {{ id }} }} }}"""

ADD_INSTRUMENT = f"""mutation($input: PaymentInstrumentAddInput!) {{ paymentInstrumentAdd(input: $input) {{
  paymentInstrument {{ id status }} {ERR} }} }}"""

MONTHLY = {"unit": "MONTH", "length": 1}


async def add_product(org: Org, name: str = "Cloud storage", **fields: Any) -> str:
    data = await org.gql(PRODUCT_CREATE, {"input": {"name": name, **fields}})
    assert data["productCreate"]["userErrors"] == [], data
    return data["productCreate"]["product"]["id"]


async def add_plan(org: Org, product_id: str, **fields: Any) -> dict[str, Any]:
    inp = {"productId": product_id, "name": "Basic", "currency": "USD",
           "pricing": {"formula": "FIXED_FEE", "price": "10.00"}, "recurringInterval": MONTHLY, **fields}
    data = await org.gql(PLAN_CREATE, {"input": inp})
    assert data["planCreate"]["userErrors"] == [], data
    return data["planCreate"]["plan"]


async def add_card(org: Org, customer_id: str, number: str = "4111111111111111", *, default: bool = True,
                   backup: bool = False) -> str:
    data = await org.gql(ADD_INSTRUMENT, {"input": {
        "customerId": customer_id, "card": {"number": number, "expMonth": 12, "expYear": 2039},
        "useAsBackup": backup, "makeDefault": default}})
    assert data["paymentInstrumentAdd"]["userErrors"] == [], data
    return data["paymentInstrumentAdd"]["paymentInstrument"]["id"]


async def create_order(org: Org, customer_id: str, items: list[dict[str, Any]], idem: str | None = None,
                       **fields: Any) -> dict[str, Any]:
    inp = {"customerId": customer_id, "orderType": "SUBSCRIPTION", "items": items,
           "idempotencyKey": idem or key("o"), **fields}
    return (await org.gql(ORDER_CREATE, {"input": inp}))["orderCreate"]
