"""Every request that touched or named a customer is in that customer's API log (issue 18): the money
mutations (found through the shared customer, instrument and transaction lookups) and refused inputs
(found by the ids they name), accepted or not."""

from __future__ import annotations

import json

from tests.helpers import Org
from tests.money_helpers import add_account, add_customer, add_payee, key, paid_outside

LOGS = """query($id: ID!) { customer(id: $id) { apiLogs(first: 50) {
  edges { node { mutations outcome userErrorCodes customerIds } } } } }"""

MUTATIONS = {
    "collect": """mutation($i: CustomerPaymentCollectInput!) { customerPaymentCollect(input: $i) { userErrors { code } } }""",
    "refund": """mutation($i: TransactionRefundInput!) { transactionRefund(input: $i) { userErrors { code } } }""",
    "refunds": """mutation($i: TransactionsRefundInput!) { transactionsRefund(input: $i) { userErrors { code } } }""",
    "payout": """mutation($i: PayoutSendInput!) { payoutSend(input: $i) { userErrors { code } } }""",
    "request": """mutation($i: PayoutRequestCreateInput!) { payoutRequestCreate(input: $i) { userErrors { code } } }""",
    "backup": """mutation($i: PaymentInstrumentBackupSetInput!) { paymentInstrumentBackupSet(input: $i) {
      userErrors { code } } }""",
    "update": """mutation($i: CustomerUpdateInput!) { customerUpdate(input: $i) { userErrors { code } } }""",
    "add": """mutation($i: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $i) { userErrors { code } } }""",
}
INSTRUMENT = """query($id: ID!) { customer(id: $id) { defaultPaymentInstrument { id } } }"""


async def run(org: Org, name: str, inp: dict) -> list[str]:
    data = await org.gql(MUTATIONS[name], {"i": inp})
    return [e["code"] for e in next(iter(data.values()))["userErrors"]]


async def logged(org: Org, cid: str) -> list[tuple[list[str], str, list[str]]]:
    edges = (await org.gql(LOGS, {"id": cid}))["customer"]["apiLogs"]["edges"]
    return [(e["node"]["mutations"], e["node"]["outcome"], e["node"]["userErrorCodes"]) for e in reversed(edges)]


async def test_successful_money_requests_are_in_the_customers_log(org):
    await add_account(org)
    cid = await add_payee(org)
    inst = (await org.gql(INSTRUMENT, {"id": cid}))["customer"]["defaultPaymentInstrument"]["id"]
    sale = await paid_outside(org, cid, "50.00")
    other = await paid_outside(org, cid, "50.00")
    assert await run(org, "refund", {"transactionId": sale["id"], "amount": "1.00", "idempotencyKey": key()}) == []
    assert await run(org, "refunds", {"items": [{"transactionId": other["id"], "amount": "1.00"}],
                                      "idempotencyKey": key()}) == []
    assert await run(org, "payout", {"customerId": cid, "amount": "5.00", "currency": "USD", "requestId": key("p"),
                                     "idempotencyKey": key()}) == []
    assert await run(org, "request", {"customerId": cid, "amount": "5.00", "currency": "USD"}) == []
    assert await run(org, "backup", {"id": inst, "useAsBackup": True}) == []
    mutations = [m for m, outcome, _ in await logged(org, cid) if outcome == "OK"]
    assert mutations[-7:] == [["customerPaymentCollect"], ["customerPaymentCollect"], ["transactionRefund"],
                              ["transactionsRefund"], ["payoutSend"], ["payoutRequestCreate"],
                              ["paymentInstrumentBackupSet"]]


async def test_refused_inputs_naming_a_customer_are_in_its_log(org):
    await add_account(org)
    cid = await add_customer(org)
    assert await run(org, "update", {"id": cid, "emailsAdd": [{"value": "not-an-email"}]}) == ["INVALID_EMAIL"]
    assert await run(org, "add", {"customerId": cid, "card": {"number": "4111111111111112", "expMonth": 1,
                                                              "expYear": 2040}}) == ["INVALID_CARD_NUMBER"]
    assert await run(org, "collect", {"customerId": cid, "amount": "1.001", "currency": "USD",
                                      "option": "PAID_OUTSIDE", "idempotencyKey": key()}) == ["TOO_MANY_DECIMALS"]
    assert await logged(org, cid) == [
        (["customerCreate"], "OK", []),
        (["customerUpdate"], "USER_ERRORS", ["INVALID_EMAIL"]),
        (["paymentInstrumentAdd"], "USER_ERRORS", ["INVALID_CARD_NUMBER"]),
        (["customerPaymentCollect"], "USER_ERRORS", ["TOO_MANY_DECIMALS"]),
    ]


async def test_a_refused_refund_is_in_the_log_of_the_sales_customer(org):
    await add_account(org)
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "5.00")
    assert await run(org, "refund", {"transactionId": sale["id"], "amount": "9.00", "idempotencyKey": key()}) == [
        "OVER_REFUND"]
    assert (["transactionRefund"], "USER_ERRORS", ["OVER_REFUND"]) in await logged(org, cid)


async def test_a_request_with_unstorable_variables_is_still_logged(org, store):
    cid = await add_customer(org)
    body = json.dumps({"query": MUTATIONS["update"], "variables": {"i": {"id": cid, "firstName": "x\ud800",
                                                                         "customFields": {"n": 2**70}}}})
    response = await org.http.post("/graphql", content=body, headers={
        "Authorization": f"Bearer {org.write_key}", "Content-Type": "application/json"})
    code = response.json()["errors"][0]["extensions"]["code"]
    if code == "BAD_REQUEST":  # refused while reading the body: no GraphQL request ran, nothing to log
        return
    assert code == "BAD_USER_INPUT"
    assert (await logged(org, cid))[-1] == (["customerUpdate"], "ERROR", [])
    # an unstorable id named by the input does not lose the entry either
    body = json.dumps({"query": MUTATIONS["collect"], "variables": {"i": {
        "customerId": "cus_\ud800", "amount": "1.00", "currency": "USD", "option": "PAID_OUTSIDE",
        "idempotencyKey": "k"}}})
    response = await org.http.post("/graphql", content=body, headers={
        "Authorization": f"Bearer {org.write_key}", "Content-Type": "application/json"})
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert await store.for_org(org.id)["api_logs"].count({"mutations": "customerPaymentCollect"}) == 1
