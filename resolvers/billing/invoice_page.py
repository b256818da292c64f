"""The hosted invoice payment page, `GET/POST /invoices/pay/{token}` (the hosted pages' token scheme: an
HMAC of the link id under the link secret, found by its hash in any organization).

The customer sees the invoice (number, dates, lines, subtotal, discount, shipping, tax, total, paid, amount
due) and pays with one of their saved payment instruments or a new card (which is added to their wallet,
as on the quote page). The charge goes through `invoicing.charge_invoice`: the attempt is claimed on the
invoice before the gateway is called, so a double submit or a concurrent autopay never charges twice, and
there is no fallback to backup instruments (the customer chose the instrument); a new card that is declined
is deactivated again, so it is neither kept usable nor offered next time. An approved payment is
applied to the invoice (PAID, or PARTIALLY_PAID when the link allows partial payments), which activates a
pending order. A paid, voided or abandoned invoice takes no payment (the page says so); an expired link
answers 410, an unknown or tampered token 404.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from resolvers.billing import invoice_payments, invoicing
from resolvers.billing.documents import customer_name
from resolvers.context import Context, Principal, now
from resolvers.money import money
from resolvers.money.gateway import normalise_card_number
from resolvers.money.sales import refuse_blocked, usable
from resolvers.pages import render
from resolvers.settings import Settings
from resolvers.wallet import payment_instruments as wallet
from schema.common import Problems, UserErrorCode, minor_to_decimal
from schema.wallet.payment_instruments import PaymentCardInput, PaymentInstrumentAddInput, SensitiveString
from store.activity import timeline
from store.billing import invoice_links, invoices
from store.customers import customers
from store.db import Doc, OrgDb, Store
from store.errors import NotFound, RevisionConflict
from store.money import transactions
from store.wallet import payment_instruments as pi

PAGE = "billing/invoice_pay.html"
PAGE_PRINCIPAL = "Hosted invoice payment page"
ACTOR = {"type": "SYSTEM", "id": None, "name": PAGE_PRINCIPAL}
NEW_CARD = "new"
PAID_STATES = ("PAID", "PARTIALLY_REFUNDED", "REFUNDED")


def _amount(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _expiry(value: str) -> tuple[int, int] | None:
    month, sep, year = value.strip().partition("/")
    if not sep or not month.strip().isdigit() or not year.strip().isdigit():
        return None
    y = int(year)
    return int(month), (y + 2000 if y < 100 else y)


def _due(inv: Doc) -> int:
    return inv["totalMinor"] - inv.get("paidMinor", 0) if inv["status"] in invoices.PAYABLE else 0


def _state(inv: Doc) -> str:
    if inv["status"] in invoices.PAYABLE:
        return "open"
    return "paid" if inv["status"] in PAID_STATES else "closed"


class InvoicePayPages:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [Route("/invoices/pay/{token}", self.page, methods=["GET", "POST"])]

    def _ctx(self, org_id: str) -> Context:
        principal = Principal(organization_id=org_id, key_id="hosted-invoice-page", key_name=PAGE_PRINCIPAL,
                              scope="write")
        return Context.build(self.store, self.settings, principal)

    async def _instruments(self, org: OrgDb, customer: Doc, t: datetime) -> list[Doc]:
        return [i for i in (await pi.by_customers(org, [customer["id"]]))[0] if usable(Problems(), [], i, t)]

    async def _view(self, request: Request, link: Doc, inv: Doc, customer: Doc | None, t: datetime,
                    message: str = "", notice: str = "", status_code: int = 200) -> HTMLResponse:
        org = self.store.for_org(link["organizationId"])
        cur = inv["currency"]
        state = _state(inv)
        saved = await self._instruments(org, customer, t) if customer is not None and state == "open" else []
        rate = (inv.get("shippingDetails") or {}).get("rateName")
        return render(request, PAGE, {
            "title": f"Invoice #{inv.get('invoiceNumber') or inv['id']}", "state": state, "status": inv["status"],
            "customer_name": customer_name(customer), "issued": _date(inv.get("issuedTime")),
            "due_date": _date(inv.get("dueTime")),
            "items": [{"description": i["description"], "quantity": i["quantity"],
                       "amount": ("-" if i["type"] == "CREDIT" else "") + _amount(i["amountMinor"], cur)}
                      for i in inv.get("items") or ()],
            "subtotal": _amount(inv["subtotalMinor"], cur),
            "discount": _amount(inv.get("discountMinor", 0), cur) if inv.get("discountMinor") else "",
            "shipping": _amount(inv.get("shippingMinor", 0), cur) if inv.get("shippingMinor") or rate else "",
            "shipping_rate": rate or "",
            "tax": _amount(inv.get("taxMinor", 0), cur) if inv.get("taxMinor") else "",
            "total": _amount(inv["totalMinor"], cur),
            "paid": _amount(inv.get("paidMinor", 0), cur) if inv.get("paidMinor") else "",
            "amount_due": _amount(_due(inv), cur), "due_value": format(minor_to_decimal(_due(inv), cur), "f"),
            "currency": cur, "partial": bool(link.get("allowPartialPayment")),
            "instruments": [{"id": i["id"], "summary": i.get("summary") or i["id"]} for i in saved],
            "message": message, "notice": notice,
        }, status_code)

    async def page(self, request: Request) -> Response:
        link = await invoice_links.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if link is None:
            return render(request, "not_found.html", {"title": "Link not found"}, 404)
        t = now()
        if link["expiresTime"] <= t:
            return render(request, PAGE, {"title": "Link expired", "state": "expired"}, 410)
        org = self.store.for_org(link["organizationId"])
        inv = await invoices.get(org, link["invoiceId"])
        if inv is None:
            return render(request, "not_found.html", {"title": "Link not found"}, 404)
        customer = await customers.get(org, inv["customerId"])
        if request.method == "GET":
            return await self._view(request, link, inv, customer, t, status_code=200 if _state(inv) != "closed" else 410)
        if _state(inv) != "open" or customer is None:
            return await self._view(request, link, inv, customer, t, status_code=409)
        return await self._pay(request, link, inv, customer, t)

    async def _drop_declined_card(self, ctx: Context, inst: Doc, t: datetime) -> None:
        """A new card whose first charge was declined is not kept usable (nor offered on the page again)."""
        try:
            await pi.deactivate(ctx.org, inst["id"], revision=None, now=t)
        except (pi.Deactivated, RevisionConflict, NotFound):
            return
        await timeline.record(ctx.org, inst["customerId"], "PAYMENT_INSTRUMENT_DEACTIVATED", ACTOR, t,
                              {"paymentInstrumentId": inst["id"], "wasDefault": False},
                              f"Deactivated {inst['summary']} (declined on the invoice payment page)")

    async def _pay(self, request: Request, link: Doc, inv: Doc, customer: Doc, t: datetime) -> Response:
        form = await request.form()
        ctx = self._ctx(link["organizationId"])
        org, cur, due = ctx.org, inv["currency"], _due(inv)

        async def again(message: str, status_code: int) -> HTMLResponse:
            return await self._view(request, link, inv, customer, t, message, status_code=status_code)

        amount = due
        if link.get("allowPartialPayment") and str(form.get("amount") or "").strip():
            check = Problems()
            try:
                amount = money.to_minor(check, [], Decimal(str(form.get("amount")).strip()), cur)
            except InvalidOperation:
                check.add([], "not an amount", UserErrorCode.INVALID)
            if check or amount > due:
                return await again(f"Enter an amount greater than zero and at most {_amount(due, cur)}.", 400)
        typed = str(form.get("cardNumber") or "").strip()
        chosen = NEW_CARD if typed else str(form.get("instrument") or NEW_CARD)  # a typed card wins over the radio
        if chosen == NEW_CARD:
            number = normalise_card_number(typed)
            expiry = _expiry(str(form.get("expiry") or ""))
            if number is None or expiry is None:
                return await again("Check the card number and expiry date.", 400)
            problems = Problems()
            card = PaymentCardInput(number=SensitiveString(number), exp_month=expiry[0], exp_year=expiry[1])
            inst = wallet.prepare(ctx, problems, [], PaymentInstrumentAddInput(customer_id=customer["id"], card=card),
                                  customer, t)
            del number, card  # the full number goes no further than the instrument's fingerprint
            if inst is None:
                return await again("Check the card number and expiry date.", 400)
        else:
            found = await pi.get(org, chosen)
            inst = found if found is not None and found["customerId"] == customer["id"] else None
            if inst is None or not usable(Problems(), [], inst, t):
                return await again("Choose one of your payment methods, or enter a new card.", 400)
        types = await money.blocked_types(
            org, money.merge_attributes(money.customer_attributes(customer), money.instrument_attributes(inst)), t)
        if types:
            await refuse_blocked(org, ACTOR, customer, types, amount, cur, t)
            return render(request, PAGE, {"title": "Payment refused", "state": "refused"}, 403)
        if chosen == NEW_CARD:
            await wallet.store_new(ctx, inst, t)
        account = await money.route_for_instrument(org, Problems(), cur, None, inst)
        if account is None:
            return await again("Payments in this currency cannot be taken right now.", 503)
        after, attempted = await invoicing.charge_invoice(
            org, self.settings, ACTOR, inv["id"], customer, inst, account, t,
            amount_minor=amount if amount < due else None, use_backups=False)
        for txn_id in attempted:
            await invoice_links.record_attempt(org, link["id"], txn_id, t)
        last = await transactions.get(org, attempted[-1]) if attempted else None
        if last is not None and last["result"] == "APPROVED":
            await invoice_payments.apply(ctx, inv["id"], last["id"])  # activates a pending order, arms the clock
        fresh = await invoices.get(org, inv["id"]) or after or inv
        if last is None:
            return await self._view(request, link, fresh, customer, t, "The payment could not be started; try again.",
                                    status_code=409)
        if last["status"] in ("PENDING", "TIMEOUT"):
            return await self._view(request, link, fresh, customer, t, "The payment is still being processed; "
                                    "do not pay again. Reload this page in a few minutes.", status_code=202)
        if last["result"] != "APPROVED":
            if chosen == NEW_CARD:
                await self._drop_declined_card(ctx, inst, t)
            reason = (last.get("gatewayResponse") or {}).get("message") or "The payment was not approved."
            return await self._view(request, link, fresh, customer, t, f"{reason} Try another card.", status_code=402)
        notice = f"Thank you: {_amount(last['amountMinor'], cur)} received."
        return await self._view(request, link, fresh, customer, t, notice=notice)
