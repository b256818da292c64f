"""The billing portal's billing part over HTTP: the customer's invoices (with a PDF download through the
link's token, for that customer's invoices only) and active subscriptions, and canceling one at the
end of its period (once; replays, other customers' ids and a portal without the feature refused)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.billing.clock import CHURN
from store import jobs
from tests.billing.fixtures import seed_billing
from tests.billing.helpers import ORDER, add_card, add_plan, add_product, create_order
from tests.links.queries import PORTAL_LINK
from tests.links.test_customer_links import PORTAL_UPDATE, portal, portal_link
from tests.money_helpers import add_account, add_customer, path_of

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 30) { edges { node { kind message author { name } } } } } }"""
FEATURES = """query { billingPortals { id features { paymentInstrumentAdd addressEdit orderCancel } } }"""


async def subscriber(org, plan_id: str, **customer) -> tuple[str, dict]:
    """A customer with a card and an active subscription whose initial invoice is paid."""
    cid = await add_customer(org, **customer)
    await add_card(org, cid)
    made = await create_order(org, cid, [{"planId": plan_id, "quantity": 2}], autopay=True)
    assert made["userErrors"] == [] and made["order"]["status"] == "ACTIVE", made
    return cid, made


async def setup(org):
    await add_account(org)
    product = await add_product(org)
    basic = await add_plan(org, product, name="Basic", pricing={"formula": "FLAT_RATE", "price": "12.50"})
    premium = await add_plan(org, product, name="Premium", pricing={"formula": "FIXED_FEE", "price": "99.00"})
    ada, ada_order = await subscriber(org, basic["id"], lastName="Lovelace")
    bob, bob_order = await subscriber(org, premium["id"], firstName="Bob")
    pid = await portal(org)
    return pid, (ada, ada_order), (bob, bob_order)


async def test_portal_lists_the_customers_invoices_and_active_subscriptions_only(org):
    pid, (ada, ada_order), (_, bob_order) = await setup(org)
    link = await portal_link(org, ada, pid)
    page = await org.http.get(path_of(link["url"]))
    assert page.status_code == 200, page.text
    html = page.text
    inv = ada_order["invoice"]
    order = ada_order["order"]
    assert f"#{inv['invoiceNumber']}" in html and "25.00 USD" in html and "Paid" in html
    assert f'{path_of(link["url"])}/invoices/{inv["id"]}.pdf' in html
    assert "Basic × 2" in html and order["renewalTime"][:10] in html and "Cancel at period end" in html
    assert "Premium" not in html and bob_order["invoice"]["id"] not in html and "99.00" not in html
    assert page.headers["cache-control"] == "no-store" and page.headers["x-frame-options"] == "DENY"
    features = (await org.gql(FEATURES))["billingPortals"][0]["features"]
    assert features == {"paymentInstrumentAdd": True, "addressEdit": True, "orderCancel": True}


PAUSE = """mutation($input: OrderActionInput!) { orderPause(input: $input) { order { status } userErrors { code } } }"""


async def test_portal_shows_paused_subscriptions_and_unpaid_invoices_with_their_amount_due(org):
    pid, (ada, _), _ = await setup(org)
    product = await add_product(org, name="Backups")
    weekly = await add_plan(org, product, name="Weekly backup", pricing={"formula": "FIXED_FEE", "price": "3.00"},
                            recurringInterval={"unit": "WEEK", "length": 1})
    paused = await create_order(org, ada, [{"planId": weekly["id"]}], autopay=True)
    assert (await org.gql(PAUSE, {"input": {"orderId": paused["order"]["id"]}}))["orderPause"]["order"]["status"] == "PAUSED"
    waiting = await create_order(org, ada, [{"planId": weekly["id"], "quantity": 1}], autopay=False)
    assert waiting["order"]["status"] == "PENDING" and waiting["invoice"]["status"] == "UNPAID"
    html = (await org.http.get(path_of((await portal_link(org, ada, pid))["url"]))).text
    rows = html.split("<h2 id=\"invoices\">")
    subscriptions, invoice_list = rows[0].split("<h2 id=\"subscriptions\">")[1], rows[1]
    assert subscriptions.count("Weekly backup × 1") == 1  # the pending one is not an active subscription
    assert "Paused" in subscriptions and subscriptions.count("Cancel at period end") == 2
    assert f"#{waiting['invoice']['invoiceNumber']}" in invoice_list and "Unpaid" in invoice_list
    assert "3.00 USD</td><td class=\"num\">3.00 USD" in invoice_list  # total, and all of it due


