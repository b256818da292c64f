"""Credit memos: credit owed to a customer, used by allocating it to invoices (reference §20)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe

from schema.common import CurrencyCode, Money, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.billing.invoices import Invoice

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Where a credit memo stands.")
class CreditMemoStatus(enum.Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Being prepared; not shown to the customer; fully unused.")
    ISSUED = strawberry.enum_value("ISSUED", description="Fully available.")
    PARTIALLY_APPLIED = strawberry.enum_value("PARTIALLY_APPLIED", description="Partly allocated; the rest available.")
    APPLIED = strawberry.enum_value("APPLIED", description="Fully allocated (final).")
    VOIDED = strawberry.enum_value("VOIDED", description="Unusable (final).")


@strawberry.enum(description="Why a credit memo was made.")
class CreditMemoReason(enum.Enum):
    RETURN = strawberry.enum_value("RETURN", description="Goods returned.")
    PRODUCT_UNSATISFACTORY = strawberry.enum_value("PRODUCT_UNSATISFACTORY", description="The product did not satisfy.")
    ORDER_CHANGE = strawberry.enum_value("ORDER_CHANGE", description="The order changed.")
    ORDER_CANCELLATION = strawberry.enum_value("ORDER_CANCELLATION", description="The order was canceled.")
    CHARGEBACK = strawberry.enum_value("CHARGEBACK", description="A chargeback.")
    WRITE_OFF = strawberry.enum_value("WRITE_OFF", description="Written off.")
    WAIVER = strawberry.enum_value("WAIVER", description="A waiver.")
    CUSTOMER_CREDIT = strawberry.enum_value("CUSTOMER_CREDIT", description="Store credit for the customer.")
    PREPAYMENT = strawberry.enum_value("PREPAYMENT", description="A prepayment.")
    OTHER = strawberry.enum_value("OTHER", description="Another reason.")


@strawberry.type(description="One line of a credit memo.")
class CreditMemoItem:
    id: strawberry.ID = strawberry.field(description="Line id (`crmi_…`).")
    description: str | None = strawberry.field(description="What it credits.")
    unit_price: Decimal = strawberry.field(description="Unit price (exact; the amount is rounded once).")
    quantity: int = strawberry.field(description="Units.")
    amount: Money = strawberry.field(description="unit price × quantity, rounded once.")
    tax: Money = strawberry.field(description="The line's tax amount.")
    tax_description: str | None = strawberry.field(description="What the tax is.")
    invoice_item_id: strawberry.ID | None = strawberry.field(description="The invoice line it credits.")
    product_id: strawberry.ID | None = strawberry.field(description="The product it credits.")
    plan_id: strawberry.ID | None = strawberry.field(description="The plan it credits.")


@strawberry.type(description="An amount of a credit memo allocated to an invoice.")
class CreditMemoAllocation:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    amount: Money = strawberry.field(description="The amount.")
    created_time: datetime = strawberry.field(description="When it was allocated.")

    @strawberry.field(description="The invoice.")
    async def invoice(self, info: Info) -> Annotated[Invoice, strawberry.lazy("schema.billing.invoices")] | None:
        return await info.context.loaders.invoice_by_id.load(str(self.invoice_id))


@strawberry.type(description="Credit owed to a customer; consumed by allocating it to invoices.")
class CreditMemo(Node):
    number: int = strawberry.field(description="Sequence number per customer (1, 2, 3 …).")
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    currency: CurrencyCode = strawberry.field(description="Its currency.")
    invoice_id: strawberry.ID | None = strawberry.field(description="The invoice it was made from, if any.")
    status: CreditMemoStatus = strawberry.field(description="Where it stands.")
    reason: CreditMemoReason = strawberry.field(description="Why it was made.")
    description: str | None = strawberry.field(description="Shown to the customer.")
    items: list[CreditMemoItem] = strawberry.field(description="Its lines.")
    subtotal: Money = strawberry.field(description="Sum of the lines' amounts.")
    shipping: Money = strawberry.field(description="Shipping credited.")
    tax: Money = strawberry.field(description="Sum of the lines' taxes.")
    total: Money = strawberry.field(description="subtotal + shipping + tax.")
    unused: Money = strawberry.field(description="Not allocated yet (0 once voided).")
    allocations: list[CreditMemoAllocation] = strawberry.field(description="Allocations to invoices, oldest first.")
    refunded: Money = strawberry.field(description="Paid back through its invoice's transactions (`creditMemoRefund`).")
    issued_time: datetime | None = strawberry.field(description="When it was issued.")
    voided_time: datetime | None = strawberry.field(description="When it was voided.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> CreditMemo:
        cur = d["currency"]
        return cls(
            id=d["id"], number=d["number"], customer_id=d["customerId"], currency=CurrencyCode[cur],
            invoice_id=d.get("invoiceId"), status=CreditMemoStatus[d["status"]], reason=CreditMemoReason[d["reason"]],
            description=d.get("description"),
            items=[CreditMemoItem(
                id=i["id"], description=i.get("description"), unit_price=Decimal(i["unitPrice"]), quantity=i["quantity"],
                amount=Money.from_minor(i["amountMinor"], cur), tax=Money.from_minor(i.get("taxMinor", 0), cur),
                tax_description=i.get("taxDescription"), invoice_item_id=i.get("invoiceItemId"),
                product_id=i.get("productId"), plan_id=i.get("planId"),
            ) for i in d["items"]],
            subtotal=Money.from_minor(d["subtotalMinor"], cur), shipping=Money.from_minor(d["shippingMinor"], cur),
            tax=Money.from_minor(d["taxMinor"], cur), total=Money.from_minor(d["totalMinor"], cur),
            unused=Money.from_minor(0 if d["status"] == "VOIDED" else d["unusedMinor"], cur),
            allocations=[CreditMemoAllocation(invoice_id=a["invoiceId"], amount=Money.from_minor(a["amountMinor"], cur),
                                              created_time=a["createdTime"]) for a in d.get("allocations") or ()],
            refunded=Money.from_minor(sum(a["amountMinor"] for a in d.get("transactionAllocations") or ()), cur),
            issued_time=d.get("issuedTime"), voided_time=d.get("voidedTime"), revision=d["revision"],
            created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


@strawberry.input(description="One line of a credit memo (the guide's *Credit memo items*).")
class CreditMemoItemInput:
    unit_price: Decimal = strawberry.field(description="Unit price (> 0, major units).")
    quantity: int = strawberry.field(default=1, description="Units (1–1,000,000).")
    tax_amount: Decimal | None = strawberry.field(default=None, description="The line's total tax (≥ 0).")
    tax_description: str | None = strawberry.field(default=None, description="What the tax is (≤ 255).")
    description: str | None = strawberry.field(default=None, description="What it credits (≤ 255).")
    invoice_item_id: strawberry.ID | None = strawberry.field(
        default=None, description="A line of the memo's invoice (needs `invoiceId`).")
    product_id: strawberry.ID | None = strawberry.field(default=None, description="A product (`prod_…`).")
    plan_id: strawberry.ID | None = strawberry.field(default=None, description="A plan (`plan_…`).")


@strawberry.input(description="Create a credit memo (the guide's *Create a credit memo*).")
class CreditMemoCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer credited.")
    description: str | None = strawberry.field(default=None, description="Shown to the customer (≤ 1000).")
    reason: CreditMemoReason = strawberry.field(description="Why.")
    invoice_id: strawberry.ID | None = strawberry.field(
        default=None, description="Create it from this invoice of the customer (its currency; items may point at its lines).")
    currency: CurrencyCode | None = strawberry.field(
        default=None, description="Currency (default: the invoice's; required without an invoice).")
    shipping_amount: Decimal | None = strawberry.field(default=None, description="Shipping credited (≥ 0).")
    items: list[CreditMemoItemInput] = strawberry.field(description="1–100 lines.")
    draft: bool = strawberry.field(default=False, description="Keep it as a DRAFT (issue it later); default: ISSUED.")


@strawberry.input(description="Edit a credit memo while nothing of it is allocated (DRAFT or ISSUED).")
class CreditMemoUpdateInput:
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse unless it is at this revision.")
    description: Maybe[str | None] = strawberry.field(default=None, description="New description; null clears it.")
    reason: CreditMemoReason | None = strawberry.field(default=None, description="New reason.")
    shipping_amount: Decimal | None = strawberry.field(default=None, description="New shipping amount.")
    items: list[CreditMemoItemInput] | None = strawberry.field(default=None, description="New lines (replace all).")


@strawberry.input(description="Issue or void a credit memo.")
class CreditMemoActionInput:
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse unless it is at this revision.")


@strawberry.input(description="Allocate a credit memo to an upcoming or unpaid invoice of its customer.")
class CreditMemoAllocateInput:
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo.")
    invoice_id: strawberry.ID = strawberry.field(description="The invoice (UNPAID, PARTIALLY_PAID, PAST_DUE or DRAFT).")
    amount: Decimal | None = strawberry.field(
        default=None, description="How much; missing or too large: min(the memo's unused amount, the invoice's due).")
    idempotency_key: str = strawberry.field(description="Your unique key for this allocation (1–255).")


@strawberry.type(description="Result of a credit memo mutation.")
class CreditMemoPayload:
    credit_memo: CreditMemo | None = strawberry.field(description="The credit memo as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of `creditMemoAllocate`.")
class CreditMemoAllocatePayload:
    credit_memo: CreditMemo | None = strawberry.field(description="The credit memo afterwards.")
    invoice: Annotated[Invoice, strawberry.lazy("schema.billing.invoices")] | None = strawberry.field(
        description="The invoice afterwards.")
    amount: Money | None = strawberry.field(description="The amount allocated.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was allocated.")


@strawberry.input(description="Pay an invoice from the customer's credit balance (credit memos of its currency).")
class InvoiceCreditBalanceAllocateInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice.")
    amount: Decimal | None = strawberry.field(default=None, description="How much at most (default: the amount due).")
    credit_memo_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Use these memos, in this order (default: every open memo, oldest first).")
    idempotency_key: str = strawberry.field(description="Your unique key for this allocation (1–255).")


@strawberry.type(description="Result of `invoiceCreditBalanceAllocate`.")
class InvoiceCreditBalanceAllocatePayload:
    invoice: Annotated[Invoice, strawberry.lazy("schema.billing.invoices")] | None = strawberry.field(
        description="The invoice afterwards.")
    credit_memos: list[CreditMemo] = strawberry.field(description="The memos used, in the order used.")
    amount: Money | None = strawberry.field(description="The amount allocated in all.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was allocated.")


CreditMemoArg = Annotated[strawberry.ID, strawberry.argument(description="`crmm_…`")]
