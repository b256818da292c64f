"""Hosted payment form: a link with an unguessable token and expiry, a page where the customer pays with a
card through the sandbox gateway; the card number is never stored."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from resolvers.context import now
from tests.money_helpers import (
    APPROVE_CARD,
    INSUFFICIENT_FUNDS_CARD,
    STOLEN_CARD,
    TIMEOUT_CARD,
    TRANSACTIONS,
    add_account,
    add_customer,
    collect,
    customer_money,
    path_of,
    pay_on_page,
    payment_link,
)

LINK_TXNS = """query($id: ID!) { customer(id: $id) { transactions(first: 10) { edges { node {
  id type status result last4 bin amount { amount currency } gatewayResponse { code } gatewayName } } } } }"""


async def _all_stored_text(store) -> str:
    chunks = []
    for name in await store.db.list_collection_names():
        async for doc in store.db[name].find({}):
            chunks.append(repr(doc))
    return "\n".join(chunks)


async def test_hosted_form_makes_a_link_with_an_expiry(org, store):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid, "25.00", linkExpiresInHours=2)
    assert link["id"].startswith("plink_") and link["status"] == "OPEN"
    assert link["url"].startswith("http://test/pay/")
    token = link["url"].rsplit("/", 1)[1]
    assert len(token) >= 40
    assert token not in await _all_stored_text(store)
    page = await org.http.get(path_of(link["url"]))
    assert page.status_code == 200 and "25.00 USD" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"


async def test_customer_pays_on_the_page_and_becomes_a_customer(org, store):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid, "25.00")
    response = await pay_on_page(org, link["url"], APPROVE_CARD)
    assert response.status_code == 200 and "Payment approved" in response.text
    txns = (await org.gql(LINK_TXNS, {"id": cid}))["customer"]["transactions"]["edges"]
    node = txns[0]["node"]
    assert (node["type"], node["status"], node["result"], node["gatewayName"]) == (
        "SALE",
        "COMPLETED",
        "APPROVED",
        "SANDBOX",
    )
    assert (node["last4"], node["bin"]) == ("1111", "411111")
    money = await customer_money(org, cid)
    assert money["paymentCount"] == 1 and money["isLead"] is False
    assert "4111111111111111" not in await _all_stored_text(store)
    again = await pay_on_page(org, link["url"], APPROVE_CARD)
    assert "This payment is complete" in again.text
    assert len((await org.gql(LINK_TXNS, {"id": cid}))["customer"]["transactions"]["edges"]) == 1


async def test_declined_card_is_recorded_and_the_customer_may_try_another(org):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid, "25.00")
    declined = await pay_on_page(org, link["url"], INSUFFICIENT_FUNDS_CARD)
    assert declined.status_code == 200 and "insufficient funds" in declined.text
    stolen = await pay_on_page(org, link["url"], STOLEN_CARD)
    assert "reported stolen" in stolen.text
    assert (await customer_money(org, cid))["paymentCount"] == 0
    approved = await pay_on_page(org, link["url"], APPROVE_CARD)
    assert "Payment approved" in approved.text
    nodes = [e["node"] for e in (await org.gql(LINK_TXNS, {"id": cid}))["customer"]["transactions"]["edges"]]
    assert [(n["result"], n["gatewayResponse"]["code"]) for n in nodes] == [
        ("APPROVED", "APPROVED"),
        ("DECLINED", "STOLEN_CARD"),
        ("DECLINED", "INSUFFICIENT_FUNDS"),
    ]
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_gateway_timeout_is_recorded_as_timeout_with_unknown_result(org):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid)
    response = await pay_on_page(org, link["url"], TIMEOUT_CARD)
    assert "did not answer" in response.text
    node = (await org.gql(LINK_TXNS, {"id": cid}))["customer"]["transactions"]["edges"][0]["node"]
    assert (node["status"], node["result"]) == ("TIMEOUT", "UNKNOWN")
    assert (await customer_money(org, cid))["paymentCount"] == 0


async def test_invalid_card_number_is_refused_on_the_page_without_a_transaction(org):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid)
    response = await pay_on_page(org, link["url"], "4111 1111 1111 1112")
    assert "Check the card number" in response.text
    expired = await pay_on_page(org, link["url"], APPROVE_CARD, expiry="01/20")
    assert "Check the card number and expiry" in expired.text
    data = await org.gql(TRANSACTIONS, {"id": cid, "first": 5})
    assert data["customer"]["transactions"]["totalCount"] == 0


async def test_unknown_token_is_not_found(org):
    response = await org.http.get("/pay/not-a-real-token")
    assert response.status_code == 404


async def test_expired_link_takes_no_payment(org, store):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid)
    await store.for_org(org.id)["payment_links"].update_one(
        {"id": link["id"]}, {"$set": {"expiresTime": now() - timedelta(minutes=1)}}
    )
    page = await org.http.get(path_of(link["url"]))
    assert page.status_code == 410
    response = await pay_on_page(org, link["url"])
    assert response.status_code == 410
    data = await org.gql(TRANSACTIONS, {"id": cid, "first": 5})
    assert data["customer"]["transactions"]["totalCount"] == 0


async def test_link_expiry_is_bounded(org):
    await add_account(org)
    cid = await add_customer(org)
    result = await collect(org, customerId=cid, option="HOSTED_FORM", linkExpiresInHours=0)
    assert [(e["field"], e["code"]) for e in result["userErrors"]] == [(["linkExpiresInHours"], "INVALID")]


async def test_concurrent_payments_on_one_link_charge_once(org, store):
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid, "25.00")
    responses = await asyncio.gather(*(pay_on_page(org, link["url"], APPROVE_CARD) for _ in range(5)))
    assert sorted(r.status_code for r in responses)[0] == 200
    data = await org.gql(TRANSACTIONS, {"id": cid, "first": 10})
    assert data["customer"]["transactions"]["totalCount"] == 1
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_sale_is_written_before_the_gateway_answers(org, store):
    """A sale is recorded PENDING before the gateway call, then completed with the answer."""
    await add_account(org)
    cid = await add_customer(org)
    link = await payment_link(org, cid)
    await pay_on_page(org, link["url"], APPROVE_CARD)
    doc = await store.for_org(org.id)["transactions"].find_one({"customerId": cid})
    assert (doc["status"], doc["result"], doc["revision"]) == ("COMPLETED", "APPROVED", 2)
