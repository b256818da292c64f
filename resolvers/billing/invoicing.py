"""Invoices as a service: their lines from an order's items, totals, payments applied to them (charged
through the sandbox gateway with the backup fallback of the money code, or paid outside), refunds,
and what a paid invoice does to its order. Every write is one guarded single-document update, safe to
repeat, so a step interrupted by a crash is finished by the next call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pymongo.errors import DuplicateKeyError

from resolvers.billing import pricing
from resolvers.billing.actors import SYSTEM
from resolvers.money import money
from resolvers.money.sales import card_of, charge, usable
from resolvers.settings import Settings
from schema.common import Problems, minor_to_decimal
from store.activity import timeline
from store.billing import invoices, orders
from store.customers import customers
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import transactions
from store.wallet import payment_instruments as pi

MAX_APPLY_ATTEMPTS = 5

# Fault injection for the crash tests (tests/billing/test_order_steps.py): each hook is awaited with
# the name of every step just written; one that raises simulates a crash right there.
StepHook = Callable[[str], Awaitable[None]]
STEP_HOOKS: list[StepHook] = []


async def step(name: str) -> None:
    for hook in STEP_HOOKS:
        await hook(name)


def money_text(minor: int, currency: str) -> str:
    return f"{minor_to_decimal(minor, currency)} {currency}"


def shift(t: datetime, s: Doc | None, sign: int = 1) -> datetime:
    """`t` moved by a time shift {unit, length} (HOUR, DAY, WEEK, MONTH)."""
    if not s:
        return t
    if s["unit"] == "HOUR":
        return t + sign * timedelta(hours=s["length"])
    return pricing.add_period(t, s["unit"], sign * s["length"])


# ---------------------------------------------------------------------------------------------- lines


def item_line(item: Doc, currency: str, start: datetime | None, end: datetime | None, period: int | None) -> Doc:
    plan = item["plan"]
    qty = item["quantity"]
    price = pricing.unit_price(plan["pricing"], qty)
    billed_qty = 1 if plan["pricing"]["formula"] in ("FIXED_FEE", "STAIRSTEP") else qty
    return {
        "id": new_id("ini"), "type": "DEBIT", "description": f"{plan['name']} × {qty}",
        "unitPrice": format(price, "f"), "quantity": billed_qty,
        "amountMinor": pricing.line_minor(plan["pricing"], qty, currency),
        "planId": plan["id"], "productId": plan["productId"], "orderItemId": item["id"],
        "periodStartTime": start, "periodEndTime": end, "periodNumber": period,
    }


def fee_line(item: Doc, what: str, price: str, currency: str, start: datetime | None, end: datetime | None) -> Doc:
    plan = item["plan"]
    return {
        "id": new_id("ini"), "type": "DEBIT", "description": f"{what}: {plan['name']}", "unitPrice": price,
        "quantity": 1, "amountMinor": pricing.round_minor(Decimal(price), currency), "planId": plan["id"],
        "productId": plan["productId"], "orderItemId": item["id"], "periodStartTime": start,
        "periodEndTime": end, "periodNumber": 1,
    }


def initial_lines(order: Doc) -> list[Doc]:
    """The lines of an order's first invoice: setup fees; the trial price while in trial, else the first
    period of each prepaid item (postpaid and metered items are billed at the period's end)."""
    cur, start, end = order["currency"], order["currentPeriodStart"], order["currentPeriodEnd"]
    lines: list[Doc] = []
    for item in order["items"]:
        plan = item["plan"]
        if plan.get("setupPrice") is not None:
            lines.append(fee_line(item, "Setup fee", plan["setupPrice"], cur, start, end))
        if order.get("inTrial"):
            price = (plan.get("trial") or {}).get("price") or "0"
            lines.append(fee_line(item, "Trial", price, cur, start, end))
        elif order["orderType"] == "ONE_TIME" or plan.get("billingTiming", "PREPAID") == "PREPAID":
            lines.append(item_line(item, cur, start, end, 1))
    return lines


def renewal_lines(order: Doc, start: datetime, end: datetime, period: int) -> list[Doc]:
    """The lines of a renewal invoice for a period (prepaid items of that period; postpaid fixed and
    rated items of the period that ends; metered quantities come with the billing clock's usage)."""
    cur = order["currency"]
    return [item_line(item, cur, start, end, period) for item in order["items"]]


def totals(lines: list[Doc], shipping: int, tax: int, discount: int = 0) -> Doc:
    subtotal = sum(li["amountMinor"] if li["type"] == "DEBIT" else -li["amountMinor"] for li in lines)
    return {"subtotalMinor": subtotal, "discountMinor": discount, "shippingMinor": shipping, "taxMinor": tax,
            "totalMinor": max(0, subtotal - discount + shipping + tax)}


def invoice_doc(order: Doc, invoice_id: str, number: int | None, kind: str, period: int, lines: list[Doc],
                t: datetime, status: str = "UNPAID") -> Doc:
    shipping = order.get("shipping") or {}
    ship = shipping.get("amountMinor", 0)
    due = shift(t, order.get("invoiceDueShift"))
    delinquency = order.get("delinquencyPeriod")
    return {
        "id": invoice_id, "customerId": order["customerId"], "websiteId": order["websiteId"], "orderId": order["id"],
        "periodKey": f"{order['id']}:{period}", "periodNumber": period, "invoiceNumber": number, "type": kind,
        "status": status, "currency": order["currency"], "items": lines, **totals(lines, ship, 0),
        "shippingDetails": {k: v for k, v in shipping.items() if k != "amountMinor"} if shipping else None,
        "paidMinor": 0, "refundedMinor": 0, "notes": order.get("notes"),
        "issuedTime": t if status != "DRAFT" else None, "dueTime": due, "paidTime": None, "voidedTime": None,
        "abandonedTime": None, "delinquencyTime": shift(due, delinquency) if delinquency else None,
        "transactionIds": [], "chargeAttempt": None, "revision": 1, "createdTime": t, "updatedTime": t,
    }


# ---------------------------------------------------------------------------------------------- payments


def status_after_payment(inv: Doc, paid: int) -> str:
    return "PAID" if paid >= inv["totalMinor"] else "PARTIALLY_PAID"


async def apply_payment(org: OrgDb, invoice_id: str, txn: Doc | None, t: datetime) -> Doc | None:
    """Applies an approved sale (None: a zero invoice) to a payable invoice, once: guarded by the
    invoice's revision and by the sale not being applied yet. The invoice afterwards (None: not payable)."""
    for _ in range(MAX_APPLY_ATTEMPTS):
        inv = await invoices.get(org, invoice_id)
        if inv is None:
            return None
        if txn is not None and txn["id"] in inv["transactionIds"]:
            return inv
        if inv["status"] not in invoices.PAYABLE:
            return None
        amount = txn["amountMinor"] if txn is not None else 0
        paid = inv.get("paidMinor", 0) + amount
        status = status_after_payment(inv, paid)
        fields: Doc = {"paidMinor": paid, "status": status, "chargeAttempt": None}
        if status == "PAID":
            fields["paidTime"] = t
        extra = {"$push": {"transactionIds": txn["id"]}} if txn is not None else None
        guard: Doc = {"revision": inv["revision"]}
        if txn is not None:
            guard["transactionIds"] = {"$ne": txn["id"]}
        after = await invoices.transition(org, invoice_id, guard, fields, t, extra)
        if after is not None:
            if status == "PAID":
                await timeline.record(
                    org, inv["customerId"], "INVOICE_PAID", SYSTEM, t,
                    {"invoiceId": invoice_id, "amountMinor": inv["totalMinor"], "currency": inv["currency"]},
                    f"Invoice #{inv.get('invoiceNumber')} paid",
                )
            return after
    raise RuntimeError(f"invoice {invoice_id} kept changing while a payment was applied")


async def record_refund(org: OrgDb, sale: Doc, amount_minor: int, t: datetime) -> Doc | None:
    """A refund (or void) of a sale that paid an invoice moves the invoice to PARTIALLY_REFUNDED or
    REFUNDED. Guarded by the invoice's revision (retried on a race); no invoice: nothing to do."""
    for _ in range(MAX_APPLY_ATTEMPTS):
        inv = await invoices.by_transaction(org, sale["id"])
        if inv is None or inv["status"] not in ("PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"):
            return inv
        refunded = inv.get("refundedMinor", 0) + amount_minor
        status = "REFUNDED" if refunded >= inv.get("paidMinor", 0) else "PARTIALLY_REFUNDED"
        after = await invoices.transition(
            org, inv["id"], {"revision": inv["revision"]}, {"refundedMinor": refunded, "status": status}, t
        )
        if after is not None:
            if after.get("orderId"):
                await orders.transition(org, after["orderId"], {"recentInvoiceId": after["id"]},
                                        {"billingStatus": status}, t)
            return after
    return None


async def pick_instrument(org: OrgDb, order: Doc, customer: Doc, t: datetime) -> Doc | None:
    """The instrument an order's invoices are charged to: the order's own, else the customer's default;
    None when there is none usable (then the invoice waits for payment)."""
    for iid in (order.get("paymentInstrumentId"), customer.get("defaultPaymentInstrumentId")):
        if not iid:
            continue
        inst = await pi.get(org, iid)
        if inst is not None and inst["customerId"] == customer["id"] and usable(Problems(), [], inst, t):
            return inst
    return None


async def backups(org: OrgDb, customer: Doc, tried: list[str], t: datetime) -> list[Doc]:
    """The customer's other instruments allowed as backup, usable and not blocklisted, oldest first."""
    out = []
    for inst in (await pi.by_customers(org, [customer["id"]]))[0]:
        if inst["id"] in tried or not inst.get("useAsBackup") or not usable(Problems(), [], inst, t):
            continue
        if await money.blocked_types(org, money.instrument_attributes(inst), t):
            continue
        out.append(inst)
    return out


async def charge_invoice(
    org: OrgDb, settings: Settings, actor: dict[str, Any], invoice_id: str, customer: Doc, first: Doc,
    account: Doc, t: datetime, *, amount_minor: int | None = None, use_backups: bool = True,
) -> tuple[Doc | None, list[str]]:
    """Charges what an invoice has due: `first`, then backup instruments while declined. Each attempt is
    claimed on the invoice (`chargeAttempt`, with the sale's id chosen beforehand) before the gateway is
    called, so a retry never charges an attempt twice. Returns the invoice afterwards and the ids of the
    sales attempted. A claimed attempt whose sale was written but never answered (a crash during the
    gateway call) stays claimed: that sale is PENDING and needs reconciling; nothing is charged again.
    `amount_minor` charges only part of the amount due (kept in the claim, so a resumed attempt charges
    the same); `use_backups=False` stops at the first decline (the customer chose the instrument)."""
    attempted: list[str] = []
    instrument: Doc | None = first
    tried: list[str] = []
    inv = await invoices.get(org, invoice_id)
    while inv is not None and inv["status"] in invoices.PAYABLE:
        claim = inv.get("chargeAttempt")
        if claim is None:
            if instrument is None:
                break
            claim = {"transactionId": new_id("txn"), "paymentInstrumentId": instrument["id"]}
            if amount_minor is not None:
                claim["amountMinor"] = amount_minor
            claimed = await invoices.transition(org, invoice_id, {"revision": inv["revision"], "chargeAttempt": None},
                                                {"chargeAttempt": claim}, t)
            if claimed is None:
                inv = await invoices.get(org, invoice_id)
                continue
            inv = claimed
            await step("CHARGE_CLAIMED")
        txn = await transactions.get(org, claim["transactionId"])
        if txn is None:
            inst = await pi.get(org, claim["paymentInstrumentId"])
            if inst is None:
                break
            due = inv["totalMinor"] - inv.get("paidMinor", 0)
            amount = min(due, claim.get("amountMinor") or due)
            try:
                txn = await charge(
                    org, settings, actor, customer, account, amount, inv["currency"], card_of(inst),
                    f"Invoice #{inv.get('invoiceNumber')}", t,
                    {"paymentInstrumentId": inst["id"], "method": inst["method"], "invoiceId": invoice_id},
                    txn_id=claim["transactionId"],
                )
            except DuplicateKeyError:  # a concurrent resumer is making this very attempt
                return inv, [*attempted, claim["transactionId"]]
            if txn["result"] == "APPROVED":
                await pi.activate(org, inst["id"], t)
            await step("CHARGED")
        if txn["status"] == "PENDING":
            return inv, [*attempted, txn["id"]]
        attempted.append(txn["id"])
        tried.append(claim["paymentInstrumentId"])
        if txn["result"] == "APPROVED":
            return await apply_payment(org, invoice_id, txn, t), attempted
        released = await invoices.transition(
            org, invoice_id, {"chargeAttempt.transactionId": claim["transactionId"]}, {"chargeAttempt": None}, t,
            {"$push": {"declinedTransactionIds": txn["id"]}},
        )
        inv = released or await invoices.get(org, invoice_id)
        if txn["status"] == "TIMEOUT" or not use_backups:
            break
        choices = await backups(org, customer, [*tried, first["id"]], t)
        instrument = choices[0] if choices else None
    return inv, attempted


# ---------------------------------------------------------------------------------------------- orders


async def settle_order(org: OrgDb, actor: dict[str, Any], order: Doc, inv: Doc, t: datetime) -> Doc:
    """What a paid initial invoice does: a pending subscription becomes ACTIVE, a pending one-time order
    COMPLETED (each once, guarded by PENDING); and the order's billing status follows its latest invoice."""
    if inv["id"] == (order.get("recentInvoiceId") or order["initialInvoiceId"]) and order.get("billingStatus") != inv["status"]:
        moved = await orders.transition(org, order["id"], {"recentInvoiceId": inv["id"]}, {"billingStatus": inv["status"]}, t)
        order = moved or order
    if inv["status"] != "PAID" or order["status"] != "PENDING" or inv["id"] != order["initialInvoiceId"]:
        return order
    status = "COMPLETED" if order["orderType"] == "ONE_TIME" else "ACTIVE"
    after = await orders.transition(org, order["id"], {"status": "PENDING"},
                                    {"status": status, "activationTime": t, "billingStatus": "PAID"}, t)
    if after is None:
        return await orders.get(org, order["id"]) or order
    await timeline.record(
        org, order["customerId"], "ORDER_ACTIVATED", actor, t, {"orderId": order["id"], "status": status},
        "One-time order completed" if status == "COMPLETED" else "Subscription activated",
    )
    return after


async def customer_doc(org: OrgDb, customer_id: str) -> Doc | None:
    return await customers.get(org, customer_id)


def order_period(order: Doc) -> tuple[str, int, int | None]:
    """(unit, length, limit) of a subscription's billing period (its items share one length)."""
    for item in order["items"]:
        rec = item["plan"].get("recurringInterval")
        if rec:
            return rec["unit"], rec["length"], rec.get("limit")
    return "MONTH", 1, None


def upcoming_doc(order: Doc, t: datetime) -> Doc | None:
    """The next renewal invoice of a subscription as it would be issued now: not stored, never numbered.
    None when the order will not renew (its invoice limit is used up)."""
    unit, length, limit = order_period(order)
    period = order.get("rebillNumber", 1) + 1
    if limit is not None and period > limit:
        return None
    start = order.get("renewalTime") or order["currentPeriodEnd"]
    end = pricing.add_period(start, unit, length)
    lines = [li for li in renewal_lines(order, start, end, period) if li["amountMinor"] or li["quantity"]]
    doc = invoice_doc(order, f"{order['id']}:upcoming", None, "UPCOMING", period, lines,
                      shift(start, order.get("invoiceIssueShift"), -1), "DRAFT")
    doc["createdTime"] = doc["updatedTime"] = t
    return doc


VOIDABLE = ["DRAFT", "UNPAID", "PAST_DUE", "ABANDONED"]


async def void_invoice(org: OrgDb, actor: dict[str, Any], invoice_id: str, t: datetime) -> Doc | None:
    """Voids an invoice that nothing has paid (guarded by its status and by nothing paid)."""
    after = await invoices.transition(
        org, invoice_id, {"status": {"$in": VOIDABLE}, "paidMinor": 0}, {"status": "VOIDED", "voidedTime": t}, t
    )
    if after is not None:
        await timeline.record(
            org, after["customerId"], "INVOICE_VOIDED", actor, t,
            {"invoiceId": invoice_id, "amountMinor": after["totalMinor"], "currency": after["currency"]},
            f"Invoice #{after.get('invoiceNumber')} voided",
        )
        if after.get("orderId"):
            await orders.transition(org, after["orderId"], {"recentInvoiceId": invoice_id}, {"billingStatus": "VOIDED"}, t)
    return after
