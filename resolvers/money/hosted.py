"""Hosted pages over plain HTTP, opened by customers through shared links (no API key: the link's secret
token establishes the organization):

- `GET/POST /pay/{token}`: the hosted payment form of a payment link; the customer pays with a card
  through the sandbox gateway.
- `GET/POST /payout-requests/{token}`: a payout request; the customer confirms the card to be paid to.

Card numbers are used for the gateway call and then dropped: only BIN, last four and brand are kept,
and they are never logged. Pages are `no-store` and send no referrer (the URL holds the token).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from resolvers.context import now
from resolvers.money import money
from resolvers.money.gateway import card_ref, normalise_card_number
from resolvers.money.sales import charge, refuse_blocked
from resolvers.pages import render
from resolvers.settings import Settings
from schema.common import minor_to_decimal
from store.activity import timeline
from store.customers import customers
from store.db import Doc, Store
from store.money import gateway_accounts, payment_links, payouts
from store.wallet import payment_instruments as pi

log = logging.getLogger("customer_graph.hosted")
PAYMENT = "money/payment.html"
PAYOUT = "money/payout_request.html"
PAGE_ACTOR = {"type": "SYSTEM", "id": None, "name": "Hosted payment page"}
PAYOUT_ACTOR = {"type": "SYSTEM", "id": None, "name": "Hosted payout request page"}


def _amount(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _expiry_ok(value: str, today: datetime) -> bool:
    month, sep, year = value.strip().partition("/")
    if not sep or not month.strip().isdigit() or not year.strip().isdigit():
        return False
    m, y = int(month), int(year)
    y = y + 2000 if y < 100 else y
    return 1 <= m <= 12 and (y, m) >= (today.year, today.month)


def _not_found(request: Request) -> HTMLResponse:
    return render(request, "not_found.html", {"title": "Link not found"}, 404)


class HostedPages:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [
            Route("/pay/{token}", self.payment, methods=["GET", "POST"]),
            Route("/payout-requests/{token}", self.payout_request, methods=["GET", "POST"]),
        ]

    # ------------------------------------------------------------------------------------------ payments

    def _link_view(self, request: Request, link: Doc, message: str = "") -> HTMLResponse:
        page = {"amount": _amount(link["amountMinor"], link["currency"]), "description": link.get("description") or "",
                "message": message}
        if link["status"] == "PAID":
            return render(request, PAYMENT, {**page, "title": "Paid", "state": "paid"})
        if link["expiresTime"] <= datetime.now(UTC):
            return render(request, PAYMENT, {**page, "title": "Link expired", "state": "expired"}, 410)
        if link["status"] == "PROCESSING":
            return render(request, PAYMENT, {**page, "title": "Payment in progress", "state": "processing"}, 409)
        return render(request, PAYMENT, {**page, "title": "Pay", "state": "open"})

    async def payment(self, request: Request) -> Response:
        link = await payment_links.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if link is None:
            return _not_found(request)
        if request.method == "GET":
            return self._link_view(request, link)
        form = await request.form()
        number = normalise_card_number(str(form.get("cardNumber") or ""))
        t = now()
        if number is None or not _expiry_ok(str(form.get("expiry") or ""), t):
            return self._link_view(request, link, "Check the card number and expiry date.")
        org = self.store.for_org(link["organizationId"])
        started = await payment_links.start_payment(org, link["id"], t)
        if started is None:
            return self._link_view(request, await payment_links.get(org, link["id"]) or link)
        paid = False
        txn_id = None
        try:
            customer = await customers.get(org, link["customerId"])
            account = await gateway_accounts.get(org, link["gatewayAccountId"])
            if customer is None or account is None:
                return render(request, PAYMENT, {"title": "Unavailable", "state": "unavailable", "amount": "", "description": ""}, 410)
            card = card_ref(number)
            secret = self.settings.card_fingerprint_secret.get_secret_value()
            attributes = money.merge_attributes(
                money.customer_attributes(customer),
                {
                    "FINGERPRINT": [pi.fingerprint(secret, link["organizationId"], "card", number)],
                    "BIN": [card.bin or ""],
                    "IP_ADDRESS": [request.client.host] if request.client else [],
                },
            )
            del number  # the full number goes no further than the fingerprint above
            types = await money.blocked_types(org, attributes, t)
            if types:
                await refuse_blocked(
                    org, PAGE_ACTOR, customer, types, link["amountMinor"], link["currency"], t
                )
                return render(request, PAYMENT, {"title": "Payment refused", "state": "refused", "amount": "", "description": ""}, 403)
            txn = await charge(
                org,
                self.settings,
                PAGE_ACTOR,
                customer,
                account,
                link["amountMinor"],
                link["currency"],
                card,
                link.get("description"),
                t,
                {"paymentLinkId": link["id"]},
            )
            txn_id, paid = txn["id"], txn["result"] == "APPROVED"
        finally:
            if txn_id is None:
                await payment_links.finish_payment_failed(org, link["id"], now())
            else:
                await payment_links.finish_payment(org, link["id"], txn_id, paid, now())
        if paid:
            page = {"amount": _amount(link["amountMinor"], link["currency"]), "description": ""}
            return render(request, PAYMENT, {**page, "title": "Paid", "state": "approved"})
        fresh = await payment_links.get(org, link["id"]) or link
        reason = (txn.get("gatewayResponse") or {}).get("message", "The payment was not approved.")
        return self._link_view(request, fresh, f"{reason} Try another card.")

    # ------------------------------------------------------------------------------------------ payouts

    def _request_view(self, request: Request, req: Doc, message: str = "") -> HTMLResponse:
        page = {"amount": _amount(req["amountMinor"], req["currency"]), "description": req.get("description") or "",
                "message": message, "card_last4": req.get("cardLast4") or ""}
        status = req["status"]
        if status == "READY":
            return render(request, PAYOUT, {**page, "title": "Payout confirmed", "state": "ready"})
        if status == "FULFILLED":
            return render(request, PAYOUT, {**page, "title": "Paid out", "state": "fulfilled"})
        if status == "CANCELED":
            return render(request, PAYOUT, {**page, "title": "Payout canceled", "state": "canceled"}, 410)
        if req["expiresTime"] <= datetime.now(UTC):
            return render(request, PAYOUT, {**page, "title": "Link expired", "state": "expired"}, 410)
        return render(request, PAYOUT, {**page, "title": "Receive a payout", "state": "open"})

    async def payout_request(self, request: Request) -> Response:
        req = await payouts.request_by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if req is None:
            return _not_found(request)
        if request.method == "GET":
            return self._request_view(request, req)
        form = await request.form()
        number = normalise_card_number(str(form.get("cardNumber") or ""))
        t = now()
        if number is None or not _expiry_ok(str(form.get("expiry") or ""), t):
            return self._request_view(request, req, "Check the card number and expiry date.")
        card = card_ref(number)
        del number
        org = self.store.for_org(req["organizationId"])
        moved = await payouts.confirm_request(
            org, req["id"], {"cardLast4": card.last4, "cardBin": card.bin, "cardBrand": card.brand}, t
        )
        if moved is None:
            return self._request_view(request, await payouts.get_request(org, req["id"]) or req)
        await timeline.record(
            org,
            req["customerId"],
            "PAYOUT_REQUEST_CHANGED",
            PAYOUT_ACTOR,
            t,
            {"payoutRequestId": req["id"], "status": "READY"},
            f"Customer confirmed the payout card …{card.last4}",
        )
        return self._request_view(request, moved)
