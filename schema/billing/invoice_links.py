"""Hosted payment links pointed at an invoice: the contract of `invoicePaymentLinkCreate`,
`invoicePaymentLink(id)` and `Invoice.paymentLinks`."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.billing.invoices import Invoice

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Whether an invoice payment link's page still opens.")
class InvoicePaymentLinkStatus(enum.Enum):
    ACTIVE = strawberry.enum_value(
        "ACTIVE", description="The page opens; it takes payment while the invoice has an amount due."
    )
    EXPIRED = strawberry.enum_value("EXPIRED", description="Past its expiry: the page says so and takes no payment.")


@strawberry.type(
    description="A hosted page where the customer pays one invoice (the guide's *collect payment* for an order): "
    "it shows the invoice's number, lines and amount due, and charges a saved payment instrument or a new card. "
    "What it charges is always the invoice's amount due at that moment (or less, with partial payments)."
)
class InvoicePaymentLink(Node):
    invoice_id: strawberry.ID = strawberry.field(description="The invoice it pays.")
    customer_id: strawberry.ID = strawberry.field(description="The customer who pays.")
    status: InvoicePaymentLinkStatus = strawberry.field(description="Whether the page still opens.")
    allow_partial_payment: bool = strawberry.field(
        description="The customer may pay less than the amount due (the invoice becomes PARTIALLY_PAID)."
    )
    expires_time: datetime = strawberry.field(description="After this the page takes no payment.")
    transaction_ids: list[strawberry.ID] = strawberry.field(
        description="Payment attempts made through the page, oldest first."
    )
    created_time: datetime = strawberry.field(description="When it was made.")

    @strawberry.field(description="The page to share with the customer (contains the link's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/invoices/pay/", str(self.id))

    @strawberry.field(description="The invoice it pays.")
    async def invoice(self, info: Info) -> Annotated[Invoice, strawberry.lazy("schema.billing.invoices")] | None:
        return await info.context.loaders.invoice_by_id.load(str(self.invoice_id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> InvoicePaymentLink:
        expired = d["expiresTime"] <= datetime.now(UTC)
        return cls(
            id=strawberry.ID(d["id"]), invoice_id=strawberry.ID(d["invoiceId"]),
            customer_id=strawberry.ID(d["customerId"]),
            status=InvoicePaymentLinkStatus.EXPIRED if expired else InvoicePaymentLinkStatus.ACTIVE,
            allow_partial_payment=bool(d.get("allowPartialPayment")), expires_time=d["expiresTime"],
            transaction_ids=[strawberry.ID(i) for i in d.get("transactionIds", ())], created_time=d["createdTime"],
        )


@strawberry.input(description="Make a hosted payment link for an issued invoice that has an amount due.")
class InvoicePaymentLinkCreateInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice (UNPAID, PARTIALLY_PAID or PAST_DUE).")
    expires_in_hours: int | None = strawberry.field(
        default=None, description="The page takes payment for this long, 1–720 hours (default: the server's "
        "`PAYMENT_LINK_HOURS`)."
    )
    allow_partial_payment: bool = strawberry.field(
        default=False, description="Let the customer pay part of the amount due (default: the whole amount due)."
    )


@strawberry.type(description="Result of `invoicePaymentLinkCreate`.")
class InvoicePaymentLinkCreatePayload:
    payment_link: InvoicePaymentLink | None = strawberry.field(description="The link made; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing written).")