async def test_invoice_pdf_downloads_through_the_token_for_that_customers_invoices_only(org, other_org, store):
    pid, (ada, ada_order), (_, bob_order) = await setup(org)
    link = await portal_link(org, ada, pid)
    base = path_of(link["url"])
    pdf = await org.http.get(f"{base}/invoices/{ada_order['invoice']['id']}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and "attachment" in pdf.headers["content-disposition"]
    assert pdf.headers["cache-control"] == "no-store" and pdf.headers["referrer-policy"] == "no-referrer"
    # Another customer's invoice, another organization's, a made-up id, an order id: 404.
    await add_account(other_org)
    other_product = await add_product(other_org)
    other_plan = await add_plan(other_org, other_product)
    _, other = await subscriber(other_org, other_plan["id"])
    for invoice_id in (bob_order["invoice"]["id"], other["invoice"]["id"], "in_01J00000000000000000000000",
                       ada_order["order"]["id"], "not-an-id"):
        refused = await org.http.get(f"{base}/invoices/{invoice_id}.pdf")
        assert refused.status_code == 404 and "no such invoice" in refused.text, invoice_id
    # A draft is not the customer's to see.
    await store.raw("invoices").update_one({"id": ada_order["invoice"]["id"]}, {"$set": {"status": "DRAFT"}})
    assert (await org.http.get(f"{base}/invoices/{ada_order['invoice']['id']}.pdf")).status_code == 404
    await store.raw("invoices").update_one({"id": ada_order["invoice"]["id"]}, {"$set": {"status": "PAID"}})
    # An inactive portal, then an expired link: refused like the page.
    await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "status": "INACTIVE"}})
    assert (await org.http.get(f"{base}/invoices/{ada_order['invoice']['id']}.pdf")).status_code == 404
    await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "status": "ACTIVE"}})
    await store.raw("customer_links").update_one({"id": link["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    expired = await org.http.get(f"{base}/invoices/{ada_order['invoice']['id']}.pdf")
    assert expired.status_code == 410 and "expired" in expired.text


async def test_customer_cancels_a_subscription_at_the_end_of_its_period_once(org, store):
    pid, (ada, ada_order), (_, bob_order) = await setup(org)
    link = await portal_link(org, ada, pid)
    order = ada_order["order"]
    url = f"{path_of(link['url'])}/subscriptions/{order['id']}/cancel"
    form = {"revision": "1", "orderRevision": str(order["revision"]), "reason": "TOO_EXPENSIVE"}

    # No reason: refused, nothing changed.
    missing = await org.http.post(url, data={**form, "reason": ""})
    assert missing.status_code == 409 and "Choose a reason" in missing.text
    # Another customer's subscription through this token: 404.
    bob = await org.http.post(f"{path_of(link['url'])}/subscriptions/{bob_order['order']['id']}/cancel", data=form)
    assert bob.status_code == 404
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["revision"] == order["revision"]
    assert (await org.gql(ORDER, {"id": bob_order["order"]["id"]}))["order"]["status"] == "ACTIVE"

    done = await org.http.post(url, data=form)
    assert done.status_code == 200 and "it ends on " + order["currentPeriodEnd"][:10] in done.text
    after = (await org.gql(ORDER, {"id": order["id"]}))["order"]
    assert after["status"] == "CANCELED" and after["canceledBy"] == "CUSTOMER" and after["cancelCategory"] == "TOO_EXPENSIVE"
    assert after["churnTime"] == order["currentPeriodEnd"] and after["renewalTime"] is None
    churn = await jobs.by_key(store.for_org(org.id), CHURN, order["id"])
    assert churn is not None and churn["dueTime"] == datetime.fromisoformat(order["currentPeriodEnd"])
    assert "Ends " + order["currentPeriodEnd"][:10] in done.text and "Cancel at period end" not in done.text

    # The same form again (a replay), and a fresh form on a canceled subscription: nothing changes.
    replay = await org.http.post(url, data=form)
    assert replay.status_code == 409 and "nothing was changed" in replay.text
    again = await org.http.post(url, data={**form, "revision": "2", "orderRevision": str(after["revision"])})
    assert again.status_code == 409 and "cannot be canceled now" in again.text
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["revision"] == after["revision"]
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": ada}))["customer"]["timeline"]["edges"]]
    canceled = [e for e in events if e["kind"] == "ORDER_CANCELED"]
    assert len(canceled) == 1 and canceled[0]["author"]["name"] == "Billing portal"


async def test_portal_without_the_cancel_feature_shows_no_button_and_refuses(org):
    pid, (ada, ada_order), _ = await setup(org)
    off = await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "features": {"orderCancel": False}}})
    assert off["billingPortalUpdate"]["userErrors"] == []
    link = (await org.gql(PORTAL_LINK, {"input": {"customerId": ada, "billingPortalId": pid}}))["billingPortalLinkCreate"]["billingPortalLink"]
    page = await org.http.get(path_of(link["url"]))
    assert "Basic × 2" in page.text and "Cancel at period end" not in page.text
    order = ada_order["order"]
    refused = await org.http.post(f"{path_of(link['url'])}/subscriptions/{order['id']}/cancel",
                                  data={"revision": "1", "orderRevision": str(order["revision"]), "reason": "OTHER"})
    assert refused.status_code == 403
    assert (await org.gql(ORDER, {"id": order["id"]}))["order"]["status"] == "ACTIVE"


@pytest.mark.parametrize("subscriptions", [1, 12])
async def test_portal_page_costs_the_same_store_round_trips_however_much_billing(org, store, commands, subscriptions):
    await add_account(org)
    product = await add_product(org)
    plan = await add_plan(org, product, name="Basic")
    cid = await add_customer(org)
    for _ in range(subscriptions):  # each: an ACTIVE and a CHURNED subscription and 2 paid invoices
        await seed_billing(store, org.id, [cid], org.website_id, plan["id"], invoices_each=2)
    link = await portal_link(org, cid, await portal(org))
    before = commands.count(store.db.name)
    page = await org.http.get(path_of(link["url"]))
    names = commands.names(store.db.name)[before:]
    assert page.status_code == 200 and page.text.count("Basic × 1") == subscriptions
    assert page.text.count(">PDF<") == min(20, 2 * subscriptions)
    # the link by token, customer, portal, cards, invoices (one page), active subscriptions (one page)
    assert names == ["find"] * 6, names
