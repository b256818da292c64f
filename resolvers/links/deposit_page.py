"""The hosted deposit page, `GET/POST /deposit/{token}`: opened by the customer through the request's
shared link (no API key; the token establishes the organization and the one request it opens).

Opening it moves CREATED → PENDING; paying moves it to INITIATED while the sandbox gateway is called
(the money code's `charge`), then COMPLETED (approved) or ATTEMPTED (declined: another card may be
tried). An expired link refuses payment with a clear page (the request is EXPIRED in the store at its expiry
through the scheduler, `deposit_expiry`, or here if the page is opened first). Each
move is guarded by the current status, so a replayed form changes nothing. Card numbers go no further
than the gateway call and the blocklist fingerprint; they are never stored or logged.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.context import now
from resolvers.links import amounts as calc
from resolvers.links.cards import read_card
from resolvers.links.deposit_expiry import PAGE_ACTOR, expire, record_status
from resolvers.money import money
from resolvers.money.gateway import card_ref, normalise_card_number
from resolvers.money.sales import charge, refuse_blocked
from resolvers.pages import render
from resolvers.settings import Settings
from schema.common import minor_to_decimal
from store.customers import customers
from store.db import Doc, OrgDb, Store
from store.links import deposit_requests as dr
from store.money import gateway_accounts
from store.wallet import payment_instruments as pi

ACTOR = PAGE_ACTOR


def _fmt(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


class DepositPage:
    def __init__(self, store_ref: dict[str, Any], settings: Settings) -> None:
        self.store_ref = store_ref
        self.settings = settings

    @property
    def store(self) -> Store:
        return self.store_ref["store"]

    def routes(self) -> list[Route]:
        return [Route("/deposit/{token}", self.page, methods=["GET", "POST"])]

    def _message(self, request: Request, title: str, message: str, status: int, doc: Doc | None = None) -> Response:
        redirect = doc.get("redirectUrl") if doc else None
        return render(request, "links/message.html",
                      {"title": title, "message": message, "redirect_url": redirect}, status_code=status)

    def _form(self, request: Request, doc: Doc, *, error: str | None = None, status: int = 200,
              selected: str | None = None, custom_value: str = "", values: dict[str, Any] | None = None) -> Response:
        cur = doc["currency"]
        custom = doc.get("customAmount")
        default = doc.get("defaultMinor")
        return render(request, "links/deposit.html", {
            "title": "Add funds",
            "error": error,
            "currency": cur,
            "expires": doc["expiresTime"].strftime("%Y-%m-%d %H:%M"),
            "revision": doc["revision"],
            "amounts": [{"value": str(a), "label": _fmt(a, cur)} for a in doc["amountsMinor"]],
            "selected": selected if selected is not None else (str(default) if default else "custom"),
            "custom": {
                "minimum": minor_to_decimal(custom[0], cur), "maximum": minor_to_decimal(custom[1], cur),
                "step": minor_to_decimal(custom[2], cur),
            } if custom else None,
            "custom_value": custom_value,
            "properties": doc.get("propertiesSchema") or [],
            "values": values or {},
        }, status_code=status)

    async def _state_page(self, request: Request, org: OrgDb, doc: Doc, t: datetime) -> Response | None:
        """The page for a request that takes no payment now (None: it does)."""
        status = doc["status"]
        if status == "COMPLETED":
            return self._message(request, "Deposit complete",
                                 f"Thank you: {_fmt(doc['paidMinor'], doc['currency'])} was added.", 200, doc)
        if status == "INITIATED":
            return self._message(request, "Payment in progress", "A payment for this deposit is being processed.", 409)
        if status == "EXPIRED" or doc["expiresTime"] <= t:
            await expire(org, doc, t)
            return self._message(request, "Link expired",
                                 "This deposit link has expired. Ask the merchant for a new one.", 410)
        return None

    async def page(self, request: Request) -> Response:
        found = await dr.by_token_hash(self.store, money.token_hash(request.path_params["token"]))
        if found is None:
            return self._message(request, "Link not found", "This link is not valid. Ask the merchant for a new one.", 404)
        org = self.store.for_org(found["organizationId"])
        t = now()
        refused = await self._state_page(request, org, found, t)
        if refused is not None:
            return refused
        doc = found
        if doc["status"] == "CREATED":
            opened = await dr.move(org, doc["id"], ["CREATED"], {"status": "PENDING", "openedTime": t}, t)
            if opened is not None:
                await record_status(org, opened, "PENDING", t, note="Deposit page opened")
                doc = opened
        if request.method == "GET":
            return self._form(request, doc)
        return await self._pay(request, org, doc)

    def _choice(self, doc: Doc, form: Any) -> tuple[int | None, str | None]:
        """The amount chosen on the form, in minor units, or why it is not acceptable."""
        cur = doc["currency"]
        choice = str(form.get("amount") or "")
        if choice == "custom" or (not choice and doc.get("customAmount") and not doc["amountsMinor"]):
            rng = doc.get("customAmount")
            if not rng:
                return None, "Choose one of the amounts."
            raw = str(form.get("customAmount") or "").strip().replace(",", ".")
            try:
                value = Decimal(raw)
                scaled = value.scaleb(calc.currency_exponent(cur))
                if not value.is_finite() or scaled != scaled.to_integral_value():
                    raise InvalidOperation
            except InvalidOperation:
                return None, f"Enter the other amount as a number in {cur}."
            minor = int(scaled)
            if not calc.custom_ok(minor, tuple(rng)):
                return None, (f"The amount must be between {_fmt(rng[0], cur)} and {_fmt(rng[1], cur)}, "
                              f"in steps of {_fmt(rng[2], cur)}.")
            return minor, None
        if choice.isdigit() and int(choice) in doc["amountsMinor"]:
            return int(choice), None
        return None, "Choose an amount."

    def _properties(self, doc: Doc, form: Any) -> tuple[dict[str, Any], list[str]]:
        values: dict[str, Any] = {}
        missing: list[str] = []
        for p in doc.get("propertiesSchema") or []:
            raw = form.get(f"prop_{p['name']}")
            if p["type"] == "CHECKBOX":
                values[p["name"]] = raw == "yes"
                if p["required"] and raw != "yes":
                    missing.append(p["label"])
                continue
            text = str(raw or "").strip()[:255]
            if p["type"] == "NUMBER" and text:
                try:
                    number = Decimal(text.replace(",", "."))
                    if not number.is_finite():
                        raise InvalidOperation
                    values[p["name"]] = str(number)
                except InvalidOperation:
                    missing.append(f"{p['label']} (a number)")
                    values[p["name"]] = text
                continue
            if text:
                values[p["name"]] = text
            elif p["required"]:
                missing.append(p["label"])
        return values, missing

    async def _pay(self, request: Request, org: OrgDb, doc: Doc) -> Response:
        form = await request.form()
        minor, problem = self._choice(doc, form)
        values, missing = self._properties(doc, form)
        card = read_card(form)
        number = normalise_card_number(card.number) if card else None
        t = now()
        if problem is None and missing:
            problem = "Fill in: " + ", ".join(missing) + "."
        if problem is None and (number is None or card is None or pi.card_expired(card.exp_month, card.exp_year, t)
                                or not 1 <= card.exp_month <= 12):
            problem = "Check the card number and expiry date."
        if problem is not None or minor is None or number is None:
            return self._form(request, doc, error=problem, status=400, selected=str(form.get("amount") or ""),
                              custom_value=str(form.get("customAmount") or "")[:20], values=values)
        started = await dr.move(org, doc["id"], dr.PAYABLE, {"status": "INITIATED"}, t)
        if started is None:  # paid, in flight or expired meanwhile: show what it is now
            current = await dr.get(org, doc["id"]) or doc
            return await self._state_page(request, org, current, t) or self._form(request, current)
        await record_status(org, started, "INITIATED", t, note=f"Deposit of {_fmt(minor, doc['currency'])} started")
        customer = await customers.get(org, doc["customerId"])
        account = await gateway_accounts.get(org, doc["gatewayAccountId"])
        if customer is None or account is None:
            await dr.move(org, doc["id"], ["INITIATED"], {"status": "ATTEMPTED"}, t, unexpired=False)
            return self._message(request, "Unavailable", "This deposit can no longer be made.", 410)
        secret = self.settings.card_fingerprint_secret.get_secret_value()
        attributes = money.merge_attributes(money.customer_attributes(customer), {
            "FINGERPRINT": [pi.fingerprint(secret, doc["organizationId"], "card", number)],
            "BIN": [number[:6]],
            "IP_ADDRESS": [request.client.host] if request.client else [],
        })
        ref = card_ref(number)
        del number  # the full number goes no further than the fingerprint above
        types = await money.blocked_types(org, attributes, t)
        if types:
            await refuse_blocked(org, ACTOR, customer, types, minor, doc["currency"], t, "Deposit")
            await dr.move(org, doc["id"], ["INITIATED"], {"status": "ATTEMPTED"}, t, unexpired=False)
            await record_status(org, doc, "ATTEMPTED", t, note="Deposit refused by the blocklist")
            return self._message(request, "Payment refused", "This payment cannot be accepted.", 403)
        txn: Doc | None = None
        try:
            txn = await charge(org, self.settings, ACTOR, customer, account, minor, doc["currency"], ref,
                               "Deposit", t, {"depositRequestId": doc["id"]})
        finally:
            if txn is None:  # the charge failed before a transaction was recorded
                await dr.move(org, doc["id"], ["INITIATED"], {"status": "ATTEMPTED"}, now(), unexpired=False)
        if txn["result"] == "APPROVED":
            done = await dr.move(org, doc["id"], ["INITIATED"], {
                "status": "COMPLETED", "paidMinor": minor, "completedTime": t, "properties": values,
            }, t, unexpired=False, push={"transactionIds": txn["id"]})
            await record_status(org, doc, "COMPLETED", t, txn["id"], f"Deposit of {_fmt(minor, doc['currency'])} completed")
            return self._message(request, "Deposit complete",
                                 f"Thank you: {_fmt(minor, doc['currency'])} was added.", 200, done or doc)
        attempted = await dr.move(org, doc["id"], ["INITIATED"], {"status": "ATTEMPTED", "properties": values},
                                  t, unexpired=False, push={"transactionIds": txn["id"]})
        await record_status(org, doc, "ATTEMPTED", t, txn["id"], "Deposit payment declined")
        reason = (txn.get("gatewayResponse") or {}).get("message", "The payment was not approved.")
        return self._form(request, attempted or doc, error=f"{reason} Try another card.", status=402,
                          selected=str(minor) if minor in doc["amountsMinor"] else "custom",
                          custom_value="" if minor in doc["amountsMinor"] else str(minor_to_decimal(minor, doc["currency"])),
                          values=values)
