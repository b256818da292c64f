"""Hosted pages over plain HTTP, opened by customers through shared links (no API key: the link's secret
token establishes the organization):

- `GET/POST /pay/{token}`: the hosted payment form of a payment link; the customer pays with a card
  through the sandbox gateway.
- `GET/POST /payout-requests/{token}`: a payout request; the customer confirms the card to be paid to.

Card numbers are used for the gateway call and then dropped: only BIN, last four and brand are kept,
and they are never logged. Pages are `no-store` and send no referrer (the URL holds the token).
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from resolvers import money
from resolvers.context import now
from resolvers.gateway import card_ref, normalise_card_number
from resolvers.sales import charge, refuse_blocked
from resolvers.settings import Settings
from schema.common import minor_to_decimal
from store import customers, gateway_accounts, payment_links, payouts, timeline
from store import payment_instruments as pi
from store.db import Doc, Store

log = logging.getLogger("customer_graph.hosted")
PAGE_ACTOR = {"type": "SYSTEM", "id": None, "name": "Hosted payment page"}
PAYOUT_ACTOR = {"type": "SYSTEM", "id": None, "name": "Hosted payout request page"}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#222}"
    "label{display:block;margin:.8rem 0 "
    ".2rem}input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}"
    "button{margin-top:1.2rem;padding:.6rem 1.2rem;font-size:1rem}.amount{font-size:2rem;font-weight:600}"
    ".error{color:#b00020}.ok{color:#0a7a2f}"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
        f"content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


def _amount(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _card_form(button: str, message: str = "") -> str:
    return (
        f"{message}<form method=post autocomplete=off>"
        "<label for=card>Card number</label><input id=card name=cardNumber inputmode=numeric required>"
        "<label for=exp>Expiry (MM/YY)</label><input id=exp name=expiry placeholder=MM/YY required>"
        f"<button type=submit>{html.escape(button)}</button></form>"
    )


def _expiry_ok(value: str, today: datetime) -> bool:
    month, sep, year = value.strip().partition("/")
    if not sep or not month.strip().isdigit() or not year.strip().isdigit():
        return False
    m, y = int(month), int(year)
    y = y + 2000 if y < 100 else y
    return 1 <= m <= 12 and (y, m) >= (today.year, today.month)


def _not_found() -> HTMLResponse:
    return _page("Link not found", "<p>This link is not valid. Ask the merchant for a new one.</p>", 404)


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

    def _link_view(self, link: Doc, message: str = "") -> HTMLResponse:
        amount = _amount(link["amountMinor"], link["currency"])
        head = f"<p class=amount>{html.escape(amount)}</p><p>{html.escape(link.get('description') or '')}</p>"
        if link["status"] == "PAID":
            return _page("Paid", head + "<p class=ok>This payment is complete. Thank you.</p>")
        if link["expiresTime"] <= datetime.now(UTC):
            return _page("Link expired", head + "<p>This payment link has expired.</p>", 410)
        if link["status"] == "PROCESSING":
            return _page("Payment in progress", head + "<p>A payment is being processed.</p>", 409)
        return _page("Pay", head + _card_form(f"Pay {amount}", message))

    async def payment(self, request: Request) -> Response:
        link = await payment_links.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if link is None:
            return _not_found()
        if request.method == "GET":
            return self._link_view(link)
        form = await request.form()
        number = normalise_card_number(str(form.get("cardNumber") or ""))
        t = now()
        if number is None or not _expiry_ok(str(form.get("expiry") or ""), t):
            return self._link_view(link, "<p class=error>Check the card number and expiry date.</p>")
        org = self.store.for_org(link["organizationId"])
        started = await payment_links.start_payment(org, link["id"], t)
        if started is None:
            return self._link_view(await payment_links.get(org, link["id"]) or link)
        paid = False
        txn_id = None
        try:
            customer = await customers.get(org, link["customerId"])
            account = await gateway_accounts.get(org, link["gatewayAccountId"])
            if customer is None or account is None:
                return _page("Unavailable", "<p>This payment can no longer be made.</p>", 410)
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
                return _page("Payment refused", "<p class=error>This payment cannot be accepted.</p>", 403)
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
            return _page(
                "Paid",
                f"<p class=amount>{html.escape(_amount(link['amountMinor'], link['currency']))}</p>"
                "<p class=ok>Payment approved. Thank you.</p>",
            )
        fresh = await payment_links.get(org, link["id"]) or link
        reason = (txn.get("gatewayResponse") or {}).get("message", "The payment was not approved.")
        return self._link_view(fresh, f"<p class=error>{html.escape(reason)} Try another card.</p>")

    # ------------------------------------------------------------------------------------------ payouts

    def _request_view(self, req: Doc, message: str = "") -> HTMLResponse:
        amount = _amount(req["amountMinor"], req["currency"])
        head = f"<p class=amount>{html.escape(amount)}</p><p>{html.escape(req.get('description') or '')}</p>"
        status = req["status"]
        if status == "READY":
            return _page(
                "Payout confirmed",
                head + f"<p class=ok>You will be paid to the card ending "
                f"{html.escape(req.get('cardLast4') or '')}.</p>",
            )
        if status == "FULFILLED":
            return _page("Paid out", head + "<p class=ok>This payout has been sent.</p>")
        if status == "CANCELED":
            return _page("Payout canceled", head + "<p>This payout request was canceled.</p>", 410)
        if req["expiresTime"] <= datetime.now(UTC):
            return _page("Link expired", head + "<p>This payout request link has expired.</p>", 410)
        return _page("Receive a payout", head + _card_form("Confirm the card to be paid to", message))

    async def payout_request(self, request: Request) -> Response:
        req = await payouts.request_by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if req is None:
            return _not_found()
        if request.method == "GET":
            return self._request_view(req)
        form = await request.form()
        number = normalise_card_number(str(form.get("cardNumber") or ""))
        t = now()
        if number is None or not _expiry_ok(str(form.get("expiry") or ""), t):
            return self._request_view(req, "<p class=error>Check the card number and expiry date.</p>")
        card = card_ref(number)
        del number
        org = self.store.for_org(req["organizationId"])
        moved = await payouts.confirm_request(
            org, req["id"], {"cardLast4": card.last4, "cardBin": card.bin, "cardBrand": card.brand}, t
        )
        if moved is None:
            return self._request_view(await payouts.get_request(org, req["id"]) or req)
        await timeline.record(
            org,
            req["customerId"],
            "PAYOUT_REQUEST_CHANGED",
            PAYOUT_ACTOR,
            t,
            {"payoutRequestId": req["id"], "status": "READY"},
            f"Customer confirmed the payout card …{card.last4}",
        )
        return self._request_view(moved)
