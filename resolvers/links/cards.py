"""Card entry on the links' hosted pages: the form's card number and expiry checked, a card instrument
document built for the customer (brand, BIN, last 4, expiry and an HMAC fingerprint; never the number),
and the blocklist check of a card typed on a page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from resolvers.money import money
from resolvers.wallet.instrument_details import card as card_details
from resolvers.wallet.instrument_details import customer_billing_address
from schema.common import Problems
from store.activity import timeline
from store.db import Doc, OrgDb
from store.ids import new_id
from store.wallet import payment_instruments as pi


@dataclass(frozen=True, slots=True)
class CardForm:
    """What a page's card fields hold, in the shape `instrument_details.card` checks."""

    number: str
    exp_month: int
    exp_year: int
    cvv: str | None = None


def read_card(form: Any) -> CardForm | None:
    """The card of a posted form; None when the expiry is not MM/YY (or MM/YYYY)."""
    month, sep, year = str(form.get("expiry") or "").strip().partition("/")
    if not sep or not month.strip().isdigit() or not year.strip().isdigit():
        return None
    y = int(year)
    return CardForm(str(form.get("cardNumber") or ""), int(month), y + 2000 if y < 100 else y)


def instrument_doc(problems: Problems, secret: str, customer: Doc, card: CardForm, t: datetime) -> Doc | None:
    """A new ACTIVE card instrument of `customer` (set up with the default *do nothing* instruction)."""
    details = card_details(problems, ["card"], card, secret, customer["organizationId"], t)
    if problems or not details:
        return None
    return {
        "id": new_id("inst"),
        "customerId": customer["id"],
        "method": "PAYMENT_CARD",
        "status": "ACTIVE",
        "useAsBackup": False,
        "billingAddress": customer_billing_address(customer),
        "stickyGatewayAccountId": None,
        "card": None,
        "bankAccount": None,
        "other": None,
        **details,
        "createdTime": t,
        "updatedTime": t,
        "deactivatedTime": None,
        "revision": 1,
    }


async def add_card(org: OrgDb, actor: dict[str, Any], customer: Doc, doc: Doc, t: datetime) -> None:
    """Stores the card, records it, and makes it the default when the customer has none."""
    await pi.insert(org, doc)
    await timeline.record(
        org, customer["id"], "PAYMENT_INSTRUMENT_ADDED", actor, t,
        {"paymentInstrumentId": doc["id"], "summary": doc["summary"]}, f"Added {doc['summary']}",
    )
    if not customer.get("defaultPaymentInstrumentId"):
        after = await pi.set_default(org, customer["id"], doc["id"], t)  # reserves the event's seq
        if after is not None:
            await timeline.insert(org, timeline.event_doc(
                customer["id"], after["timelineSeq"], "DEFAULT_PAYMENT_INSTRUMENT_CHANGED", actor, t,
                {"paymentInstrumentId": doc["id"]}, f"Default payment instrument: {doc['summary']}",
            ))


async def blocked(org: OrgDb, customer: Doc, doc: Doc, client_ip: str | None, t: datetime) -> list[str]:
    """The blocklist types that refuse this customer with this card (empty: not blocked)."""
    attributes = money.merge_attributes(
        money.customer_attributes(customer),
        {
            "FINGERPRINT": [doc["fingerprint"]],
            "BIN": [doc["card"]["bin"]],
            "IP_ADDRESS": [client_ip] if client_ip else [],
        },
    )
    return await money.blocked_types(org, attributes, t)
