"""Billing portals (`billingPortalCreate`, `billingPortalUpdate`, `billingPortals`) and the customer
links: `paymentInstrumentSetupLinkCreate` and `billingPortalLinkCreate`. Their pages are in
`resolvers/links/customer_pages.py`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

import strawberry

from resolvers.auth import mutation
from resolvers.context import Context, Info, now
from resolvers.links.deposits import URL_RE
from resolvers.money import money
from schema.common import ClientError, Problems, UserErrorCode
from schema.links.customer_links import (
    BillingPortal,
    BillingPortalCreateInput,
    BillingPortalLink,
    BillingPortalLinkCreateInput,
    BillingPortalLinkCreatePayload,
    BillingPortalPayload,
    BillingPortalUpdateInput,
    InstrumentSetupLink,
    PaymentInstrumentSetupLinkCreateInput,
    PaymentInstrumentSetupLinkCreatePayload,
)
from store.activity import timeline
from store.customers import websites
from store.db import Doc
from store.ids import new_id, type_of_id
from store.links import customer_links as cl

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{3,98}[a-z0-9]$")
COLOR_RE = re.compile(r"^[0-9a-fA-F]{6}$")
MAX_SETUP_HOURS = 168
MAX_PORTAL_HOURS = 72


def _features(inp: object | None) -> Doc:
    if inp is None:
        return {"paymentInstrumentAdd": True, "addressEdit": True, "orderCancel": True}
    return {"paymentInstrumentAdd": inp.payment_instrument_add, "addressEdit": inp.address_edit,  # type: ignore[attr-defined]
            "orderCancel": inp.order_cancel}  # type: ignore[attr-defined]


async def _portal_create(ctx: Context, inp: BillingPortalCreateInput) -> BillingPortalPayload:
    org, problems, t = ctx.org, Problems(), now()
    name = money.text(problems, ["name"], inp.name, 100)
    if name is None:
        problems.add(["name"], "is required", UserErrorCode.REQUIRED)
    slug = inp.slug.strip()
    if not SLUG_RE.fullmatch(slug):
        problems.add(["slug"], "must be 5-100 of a-z, 0-9 and `-` (not at either end)", UserErrorCode.INVALID)
    elif await cl.portal_by_slug(org, slug) is not None:
        problems.add(["slug"], f"a billing portal {slug} exists", UserErrorCode.ALREADY_EXISTS)
    if not COLOR_RE.fullmatch(inp.primary_color):
        problems.add(["primaryColor"], "must be 6 hex digits, e.g. 0044d4", UserErrorCode.INVALID)
    wid = str(inp.website_id)
    if money.check_id(problems, ["websiteId"], wid, "Website", "web") and (await websites.get_many(org, [wid]))[0] is None:
        problems.add(["websiteId"], f"no website {wid} in this organization", UserErrorCode.NOT_FOUND)
    if len(await cl.portals(org)) >= cl.MAX_PORTALS:
        problems.add(None, f"an organization has at most {cl.MAX_PORTALS} billing portals", UserErrorCode.TOO_MANY)
    if problems:
        return BillingPortalPayload(billing_portal=None, user_errors=problems.errors)
    doc = {
        "id": new_id("bill_prt"), "websiteId": wid, "name": name, "slug": slug, "features": _features(inp.features),
        "primaryColor": inp.primary_color.lower(), "status": "ACTIVE", "createdTime": t, "updatedTime": t, "revision": 1,
    }
    await cl.insert(org, doc, cl.PORTALS)
    return BillingPortalPayload(billing_portal=BillingPortal.from_doc(doc), user_errors=[])


async def _portal_update(ctx: Context, inp: BillingPortalUpdateInput) -> BillingPortalPayload:
    org, problems, t = ctx.org, Problems(), now()
    pid = str(inp.id)
    changes: Doc = {}
    if inp.name is not None:
        changes["name"] = money.text(problems, ["name"], inp.name, 100)
        if changes["name"] is None:
            problems.add(["name"], "is required", UserErrorCode.REQUIRED)
    if inp.status is not None:
        changes["status"] = inp.status.name
    if inp.features is not None:
        changes["features"] = _features(inp.features)
    if not money.check_id(problems, ["id"], pid, "BillingPortal", "bill_prt") or problems:
        return BillingPortalPayload(billing_portal=None, user_errors=problems.errors)
    current = await cl.portal(org, pid)
    if current is None:
        problems.add(["id"], f"no billing portal {pid} in this organization", UserErrorCode.NOT_FOUND)
        return BillingPortalPayload(billing_portal=None, user_errors=problems.errors)
    if inp.expected_revision is not None and inp.expected_revision != current["revision"]:
        problems.add(["expectedRevision"], f"the portal is at revision {current['revision']}", UserErrorCode.REVISION_CONFLICT)
        return BillingPortalPayload(billing_portal=BillingPortal.from_doc(current), user_errors=problems.errors)
    doc = await cl.update_portal(org, pid, inp.expected_revision, changes, t)
    if doc is None:
        problems.add(["expectedRevision"], "the portal changed meanwhile", UserErrorCode.REVISION_CONFLICT)
        return BillingPortalPayload(billing_portal=None, user_errors=problems.errors)
    return BillingPortalPayload(billing_portal=BillingPortal.from_doc(doc), user_errors=[])


async def _setup_link(ctx: Context, inp: PaymentInstrumentSetupLinkCreateInput) -> PaymentInstrumentSetupLinkCreatePayload:
    org, problems, t = ctx.org, Problems(), now()
    currency = inp.currency.value
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    await money.route_account(org, problems, currency, None)
    if not 1 <= inp.expires_in_hours <= MAX_SETUP_HOURS:
        problems.add(["expiresInHours"], f"must be between 1 and {MAX_SETUP_HOURS}", UserErrorCode.INVALID)
    redirect = money.text(problems, ["redirectUrl"], inp.redirect_url, 2083)
    if redirect is not None and not URL_RE.match(redirect):
        problems.add(["redirectUrl"], f"{redirect!r} is not an http(s) URL", UserErrorCode.INVALID_URL)
    if problems or customer is None:
        return PaymentInstrumentSetupLinkCreatePayload(setup_link=None, user_errors=problems.errors)
    lid = new_id("setup_lnk")
    doc = {
        "id": lid, "kind": "INSTRUMENT_SETUP", "customerId": customer["id"], "currency": currency,
        "redirectUrl": redirect, "status": "ACTIVE", "paymentInstrumentId": None,
        "tokenHash": money.token_hash(money.link_token(ctx.settings, lid)),
        "expiresTime": t + timedelta(hours=inp.expires_in_hours), "changes": [],
        "createdTime": t, "updatedTime": t, "revision": 1,
    }
    await cl.insert(org, doc)
    await timeline.record(org, customer["id"], "CUSTOMER_LINK_CREATED", ctx.actor(), t,
                          {"linkId": lid, "linkKind": "INSTRUMENT_SETUP"}, f"Payment instrument set-up link made ({currency})")
    return PaymentInstrumentSetupLinkCreatePayload(setup_link=InstrumentSetupLink.from_doc(doc), user_errors=[])


async def _portal_link(ctx: Context, inp: BillingPortalLinkCreateInput) -> BillingPortalLinkCreatePayload:
    org, problems, t = ctx.org, Problems(), now()
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    pid = str(inp.billing_portal_id)
    portal = None
    if money.check_id(problems, ["billingPortalId"], pid, "BillingPortal", "bill_prt"):
        portal = await cl.portal(org, pid)
        if portal is None:
            problems.add(["billingPortalId"], f"no billing portal {pid} in this organization", UserErrorCode.NOT_FOUND)
        elif portal["status"] != "ACTIVE":
            problems.add(["billingPortalId"], f"billing portal {pid} is inactive", UserErrorCode.PORTAL_INACTIVE)
    if not 1 <= inp.expires_in_hours <= MAX_PORTAL_HOURS:
        problems.add(["expiresInHours"], f"must be between 1 and {MAX_PORTAL_HOURS}", UserErrorCode.INVALID)
    if problems or customer is None or portal is None:
        return BillingPortalLinkCreatePayload(billing_portal_link=None, user_errors=problems.errors)
    lid = new_id("portal_lnk")
    doc = {
        "id": lid, "kind": "BILLING_PORTAL", "customerId": customer["id"], "billingPortalId": pid,
        "status": "ACTIVE", "tokenHash": money.token_hash(money.link_token(ctx.settings, lid)),
        "expiresTime": t + timedelta(hours=inp.expires_in_hours), "changes": [],
        "createdTime": t, "updatedTime": t, "revision": 1,
    }
    await cl.insert(org, doc)
    await timeline.record(org, customer["id"], "CUSTOMER_LINK_CREATED", ctx.actor(), t,
                          {"linkId": lid, "linkKind": "BILLING_PORTAL"}, f"Billing portal link made ({portal['name']})")
    return BillingPortalLinkCreatePayload(billing_portal_link=BillingPortalLink.from_doc(doc), user_errors=[])


@strawberry.type
class CustomerLinkQueries:
    @strawberry.field(description="Every billing portal of the organization (at most 200), oldest first.")
    async def billing_portals(self, info: Info) -> list[BillingPortal]:
        return [BillingPortal.from_doc(d) for d in await cl.portals(info.context.org)]

    @strawberry.field(description="One payment instrument set-up link by id; null when there is none here.")
    async def instrument_setup_link(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Set-up link id.")]
    ) -> InstrumentSetupLink | None:
        if type_of_id(str(id)) != "InstrumentSetupLink":
            raise ClientError(f"{id} is not an InstrumentSetupLink id; expected `setup_lnk_…`")
        doc = await cl.get(info.context.org, str(id))
        return InstrumentSetupLink.from_doc(doc) if doc else None

    @strawberry.field(description="One billing portal link by id; null when there is none here.")
    async def billing_portal_link(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Portal link id.")]
    ) -> BillingPortalLink | None:
        if type_of_id(str(id)) != "BillingPortalLink":
            raise ClientError(f"{id} is not a BillingPortalLink id; expected `portal_lnk_…`")
        doc = await cl.get(info.context.org, str(id))
        return BillingPortalLink.from_doc(doc) if doc else None


@strawberry.type
class CustomerLinkMutations:
    @mutation("Makes a billing portal (a named self-service portal configuration of a website).")
    async def billing_portal_create(self, info: Info, input: BillingPortalCreateInput) -> BillingPortalPayload:
        return await _portal_create(info.context, input)

    @mutation("Renames, activates/deactivates or changes the features of a billing portal.")
    async def billing_portal_update(self, info: Info, input: BillingPortalUpdateInput) -> BillingPortalPayload:
        return await _portal_update(info.context, input)

    @mutation(
        "The guide's *Set up a payment instrument*: a one-time link for a currency where the customer adds a card "
        "(it becomes ACTIVE, and the default when the customer has none). Share `setupLink.url`."
    )
    async def payment_instrument_setup_link_create(
        self, info: Info, input: PaymentInstrumentSetupLinkCreateInput
    ) -> PaymentInstrumentSetupLinkCreatePayload:
        return await _setup_link(info.context, input)

    @mutation(
        "The guide's *Generate billing portal link*: a session link to an active billing portal for one customer, "
        "where they add a card, update their billing address, see and download their invoices and cancel an active "
        "subscription at the end of its period (default one hour). Share `billingPortalLink.url`."
    )
    async def billing_portal_link_create(
        self, info: Info, input: BillingPortalLinkCreateInput
    ) -> BillingPortalLinkCreatePayload:
        return await _portal_link(info.context, input)
