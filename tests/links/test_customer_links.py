"""Billing portals, set-up and portal links through GraphQL, and their pages' refusals over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.links.queries import INSTRUMENTS, PORTAL, PORTAL_LINK, SETUP_LINK
from tests.money_helpers import APPROVE_CARD, add_account, add_customer, path_of

PORTAL_UPDATE = """mutation($input: BillingPortalUpdateInput!) { billingPortalUpdate(input: $input) {
  billingPortal { id status revision features { paymentInstrumentAdd addressEdit } } userErrors { field code } } }"""
TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 20) { edges { node { kind
  ... on CustomerLinkCreatedEvent { linkKind } ... on CustomerLinkUsedEvent { action paymentInstrumentId } } } } } }"""


async def portal(org, **fields):
    data = (await org.gql(PORTAL, {"input": {"websiteId": org.website_id, "name": "Main", "slug": "main-portal", **fields}}))
    assert data["billingPortalCreate"]["userErrors"] == [], data
    return data["billingPortalCreate"]["billingPortal"]["id"]


async def portal_link(org, cid, pid):
    data = (await org.gql(PORTAL_LINK, {"input": {"customerId": cid, "billingPortalId": pid}}))["billingPortalLinkCreate"]
    assert data["userErrors"] == [], data
    return data["billingPortalLink"]


async def test_bad_portal_and_link_input_is_refused_with_every_problem(org):
    cid = await add_customer(org)
    bad = (await org.gql(PORTAL, {"input": {"websiteId": "web_01J00000000000000000000000", "name": "", "slug": "No!",
                                            "primaryColor": "blue"}}))["billingPortalCreate"]
    assert sorted((tuple(e["field"]), e["code"]) for e in bad["userErrors"]) == sorted([
        (("name",), "REQUIRED"), (("slug",), "INVALID"), (("primaryColor",), "INVALID"), (("websiteId",), "NOT_FOUND")])
    pid = await portal(org)
    dup = (await org.gql(PORTAL, {"input": {"websiteId": org.website_id, "name": "Again", "slug": "main-portal"}}))
    assert [(e["field"], e["code"]) for e in dup["billingPortalCreate"]["userErrors"]] == [(["slug"], "ALREADY_EXISTS")]
    off = (await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "status": "INACTIVE", "expectedRevision": 1}}))
    assert off["billingPortalUpdate"]["billingPortal"]["status"] == "INACTIVE"
    stale = (await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "status": "ACTIVE", "expectedRevision": 1}}))
    assert [(e["field"], e["code"]) for e in stale["billingPortalUpdate"]["userErrors"]] == [(["expectedRevision"], "REVISION_CONFLICT")]
    refused = (await org.gql(PORTAL_LINK, {"input": {"customerId": cid, "billingPortalId": pid, "expiresInHours": 99}}))
    assert sorted((tuple(e["field"]), e["code"]) for e in refused["billingPortalLinkCreate"]["userErrors"]) == sorted([
        (("billingPortalId",), "PORTAL_INACTIVE"), (("expiresInHours",), "INVALID")])
    setup = (await org.gql(SETUP_LINK, {"input": {"customerId": cid, "currency": "JPY", "expiresInHours": 0,
                                                  "redirectUrl": "javascript:alert(1)"}}))["paymentInstrumentSetupLinkCreate"]
    assert sorted((tuple(e["field"]), e["code"]) for e in setup["userErrors"]) == sorted([
        (("currency",), "CURRENCY_NOT_ACCEPTED"), (("expiresInHours",), "INVALID"), (("redirectUrl",), "INVALID_URL")])


async def test_inactive_portal_and_expired_links_refuse_with_a_clear_page(org, store):
    await add_account(org)
    cid = await add_customer(org)
    pid = await portal(org)
    link = await portal_link(org, cid, pid)
    assert (await org.http.get(path_of(link["url"]))).status_code == 200
    await org.gql(PORTAL_UPDATE, {"input": {"id": pid, "status": "INACTIVE"}})
    gone = await org.http.get(path_of(link["url"]))
    assert gone.status_code == 404 and "not valid" in gone.text
    setup = (await org.gql(SETUP_LINK, {"input": {"customerId": cid, "currency": "USD"}}))["paymentInstrumentSetupLinkCreate"]["setupLink"]
    await store.raw("customer_links").update_one({"id": setup["id"]}, {"$set": {"expiresTime": datetime.now(UTC) - timedelta(seconds=1)}})
    expired = await org.http.post(path_of(setup["url"]), data={"revision": "1", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert expired.status_code == 410 and "expired" in expired.text
    assert (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]["paymentInstruments"] == []
    # a set-up token does not open the portal page, nor the other way round
    wrong = await org.http.get("/portal/" + setup["url"].rsplit("/", 1)[1])
    assert wrong.status_code == 404


async def test_setup_page_refuses_bad_cards_and_stale_forms_and_records_the_card(org):
    await add_account(org)
    cid = await add_customer(org)
    link = (await org.gql(SETUP_LINK, {"input": {"customerId": cid, "currency": "USD"}}))["paymentInstrumentSetupLinkCreate"]["setupLink"]
    url = path_of(link["url"])
    bad = await org.http.post(url, data={"revision": "1", "cardNumber": "4111 1111 1111 1112", "expiry": "12/39"})
    assert bad.status_code == 400 and "Check the card number" in bad.text
    stale = await org.http.post(url, data={"revision": "0", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert stale.status_code == 409 and "nothing was changed" in stale.text
    ok = await org.http.post(url, data={"revision": "1", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert ok.status_code == 200
    again = await org.http.post(url, data={"revision": "1", "cardNumber": APPROVE_CARD, "expiry": "12/39"})
    assert again.status_code == 410 and "already been used" in again.text
    instruments = (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]["paymentInstruments"]
    assert len(instruments) == 1
    got = (await org.gql("""query($id: ID!) { instrumentSetupLink(id: $id) { status paymentInstrumentId } }""", {"id": link["id"]}))
    assert got["instrumentSetupLink"] == {"status": "USED", "paymentInstrumentId": instruments[0]["id"]}
    events = [e["node"] for e in (await org.gql(TIMELINE, {"id": cid}))["customer"]["timeline"]["edges"]]
    kinds = [e["kind"] for e in events]
    assert kinds[:4] == ["CUSTOMER_LINK_USED", "DEFAULT_PAYMENT_INSTRUMENT_CHANGED", "PAYMENT_INSTRUMENT_ADDED", "CUSTOMER_LINK_CREATED"]
    assert events[0]["paymentInstrumentId"] == instruments[0]["id"] and events[3]["linkKind"] == "INSTRUMENT_SETUP"


async def test_portal_features_turned_off_refuse_the_change(org):
    cid = await add_customer(org)
    pid = await portal(org, features={"paymentInstrumentAdd": False, "addressEdit": False})
    link = await portal_link(org, cid, pid)
    page = await org.http.get(path_of(link["url"]))
    assert "Add card" not in page.text and "Save address" not in page.text
    refused = await org.http.post(path_of(link["url"]) + "/address", data={"revision": "1", "city": "Paris"})
    assert refused.status_code == 403
    bad_country = await portal_link(org, cid, await portal(org, slug="second-portal"))
    response = await org.http.post(path_of(bad_country["url"]) + "/address", data={"revision": "1", "country": "XX"})
    assert response.status_code == 400 and "Check the address" in response.text
    assert (await org.gql(INSTRUMENTS, {"id": cid}))["customer"]["address"] is None
