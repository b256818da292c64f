"""A hosted payment link pointed at an invoice (the end of *Create an order*: collecting payment): made
through GraphQL, opened over HTTP and in a real browser (Debian's Chromium driven by Playwright) against
the gateway on loopback and the real document server. The page shows the invoice and charges a saved
instrument or a new card; a paid invoice activates its order; partial payments, declines, a paid or voided
invoice, an expired link and a tampered token each get their page. Screenshots go to $SCREENSHOT_DIR (else
the test's tmp dir)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from store.ids import new_id
from tests.billing.helpers import ERR, INVOICE, ORDER, add_card, add_plan, add_product, create_order
from tests.browser import shot
from tests.helpers import Org
from tests.money_helpers import APPROVE_CARD, INSUFFICIENT_FUNDS_CARD, add_account, add_customer, path_of

LINK_FIELDS = "id invoiceId customerId status allowPartialPayment expiresTime transactionIds url invoice { id }"
CREATE = f"""mutation($input: InvoicePaymentLinkCreateInput!) {{ invoicePaymentLinkCreate(input: $input) {{
  paymentLink {{ {LINK_FIELDS} }} {ERR} }} }}"""
LINKS = f"""query($id: ID!) {{ invoice(id: $id) {{ status amountDue {{ amount }} amountPaid {{ amount }}
  transactionIds paymentLinks {{ {LINK_FIELDS} }} }} }}"""
VOID = f"""mutation($input: InvoiceActionInput!) {{ invoiceVoid(input: $input) {{ invoice {{ status }} {ERR} }} }}"""


async def _unpaid(org: Org, *, card: bool = False, **order: Any) -> tuple[str, dict[str, Any], str | None]:
    """A customer with a pending subscription whose initial invoice (2 x 10.00 + 4.50 shipping) waits."""
    await add_account(org)
    cid = await add_customer(org, lastName="Lovelace")
    inst = await add_card(org, cid) if card else None
    plan = await add_plan(org, await add_product(org, "Coffee beans", requiresShipping=True),
                          pricing={"formula": "FLAT_RATE", "price": "10.00"})
    made = await create_order(org, cid, [{"planId": plan["id"], "quantity": 2}], autopay=False, shippingAmount="4.50",
                              **order)
    assert made["userErrors"] == [] and made["invoice"]["status"] == "UNPAID"
    return cid, made, inst


async def _link(org: Org, invoice_id: str, **fields: Any) -> dict[str, Any]:
    data = (await org.gql(CREATE, {"input": {"invoiceId": invoice_id, **fields}}))["invoicePaymentLinkCreate"]
    assert data["userErrors"] == [], data
    return data["paymentLink"]


async def _sales(store: Any) -> int:
    return await store.db["transactions"].count_documents({"type": "SALE"})


async def test_the_page_shows_the_invoice_and_a_saved_card_pays_it_and_activates_the_order(org, store):
    cid, made, inst = await _unpaid(org, card=True)
    invoice = made["invoice"]
    link = await _link(org, invoice["id"])
    assert (link["invoiceId"], link["customerId"], link["status"], link["allowPartialPayment"]) == (
        invoice["id"], cid, "ACTIVE", False)
    path = path_of(link["url"])
    assert path.startswith("/invoices/pay/")
    opened = await org.http.get(path)
    assert opened.status_code == 200
    assert (opened.headers["cache-control"], opened.headers["referrer-policy"], opened.headers["x-frame-options"]) == (
        "no-store", "no-referrer", "DENY")
    for text in (f"Invoice #{invoice['invoiceNumber']}", "Ada Lovelace", "Basic × 2", "20.00 USD", "Shipping",
                 "4.50 USD", "Amount due", "24.50 USD", "Visa •••• 1111", "Pay 24.50 USD"):
        assert text in opened.text, text
    paid = await org.http.post(path, data={"instrument": inst})
    assert paid.status_code == 200 and "Thank you: 24.50 USD received." in paid.text
    assert "This invoice is paid. Nothing is due." in paid.text
    seen = (await org.gql(LINKS, {"id": invoice["id"]}))["invoice"]
    assert (seen["status"], seen["amountDue"]["amount"], seen["amountPaid"]["amount"]) == ("PAID", "0.00", "24.50")
    assert seen["paymentLinks"][0]["transactionIds"] == seen["transactionIds"] and len(seen["transactionIds"]) == 1
    txn = (await org.gql(INVOICE, {"id": invoice["id"]}))["invoice"]["transactions"][0]["id"]
    sale = await org.gql('query($id: ID!) { transaction(id: $id) { result amount { amount } paymentInstrumentId } }',
                         {"id": txn})
    assert sale["transaction"] == {"result": "APPROVED", "amount": {"amount": "24.50"}, "paymentInstrumentId": inst}
    order = (await org.gql(ORDER, {"id": made["order"]["id"]}))["order"]
    assert (order["status"], order["billingStatus"]) == ("ACTIVE", "PAID")
    count = await _sales(store)
    again = await org.http.post(path, data={"instrument": inst})
    assert again.status_code == 409 and "This invoice is paid." in again.text and "<form" not in again.text
    assert await _sales(store) == count
    assert (await org.http.get(path)).status_code == 200


async def test_two_submits_at_once_charge_once(org, store):
    _, made, inst = await _unpaid(org, card=True)
    path = path_of((await _link(org, made["invoice"]["id"]))["url"])
    first, second = await asyncio.gather(org.http.post(path, data={"instrument": inst}),
                                         org.http.post(path, data={"instrument": inst}))
    assert {first.status_code, second.status_code} <= {200, 202, 409}, (first.status_code, second.status_code)
    assert await _sales(store) == 1
    seen = (await org.gql(LINKS, {"id": made["invoice"]["id"]}))["invoice"]
    assert (seen["status"], seen["amountPaid"]["amount"], len(seen["transactionIds"])) == ("PAID", "24.50", 1)


async def test_a_partial_payment_leaves_it_partially_paid_and_the_rest_pays_it(org, store):
    cid, made, _ = await _unpaid(org)
    invoice = made["invoice"]
    path = path_of((await _link(org, invoice["id"], allowPartialPayment=True))["url"])
    assert 'name="amount"' in (await org.http.get(path)).text
    for amount in ("30.00", "0", "1.234", "abc"):  # over the amount due, zero, too many decimals, not a number
        refused = await org.http.post(path, data={"amount": amount, "cardNumber": APPROVE_CARD, "expiry": "12/39"})
        assert refused.status_code == 400 and "at most 24.50 USD" in refused.text, amount
    assert await _sales(store) == 0
    part = await org.http.post(path, data={"amount": "10.00", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert part.status_code == 200 and "Thank you: 10.00 USD received." in part.text and "14.50 USD" in part.text
    seen = (await org.gql(LINKS, {"id": invoice["id"]}))["invoice"]
    assert (seen["status"], seen["amountDue"]["amount"]) == ("PARTIALLY_PAID", "14.50")
    assert (await org.gql(ORDER, {"id": made["order"]["id"]}))["order"]["status"] == "PENDING"
    assert "Visa •••• 1111" in part.text  # the new card was added to the customer's wallet
    saved = await org.gql('query($id: ID!) { customer(id: $id) { paymentInstruments { id } } }', {"id": cid})
    rest = await org.http.post(path, data={"instrument": saved["customer"]["paymentInstruments"][0]["id"]})
    assert rest.status_code == 200 and "Thank you: 14.50 USD received." in rest.text
    seen = (await org.gql(LINKS, {"id": invoice["id"]}))["invoice"]
    assert (seen["status"], seen["amountPaid"]["amount"], len(seen["transactionIds"])) == ("PAID", "24.50", 2)
    assert (await org.gql(ORDER, {"id": made["order"]["id"]}))["order"]["status"] == "ACTIVE"


async def test_a_declined_card_leaves_the_invoice_waiting_with_the_attempt_on_the_link(org):
    _, made, _ = await _unpaid(org)
    path = path_of((await _link(org, made["invoice"]["id"]))["url"])
    declined = await org.http.post(path, data={"cardNumber": INSUFFICIENT_FUNDS_CARD, "expiry": "12/39"})
    assert declined.status_code == 402 and "Try another card." in declined.text and "<form" in declined.text
    seen = (await org.gql(LINKS, {"id": made["invoice"]["id"]}))["invoice"]
    assert (seen["status"], seen["transactionIds"], len(seen["paymentLinks"][0]["transactionIds"])) == ("UNPAID", [], 1)
    assert "•••• 9995" not in declined.text  # the declined new card is not offered again
    bad = await org.http.post(path, data={"cardNumber": "1234", "expiry": "13/99"})
    assert bad.status_code == 400 and "Check the card number and expiry date." in bad.text
    foreign = await org.http.post(path, data={"instrument": new_id("inst")})
    assert foreign.status_code == 400 and "Choose one of your payment methods" in foreign.text


async def test_voided_expired_and_tampered_links_take_no_payment(org, store):
    _, made, _ = await _unpaid(org)
    invoice_id = made["invoice"]["id"]
    link = await _link(org, invoice_id, expiresInHours=2)
    path = path_of(link["url"])
    assert (await org.http.get(path[:-3] + "abc")).status_code == 404
    assert (await org.http.post("/invoices/pay/not-a-token", data={})).status_code == 404
    voided = (await org.gql(VOID, {"input": {"invoiceId": invoice_id}}))["invoiceVoid"]
    assert voided["invoice"]["status"] == "VOIDED"
    closed = await org.http.get(path)
    assert closed.status_code == 410 and "This invoice is voided; it takes no payment." in closed.text
    assert "<form" not in closed.text
    refused = await org.http.post(path, data={"cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert refused.status_code == 409 and await _sales(store) == 0
    await store.db["invoice_payment_links"].update_one(
        {"id": link["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(minutes=1)}})
    expired = await org.http.get(path)
    assert expired.status_code == 410 and "This payment link has expired." in expired.text
    assert (await org.http.post(path, data={})).status_code == 410
    assert (await org.gql(LINKS, {"id": invoice_id}))["invoice"]["paymentLinks"][0]["status"] == "EXPIRED"


async def test_links_are_refused_for_invoices_that_take_no_payment(org):
    _, made, inst = await _unpaid(org, card=True)
    invoice_id = made["invoice"]["id"]
    await org.http.post(path_of((await _link(org, invoice_id))["url"]), data={"instrument": inst})
    cases = [
        ({"invoiceId": invoice_id, "expiresInHours": 0}, [(["invoiceId"], "INVALID_STATUS"), (["expiresInHours"], "INVALID")]),
        ({"invoiceId": made["order"]["id"]}, [(["invoiceId"], "WRONG_ID_TYPE")]),
        ({"invoiceId": new_id("in"), "expiresInHours": 721},
         [(["invoiceId"], "NOT_FOUND"), (["expiresInHours"], "INVALID")]),
    ]
    for inp, expected in cases:
        data = (await org.gql(CREATE, {"input": inp}))["invoicePaymentLinkCreate"]
        assert data["paymentLink"] is None
        assert sorted((e["field"], e["code"]) for e in data["userErrors"]) == sorted(expected), inp
    assert len((await org.gql(LINKS, {"id": invoice_id}))["invoice"]["paymentLinks"]) == 1


async def test_no_gateway_account_for_the_currency_is_refused(org):
    await add_account(org, currencies=["USD"])
    cid = await add_customer(org)
    plan = await add_plan(org, await add_product(org), currency="EUR")
    made = await create_order(org, cid, [{"planId": plan["id"]}], autopay=False)
    data = (await org.gql(CREATE, {"input": {"invoiceId": made["invoice"]["id"]}}))["invoicePaymentLinkCreate"]
    assert [(e["field"], e["code"]) for e in data["userErrors"]] == [(["invoiceId"], "CURRENCY_NOT_ACCEPTED")]


async def test_the_customer_pays_in_the_browser_part_then_the_rest(org, live, page, tmp_path):
    _, made, _ = await _unpaid(org)
    invoice_id = made["invoice"]["id"]
    path = path_of((await _link(org, invoice_id, allowPartialPayment=True))["url"])
    response = await page.goto(live + path)
    assert response is not None and response.status == 200
    await page.get_by_text("Amount due").wait_for()
    await page.screenshot(path=shot(tmp_path, "invoice-pay-open"), full_page=True)
    await page.get_by_label("Card number").fill(INSUFFICIENT_FUNDS_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.get_by_role("button", name="Pay now").click()
    await page.get_by_text("Try another card.").wait_for()
    await page.get_by_label("Card number").fill(APPROVE_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.get_by_label("Amount to pay (USD)").fill("10.00")
    await page.get_by_role("button", name="Pay now").click()
    await page.get_by_text("Thank you: 10.00 USD received.").wait_for()
    assert await page.locator("#amount-due").inner_text() == "14.50 USD"
    await page.screenshot(path=shot(tmp_path, "invoice-pay-partial"), full_page=True)
    assert (await org.gql(LINKS, {"id": invoice_id}))["invoice"]["status"] == "PARTIALLY_PAID"
    await page.get_by_label("Visa •••• 1111").check()  # the card just added, saved on the customer
    await page.get_by_role("button", name="Pay now").click()
    await page.get_by_text("This invoice is paid. Nothing is due.").wait_for()
    await page.screenshot(path=shot(tmp_path, "invoice-pay-paid"), full_page=True)
    seen = (await org.gql(LINKS, {"id": invoice_id}))["invoice"]
    assert (seen["status"], seen["amountPaid"]["amount"], len(seen["transactionIds"])) == ("PAID", "24.50", 2)
    assert (await org.gql(ORDER, {"id": made["order"]["id"]}))["order"]["status"] == "ACTIVE"


async def test_opening_the_page_costs_four_store_round_trips_however_many_cards(org, store, commands):
    cid, made, _ = await _unpaid(org, card=True)
    path = path_of((await _link(org, made["invoice"]["id"]))["url"])
    spent = []
    for _ in range(2):
        before = commands.count(store.db.name)
        assert (await org.http.get(path)).status_code == 200
        spent.append(commands.names(store.db.name)[before:])
        await add_card(org, cid, "5555555555554444", default=False)
    assert spent[0] == spent[1] == ["find"] * 4, spent  # the link, the invoice, the customer, the instruments
