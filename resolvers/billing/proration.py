"""Proration (reference §18.6 SubscriptionChange `prorated`, SubscriptionCancellation `prorated`): credit
for the unused part of the current period of the old items, and a pro-rata charge for the rest of the
period of the new items when the renewal time is kept.

Amounts are by the second: a line's exact amount for the period (its plan's pricing, not yet rounded)
x remaining seconds / the period's seconds, rounded half up once to the currency's exponent. Only
prepaid, non-metered recurring items are prorated (postpaid and metered items are billed for what was
used at the period's end anyway), never while the order is in its trial (its period was not billed at
the items' prices), and only when the current period's invoice was billed (not VOIDED, ABANDONED or
REFUNDED). A remainder of zero seconds (a change or cancellation at the period's end) gives nothing.

A cancellation's credit is a credit memo (reason ORDER_CANCELLATION): its id is chosen and its lines
written on the order in the cancel's own guarded update (`cancelCredit`), then the memo is inserted
with that id, allocated to the period's invoice when that is still unpaid, and the order marked done.
Each step is safe to repeat; a retried `orderCancel` finishes one a crash interrupted.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from math import floor
from typing import Any

from pymongo.errors import DuplicateKeyError

from resolvers.billing import credit_memos as memo_service
from resolvers.billing import invoicing, pricing
from schema.common import currency_exponent, minor_to_decimal
from store.activity import timeline
from store.billing import credit_memos, invoices, orders
from store.db import Doc, OrgDb
from store.ids import new_id

NOT_BILLED = ("VOIDED", "ABANDONED", "REFUNDED")


def seconds(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end (0 when end is not later)."""
    return max(0, int((end - start).total_seconds()))


def remaining(order: Doc, at: datetime) -> tuple[int, int]:
    """(remaining seconds of the current period after `at`, seconds of the period)."""
    start, end = order.get("currentPeriodStart"), order.get("currentPeriodEnd")
    if start is None or end is None:
        return 0, 0
    period = seconds(start, end)
    return min(period, seconds(max(at, start), end)), period


def prorate(amount: Any, rest: int, period: int, currency: str) -> int:
    """amount (exact, major units) x rest / period in minor units, rounded half up once."""
    if rest <= 0 or period <= 0:
        return 0
    exact = Fraction(amount) * 10 ** currency_exponent(currency) * rest / period
    return floor(exact + Fraction(1, 2))


def proratable(item: Doc) -> bool:
    plan = item["plan"]
    return bool(plan.get("recurringInterval")) and not plan.get("meteredBilling") \
        and plan.get("billingTiming", "PREPAID") == "PREPAID"


def _line(item: Doc, kind: str, what: str, minor: int, currency: str, at: datetime, end: datetime, period: int) -> Doc:
    plan = item["plan"]
    return {
        "id": new_id("ini"), "type": kind,
        "description": f"{what}: {plan['name']} × {item['quantity']} ({at.date()} – {end.date()})",
        "unitPrice": format(minor_to_decimal(minor, currency), "f"), "quantity": 1, "amountMinor": minor,
        "planId": plan["id"], "productId": plan.get("productId"), "orderItemId": item.get("id"),
        "periodStartTime": at, "periodEndTime": end, "periodNumber": period,
    }


def lines(order: Doc, new_items: list[Doc] | None, at: datetime, billed: bool = True) -> list[Doc]:
    """CREDIT lines for the unused time of the order's items and, with `new_items`, DEBIT lines for the rest
    of the period of those (retain-recurring). Zero lines are left out."""
    if order.get("inTrial") or not billed:
        return []
    rest, period = remaining(order, at)
    if rest == 0:
        return []
    cur, end, number = order["currency"], order["currentPeriodEnd"], order.get("rebillNumber", 1)
    at = max(at, order["currentPeriodStart"])
    out = []
    for kind, what, items in (("CREDIT", "Unused time", order["items"]), ("DEBIT", "Remaining time", new_items or [])):
        for item in items:
            if not proratable(item):
                continue
            amount = pricing.line_amount(item["plan"]["pricing"], item["quantity"])
            minor = prorate(amount, rest, period, cur)
            if minor:
                out.append(_line(item, kind, what, minor, cur, at, end, number))
    return out


def sums(found: list[Doc]) -> tuple[int, int]:
    """(charged, credited) of proration lines."""
    return (sum(li["amountMinor"] for li in found if li["type"] == "DEBIT"),
            sum(li["amountMinor"] for li in found if li["type"] == "CREDIT"))


