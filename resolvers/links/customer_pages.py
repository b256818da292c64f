"""The pages behind customer links (no API key: the token establishes the organization, the customer and
the one link it opens):

- `GET/POST /setup/{token}`: *Set up a payment instrument*; the customer adds a card, once.
- `GET /portal/{token}`, `POST /portal/{token}/card`, `POST /portal/{token}/address`: a billing portal
  session; the customer sees their cards, adds one and updates their billing address until the link
  expires. An inactive portal answers 404.
- On the same page, their invoices (`GET /portal/{token}/invoices/{id}.pdf` downloads one) and active
  subscriptions (`POST /portal/{token}/subscriptions/{id}/cancel` cancels one at the period's end):
  `resolvers/links/portal_billing.py`.

Each form carries the link's `revision`; a change is applied only at that revision, while the link is
ACTIVE and unexpired (`customer_links.use`), so a replayed or stale form changes nothing and says so.
Card numbers are checked and dropped (brand, BIN, last 4, expiry and a fingerprint are kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers import validation as v
from resolvers.billing.customer_cancel import cancel_at_period_end, cancelable
from resolvers.billing.documents import invoice_filename, invoice_pdf
from resolvers.context import now
from resolvers.links import portal_billing as billing
from resolvers.links.cards import add_card, blocked, instrument_doc, read_card
from resolvers.money import money
from resolvers.pages import render
from resolvers.settings import Settings
from schema.common import Problems
from store.activity import timeline
from store.customers import customers
from store.db import Doc, OrgDb, Store
from store.errors import NotFound, RevisionConflict
from store.links import customer_links as cl
from store.wallet import payment_instruments as pi

SETUP_ACTOR = {"type": "SYSTEM", "id": None, "name": "Payment instrument set-up page"}
PORTAL_ACTOR = {"type": "SYSTEM", "id": None, "name": "Billing portal"}
PDF_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True, slots=True)
class AddressForm:
    line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    line2: str | None = None


def _name(customer: Doc) -> str:
    return " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p)


def _int(value: Any) -> int | None:
    raw = str(value or "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _revision(form: Any) -> int | None:
    return _int(form.get("revision"))


class CustomerLinkPages:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [
            Route("/setup/{token}", self.setup, methods=["GET", "POST"]),
            Route("/portal/{token}", self.portal, methods=["GET"]),
            Route("/portal/{token}/card", self.portal_card, methods=["POST"]),
            Route("/portal/{token}/address", self.portal_address, methods=["POST"]),
            Route("/portal/{token}/invoices/{invoice_id}.pdf", self.portal_invoice_pdf, methods=["GET"]),
            Route("/portal/{token}/subscriptions/{order_id}/cancel", self.portal_cancel, methods=["POST"]),
        ]

    def _message(self, request: Request, title: str, message: str, status: int, redirect: str | None = None) -> Response:
        return render(request, "links/message.html",
                      {"title": title, "message": message, "redirect_url": redirect}, status_code=status)

    def _not_found(self, request: Request) -> Response:
        return self._message(request, "Link not found", "This link is not valid. Ask the merchant for a new one.", 404)

    async def _open(self, request: Request, kind: str) -> tuple[OrgDb, Doc, Doc] | Response:
        """The link of the token with its customer, or the page that refuses it."""
        link = await cl.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if link is None or link["kind"] != kind:
            return self._not_found(request)
        org = self.store.for_org(link["organizationId"])
        if link["status"] == "USED":
            return self._message(request, "Link already used",
                                 "This link has already been used. Ask the merchant for a new one.", 410, link.get("redirectUrl"))
        if link["expiresTime"] <= now():
            return self._message(request, "Link expired", "This link has expired. Ask the merchant for a new one.", 410)
        customer = await customers.get(org, link["customerId"])
        if customer is None:
            return self._not_found(request)
        return org, link, customer

    def _stale(self, request: Request) -> Response:
        return self._message(request, "Form out of date",
                             "This form was already submitted or is out of date: nothing was changed. "
                             "Open the link again to continue.", 409)

    # -------------------------------------------------------------------------------------- set-up page

    def _setup_form(self, request: Request, link: Doc, customer: Doc, error: str | None = None, status: int = 200) -> Response:
        return render(request, "links/setup.html", {
            "title": "Set up a payment card", "error": error, "currency": link["currency"], "name": _name(customer),
            "expires": link["expiresTime"].strftime("%Y-%m-%d %H:%M"), "revision": link["revision"],
        }, status_code=status)

    async def setup(self, request: Request) -> Response:
        opened = await self._open(request, "INSTRUMENT_SETUP")
        if isinstance(opened, Response):
            return opened
        org, link, customer = opened
        if request.method == "GET":
            return self._setup_form(request, link, customer)
        form = await request.form()
        revision = _revision(form)
        if revision != link["revision"]:
            return self._stale(request)
        t = now()
        problems = Problems()
        card = read_card(form)
        doc = instrument_doc(problems, self.settings.card_fingerprint_secret.get_secret_value(), customer, card, t) if card else None
        if doc is None:
            return self._setup_form(request, link, customer, "Check the card number and expiry date.", 400)
        if await blocked(org, customer, doc, request.client.host if request.client else None, t):
            return self._message(request, "Card refused", "This card cannot be accepted.", 403)
        if await pi.count_for_customer(org, customer["id"]) >= pi.MAX_PER_CUSTOMER:
            return self._message(request, "Too many cards", "No more cards can be added. Contact the merchant.", 409)
        # Claim the link first (one card per link, even with two tabs), then store the card under the claimed id.
        used = await cl.use(org, link["id"], link["revision"], {"status": "USED", "paymentInstrumentId": doc["id"]}, t,
                            push={"changes": {"action": "CARD_ADDED", "time": t}})
        if used is None:
            return self._stale(request)
        await add_card(org, SETUP_ACTOR, customer, doc, t)
        await timeline.record(org, customer["id"], "CUSTOMER_LINK_USED", SETUP_ACTOR, t,
                              {"linkId": link["id"], "action": "CARD_ADDED", "paymentInstrumentId": doc["id"]},
                              f"Customer set up {doc['summary']}")
        return self._message(request, "Card saved", f"Thank you: {doc['summary']} is saved for {link['currency']} payments.",
                             200, link.get("redirectUrl"))

    # -------------------------------------------------------------------------------------- billing portal

    async def _portal_config(self, request: Request, org: OrgDb, link: Doc) -> Doc | Response:
        portal = await cl.portal(org, link["billingPortalId"])
        if portal is None or portal["status"] != "ACTIVE":
            return self._not_found(request)
        return portal

    async def _portal_page(self, request: Request, org: OrgDb, link: Doc, customer: Doc, portal: Doc, *,
                           error: str | None = None, notice: str | None = None, status: int = 200) -> Response:
        t = now()
        lists = await pi.by_customers(org, [customer["id"]])
        cards = [
            {
                "summary": d["summary"],
                "expiry": f"{d['card']['expMonth']:02d}/{d['card']['expYear']}",
                "default": d["id"] == customer.get("defaultPaymentInstrumentId"),
            }
            for d in lists[0] if d["method"] == "PAYMENT_CARD" and pi.effective_status(d, t) != "DEACTIVATED"
        ]
        base = f"/portal/{request.path_params['token']}"
        return render(request, "links/portal.html", {
            "title": "Billing portal", "error": error, "notice": notice,
            "name": _name(customer), "expires": link["expiresTime"].strftime("%Y-%m-%d %H:%M"),
            "instruments": cards, "features": portal["features"], "color": portal["primaryColor"],
            "address": customer.get("address") or {}, "revision": link["revision"], "base": base,
            "invoices": await billing.invoice_rows(org, customer["id"], base),
            "subscriptions": await billing.subscription_rows(org, customer["id"], base, t),
            "order_cancel": portal["features"].get("orderCancel", True), "reasons": billing.REASONS,
        }, status_code=status)

    async def portal(self, request: Request) -> Response:
        opened = await self._open(request, "BILLING_PORTAL")
        if isinstance(opened, Response):
            return opened
        org, link, customer = opened
        portal = await self._portal_config(request, org, link)
        if isinstance(portal, Response):
            return portal
        return await self._portal_page(request, org, link, customer, portal)

    async def _portal_post(self, request: Request) -> tuple[OrgDb, Doc, Doc, Doc, Any] | Response:
        opened = await self._open(request, "BILLING_PORTAL")
        if isinstance(opened, Response):
            return opened
        org, link, customer = opened
        portal = await self._portal_config(request, org, link)
        if isinstance(portal, Response):
            return portal
        form = await request.form()
        if _revision(form) != link["revision"]:
            return self._stale(request)
        return org, link, customer, portal, form

    async def portal_card(self, request: Request) -> Response:
        got = await self._portal_post(request)
        if isinstance(got, Response):
            return got
        org, link, customer, portal, form = got
        if not portal["features"]["paymentInstrumentAdd"]:
            return self._message(request, "Not available", "Cards cannot be added on this portal.", 403)
        t = now()
        problems = Problems()
        card = read_card(form)
        doc = instrument_doc(problems, self.settings.card_fingerprint_secret.get_secret_value(), customer, card, t) if card else None
        if doc is None:
            return await self._portal_page(request, org, link, customer, portal,
                                           error="Check the card number and expiry date.", status=400)
        if await blocked(org, customer, doc, request.client.host if request.client else None, t):
            return self._message(request, "Card refused", "This card cannot be accepted.", 403)
        if await pi.count_for_customer(org, customer["id"]) >= pi.MAX_PER_CUSTOMER:
            return await self._portal_page(request, org, link, customer, portal,
                                           error="No more cards can be added.", status=409)
        used = await cl.use(org, link["id"], link["revision"], {}, t,
                            push={"changes": {"action": "CARD_ADDED", "time": t, "paymentInstrumentId": doc["id"]}})
        if used is None:
            return self._stale(request)
        await add_card(org, PORTAL_ACTOR, customer, doc, t)
        await timeline.record(org, customer["id"], "CUSTOMER_LINK_USED", PORTAL_ACTOR, t,
                              {"linkId": link["id"], "action": "CARD_ADDED", "paymentInstrumentId": doc["id"]},
                              f"Customer added {doc['summary']} in the billing portal")
        fresh = await customers.get(org, customer["id"]) or customer
        return await self._portal_page(request, org, used, fresh, portal, notice=f"{doc['summary']} was added.")

    async def portal_address(self, request: Request) -> Response:
        got = await self._portal_post(request)
        if isinstance(got, Response):
            return got
        org, link, customer, portal, form = got
        if not portal["features"]["addressEdit"]:
            return self._message(request, "Not available", "The address cannot be changed on this portal.", 403)
        problems = Problems()

        def field(name: str) -> str | None:
            return str(form.get(name) or "").strip() or None

        country = field("country")
        address = v.address(problems, ["address"], AddressForm(
            field("line1"), field("city"), field("region"), field("postalCode"), country.upper() if country else None,
        ))
        if problems:
            error = "; ".join(f"{e.field[-1] if e.field else 'address'}: {e.message}" for e in problems.errors)
            return await self._portal_page(request, org, link, customer, portal, error=f"Check the address ({error}).", status=400)
        t = now()
        used = await cl.use(org, link["id"], link["revision"], {}, t, push={"changes": {"action": "ADDRESS_UPDATED", "time": t}})
        if used is None:
            return self._stale(request)
        updated = await self._set_address(org, link["id"], customer, address, t)
        return await self._portal_page(request, org, used, updated, portal, notice="Your billing address was saved.")

    async def portal_invoice_pdf(self, request: Request) -> Response:
        opened = await self._open(request, "BILLING_PORTAL")
        if isinstance(opened, Response):
            return opened
        org, link, customer = opened
        portal = await self._portal_config(request, org, link)
        if isinstance(portal, Response):
            return portal
        inv = await billing.customer_invoice(org, customer["id"], request.path_params["invoice_id"])
        if inv is None:
            return self._message(request, "Invoice not found", "There is no such invoice of yours.", 404)
        headers = {"Content-Disposition": f'attachment; filename="{invoice_filename(inv)}"', **PDF_HEADERS}
        return Response(invoice_pdf(inv, customer), media_type="application/pdf", headers=headers)

    async def portal_cancel(self, request: Request) -> Response:
        got = await self._portal_post(request)
        if isinstance(got, Response):
            return got
        org, link, customer, portal, form = got
        if not portal["features"].get("orderCancel", True):
            return self._message(request, "Not available", "Subscriptions cannot be canceled on this portal.", 403)
        order = await billing.customer_subscription(org, customer["id"], request.path_params["order_id"])
        if order is None:
            return self._message(request, "Subscription not found", "There is no such subscription of yours.", 404)
        reason = str(form.get("reason") or "")
        if not cancelable(order) or reason not in billing.REASONS or _int(form.get("orderRevision")) != order["revision"]:
            problem = ("Choose a reason." if cancelable(order) and reason not in billing.REASONS else
                       "This subscription cannot be canceled now (it changed, or it is canceled already).")
            return await self._portal_page(request, org, link, customer, portal, error=problem, status=409)
        t = now()
        used = await cl.use(org, link["id"], link["revision"], {}, t,
                            push={"changes": {"action": "SUBSCRIPTION_CANCELED", "time": t, "orderId": order["id"]}})
        if used is None:
            return self._stale(request)
        after = await cancel_at_period_end(org, order, PORTAL_ACTOR, reason, t)
        if after is None:
            return await self._portal_page(request, org, used, customer, portal, status=409,
                                           error="This subscription changed meanwhile: nothing was canceled.")
        ends = (after.get("churnTime") or t).strftime("%Y-%m-%d")
        return await self._portal_page(request, org, used, customer, portal,
                                       notice=f"Your subscription is canceled: it ends on {ends} and will not renew.")

    async def _set_address(self, org: OrgDb, link_id: str, customer: Doc, address: Doc | None, t: datetime) -> Doc:
        """Writes the customer's address at their current revision (re-read on a concurrent edit)."""
        current = customer
        for _ in range(5):
            try:
                doc = await customers.update(
                    org, current["id"], revision=current["revision"],
                    set_fields={"address": address}, now=t,
                )
            except RevisionConflict:
                current = await customers.get(org, current["id"]) or current
                continue
            except NotFound:
                return current
            await timeline.insert(org, timeline.event_doc(
                doc["id"], doc["timelineSeq"], "CUSTOMER_LINK_USED", PORTAL_ACTOR, t,
                {"linkId": link_id, "action": "ADDRESS_UPDATED"}, "Customer updated the billing address in the billing portal",
            ))
            return doc
        return current
