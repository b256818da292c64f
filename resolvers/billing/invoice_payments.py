"""`customerPaymentCollect` pointed at an invoice (`invoiceId`): the checks before any money moves, and
the approved payment applied to the invoice afterwards (which activates a pending order)."""

from __future__ import annotations

from resolvers.billing import invoicing
from resolvers.context import Context, now
from resolvers.money import money
from schema.common import Money, Problems, UserErrorCode
from store.billing import invoices, orders
from store.db import Doc, OrgDb
from store.money import transactions


async def check(org: OrgDb, problems: Problems, invoice_id: str, customer: Doc | None, currency: str,
                amount: int, hosted: bool) -> Doc | None:
    """The invoice a payment is for, if it can take it (same customer and currency, payable, and no more
    than its amount due); otherwise None with the problem."""
    path: list[str | int] = ["invoiceId"]
    if not money.check_id(problems, path, invoice_id, "Invoice", "in"):
        return None
    inv = await invoices.get(org, invoice_id)
    if inv is None or (customer is not None and inv["customerId"] != customer["id"]):
        problems.add(path, f"the customer has no invoice {invoice_id}", UserErrorCode.NOT_FOUND)
        return None
    if hosted:
        problems.add(["option"], "an invoice is paid with a stored instrument or registered as paid outside",
                     UserErrorCode.INVALID)
    if inv["status"] not in invoices.PAYABLE:
        problems.add(path, f"a {inv['status']} invoice takes no payment", UserErrorCode.INVALID_STATUS)
        return None
    if currency != inv["currency"]:
        problems.add(["currency"], f"the invoice is in {inv['currency']}", UserErrorCode.CURRENCY_MISMATCH)
    due = inv["totalMinor"] - inv.get("paidMinor", 0)
    if amount > due:
        problems.add(["amount"], f"the invoice has {Money.from_minor(due, inv['currency']).amount} due",
                     UserErrorCode.OVER_PAYMENT)
    return inv


async def apply(ctx: Context, invoice_id: str, txn_id: str) -> None:
    """Applies an approved payment to its invoice; a paid initial invoice activates its order."""
    org, t = ctx.org, now()
    txn = await transactions.get(org, txn_id)
    if txn is None or txn["result"] != "APPROVED":
        return
    inv = await invoicing.apply_payment(org, invoice_id, txn, t)
    if inv is not None and inv.get("orderId"):
        order = await orders.get(org, inv["orderId"])
        if order is not None:
            await invoicing.settle_order(org, ctx.actor(), order, inv, t)