async def period_invoice(org: OrgDb, order: Doc) -> Doc | None:
    """The invoice that billed the order's current period: its INITIAL or RENEWAL invoice of that period
    number that is not voided (a reactivation's new period is billed by a RENEWAL invoice of the quote)."""
    return await org[invoices.COLLECTION].find_one(
        {"orderId": order["id"], "periodNumber": order.get("rebillNumber", 1), "type": {"$in": ["INITIAL", "RENEWAL"]},
         "status": {"$ne": "VOIDED"}}, {"_id": 0})


def billed(inv: Doc | None) -> bool:
    return inv is not None and inv["status"] not in NOT_BILLED


def mrr_minor(items: list[Doc], currency: str) -> int:
    total = 0
    for item in items:
        rec = item["plan"].get("recurringInterval")
        if rec and not item["plan"].get("meteredBilling"):
            amount = pricing.line_minor(item["plan"]["pricing"], item["quantity"], currency)
            total += pricing.monthly_minor(amount, rec["unit"], rec["length"])
    return total


# ---------------------------------------------------------------------------------------------- credit memos


def memo_items(found: list[Doc]) -> list[Doc]:
    return [{"id": new_id("crmi"), "description": li["description"], "unitPrice": li["unitPrice"], "quantity": 1,
             "amountMinor": li["amountMinor"], "taxMinor": 0, "taxDescription": None, "invoiceItemId": None,
             "productId": li.get("productId"), "planId": li.get("planId")} for li in found]


async def issue_memo(org: OrgDb, actor: dict[str, Any], memo_id: str, customer_id: str, currency: str,
                     invoice_id: str | None, reason: str, description: str, items: list[Doc], t: datetime,
                     quote_id: str | None = None) -> Doc:
    """An ISSUED credit memo with a chosen id, once (a repeat finds the first)."""
    doc = {"id": memo_id, "number": 0, "customerId": customer_id, "currency": currency, "invoiceId": invoice_id,
           "quoteId": quote_id, "status": "ISSUED", "reason": reason, "description": description, "items": items,
           **memo_service.totals(items, 0), "allocations": [], "issuedTime": t, "voidedTime": None, "revision": 1,
           "createdTime": t, "updatedTime": t}
    found = await credit_memos.get(org, memo_id)
    if found is not None:
        return found
    doc["number"] = await credit_memos.next_number(org, customer_id)
    try:
        await credit_memos.insert(org, doc)
    except DuplicateKeyError:  # a concurrent resumer wrote it first
        return await credit_memos.get(org, memo_id) or doc
    await timeline.record(org, customer_id, "CREDIT_MEMO_CREATED", actor, t,
                          {"creditMemoId": memo_id, "amountMinor": doc["totalMinor"], "currency": currency},
                          f"Credit memo #{doc['number']} created ({invoicing.money_text(doc['totalMinor'], currency)}): "
                          f"{description}")
    return doc


# ---------------------------------------------------------------------------------------------- cancellation


async def cancel_credit(org: OrgDb, order: Doc, churn: datetime) -> Doc | None:
    """What a prorated cancellation at `churn` credits, to be stored on the order with the cancel
    (`cancelCredit`); None: nothing to credit."""
    inv = await period_invoice(org, order)
    found = lines(order, None, churn, billed(inv))
    if not found:
        return None
    return {"creditMemoId": new_id("crmm"), "invoiceId": inv["id"] if inv else None, "lines": found,
            "amountMinor": sums(found)[1], "done": False}


def pending(order: Doc) -> bool:
    return (order.get("cancelCredit") or {}).get("done") is False


async def finish_cancel_credit(org: OrgDb, actor: dict[str, Any], order_id: str, t: datetime) -> Doc | None:
    """Issues the credit memo a prorated cancellation wrote on the order, allocates it to the period's invoice
    when that is still unpaid, and marks it done. Safe to repeat. Returns the order afterwards."""
    order = await orders.get(org, order_id)
    if order is None or not pending(order):
        return order
    spec = order["cancelCredit"]
    memo = await issue_memo(org, actor, spec["creditMemoId"], order["customerId"], order["currency"], spec["invoiceId"],
                            "ORDER_CANCELLATION", f"Unused time of the canceled subscription {order_id}",
                            memo_items(spec["lines"]), t)
    await invoicing.step("CANCEL_MEMO")
    if spec["invoiceId"]:
        inv = await invoices.get(org, spec["invoiceId"])
        if inv is not None and inv["status"] in invoices.PAYABLE:
            await memo_service.allocate(org, actor, memo["id"], inv["id"], None,
                                        memo_service.allocation_id("cancel", memo["id"], inv["id"]), t)
    return await orders.transition(org, order_id, {"cancelCredit.done": False}, {"cancelCredit.done": True}, t) \
        or await orders.get(org, order_id)
