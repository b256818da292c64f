"""What the billing portal shows and does with the customer's billing (Billing I, resolvers/billing):

- **Invoices**: the customer's 20 newest issued invoices (no drafts): number, issue date, total, amount
  due, status, and a PDF download through the link's token, `GET /portal/{token}/invoices/{id}.pdf`.
  The invoice must be this customer's (and, through the link's organization, this organization's):
  any other id is 404, as is a draft.
- **Active subscriptions** (the guide's *Active* group: ACTIVE, PAUSED, CANCELED-not-churned): plans
  and quantities, status, next renewal (or when it ends), and the amount of the next renewal invoice as
  it would be issued now (`invoicing.upcoming_doc`, nothing written).
- **Cancel at the end of the period** (portal feature `orderCancel`): `POST
  /portal/{token}/subscriptions/{id}/cancel` with a reason; guarded by the link's revision (a replayed
  form changes nothing) and the order's status and revision (`billing.customer_cancel`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from resolvers.billing import invoicing
from resolvers.billing.customer_cancel import CUSTOMER_CATEGORIES, cancelable
from schema.common import minor_to_decimal
from store.billing import invoices, orders
from store.db import Doc, OrgDb
from store.ids import type_of_id

SHOWN = 20
ACTIVE_GROUP = ["ACTIVE", "PAUSED", "CANCELED"]
REASONS = {
    "DID_NOT_WANT": "I no longer want it", "TOO_EXPENSIVE": "It is too expensive",
    "MISSING_FEATURES": "It lacks features I need", "DID_NOT_USE": "I did not use it",
    "SWITCHED_PLAN": "I am switching to another plan", "OTHER": "Another reason",
}
assert tuple(REASONS) == CUSTOMER_CATEGORIES


def money_text(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "-"


def _words(status: str) -> str:
    return status.replace("_", " ").capitalize()


async def invoice_rows(org: OrgDb, customer_id: str, base: str) -> list[dict[str, Any]]:
    docs, _ = await invoices.page(org, customer_id, {"status": {"$ne": "DRAFT"}}, None, SHOWN)
    rows = []
    for d in docs:
        cur = d["currency"]
        due = d["totalMinor"] - d.get("paidMinor", 0) if d["status"] in invoices.PAYABLE else 0
        rows.append({
            "number": d.get("invoiceNumber") or "-", "date": _day(d.get("issuedTime") or d["createdTime"]),
            "total": money_text(d["totalMinor"], cur), "due": money_text(due, cur), "status": _words(d["status"]),
            "pdf": f"{base}/invoices/{d['id']}.pdf",
        })
    return rows


def _renewal(order: Doc) -> str:
    if order["status"] == "CANCELED":
        return f"Ends {_day(order.get('churnTime'))}"
    if order["status"] == "PAUSED":
        return "Paused"
    return _day(order.get("renewalTime")) if order.get("renewalTime") else "No renewal"


def _next_amount(order: Doc, t: datetime) -> str:
    if order["status"] == "CANCELED" or order.get("isTrialOnly") or not order.get("renewalTime"):
        return "-"
    preview = invoicing.upcoming_doc(order, t)
    return money_text(preview["totalMinor"], preview["currency"]) if preview else "-"


async def subscription_rows(org: OrgDb, customer_id: str, base: str, t: datetime) -> list[dict[str, Any]]:
    docs, _ = await orders.page(org, customer_id, {"orderType": "SUBSCRIPTION", "status": {"$in": ACTIVE_GROUP}},
                                None, SHOWN)
    return [{
        "id": d["id"], "revision": d["revision"], "status": _words(d["status"]),
        "plans": ", ".join(f"{i['plan']['name']} × {i['quantity']}" for i in d["items"]),
        "renewal": _renewal(d), "amount": _next_amount(d, t), "cancelable": cancelable(d),
        "cancel": f"{base}/subscriptions/{d['id']}/cancel",
    } for d in docs]


async def customer_invoice(org: OrgDb, customer_id: str, invoice_id: str) -> Doc | None:
    """The customer's issued invoice `invoice_id`; None for any other id (another customer's, a draft)."""
    if type_of_id(invoice_id) != "Invoice":
        return None
    inv = await invoices.get(org, invoice_id)
    if inv is None or inv["customerId"] != customer_id or inv["status"] == "DRAFT":
        return None
    return inv


async def customer_subscription(org: OrgDb, customer_id: str, order_id: str) -> Doc | None:
    """The customer's order `order_id`; None for any other id."""
    if type_of_id(order_id) != "Order":
        return None
    order = await orders.get(org, order_id)
    return order if order is not None and order["customerId"] == customer_id else None
