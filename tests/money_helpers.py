"""Shared steps of the money tests: a gateway account, a customer, and the operations they use."""

from __future__ import annotations

import itertools
from typing import Any

from tests.helpers import Org

CREATE_ACCOUNT = """mutation($input: GatewayAccountCreateInput!) { gatewayAccountCreate(input: $input) {
  gatewayAccount { id name gatewayName acceptedCurrencies active } userErrors { field message code } } }"""

CREATE_CUSTOMER = """mutation($input: CustomerCreateInput!) { customerCreate(input: $input) {
  customer { id } userErrors { field message code } } }"""

TXN_FIELDS = """id customerId type status result amount { amount currency } refundedAmount { amount currency }
  refundableAmount { amount currency } isProcessedOutside method reference parentTransactionId
  childTransactionIds gatewayAccountId gatewayName gatewayResponse { code message } isSettled last4 bin
  requestId description"""

COLLECT = f"""mutation($input: CustomerPaymentCollectInput!) {{ customerPaymentCollect(input: $input) {{
  transaction {{ {TXN_FIELDS} }} paymentLink {{ id url status expiresTime amount {{ amount currency }} }}
  userErrors {{ field message code }} }} }}"""

REFUND = f"""mutation($input: TransactionRefundInput!) {{ transactionRefund(input: $input) {{
  transaction {{ {TXN_FIELDS} }} refund {{ {TXN_FIELDS} }} userErrors {{ field message code }} }} }}"""

CUSTOMER_MONEY = """query($id: ID!) { customer(id: $id) { id isLead paymentCount lastPaymentTime
  lifetimeRevenue { amount currency } averageValue { amount currency } } }"""

_keys = itertools.count(1)


def key(prefix: str = "k") -> str:
    return f"{prefix}-{next(_keys)}"


async def add_account(org: Org, currencies: list[str] | None = None, name: str = "Sandbox") -> str:
    data = await org.gql(
        CREATE_ACCOUNT, {"input": {"name": name, "acceptedCurrencies": currencies or ["USD", "EUR"]}}
    )
    assert data["gatewayAccountCreate"]["userErrors"] == []
    return data["gatewayAccountCreate"]["gatewayAccount"]["id"]


async def add_customer(org: Org, **fields: Any) -> str:
    data = await org.gql(
        CREATE_CUSTOMER, {"input": {"websiteId": org.website_id, "firstName": "Ada", **fields}}
    )
    assert data["customerCreate"]["userErrors"] == []
    return data["customerCreate"]["customer"]["id"]


async def add_payee(org: Org, **fields: Any) -> str:
    """A customer with a card on file (its default instrument), so payouts have somewhere to go."""
    card = {"number": APPROVE_CARD, "expMonth": 12, "expYear": 2039}
    return await add_customer(org, defaultPaymentInstrument={"card": card}, **fields)


async def collect(org: Org, **fields: Any) -> dict[str, Any]:
    inp = {"amount": "100.00", "currency": "USD", "option": "PAID_OUTSIDE", "idempotencyKey": key(), **fields}
    return (await org.gql(COLLECT, {"input": inp}))["customerPaymentCollect"]


async def paid_outside(
    org: Org, customer_id: str, amount: str = "100.00", currency: str = "USD"
) -> dict[str, Any]:
    result = await collect(org, customerId=customer_id, amount=amount, currency=currency)
    assert result["userErrors"] == [], result
    return result["transaction"]


async def refund(org: Org, txn_id: str, amount: str | None = None, idem: str | None = None) -> dict[str, Any]:
    inp: dict[str, Any] = {"transactionId": txn_id, "idempotencyKey": idem or key("r")}
    if amount is not None:
        inp["amount"] = amount
    return (await org.gql(REFUND, {"input": inp}))["transactionRefund"]


async def customer_money(org: Org, customer_id: str) -> dict[str, Any]:
    return (await org.gql(CUSTOMER_MONEY, {"id": customer_id}))["customer"]


PAYOUT = f"""mutation($input: PayoutSendInput!) {{ payoutSend(input: $input) {{
  transaction {{ {TXN_FIELDS} }} alreadySent userErrors {{ field message code }} }} }}"""

TRANSACTIONS = """query($id: ID!, $segment: TransactionSegment, $first: Int!, $after: String,
  $direction: SortDirection) {
  customer(id: $id) { transactions(first: $first, after: $after, segment: $segment, direction: $direction) {
    totalCount edges { cursor node { id type status result amount { amount } } }
    pageInfo { hasNextPage endCursor } } } }"""

APPROVE_CARD = "4111 1111 1111 1111"
INSUFFICIENT_FUNDS_CARD = "4000 0000 0000 9995"
STOLEN_CARD = "4000000000009979"
TIMEOUT_CARD = "4000000000000119"


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def payment_link(
    org: Org, customer_id: str, amount: str = "100.00", currency: str = "USD", **fields: Any
) -> dict[str, Any]:
    result = await collect(
        org, customerId=customer_id, amount=amount, currency=currency, option="HOSTED_FORM", **fields
    )
    assert result["userErrors"] == [], result
    return result["paymentLink"]


async def pay_on_page(org: Org, url: str, card: str = APPROVE_CARD, expiry: str = "12/39") -> Any:
    return await org.http.post(path_of(url), data={"cardNumber": card, "expiry": expiry})


async def card_sale(org: Org, customer_id: str, amount: str = "100.00", card: str = APPROVE_CARD) -> str:
    """A sale through the sandbox gateway (via a hosted payment page); returns its transaction id."""
    link = await payment_link(org, customer_id, amount)
    response = await pay_on_page(org, link["url"], card)
    assert response.status_code == 200, response.text
    page = await org.gql(TRANSACTIONS, {"id": customer_id, "first": 1})
    return page["customer"]["transactions"]["edges"][0]["node"]["id"]


async def payout(
    org: Org,
    customer_id: str,
    request_id: str,
    amount: str = "25.00",
    currency: str = "USD",
    idem: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    inp = {
        "customerId": customer_id,
        "amount": amount,
        "currency": currency,
        "requestId": request_id,
        "idempotencyKey": idem or key("p"),
        **fields,
    }
    return (await org.gql(PAYOUT, {"input": inp}))["payoutSend"]
