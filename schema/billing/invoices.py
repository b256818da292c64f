"""Invoices: what an order (or the merchant) bills a customer, its items, amounts and status."""

from __future__ import annotations

import enum
import functools
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.billing.discounts import InvoiceCreditAllocation, InvoiceDiscount
from schema.billing.invoice_links import InvoicePaymentLink
from schema.billing.shipping import OrderShipping
from schema.common import CurrencyCode, Money, Node, UserError
from schema.money.transactions import Transaction

# One Money per distinct (amount, currency), shared read-only by every invoice that shows it: a billing
# page shows thousands of amounts, mostly the same few.
money = functools.lru_cache(maxsize=8192)(Money.from_minor)

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.billing.orders import Order
    from schema.customers.customers import Customer

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Where an invoice stands.")
class InvoiceStatus(enum.Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being prepared; items can be edited; not payable yet.")
    UNPAID = strawberry.enum_value("UNPAID", description="Issued and waiting for payment.")
    PARTIALLY_PAID = strawberry.enum_value("PARTIALLY_PAID", description="Issued; part of it is paid.")
    PAID = strawberry.enum_value("PAID", description="Paid in full.")
    PAST_DUE = strawberry.enum_value("PAST_DUE", description="Unpaid after its due time (set by the billing clock).")
    ABANDONED = strawberry.enum_value("ABANDONED", description="Given up on: no longer collected (reissue revives it).")
    VOIDED = strawberry.enum_value("VOIDED", description="Canceled: never to be paid.")
    PARTIALLY_REFUNDED = strawberry.enum_value("PARTIALLY_REFUNDED", description="Paid, then part of it refunded.")
    REFUNDED = strawberry.enum_value("REFUNDED", description="Paid, then refunded in full.")


@strawberry.enum(description="Why an invoice was made.")
class InvoiceType(enum.Enum):
    INITIAL = strawberry.enum_value("INITIAL", description="The first invoice of a subscription order.")
    RENEWAL = strawberry.enum_value("RENEWAL", description="A later period of a subscription (billing clock).")
    ONE_TIME = strawberry.enum_value("ONE_TIME", description="The invoice of a one-time order.")
    INTERIM = strawberry.enum_value("INTERIM", description="Made between renewals (e.g. a change of items).")
    UPCOMING = strawberry.enum_value("UPCOMING", description="A preview of the next renewal invoice; never stored.")


@strawberry.enum(description="Debit (charged) or credit (deducted) invoice line.")
class InvoiceItemType(enum.Enum):
    DEBIT = strawberry.enum_value("DEBIT", description="Charged to the customer.")
    CREDIT = strawberry.enum_value("CREDIT", description="Deducted from the total.")


@strawberry.type(description="One line of an invoice.")
class InvoiceItem:
    id: strawberry.ID = strawberry.field(description="Line id (`ini_…`), stable while the invoice exists.")
    type: InvoiceItemType = strawberry.field(description="Debit or credit.")
    description: str = strawberry.field(description="What it is for.")
    unit_price: Decimal = strawberry.field(description="Price of one unit (exact; the amount is rounded once).")
    quantity: int = strawberry.field(description="Number of units.")
    amount: Money = strawberry.field(description="The line's amount, rounded once to the currency.")
    plan_id: strawberry.ID | None = strawberry.field(description="The plan it bills, if any.")
    product_id: strawberry.ID | None = strawberry.field(description="The product it bills, if any.")
    order_item_id: strawberry.ID | None = strawberry.field(description="The order item it bills, if any.")
    period_start_time: datetime | None = strawberry.field(description="Start of the service period billed.")
    period_end_time: datetime | None = strawberry.field(description="End of the service period billed.")
    period_number: int | None = strawberry.field(description="The order's period number billed (1 = first).")
    # billing clock (issue 12)
    metered_quantity: Decimal | None = strawberry.field(
        description="A metered item's billed quantity (may be fractional): its usage by the plan's strategy, "
        "clamped by its minimum and maximum. `quantity` is then 1 and `unitPrice` the line's price."
    )

    @classmethod
    def from_doc(cls, d: dict[str, Any], currency: str) -> InvoiceItem:
        return cls(
            id=d["id"], type=InvoiceItemType[d["type"]], description=d["description"],
            unit_price=Decimal(d["unitPrice"]), quantity=d["quantity"],
            amount=money(d["amountMinor"], currency),
            plan_id=d.get("planId"), product_id=d.get("productId"), order_item_id=d.get("orderItemId"),
            period_start_time=d.get("periodStartTime"), period_end_time=d.get("periodEndTime"),
            period_number=d.get("periodNumber"),
            metered_quantity=Decimal(d["meteredQuantity"]) if d.get("meteredQuantity") is not None else None,
        )


@strawberry.type(description="A bill to a customer. Orders make them; transactions pay them.")
class Invoice(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer billed.")
    website_id: strawberry.ID = strawberry.field(description="The website it belongs to.")
    order_id: strawberry.ID | None = strawberry.field(description="The order that made it, if any.")
    invoice_number: int | None = strawberry.field(
        description="Sequence number within the organization (1, 2, 3 …; gaps are possible); null for a preview."
    )
    type: InvoiceType = strawberry.field(description="Why it was made.")
    status: InvoiceStatus = strawberry.field(description="Where it stands.")
    currency: CurrencyCode = strawberry.field(description="Its currency.")
    subtotal: Money = strawberry.field(description="Debit lines minus credit lines.")
    discount: Money = strawberry.field(description="Coupon discounts (the sum of `discounts`).")
    # coupons and credit memos (issue 13)
    discounts: list[InvoiceDiscount] = strawberry.field(description="The coupons that discount it, in order.")
    credit_applied: Money = strawberry.field(
        description="Credit memos allocated to it (counted in `amountPaid`; see `creditAllocations`).")
    credit_allocations: list[InvoiceCreditAllocation] = strawberry.field(
        description="Credit memo amounts allocated to it, oldest first.")
    shipping: Money = strawberry.field(description="Shipping.")
    shipping_details: OrderShipping | None = strawberry.field(  # shipping rate tables
        description="How its shipping is priced (manual, or the shipping rate it was calculated from); null: no shipping."
    )
    tax: Money = strawberry.field(description="Tax (a manual amount).")
    total: Money = strawberry.field(description="subtotal - discount + shipping + tax.")
    amount_paid: Money = strawberry.field(description="Paid so far by the transactions below.")
    amount_refunded: Money = strawberry.field(description="Refunded so far of what was paid.")
    amount_due: Money = strawberry.field(description="What remains to pay (0 unless payable).")
    period_number: int | None = strawberry.field(description="The order period it bills (1 = the initial one).")
    notes: str | None = strawberry.field(description="Notes shown on the invoice.")
    issued_time: datetime | None = strawberry.field(description="When it was issued; null while DRAFT.")
    due_time: datetime | None = strawberry.field(description="When payment is due.")
    paid_time: datetime | None = strawberry.field(description="When it was paid in full.")
    voided_time: datetime | None = strawberry.field(description="When it was voided.")
    abandoned_time: datetime | None = strawberry.field(description="When it was abandoned.")
    delinquency_time: datetime | None = strawberry.field(
        description="Unpaid at this time, its order is canceled (due time + the order's delinquency period)."
    )
    transaction_ids: list[strawberry.ID] = strawberry.field(description="Sales applied to it, oldest first.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    _items: strawberry.Private[list[dict[str, Any]] | None] = None

    @strawberry.field(description="Its lines, in order.")
    async def items(self, info: Info) -> list[InvoiceItem]:
        # Lists of invoices are read without their lines (a summary row needs none); asked for, the lines of
        # a page's invoices come in one more `$in` query.
        docs = self._items if self._items is not None else await info.context.loaders.invoice_items_by_id.load(str(self.id))
        cur = self.currency.value
        return [InvoiceItem.from_doc(i, cur) for i in docs]

    @strawberry.field(description="The sales paid against it, oldest first.")
    async def transactions(self, info: Info) -> list[Transaction]:
        found = await info.context.loaders.transaction_by_id.load_many([str(i) for i in self.transaction_ids])
        return [t for t in found if t is not None]

    @strawberry.field(description="The customer billed.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None:
        return await info.context.loaders.customer_by_id.load(str(self.customer_id))

    @strawberry.field(description="The order that made it.")
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("schema.billing.orders")] | None:
        return None if self.order_id is None else await info.context.loaders.order_by_id.load(str(self.order_id))

    @strawberry.field(description="Emails of this invoice sent (or queued) to the customer, oldest first.")
    async def emails(self, info: Info) -> list[EmailMessage]:
        return await info.context.invoice_emails(str(self.id))

    @strawberry.field(description="Hosted payment links made for it (`invoicePaymentLinkCreate`), newest first.")
    async def payment_links(self, info: Info) -> list[InvoicePaymentLink]:
        return await info.context.loaders.invoice_payment_links_by_invoice_id.load(str(self.id))

    @strawberry.field(description="Download link of its PDF (needs the same API key as this request).")
    def pdf_path(self) -> str:
        return f"/invoices/{self.id}.pdf"

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Invoice:
        cur = d["currency"]
        due = d["totalMinor"] - d.get("paidMinor", 0) if d["status"] in ("UNPAID", "PARTIALLY_PAID", "PAST_DUE") else 0
        return cls(
            id=d["id"], customer_id=d["customerId"], website_id=d["websiteId"], order_id=d.get("orderId"),
            invoice_number=d.get("invoiceNumber"), type=InvoiceType[d["type"]], status=InvoiceStatus[d["status"]],
            currency=CurrencyCode[cur], _items=d.get("items"),
            subtotal=money(d["subtotalMinor"], cur), discount=money(d.get("discountMinor", 0), cur),
            discounts=[InvoiceDiscount.from_doc(x, cur) for x in d.get("discounts") or ()],
            credit_applied=money(sum(a["amountMinor"] for a in d.get("creditAllocations") or ()), cur),
            credit_allocations=[InvoiceCreditAllocation.from_doc(a, cur) for a in d.get("creditAllocations") or ()],
            shipping=money(d.get("shippingMinor", 0), cur), tax=money(d.get("taxMinor", 0), cur),
            shipping_details=_shipping(d, cur),
            total=money(d["totalMinor"], cur), amount_paid=money(d.get("paidMinor", 0), cur),
            amount_refunded=money(d.get("refundedMinor", 0), cur), amount_due=money(due, cur),
            period_number=d.get("periodNumber"), notes=d.get("notes"), issued_time=d.get("issuedTime"),
            due_time=d.get("dueTime"), paid_time=d.get("paidTime"), voided_time=d.get("voidedTime"),
            abandoned_time=d.get("abandonedTime"), delinquency_time=d.get("delinquencyTime"),
            transaction_ids=list(d.get("transactionIds") or ()), revision=d.get("revision", 0),
            created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


def _shipping(d: dict[str, Any], currency: str) -> OrderShipping | None:
    details = d.get("shippingDetails")
    if details is None:  # invoices made before shipping details were kept: a shipping amount is manual
        if not d.get("shippingMinor"):
            return None
        details = {"calculator": "MANUAL"}
    return OrderShipping.from_doc({**details, "amountMinor": d.get("shippingMinor", 0)}, currency)


# ---------------------------------------------------------------------------------------------- actions


@strawberry.input(description="An invoice action (issue, void, abandon, reissue).")
class InvoiceActionInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    due_time: datetime | None = strawberry.field(
        default=None, description="issue / reissue: the new due time (default: now, or the order's due shift)."
    )


@strawberry.input(description="One line of an invoice being edited.")
class InvoiceItemInput:
    type: InvoiceItemType = strawberry.field(default=InvoiceItemType.DEBIT, description="Debit or credit.")
    description: str = strawberry.field(description="What it is for (≤ 1000).")
    unit_price: Decimal = strawberry.field(description="Unit price (≥ 0, at most 6 decimals).")
    quantity: int = strawberry.field(default=1, description="Units, 1–1,000,000,000.")


@strawberry.input(description="Edit an invoice's lines and manual amounts (DRAFT or UNPAID with nothing paid).")
class InvoiceUpdateInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    items: list[InvoiceItemInput] | None = strawberry.field(
        default=None, description="The full new list of lines (1–100); absent: unchanged."
    )
    shipping: Decimal | None = strawberry.field(default=None, description="Shipping amount (≥ 0); absent: unchanged.")
    tax: Decimal | None = strawberry.field(default=None, description="Tax amount (≥ 0); absent: unchanged.")
    notes: str | None = strawberry.field(default=None, description="Notes on the invoice (≤ 65,535).")


@strawberry.type(description="Result of an invoice mutation.")
class InvoicePayload:
    invoice: Invoice | None = strawberry.field(description="The invoice afterwards; null when not found.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing changed).")


# ---------------------------------------------------------------------------------------------- email


@strawberry.enum(description="Where an email stands in the outbox.")
class EmailStatus(enum.Enum):
    QUEUED = strawberry.enum_value("QUEUED", description="Waiting to be sent (e.g. no SMTP server is configured).")
    SENDING = strawberry.enum_value("SENDING", description="Being handed to the SMTP server.")
    SENT = strawberry.enum_value("SENT", description="Accepted by the SMTP server.")
    FAILED = strawberry.enum_value("FAILED", description="The SMTP server refused it or could not be reached.")


@strawberry.type(description="An email in the outbox (e.g. an invoice sent to the customer, PDF attached).")
class EmailMessage:
    id: strawberry.ID = strawberry.field(description="Message id (`mail_…`).")
    to: str = strawberry.field(description="Recipient.")
    subject: str = strawberry.field(description="Subject.")
    status: EmailStatus = strawberry.field(description="Where it stands.")
    status_reason: str | None = strawberry.field(
        description="Why it is not sent (no SMTP server configured, or the server's answer)."
    )
    attempts: int = strawberry.field(description="Times it was handed to the SMTP server.")
    invoice_id: strawberry.ID | None = strawberry.field(description="The invoice it carries.")
    attachment_name: str | None = strawberry.field(description="File name of the attached PDF.")
    created_time: datetime = strawberry.field(description="When it was queued.")
    sent_time: datetime | None = strawberry.field(description="When the SMTP server accepted it.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> EmailMessage:
        return cls(
            id=d["id"], to=d["to"], subject=d["subject"], status=EmailStatus[d["status"]],
            status_reason=d.get("lastError"), attempts=d.get("attempts", 0), invoice_id=d.get("invoiceId"),
            attachment_name=(d.get("attachment") or {}).get("filename") or d.get("attachmentName"),
            created_time=d["createdTime"], sent_time=d.get("sentTime"),
        )


@strawberry.input(description="Email an invoice to the customer, its PDF attached (the guide's *email an invoice*).")
class InvoiceEmailInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    to: str | None = strawberry.field(default=None, description="Recipient (default: the customer's primary email).")


@strawberry.type(description="Result of `invoiceEmail`.")
class InvoiceEmailPayload:
    email: EmailMessage | None = strawberry.field(
        description="The message: SENT, FAILED (with the server's answer) or QUEUED (no SMTP server configured)."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing queued).")
