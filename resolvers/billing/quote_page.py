"""The hosted acceptance page of a quote, `GET/POST /quotes/accept/{token}` (the token scheme of the
hosted payment page: an HMAC of the quote id under the link secret, found by its hash in any
organization). The customer sees the items, subtotal, terms and signature line (CHANGE and REACTIVATION
quotes: also what acceptance invoices now, e.g. the proration), and accepts or rejects; with the PAYMENT
condition the card given is added to the customer and charged through the sandbox gateway, and the
quote is accepted only when its invoice is paid in full (no card is asked when nothing is due)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from resolvers.billing import quote_orders
from resolvers.billing import quotes as quote_service
from resolvers.billing.documents import customer_name
from resolvers.context import Context, Principal, now
from resolvers.money import money
from resolvers.money.gateway import normalise_card_number
from resolvers.pages import render
from resolvers.settings import Settings
from resolvers.wallet import payment_instruments as wallet
from schema.common import Problems, minor_to_decimal
from schema.wallet.payment_instruments import PaymentCardInput, PaymentInstrumentAddInput, SensitiveString
from store.billing import orders, quotes
from store.customers import customers
from store.db import Doc, Store

PAGE = "billing/quote.html"
PAGE_PRINCIPAL = "Hosted quote acceptance page"


def _amount(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _expiry(value: str) -> tuple[int, int] | None:
    month, sep, year = value.strip().partition("/")
    if not sep or not month.strip().isdigit() or not year.strip().isdigit():
        return None
    y = int(year)
    return int(month), (y + 2000 if y < 100 else y)


def _state(status: str) -> str:
    return {"ISSUED": "open", "ACCEPTED": "accepted", "REJECTED": "rejected", "EXPIRED": "expired"}.get(status, "closed")


class QuotePages:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [Route("/quotes/accept/{token}", self.page, methods=["GET", "POST"])]

    def _ctx(self, org_id: str) -> Context:
        principal = Principal(organization_id=org_id, key_id="hosted-quote-page", key_name=PAGE_PRINCIPAL, scope="write")
        return Context.build(self.store, self.settings, principal)

    async def _due(self, doc: Doc, t: datetime) -> Doc | None:
        """CHANGE/REACTIVATION: what accepting now invoices (None for CREATION or a closed quote)."""
        org = self.store.for_org(doc["organizationId"])
        if doc["type"] == "CREATION" or quote_service.quote_status(doc, t) != "ISSUED":
            return None
        order = await orders.get(org, doc["orderId"]) if doc.get("orderId") else None
        return await quote_orders.preview_of(org, doc, order, t)

    def _pays(self, doc: Doc, due: Doc | None) -> bool:
        """Whether accepting asks for a card: the PAYMENT condition with something to pay."""
        return "PAYMENT" in doc["acceptanceConditions"] and (doc["type"] == "CREATION" or bool(due and due["dueMinor"]))

    async def _view(self, request: Request, doc: Doc, t: datetime, message: str = "", status_code: int = 200) -> HTMLResponse:
        org = self.store.for_org(doc["organizationId"])
        customer = await customers.get(org, doc["customerId"])
        status = quote_service.quote_status(doc, t)
        sig = doc.get("signature") or {}
        cur = doc["currency"]
        due = await self._due(doc, t)
        now_lines = [{"description": li["description"], "credit": li["type"] == "CREDIT",
                      "amount": _amount(li["amountMinor"], cur)} for li in (due or {}).get("items") or ()]
        return render(request, PAGE, {
            "kind": doc["type"].lower(), "due_lines": now_lines,
            "due": _amount(due["dueMinor"], cur) if due else "",
            "credit_memo": _amount(due["creditMemoMinor"], cur) if due and due["creditMemoMinor"] else "",
            "title": "Your quote", "quote_id": doc["id"], "customer_name": customer_name(customer),
            "expires": doc["expirationTime"].strftime("%Y-%m-%d") if doc.get("expirationTime") else "",
            "items": [{"name": i["name"], "quantity": i["quantity"], "recurring": i.get("recurring") or "once",
                       "amount": _amount(i["amountMinor"], cur)} for i in doc["items"]],
            "subtotal": _amount(doc["subtotalMinor"], cur), "coupons": ", ".join(doc.get("couponIds") or ()),
            "terms": doc.get("paymentTerms") or "", "signature": bool(sig.get("showSignatureLine")),
            "signatory": sig.get("signatoryName") or "", "payment": self._pays(doc, due),
            "state": _state(status), "message": message, "redirect": doc.get("redirectUrl") or "",
        }, status_code)

    async def page(self, request: Request) -> Response:
        doc = await quotes.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        t = now()
        if doc is None or doc["status"] == "DRAFT":
            return render(request, "not_found.html", {"title": "Link not found"}, 404)
        if request.method == "GET":
            return await self._view(request, doc, t)
        form = await request.form()
        ctx = self._ctx(doc["organizationId"])
        actor = {"type": "SYSTEM", "id": None, "name": PAGE_PRINCIPAL}
        if form.get("action") == "reject":
            after, problems = await quote_service.reject(ctx, doc["id"], actor, t)
            return await self._view(request, after or doc, t, problems.errors[0].message if problems else "")
        instrument_id = None
        if self._pays(doc, await self._due(doc, t)) and quote_service.quote_status(doc, t) == "ISSUED":
            number = normalise_card_number(str(form.get("cardNumber") or ""))
            expiry = _expiry(str(form.get("expiry") or ""))
            customer = await customers.get(ctx.org, doc["customerId"])
            if number is None or expiry is None or customer is None:
                return await self._view(request, doc, t, "Check the card number and expiry date.", 400)
            problems = Problems()
            card = PaymentCardInput(number=SensitiveString(number), exp_month=expiry[0], exp_year=expiry[1])
            inst = wallet.prepare(ctx, problems, [], PaymentInstrumentAddInput(customer_id=customer["id"], card=card), customer, t)
            del number, card
            if inst is None:
                return await self._view(request, doc, t, "Check the card number and expiry date.", 400)
            await wallet.store_new(ctx, inst, t)
            instrument_id = inst["id"]
        key = f"page:{instrument_id or 'customer'}"
        after, problems = await quote_service.accept(ctx, doc["id"], instrument_id, key, actor, t)
        if problems:
            message = "The payment was not approved; nothing was accepted. Try another card." if instrument_id else \
                problems.errors[0].message
            return await self._view(request, after or await quotes.get(ctx.org, doc["id"]) or doc, t, message, 402 if instrument_id else 409)
        return await self._view(request, after or doc, t)
