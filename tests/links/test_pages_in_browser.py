"""The links' hosted pages in a real browser: Debian's Chromium driven by Playwright (never a downloaded
browser), against the gateway served by uvicorn on loopback and the real document server. The pages
work with JavaScript off. Screenshots go to $SCREENSHOT_DIR (else the test's tmp dir)."""

from __future__ import annotations

from tests.billing.helpers import ORDER
from tests.browser import shot
from tests.compliance.test_kyc import PNG, kyc_request, statuses
from tests.links.queries import INSTRUMENTS, PORTAL, PORTAL_LINK, SETUP_LINK
from tests.links.test_deposit_requests import GET, request
from tests.links.test_portal_billing import setup as portal_billing_setup
from tests.money_helpers import APPROVE_CARD, add_account, add_customer, customer_money, path_of


async def test_deposit_page_takes_a_card_in_the_browser(org, live, page, tmp_path):
    await add_account(org)
    cid = await add_customer(org, lastName="Lovelace")
    req = await request(org, cid, redirectUrl="https://shop.example/done")
    response = await page.goto(live + path_of(req["url"]))
    assert response.status == 200 and response.headers["x-frame-options"] == "DENY"
    await page.screenshot(path=shot(tmp_path, "deposit-form"), full_page=True)
    await page.get_by_label("30.00 USD").check()
    await page.get_by_label("Card number").fill(APPROVE_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.get_by_role("button", name="Deposit").click()
    await page.get_by_text("30.00 USD was added").wait_for()
    await page.screenshot(path=shot(tmp_path, "deposit-complete"), full_page=True)
    done = (await org.gql(GET, {"id": req["id"]}))["depositRequest"]
    assert done["status"] == "COMPLETED" and done["paidAmount"]["amount"] == "30.00"
    assert (await customer_money(org, cid))["paymentCount"] == 1


async def test_setup_page_adds_a_card_once(org, live, page, tmp_path):
    await add_account(org)
    cid = await add_customer(org)
    link = (await org.gql(SETUP_LINK, {"input": {"customerId": cid, "currency": "USD"}}))["paymentInstrumentSetupLinkCreate"]["setupLink"]
    await page.goto(live + path_of(link["url"]))
    await page.screenshot(path=shot(tmp_path, "setup-form"), full_page=True)
    await page.get_by_label("Card number").fill(APPROVE_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("12/39")
    await page.get_by_role("button", name="Save card").click()
    await page.get_by_text("is saved for USD payments").wait_for()
    await page.screenshot(path=shot(tmp_path, "setup-done"), full_page=True)
    customer = (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]
    assert [(i["status"], i["method"]) for i in customer["paymentInstruments"]] == [("ACTIVE", "PAYMENT_CARD")]
    assert customer["defaultPaymentInstrument"]["id"] == customer["paymentInstruments"][0]["id"]
    await page.go_back()  # the page is no-store: going back asks the server again, which refuses the used link
    await page.get_by_text("already been used").wait_for()
    assert len((await org.gql(INSTRUMENTS, {"id": cid}))["customer"]["paymentInstruments"]) == 1


async def test_billing_portal_adds_a_card_and_updates_the_address(org, live, page, tmp_path):
    cid = await add_customer(org, lastName="Lovelace")
    portal = (await org.gql(PORTAL, {"input": {"websiteId": org.website_id, "name": "Main", "slug": "main-portal"}}))
    pid = portal["billingPortalCreate"]["billingPortal"]["id"]
    link = (await org.gql(PORTAL_LINK, {"input": {"customerId": cid, "billingPortalId": pid}}))["billingPortalLinkCreate"]["billingPortalLink"]
    await page.goto(live + path_of(link["url"]))
    await page.get_by_label("Card number").fill(APPROVE_CARD)
    await page.get_by_label("Expiry (MM/YY)").fill("11/38")
    await page.get_by_role("button", name="Add card").click()
    await page.get_by_text("was added").wait_for()
    stale = await page.context.new_page()  # a second tab holding the form at this revision
    await stale.goto(live + path_of(link["url"]))
    await page.get_by_label("Address").fill("12 St James's Square")
    await page.get_by_label("City").fill("London")
    await page.get_by_label("Postal code").fill("SW1Y 4JH")
    await page.get_by_label("Country (2 letters)").fill("gb")
    await page.get_by_role("button", name="Save address").click()
    await page.get_by_text("Your billing address was saved").wait_for()
    await page.screenshot(path=shot(tmp_path, "portal"), full_page=True)
    customer = (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]
    assert customer["address"] == {"line1": "12 St James's Square", "city": "London", "country": "GB", "postalCode": "SW1Y 4JH"}
    assert len(customer["paymentInstruments"]) == 1
    await stale.get_by_label("City").fill("Paris")  # the older tab's form: a replayed, out-of-date change
    await stale.get_by_role("button", name="Save address").click()
    await stale.get_by_text("nothing was changed").wait_for()
    assert (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]["address"]["city"] == "London"


async def test_billing_portal_shows_invoices_downloads_a_pdf_and_cancels_at_period_end(org, live, page, tmp_path):
    _, (ada, ada_order), (_, bob_order) = await portal_billing_setup(org)
    pid = (await org.gql("query { billingPortals { id } }"))["billingPortals"][0]["id"]
    link = (await org.gql(PORTAL_LINK, {"input": {"customerId": ada, "billingPortalId": pid}}))["billingPortalLinkCreate"]["billingPortalLink"]
    invoice, order = ada_order["invoice"], ada_order["order"]
    await page.goto(live + path_of(link["url"]))
    await page.get_by_role("heading", name="Invoices").wait_for()
    row = page.get_by_role("row", name=f"#{invoice['invoiceNumber']}")
    assert "25.00 USD" in await row.inner_text() and "Paid" in await row.inner_text()
    await page.screenshot(path=shot(tmp_path, "portal-billing"), full_page=True)
    async with page.expect_download() as caught:
        await row.get_by_role("link", name="PDF").click()
    download = await caught.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert download.suggested_filename == f"invoice-{invoice['invoiceNumber']}.pdf" and saved.read_bytes().startswith(b"%PDF")
    # Another customer's invoice through this link's token: a clear 404 page.
    other = await page.context.new_page()
    refused = await other.goto(f"{live}{path_of(link['url'])}/invoices/{bob_order['invoice']['id']}.pdf")
    assert refused.status == 404
    await other.get_by_text("There is no such invoice of yours").wait_for()
    await other.screenshot(path=shot(tmp_path, "portal-other-invoice"), full_page=True)
    # Cancel at the end of the period.
    sub = page.get_by_role("row", name="Basic × 2")
    await sub.get_by_label("Reason for canceling").select_option("TOO_EXPENSIVE")
    await sub.get_by_role("button", name="Cancel at period end").click()
    await page.get_by_text("Your subscription is canceled").wait_for()
    await page.screenshot(path=shot(tmp_path, "portal-canceled"), full_page=True)
    assert "Ends " + order["currentPeriodEnd"][:10] in await page.get_by_role("row", name="Basic × 2").inner_text()
    after = (await org.gql(ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "CANCELED" and after["canceledBy"] == "CUSTOMER" and after["churnTime"] == order["currentPeriodEnd"]


async def test_kyc_upload_page_takes_documents_and_a_selfie(org, live, page, tmp_path):
    cid = await add_customer(org, lastName="Lovelace")
    req = await kyc_request(org, cid, [{"type": "IDENTITY_PROOF", "faceProofRequired": True}, {"type": "ADDRESS_PROOF"}],
                            message="Please verify your account", redirectUrl="https://shop.example/kyc")
    doc = tmp_path / "passport.png"
    doc.write_bytes(PNG)
    selfie = tmp_path / "me.png"
    selfie.write_bytes(PNG)
    bill = tmp_path / "bill-review.png"
    bill.write_bytes(PNG)
    await page.goto(live + path_of(req["url"]))
    await page.screenshot(path=shot(tmp_path, "kyc-form"), full_page=True)
    await page.get_by_label("File").first.set_input_files(str(doc))
    await page.get_by_label("Selfie").set_input_files(str(selfie))
    await page.get_by_role("button", name="Upload").first.click()
    await page.get_by_text("Proof of identity was accepted").wait_for()
    await page.get_by_label("File").set_input_files(str(bill))
    await page.get_by_role("button", name="Upload").click()
    await page.get_by_text("is being reviewed").wait_for()
    await page.screenshot(path=shot(tmp_path, "kyc-done"), full_page=True)
    assert await statuses(org, req["id"]) == ("PARTIAL", [("IDENTITY_PROOF", 1, "ACCEPTED"), ("ADDRESS_PROOF", 1, "PENDING_REVIEW")])
    assert await page.get_by_role("link", name="Continue").get_attribute("href") == "https://shop.example/kyc?info=partial"
