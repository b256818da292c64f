"""The hosted quote acceptance page: over HTTP (token scheme, security headers, accept/reject) and in a
real browser (Debian's Chromium driven by Playwright, never a downloaded browser) against the gateway
served by uvicorn on loopback and the real document server. Screenshots go to $SCREENSHOT_DIR (else the
test's tmp dir)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers.context import use_clock
from resolvers.scheduler import FixedClock
from tests.billing.helpers import add_card, create_order
from tests.billing.test_quotes import QUOTE, act, catalog, make
from tests.browser import shot
from tests.money_helpers import APPROVE_CARD, INSUFFICIENT_FUNDS_CARD, add_account, add_customer, path_of

LINK = """query($id: ID!) { quote(id: $id) { status acceptanceUrl orderId invoice { status } order { status } } }"""
CHANGED = """query($id: ID!) { quote(id: $id) { status invoice { type status total { amount } } order { items { quantity } } } }"""
T0 = datetime(2027, 1, 1, tzinfo=UTC)


async def issued(org: Any, **fields: Any) -> tuple[str, str]:
    cid = await add_customer(org, lastName="Lovelace")
    quote = await make(org, cid, (await catalog(org))["id"], paymentTerms="Net 30. Prices exclude VAT.",
                       signature={"showSignatureLine": True, "signatoryName": "Ada Lovelace, CTO"}, **fields)
    assert (await org.gql(LINK, {"id": quote["id"]}))["quote"]["acceptanceUrl"] is None  # drafts have no link
    await act(org, "quoteIssue", quote["id"])
    return quote["id"], path_of((await org.gql(LINK, {"id": quote["id"]}))["quote"]["acceptanceUrl"])


async def test_the_page_shows_the_quote_with_the_hosted_pages_headers_and_rejects(org, other_org):
    qid, path = await issued(org, redirectUrl="https://shop.example/after")
    response = await org.http.get(path)
    assert response.status_code == 200
    assert (response.headers["x-frame-options"], response.headers["cache-control"], response.headers["referrer-policy"]) == (
        "DENY", "no-store", "no-referrer")
    assert "script" not in response.headers["content-security-policy"].replace("default-src 'none'", "")
    for text in ("Seat", "30.00 USD", "Net 30. Prices exclude VAT.", "Ada Lovelace, CTO", "Accept quote", "Reject"):
        assert text in response.text, text
    assert (await org.http.get("/quotes/accept/not-a-token")).status_code == 404
    rejected = await org.http.post(path, data={"action": "reject"})
    assert rejected.status_code == 200 and "You rejected this quote." in rejected.text
    assert 'href="https://shop.example/after"' in rejected.text
    assert (await org.gql(QUOTE, {"id": qid}))["quote"]["status"] == "REJECTED"


async def test_the_customer_accepts_in_the_browser(org, live, page, tmp_path):
    qid, path = await issued(org)
    response = await page.goto(live + path)
    assert response is not None and response.status == 200
    await page.screenshot(path=shot(tmp_path, "quote-open"), full_page=True)
    await page.get_by_role("button", name="Accept quote").click()
    await page.get_by_text("Quote accepted. Thank you.").wait_for()
    await page.screenshot(path=shot(tmp_path, "quote-accepted"), full_page=True)
    seen = (await org.gql(LINK, {"id": qid}))["quote"]
    assert (seen["status"], seen["order"]["status"]) == ("ACCEPTED", "PENDING")


async def test_with_the_payment_condition_the_card_pays_the_invoice_in_the_browser(org, live, page, tmp_path):
    await add_account(org)
    qid, path = await issued(org, acceptanceConditions=["PAYMENT"])
    await page.goto(live + path)
    await page.get_by_label("Card number").fill(INSUFFICIENT_FUNDS_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.get_by_role("button", name="Accept and pay").click()
    await page.get_by_text("The payment was not approved").wait_for()
    assert (await org.gql(LINK, {"id": qid}))["quote"]["status"] == "ISSUED"
    await page.get_by_label("Card number").fill(APPROVE_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.screenshot(path=shot(tmp_path, "quote-payment-form"), full_page=True)
    await page.get_by_role("button", name="Accept and pay").click()
    await page.get_by_text("Quote accepted. Thank you.").wait_for()
    await page.screenshot(path=shot(tmp_path, "quote-paid"), full_page=True)
    seen = (await org.gql(LINK, {"id": qid}))["quote"]
    assert (seen["status"], seen["invoice"]["status"], seen["order"]["status"]) == ("ACCEPTED", "PAID", "ACTIVE")


async def test_a_change_quote_shows_and_charges_its_proration_in_the_browser(org, live, page, tmp_path):
    clock = FixedClock(T0)
    use_clock(clock.now)
    try:
        await add_account(org)
        cid = await add_customer(org, lastName="Lovelace")
        plan = await catalog(org)  # "Seat", 15.00 per unit and month
        await add_card(org, cid)
        made = await create_order(org, cid, [{"planId": plan["id"], "quantity": 1}], startTime=T0.isoformat())
        assert made["order"]["status"] == "ACTIVE", made
        clock.at = T0 + timedelta(days=10)  # 21 of January's 31 days left
        quote = await make(org, cid, plan["id"], type="CHANGE", orderId=made["order"]["id"],
                           acceptanceConditions=["PAYMENT"], paymentTerms="Prorated to the day you accept.")
        await act(org, "quoteIssue", quote["id"])
        path = path_of((await org.gql(LINK, {"id": quote["id"]}))["quote"]["acceptanceUrl"])
        await page.goto(live + path)
        # credit 15.00 x 21/31 = 10.16; charge 30.00 x 21/31 = 20.32; due 10.16
        for text in ("Due now for the change", "Unused time: Seat × 1", "Remaining time: Seat × 2", "10.16 USD",
                     "20.32 USD", "Accept and pay"):
            await page.get_by_text(text, exact=False).first.wait_for()
        await page.get_by_label("Card number").fill(APPROVE_CARD)
        await page.get_by_label("Expiry (MM/YY)").fill("12/39")
        await page.screenshot(path=shot(tmp_path, "quote-change-open"), full_page=True)
        await page.get_by_role("button", name="Accept and pay").click()
        await page.get_by_text("Quote accepted. Thank you.").wait_for()
        await page.screenshot(path=shot(tmp_path, "quote-change-paid"), full_page=True)
        seen = (await org.gql(CHANGED, {"id": quote["id"]}))["quote"]
        assert (seen["status"], seen["invoice"]["type"], seen["invoice"]["status"], seen["invoice"]["total"]["amount"]) == (
            "ACCEPTED", "INTERIM", "PAID", "10.16")
        assert seen["order"]["items"] == [{"quantity": 2}]
    finally:
        use_clock(None)
