"""Money mutations do what the schema says (issue 18): the sticky gateway account routes payments, a
payout needs somewhere to go, and a non-empty `userErrors` always means nothing changed (declines and
timeouts are an outcome, a repeated payout request ID returns the earlier payout)."""

from __future__ import annotations

from typing import Any

from store.money import transactions as txn_store
from tests.helpers import Org
from tests.money_helpers import (
    STOLEN_CARD,
    TIMEOUT_CARD,
    add_account,
    add_customer,
    add_payee,
    customer_money,
    key,
    paid_outside,
    payout,
    refund,
)

ADD_CARD = """mutation($input: PaymentInstrumentAddInput!) { paymentInstrumentAdd(input: $input) {
  paymentInstrument { id } userErrors { field code } } }"""
STICKY = """mutation($input: PaymentInstrumentStickyGatewayUpdateInput!) {
  paymentInstrumentStickyGatewayUpdate(input: $input) {
    paymentInstrument { id stickyGatewayAccountId } userErrors { field message code } } }"""
DEACTIVATE = """mutation($input: PaymentInstrumentDeactivateInput!) {
  paymentInstrumentDeactivate(input: $input) { userErrors { code } } }"""
CHARGE = """mutation($input: CustomerPaymentCollectInput!) { customerPaymentCollect(input: $input) {
  transaction { id result status gatewayAccountId } attempts { id } decline { code message }
  userErrors { field message code } } }"""


async def add_card(org: Org, cid: str, number: str = "4111111111111111", **fields: Any) -> str:
    data = await org.gql(ADD_CARD, {"input": {"customerId": cid, "card": {
        "number": number, "expMonth": 12, "expYear": 2039}, **fields}})
    assert data["paymentInstrumentAdd"]["userErrors"] == [], data
    return str(data["paymentInstrumentAdd"]["paymentInstrument"]["id"])


async def charge(org: Org, cid: str, **fields: Any) -> dict[str, Any]:
    inp = {"customerId": cid, "amount": "20.00", "currency": "USD", "option": "PROCESS_WITH_INSTRUMENT",
           "idempotencyKey": key(), **fields}
    result: dict[str, Any] = (await org.gql(CHARGE, {"input": inp}))["customerPaymentCollect"]
    return result


async def test_a_payment_goes_to_the_cards_sticky_gateway_account(org):
    oldest = await add_account(org, ["USD"], "US main")
    second = await add_account(org, ["USD"], "US second")
    euro = await add_account(org, ["EUR"], "EU")
    cid = await add_customer(org)
    card = await add_card(org, cid)
    assert (await charge(org, cid))["transaction"]["gatewayAccountId"] == oldest
    sticky = await org.gql(STICKY, {"input": {"id": card, "stickyGatewayAccountId": second}})
    assert sticky["paymentInstrumentStickyGatewayUpdate"]["userErrors"] == []
    assert (await charge(org, cid))["transaction"]["gatewayAccountId"] == second
    # an explicit account wins; a sticky account that does not take the currency is passed over
    assert (await charge(org, cid, gatewayAccountId=oldest))["transaction"]["gatewayAccountId"] == oldest
    await org.gql(STICKY, {"input": {"id": card, "stickyGatewayAccountId": euro}})
    assert (await charge(org, cid))["transaction"]["gatewayAccountId"] == oldest


async def test_a_sticky_gateway_account_must_exist_in_the_organization(org, other_org):
    theirs = await add_account(other_org, ["USD"])
    cid = await add_customer(org)
    card = await add_card(org, cid)
    for value, code in [("gw_eu_1", "WRONG_ID_TYPE"), ("gwa_01J00000000000000000000000", "NOT_FOUND"),
                        (theirs, "NOT_FOUND")]:
        result = (await org.gql(STICKY, {"input": {"id": card, "stickyGatewayAccountId": value}}))[
            "paymentInstrumentStickyGatewayUpdate"]
        assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["stickyGatewayAccountId"], code)]
        assert result["paymentInstrument"] is None


async def test_a_payout_with_nowhere_to_go_is_refused(org, store):
    await add_account(org)
    nobody = await add_customer(org)
    result = await payout(org, nobody, "po-none")
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["customerId"], "NO_PAYOUT_DESTINATION")]
    assert result["transaction"] is None
    deactivated = await add_customer(org)
    card = await add_card(org, deactivated)
    await org.gql(DEACTIVATE, {"input": {"id": card}})
    result = await payout(org, deactivated, "po-deactivated")
    assert [e["code"] for e in result["userErrors"]] == ["NO_PAYOUT_DESTINATION"]
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({"type": "CREDIT"}) == 0
    # the request IDs were not used up: with a card, the same IDs pay
    await add_card(org, deactivated, "5555555555554444")
    result = await payout(org, deactivated, "po-deactivated")
    assert result["userErrors"] == [] and result["transaction"]["last4"] == "4444"


async def test_a_payout_goes_to_another_usable_card_when_the_default_is_deactivated(org):
    await add_account(org)
    cid = await add_payee(org)  # default card 4111…
    other = await add_card(org, cid, "5555555555554444")
    customer = await org.gql("query($id: ID!) { customer(id: $id) { defaultPaymentInstrument { id } } }",
                             {"id": cid})
    await org.gql(DEACTIVATE, {"input": {"id": customer["customer"]["defaultPaymentInstrument"]["id"]}})
    result = await payout(org, cid, "po-other")
    assert result["userErrors"] == [] and result["transaction"]["last4"] == "4444" and other


async def test_declines_and_timeouts_are_outcomes_not_user_errors(org):
    await add_account(org)
    for number, code, status in [(STOLEN_CARD, "DECLINED", "DECLINED"), (TIMEOUT_CARD, "GATEWAY_TIMEOUT", "TIMEOUT")]:
        cid = await add_customer(org)
        await add_card(org, cid, number)
        result = await charge(org, cid)
        assert result["userErrors"] == [], result
        assert result["decline"]["code"] == code and status in (result["transaction"]["status"], result["transaction"]["result"])
    approved = await add_payee(org)
    result = await charge(org, approved)
    assert result["userErrors"] == [] and result["decline"] is None


async def test_a_replayed_decline_returns_the_same_outcome(org, store):
    await add_account(org)
    cid = await add_customer(org)
    await add_card(org, cid, STOLEN_CARD)
    idem = key()
    first = await charge(org, cid, idempotencyKey=idem)
    again = await charge(org, cid, idempotencyKey=idem)
    assert again == first and first["decline"]["code"] == "DECLINED"
    assert await store.for_org(org.id)[txn_store.COLLECTION].count({}) == 1


async def test_lifetime_revenue_lists_every_currency_paid_in_even_when_fully_refunded(org):
    await add_account(org)
    new = await add_customer(org)
    assert (await customer_money(org, new))["lifetimeRevenue"] == []
    cid = await add_customer(org)
    sale = await paid_outside(org, cid, "30.00")
    assert (await refund(org, sale["id"]))["userErrors"] == []
    money = await customer_money(org, cid)
    assert money["lifetimeRevenue"] == [{"amount": "0.00", "currency": "USD"}]
    assert (money["paymentCount"], money["isLead"]) == (1, False)
