"""Billing's timeline events (orders and invoices). They register themselves in
`schema.timeline.EVENT_TYPES` / `EVENT_CLASSES` when this module is imported (as notes do)."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.activity.timeline import EVENT_CLASSES, EVENT_TYPES, TimelineEvent, _event
from schema.common import Money


@strawberry.type(description="Something happened to an order: made, activated, canceled, paused, resumed, voided, "
                 "or its items changed (see `kind`).")
class OrderEvent(TimelineEvent):
    order_id: strawberry.ID = strawberry.field(description="The order.")


@strawberry.type(description="Something happened to an invoice: issued, paid, voided, emailed or a payment link made "
                 "for it (see `kind`).")
class InvoiceEvent(TimelineEvent):
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    amount: Money | None = strawberry.field(description="Its total.")


def _order(d: dict[str, Any]) -> TimelineEvent:
    return _event(OrderEvent, d, order_id=d["data"]["orderId"])


def _invoice(d: dict[str, Any]) -> TimelineEvent:
    data = d["data"]
    amount = Money.from_minor(data["amountMinor"], data["currency"]) if "amountMinor" in data else None
    return _event(InvoiceEvent, d, invoice_id=data["invoiceId"], amount=amount)


ORDER_KINDS = ("ORDER_CREATED", "ORDER_ACTIVATED", "ORDER_CANCELED", "ORDER_PAUSED", "ORDER_RESUMED",
               "ORDER_VOIDED", "ORDER_ITEMS_CHANGED")
INVOICE_KINDS = ("INVOICE_ISSUED", "INVOICE_PAID", "INVOICE_VOIDED", "INVOICE_EMAILED", "INVOICE_PAYMENT_LINK_CREATED")
EVENT_TYPES.update({k: _order for k in ORDER_KINDS})
EVENT_TYPES.update({k: _invoice for k in INVOICE_KINDS})
EVENT_CLASSES.extend([OrderEvent, InvoiceEvent])
EVENT_CLASSES_BILLING: tuple[type, ...] = (OrderEvent, InvoiceEvent)
