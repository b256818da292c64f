"""Invoices: `invoice(id)` and the invoice actions (issue, void, abandon, reissue, edit lines)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from email_validator import EmailNotValidError, validate_email

from resolvers.auth import mutation
from resolvers.billing import documents, invoicing, mailer, plan_rules, pricing
from resolvers.context import Context, Info, now
from resolvers.loaders import forget
from resolvers.money import money
from resolvers.validation import text
from schema.billing.invoices import (
    EmailMessage,
    Invoice,
    InvoiceActionInput,
    InvoiceEmailInput,
    InvoiceEmailPayload,
    InvoicePayload,
    InvoiceUpdateInput,
)
from schema.common import Problems, UserErrorCode
from store.activity import timeline
from store.billing import invoices, orders, outbox
from store.customers import customers
from store.db import Doc
from store.ids import new_id

MAX_LINES = 100
REISSUABLE = ["UNPAID", "PARTIALLY_PAID", "PAST_DUE", "ABANDONED"]
ABANDONABLE = ["UNPAID", "PARTIALLY_PAID", "PAST_DUE"]


async def _load(ctx: Context, problems: Problems, invoice_id: str, expected: int | None) -> Doc | None:
    if not money.check_id(problems, ["invoiceId"], invoice_id, "Invoice", "in"):
        return None
    doc = await invoices.get(ctx.org, invoice_id)
    if doc is None:
        problems.add(["invoiceId"], f"no invoice {invoice_id} in this organization", UserErrorCode.NOT_FOUND)
    elif expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the invoice is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
    return doc


def _status(problems: Problems, doc: Doc, allowed: list[str], what: str) -> None:
    if doc["status"] not in allowed:
        problems.add(["invoiceId"], f"a {doc['status']} invoice cannot be {what} (only {', '.join(allowed)})",
                     UserErrorCode.INVALID_STATUS)


async def _done(ctx: Context, doc: Doc | None, problems: Problems) -> InvoicePayload:
    if doc is None:
        if not problems:
            problems.add(["invoiceId"], "the invoice changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return InvoicePayload(invoice=None, user_errors=problems.errors)
    forget(ctx.loaders.invoice_by_id, doc["id"])
    if doc.get("orderId"):
        await orders.transition(ctx.org, doc["orderId"], {"recentInvoiceId": doc["id"]}, {"billingStatus": doc["status"]}, now())
        forget(ctx.loaders.order_by_id, doc["orderId"])
    return InvoicePayload(invoice=Invoice.from_doc(doc), user_errors=[])


@strawberry.type
class InvoiceQueries:
    @strawberry.field(description="One invoice; null when there is none in this organization.")
    async def invoice(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`in_…`")]) -> Invoice | None:
        return await info.context.loaders.invoice_by_id.load(str(id))


@strawberry.type
class InvoiceMutations:
    @mutation("Issues a DRAFT invoice: it becomes UNPAID (due at `dueTime`, default now).")
    async def invoice_issue(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.invoice_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, ["DRAFT"], "issued")
        if input.due_time is not None and input.due_time < t:
            problems.add(["dueTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
        if problems or doc is None:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        after = await invoices.transition(ctx.org, doc["id"], {"revision": doc["revision"], "status": "DRAFT"},
                                          {"status": "UNPAID", "issuedTime": t, "dueTime": input.due_time or t}, t)
        if after is not None:
            await timeline.record(ctx.org, doc["customerId"], "INVOICE_ISSUED", ctx.actor(), t,
                                  {"invoiceId": doc["id"], "amountMinor": doc["totalMinor"], "currency": doc["currency"]},
                                  f"Invoice #{doc.get('invoiceNumber')} issued")
        return await _done(ctx, after, problems)

    @mutation("Voids an invoice nothing has paid: it will never be collected.")
    async def invoice_void(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.invoice_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, invoicing.VOIDABLE, "voided")
            if doc.get("paidMinor", 0) > 0:
                problems.add(["invoiceId"], "part of it is paid; refund the payment first", UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        return await _done(ctx, await invoicing.void_invoice(ctx.org, ctx.actor(), doc["id"], t), problems)

    @mutation("Abandons an unpaid invoice: it is no longer collected (reissue revives it).")
    async def invoice_abandon(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.invoice_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, ABANDONABLE, "abandoned")
        if problems or doc is None:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        after = await invoices.transition(ctx.org, doc["id"], {"revision": doc["revision"], "status": {"$in": ABANDONABLE}},
                                          {"status": "ABANDONED", "abandonedTime": t}, t)
        return await _done(ctx, after, problems)

    @mutation("Reissues an unpaid, past-due or abandoned invoice with a new due time (default now).")
    async def invoice_reissue(self, info: Info, input: InvoiceActionInput) -> InvoicePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.invoice_id), input.expected_revision)
        if doc is not None:
            _status(problems, doc, REISSUABLE, "reissued")
        if input.due_time is not None and input.due_time < t:
            problems.add(["dueTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
        if problems or doc is None:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        status = "PARTIALLY_PAID" if doc.get("paidMinor", 0) > 0 else "UNPAID"
        after = await invoices.transition(ctx.org, doc["id"], {"revision": doc["revision"]},
                                          {"status": status, "dueTime": input.due_time or t, "issuedTime": t,
                                           "abandonedTime": None}, t)
        if after is not None:
            await timeline.record(ctx.org, doc["customerId"], "INVOICE_ISSUED", ctx.actor(), t,
                                  {"invoiceId": doc["id"], "amountMinor": doc["totalMinor"], "currency": doc["currency"]},
                                  f"Invoice #{doc.get('invoiceNumber')} reissued")
        return await _done(ctx, after, problems)

    @mutation(
        "Emails an invoice to the customer with its PDF attached, through the outbox and the configured SMTP "
        "server; without one the message stays QUEUED and says so."
    )
    async def invoice_email(self, info: Info, input: InvoiceEmailInput) -> InvoiceEmailPayload:
        return await email_invoice(info.context, input)

    @mutation("Edits an invoice's lines, shipping, tax and notes while nothing is paid (DRAFT or UNPAID).")
    async def invoice_update(self, info: Info, input: InvoiceUpdateInput) -> InvoicePayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await _load(ctx, problems, str(input.invoice_id), input.expected_revision)
        if doc is None:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        _status(problems, doc, ["DRAFT", "UNPAID"], "edited")
        if doc.get("paidMinor", 0) > 0:
            problems.add(["invoiceId"], "part of it is paid; its lines are final", UserErrorCode.INVALID_STATUS)
        cur = doc["currency"]
        lines = doc["items"]
        if input.items is not None:
            if not input.items:
                problems.add(["items"], "give at least one line", UserErrorCode.REQUIRED)
            if len(input.items) > MAX_LINES:
                problems.add(["items"], f"at most {MAX_LINES} lines", UserErrorCode.TOO_MANY)
            lines = []
            for i, item in enumerate(input.items):
                description = text(problems, ["items", i, "description"], item.description, 1000, required=True)
                plan_rules._price(problems, ["items", i, "unitPrice"], format(item.unit_price, "f"))
                if not 1 <= item.quantity <= 1_000_000_000:
                    problems.add(["items", i, "quantity"], "must be between 1 and 1,000,000,000", UserErrorCode.INVALID)
                if problems:
                    continue
                amount = pricing.round_minor(item.unit_price * item.quantity, cur)
                lines.append({"id": new_id("ini"), "type": item.type.name, "description": description,
                              "unitPrice": format(item.unit_price, "f"), "quantity": item.quantity, "amountMinor": amount,
                              "planId": None, "productId": None, "orderItemId": None, "periodStartTime": None,
                              "periodEndTime": None, "periodNumber": None})
        shipping = _amount(problems, ["shipping"], input.shipping, cur, doc.get("shippingMinor", 0))
        tax = _amount(problems, ["tax"], input.tax, cur, doc.get("taxMinor", 0))
        notes = text(problems, ["notes"], input.notes, 65535) if input.notes is not None else doc.get("notes")
        if problems:
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        fields = {"items": lines, **invoicing.totals(lines, shipping, tax, doc.get("discountMinor", 0)), "notes": notes}
        if shipping != doc.get("shippingMinor", 0):  # an edited shipping amount is manual from now on
            fields["shippingDetails"] = {"calculator": "MANUAL"} if shipping else None
        if all(doc.get(k) == v for k, v in fields.items()):
            problems.add(None, "the input changes nothing", UserErrorCode.NOTHING_TO_CHANGE)
            return InvoicePayload(invoice=None, user_errors=problems.errors)
        after = await invoices.transition(
            ctx.org, doc["id"], {"revision": doc["revision"], "status": {"$in": ["DRAFT", "UNPAID"]}, "paidMinor": 0},
            fields, t,
        )
        return await _done(ctx, after, problems)


async def email_invoice(ctx: Context, input: InvoiceEmailInput) -> InvoiceEmailPayload:
    problems, t = Problems(), now()
    doc = await _load(ctx, problems, str(input.invoice_id), None)
    customer = await customers.get(ctx.org, doc["customerId"]) if doc else None
    to = validate_email_address(problems, input.to) if input.to is not None else (customer or {}).get("email")
    if doc is not None:
        _status(problems, doc, [s for s in ("UNPAID", "PARTIALLY_PAID", "PAID", "PAST_DUE", "PARTIALLY_REFUNDED",
                                            "REFUNDED", "VOIDED", "ABANDONED")], "emailed")
        if to is None and input.to is None:
            problems.add(["to"], "the customer has no email address; give one", UserErrorCode.REQUIRED)
    if problems or doc is None or to is None:
        return InvoiceEmailPayload(email=None, user_errors=problems.errors)
    number = doc.get("invoiceNumber")
    body = (f"Hello {documents.customer_name(customer)},\n\nplease find attached invoice #{number} "
            f"({invoicing.money_text(doc['totalMinor'], doc['currency'])}, status {doc['status'].lower()}).\n")
    pdf = documents.invoice_pdf(doc, customer)
    message = mailer.new_message(to, f"Invoice #{number}", body, t, invoice_id=doc["id"],
                                 attachment=(documents.invoice_filename(doc), pdf))
    await outbox.insert(ctx.org, message)
    sent = await mailer.deliver(ctx.org, ctx.settings, message["id"], t) or message
    if sent["status"] == "SENT":
        await timeline.record(ctx.org, doc["customerId"], "INVOICE_EMAILED", ctx.actor(), t,
                              {"invoiceId": doc["id"], "amountMinor": doc["totalMinor"], "currency": doc["currency"],
                               "emailId": message["id"]}, f"Invoice #{number} emailed to {to}")
    return InvoiceEmailPayload(email=EmailMessage.from_doc(sent), user_errors=[])


def validate_email_address(problems: Problems, value: str) -> str | None:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        problems.add(["to"], str(exc), UserErrorCode.INVALID_EMAIL)
        return None


def _amount(problems: Problems, path: list[str | int], value: Decimal | None, currency: str, current: int) -> int:
    if value is None:
        return current
    if value == 0:
        return 0
    if value < 0:
        problems.add(path, "may not be negative", UserErrorCode.INVALID)
        return current
    return money.to_minor(problems, path, value, currency)
