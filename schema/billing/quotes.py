"""Quotes: proposals a customer accepts or rejects; acceptance creates, changes or reactivates an order
(reference §21)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe

from schema.billing.invoices import InvoiceItem
from schema.common import CurrencyCode, Money, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.billing.invoices import Invoice
    from schema.billing.orders import Order

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Where a quote stands (an issued quote past its expiration time reads EXPIRED).")
class QuoteStatus(enum.Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being prepared; editable.")
    ISSUED = strawberry.enum_value("ISSUED", description="Shown to the customer, who may accept or reject it.")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="Accepted: its order was made, changed or reactivated.")
    REJECTED = strawberry.enum_value("REJECTED", description="Rejected by the customer.")
    CANCELED = strawberry.enum_value("CANCELED", description="Withdrawn by the merchant.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not accepted before its expiration time.")


@strawberry.enum(description="What accepting a quote does.")
class QuoteType(enum.Enum):
    CREATION = strawberry.enum_value("CREATION", description="Creates a new order.")
    CHANGE = strawberry.enum_value("CHANGE", description="Replaces the items of an ACTIVE or TRIAL_ENDED subscription.")
    REACTIVATION = strawberry.enum_value(
        "REACTIVATION", description="Reactivates a CANCELED or CHURNED subscription with the items.")


@strawberry.enum(description="What must hold for a quote to be accepted.")
class QuoteAcceptanceCondition(enum.Enum):
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="The customer accepts; no payment needed.")
    PAYMENT = strawberry.enum_value(
        "PAYMENT", description="The quote's invoice is paid in full by a charge at acceptance (CREATION: the order's "
        "first invoice; CHANGE: the proration; REACTIVATION of a churned order: the new period). Nothing to pay "
        "fulfils it.")


@strawberry.type(description="One line of a quote, priced from its plan when the quote was saved.")
class QuoteItem:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    name: str = strawberry.field(description="The plan's name.")
    quantity: int = strawberry.field(description="Units.")
    amount: Money = strawberry.field(description="Price of the line per billing period (or once).")
    recurring: str | None = strawberry.field(description="How often it bills, e.g. `every 1 MONTH`; null: once.")


@strawberry.type(description="What accepting a CHANGE or REACTIVATION quote now would invoice (nothing is written).")
class QuoteInvoicePreview:
    effective_time: datetime = strawberry.field(description="The time the amounts are computed for (this request's).")
    items: list[InvoiceItem] = strawberry.field(
        description="CHANGE: CREDIT lines for the unused time of the current items and DEBIT lines for the rest of "
        "the period of the new ones (by the second); REACTIVATION of a churned order: the new period's items.")
    charge: Money = strawberry.field(description="Sum of the DEBIT lines.")
    credit: Money = strawberry.field(description="Sum of the CREDIT lines.")
    amount_due: Money = strawberry.field(description="What the quote's invoice will ask: charge - credit, at least 0.")
    credit_memo_amount: Money = strawberry.field(
        description="The credit left over (credit - charge, when larger), issued as an ORDER_CHANGE credit memo.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> QuoteInvoicePreview:
        cur = d["currency"]
        return cls(effective_time=d["effectiveTime"], items=[InvoiceItem.from_doc(li, cur) for li in d["items"]],
                   charge=Money.from_minor(d["chargeMinor"], cur), credit=Money.from_minor(d["creditMinor"], cur),
                   amount_due=Money.from_minor(d["dueMinor"], cur),
                   credit_memo_amount=Money.from_minor(d["creditMemoMinor"], cur))


@strawberry.type(description="The signature block of a printed quote.")
class QuoteSignature:
    show_signature_line: bool = strawberry.field(description="Print a signature line.")
    signatory_name: str | None = strawberry.field(description="The name printed under it.")


@strawberry.type(description="A proposal for a customer; accepting it creates (or changes, or reactivates) an order.")
class Quote(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID = strawberry.field(description="The website.")
    type: QuoteType = strawberry.field(description="What accepting it does.")
    status: QuoteStatus = strawberry.field(description="Where it stands as of this request.")
    currency: CurrencyCode = strawberry.field(description="Its currency (the plans').")
    items: list[QuoteItem] = strawberry.field(description="Products and plans quoted.")
    subtotal: Money = strawberry.field(description="Sum of the lines.")
    coupon_ids: list[strawberry.ID] = strawberry.field(description="Coupons redeemed with the order on acceptance.")
    autopay: bool = strawberry.field(description="The order's invoices are charged automatically.")
    acceptance_conditions: list[QuoteAcceptanceCondition] = strawberry.field(description="What acceptance needs.")
    payment_terms: str | None = strawberry.field(description="Terms shown to the customer.")
    signature: QuoteSignature = strawberry.field(description="The printed signature block.")
    redirect_url: str | None = strawberry.field(description="Where the customer goes after accepting or rejecting.")
    expiration_time: datetime | None = strawberry.field(description="Issued quotes expire at this time.")
    order_id: strawberry.ID | None = strawberry.field(
        description="The order it changes or reactivates; for CREATION, the order made on acceptance.")
    invoice_id: strawberry.ID | None = strawberry.field(
        description="The quote's invoice once accepted: CREATION, the order's first invoice; CHANGE, the proration "
        "(INTERIM); REACTIVATION of a churned order, the new period's. The PAYMENT condition needs it paid.")
    prorated: bool = strawberry.field(
        description="CHANGE: the unused time of the current items is credited and the rest of the period of the new "
        "ones charged at acceptance (the renewal time stays).")
    credit_memo_id: strawberry.ID | None = strawberry.field(
        description="The ORDER_CHANGE credit memo of the credit left over on acceptance, if any.")
    issued_time: datetime | None = strawberry.field(description="When it was (last) issued.")
    accepted_time: datetime | None = strawberry.field(description="When it was accepted.")
    rejected_time: datetime | None = strawberry.field(description="When it was rejected.")
    canceled_time: datetime | None = strawberry.field(description="When it was canceled.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The order (made on acceptance, or the one it changes).")
    async def order(self, info: Info) -> Annotated[Order, strawberry.lazy("schema.billing.orders")] | None:
        return None if self.order_id is None else await info.context.loaders.order_by_id.load(str(self.order_id))

    @strawberry.field(description="CHANGE and REACTIVATION: what accepting it now would invoice (the proration, or "
                      "the new period), computed for this request's time; null for CREATION (see `subtotal`) and "
                      "once the quote is no longer open.")
    async def invoice_preview(self, info: Info) -> QuoteInvoicePreview | None:
        if self.type == QuoteType.CREATION or self.status not in (QuoteStatus.DRAFT, QuoteStatus.ISSUED):
            return None
        return await info.context.loaders.quote_invoice_preview_by_id.load(str(self.id))

    @strawberry.field(description="The payment invoice.")
    async def invoice(self, info: Info) -> Annotated[Invoice, strawberry.lazy("schema.billing.invoices")] | None:
        return None if self.invoice_id is None else await info.context.loaders.invoice_by_id.load(str(self.invoice_id))

    @strawberry.field(description="The hosted acceptance page the customer opens (while ISSUED); its token is "
                      "the secret: share it with the customer only.")
    def acceptance_url(self, info: Info) -> str | None:
        return info.context.link_url("/quotes/accept/", str(self.id)) if self.status == QuoteStatus.ISSUED else None

    @strawberry.field(description="Download link of its printable PDF (needs the same API key as this request).")
    def pdf_path(self) -> str:
        return f"/quotes/{self.id}.pdf"

    @classmethod
    def from_doc(cls, d: dict[str, Any], status: str) -> Quote:
        cur = d["currency"]
        sig = d.get("signature") or {}
        return cls(
            id=d["id"], customer_id=d["customerId"], website_id=d["websiteId"], type=QuoteType[d["type"]],
            status=QuoteStatus[status], currency=CurrencyCode[cur],
            items=[QuoteItem(plan_id=i["planId"], name=i["name"], quantity=i["quantity"],
                             amount=Money.from_minor(i["amountMinor"], cur), recurring=i.get("recurring"))
                   for i in d["items"]],
            subtotal=Money.from_minor(d["subtotalMinor"], cur), coupon_ids=d.get("couponIds") or [],
            autopay=d["autopay"], acceptance_conditions=[QuoteAcceptanceCondition[c] for c in d["acceptanceConditions"]],
            payment_terms=d.get("paymentTerms"),
            signature=QuoteSignature(show_signature_line=bool(sig.get("showSignatureLine")),
                                     signatory_name=sig.get("signatoryName")),
            redirect_url=d.get("redirectUrl"), expiration_time=d.get("expirationTime"), order_id=d.get("orderId"),
            invoice_id=d.get("invoiceId"), prorated=bool(d.get("prorated", d["type"] == "CHANGE")), credit_memo_id=d.get("creditMemoId"),
            issued_time=d.get("issuedTime"), accepted_time=d.get("acceptedTime"),
            rejected_time=d.get("rejectedTime"), canceled_time=d.get("canceledTime"), revision=d["revision"],
            created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


@strawberry.input(description="A plan and its quantity.")
class QuoteItemInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan (`plan_…`).")
    quantity: int = strawberry.field(default=1, description="Units within the plan's bounds.")


@strawberry.input(description="The printed signature block.")
class QuoteSignatureInput:
    show_signature_line: bool = strawberry.field(default=False, description="Print a signature line.")
    signatory_name: str | None = strawberry.field(default=None, description="The name under it (≤ 255).")


@strawberry.input(description="The guide's *Create a quote* form.")
class QuoteCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID | None = strawberry.field(default=None, description="Website (default: the customer's).")
    type: QuoteType = strawberry.field(default=QuoteType.CREATION, description="What accepting it does.")
    order_id: strawberry.ID | None = strawberry.field(default=None, description="CHANGE and REACTIVATION: the order.")
    items: list[QuoteItemInput] = strawberry.field(description="Products and plans, 1–20.")
    expiration_time: datetime | None = strawberry.field(
        default=None, description="Expires at this time (default: one month after it is issued).")
    redirect_url: str | None = strawberry.field(default=None, description="Where the customer goes afterwards (https).")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Coupons applied on acceptance.")
    autopay: bool = strawberry.field(default=False, description="Charge the order's invoices automatically.")
    acceptance_conditions: list[QuoteAcceptanceCondition] | None = strawberry.field(
        default=None, description="CUSTOMER (default) or PAYMENT (the quote's invoice paid in full at acceptance).")
    payment_terms: str | None = strawberry.field(default=None, description="Terms shown to the customer (≤ 5000).")
    signature: QuoteSignatureInput | None = strawberry.field(default=None, description="The printed signature block.")
    prorated: bool | None = strawberry.field(
        default=None, description="CHANGE only: prorate at acceptance (default true): credit the unused time of the "
        "current items, charge the rest of the period of the new ones.")


@strawberry.input(description="Edit a DRAFT quote (absent fields stay as they are).")
class QuoteUpdateInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse unless it is at this revision.")
    items: list[QuoteItemInput] | None = strawberry.field(default=None, description="New items (replace all).")
    expiration_time: Maybe[datetime | None] = strawberry.field(default=None, description="New expiration; null: default.")
    redirect_url: Maybe[str | None] = strawberry.field(default=None, description="New redirect URL.")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="New coupons.")
    autopay: bool | None = strawberry.field(default=None, description="New autopay.")
    acceptance_conditions: list[QuoteAcceptanceCondition] | None = strawberry.field(default=None, description="New conditions.")
    payment_terms: Maybe[str | None] = strawberry.field(default=None, description="New terms.")
    signature: QuoteSignatureInput | None = strawberry.field(default=None, description="New signature block.")
    prorated: bool | None = strawberry.field(default=None, description="CHANGE only: prorate at acceptance or not.")


@strawberry.input(description="Issue, recall, cancel or reject a quote.")
class QuoteActionInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse unless it is at this revision.")


@strawberry.input(description="Accept an issued quote (for the customer): creates, changes or reactivates its order.")
class QuoteAcceptInput:
    quote_id: strawberry.ID = strawberry.field(description="The quote.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(
        default=None, description="PAYMENT condition: the instrument charged (default: the customer's default).")
    idempotency_key: str = strawberry.field(description="Your unique key for this acceptance (1–255).")


@strawberry.type(description="Result of a quote mutation.")
class QuotePayload:
    quote: Quote | None = strawberry.field(description="The quote as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


QuoteArg = Annotated[strawberry.ID, strawberry.argument(description="`qt_…`")]
