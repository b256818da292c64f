"""Transactions (sales, refunds, voids, credits), the payment-collect and refund mutations' contract,
and hosted payment links."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import Connection, CurrencyCode, Linkable, Money, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.customers.customers import Customer

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="What a transaction does.")
class TransactionType(enum.Enum):
    SALE = strawberry.enum_value("SALE", description="A payment from the customer.")
    REFUND = strawberry.enum_value(
        "REFUND", description="Money given back on a settled sale (child of the sale)."
    )
    VOID = strawberry.enum_value(
        "VOID", description="Cancellation of a sale before it settled (child of the sale)."
    )
    CREDIT = strawberry.enum_value(
        "CREDIT", description="A payout to the customer; cannot be refunded or reversed."
    )


@strawberry.enum(
    description="Where a transaction stands. Refunds and voids change the status of the ORIGINAL sale."
)
class TransactionStatus(enum.Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Sent to the gateway, answer not recorded yet (result UNKNOWN)."
    )
    COMPLETED = strawberry.enum_value("COMPLETED", description="Processed; see `result` for the outcome.")
    PARTIALLY_REFUNDED = strawberry.enum_value(
        "PARTIALLY_REFUNDED", description="Part of the sale was refunded."
    )
    REFUNDED = strawberry.enum_value("REFUNDED", description="The whole sale was refunded.")
    VOIDED = strawberry.enum_value("VOIDED", description="The sale was voided before it settled.")
    TIMEOUT = strawberry.enum_value(
        "TIMEOUT", description="The gateway did not answer; nothing is known to be charged."
    )


@strawberry.enum(
    description="The outcome of a transaction, separate from its status (`COMPLETED` + `DECLINED` is valid)."
)
class TransactionResult(enum.Enum):
    APPROVED = strawberry.enum_value("APPROVED", description="The gateway approved it.")
    DECLINED = strawberry.enum_value("DECLINED", description="The gateway declined it.")
    CANCELED = strawberry.enum_value("CANCELED", description="Canceled before processing.")
    ABANDONED = strawberry.enum_value("ABANDONED", description="The customer did not finish it.")
    UNKNOWN = strawberry.enum_value("UNKNOWN", description="Not known (gateway timeout).")


@strawberry.enum(description="How a transaction was paid.")
class TransactionMethod(enum.Enum):
    PAYMENT_CARD = strawberry.enum_value("PAYMENT_CARD", description="A payment card.")
    BANK_ACCOUNT = strawberry.enum_value("BANK_ACCOUNT", description="A bank account.")
    CASH = strawberry.enum_value("CASH", description="Cash, received outside the gateway.")
    CHECK = strawberry.enum_value("CHECK", description="A check, received outside the gateway.")
    BANK_TRANSFER = strawberry.enum_value(
        "BANK_TRANSFER", description="A bank transfer, received outside the gateway."
    )
    OTHER = strawberry.enum_value("OTHER", description="Another method, outside the gateway.")


@strawberry.enum(description="The guide's payment segments of a customer.")
class TransactionSegment(enum.Enum):
    ALL = strawberry.enum_value("ALL", description="Every transaction.")
    SALES = strawberry.enum_value("SALES", description="Approved sales.")
    DECLINED = strawberry.enum_value("DECLINED", description="Declined sales.")
    REFUNDS = strawberry.enum_value("REFUNDS", description="Refunds and voids.")
    PAYOUTS = strawberry.enum_value("PAYOUTS", description="Credits (payouts).")


@strawberry.type(description="The gateway's answer to a transaction.")
class GatewayResponse:
    code: str = strawberry.field(
        description="Outcome code, e.g. `APPROVED`, `INSUFFICIENT_FUNDS`, `STOLEN_CARD`."
    )
    message: str = strawberry.field(description="Outcome in words.")


@strawberry.type(description="One payment-gateway operation: a sale, refund, void or credit (payout).")
class Transaction(Linkable):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID = strawberry.field(description="The customer's website.")
    type: TransactionType = strawberry.field(description="What it does.")
    status: TransactionStatus = strawberry.field(description="Where it stands.")
    result: TransactionResult = strawberry.field(description="Its outcome.")
    amount: Money = strawberry.field(description="Amount.")
    refunded_amount: Money = strawberry.field(description="Part of a sale refunded or voided so far.")
    refundable_amount: Money = strawberry.field(
        description="Part of a sale that can still be refunded (0 otherwise)."
    )
    description: str | None = strawberry.field(description="Merchant's description.")
    method: TransactionMethod = strawberry.field(description="How it was paid.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(
        description="The stored instrument used, if any."
    )
    bin: str | None = strawberry.field(description="First six digits of the card, if a card was used.")
    last4: str | None = strawberry.field(description="Last four digits of the card, if a card was used.")
    brand: str | None = strawberry.field(description="Card brand, e.g. `VISA`.")
    is_processed_outside: bool = strawberry.field(
        description="Registered payment, processed outside the gateway."
    )
    reference: str | None = strawberry.field(
        description="Check number, transfer reference or who received the cash."
    )
    gateway_account_id: strawberry.ID | None = strawberry.field(
        description="Gateway account that processed it."
    )
    gateway_name: str | None = strawberry.field(description="Gateway that processed it (`SANDBOX`).")
    gateway_transaction_id: str | None = strawberry.field(description="The gateway's own id of it.")
    gateway_response: GatewayResponse | None = strawberry.field(description="The gateway's answer.")
    parent_transaction_id: strawberry.ID | None = strawberry.field(
        description="The sale a refund or void belongs to."
    )
    child_transaction_ids: list[strawberry.ID] = strawberry.field(
        description="Refunds and voids of this sale."
    )
    request_id: str | None = strawberry.field(
        description="Payout request ID given by the merchant (credits)."
    )
    payment_link_id: strawberry.ID | None = strawberry.field(
        description="Hosted payment link it was paid through."
    )
    payout_request_id: strawberry.ID | None = strawberry.field(
        description="Payout request it fulfils (credits)."
    )
    processed_time: datetime = strawberry.field(description="When it was processed (or paid, if outside).")
    settlement_time: datetime | None = strawberry.field(
        description="When the funds settle (null when never)."
    )
    is_settled: bool = strawberry.field(description="Settled when read: refunds are then refunds, not voids.")
    created_time: datetime = strawberry.field(description="When it was recorded.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None:
        return await info.context.loaders.customer_by_id.load(str(self.customer_id))

    @strawberry.field(description="The sale a refund or void belongs to.")
    async def parent_transaction(self, info: Info) -> Transaction | None:
        if self.parent_transaction_id is None:
            return None
        return await info.context.loaders.transaction_by_id.load(str(self.parent_transaction_id))

    @strawberry.field(description="Refunds and voids of this sale, oldest first.")
    async def child_transactions(self, info: Info) -> list[Transaction]:
        found = await info.context.loaders.transaction_by_id.load_many(
            [str(i) for i in self.child_transaction_ids]
        )
        return [t for t in found if t is not None]

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Transaction:
        cur = d["currency"]
        refundable = 0
        if (
            d["type"] == "SALE"
            and d["result"] == "APPROVED"
            and d["status"] in ("COMPLETED", "PARTIALLY_REFUNDED")
        ):
            refundable = d["amountMinor"] - d.get("refundedMinor", 0)
        gw = d.get("gatewayResponse")
        settle = d.get("settlementTime")
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            website_id=strawberry.ID(d["websiteId"]),
            type=TransactionType[d["type"]],
            status=TransactionStatus[d["status"]],
            result=TransactionResult[d["result"]],
            amount=Money.from_minor(d["amountMinor"], cur),
            refunded_amount=Money.from_minor(d.get("refundedMinor", 0), cur),
            refundable_amount=Money.from_minor(refundable, cur),
            description=d.get("description"),
            method=TransactionMethod[d.get("method") or "OTHER"],
            payment_instrument_id=_id(d.get("paymentInstrumentId")),
            bin=d.get("bin"),
            last4=d.get("last4"),
            brand=d.get("brand"),
            is_processed_outside=bool(d.get("isProcessedOutside")),
            reference=d.get("reference"),
            gateway_account_id=_id(d.get("gatewayAccountId")),
            gateway_name=d.get("gatewayName"),
            gateway_transaction_id=d.get("gatewayTransactionId"),
            gateway_response=GatewayResponse(code=gw["code"], message=gw["message"]) if gw else None,
            parent_transaction_id=_id(d.get("parentTransactionId")),
            child_transaction_ids=[strawberry.ID(i) for i in d.get("childTransactionIds", ())],
            request_id=d.get("requestId"),
            payment_link_id=_id(d.get("paymentLinkId")),
            payout_request_id=_id(d.get("payoutRequestId")),
            processed_time=d["processedTime"],
            settlement_time=settle,
            is_settled=settle is not None and settle <= datetime.now(UTC),
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value else None


TransactionConnection = Connection[Transaction]


# ---------------------------------------------------------------------------------------------- payment links


@strawberry.enum(description="Where a hosted payment link stands.")
class PaymentLinkStatus(enum.Enum):
    OPEN = strawberry.enum_value("OPEN", description="Waiting for the customer to pay.")
    PROCESSING = strawberry.enum_value("PROCESSING", description="A payment through it is being processed.")
    PAID = strawberry.enum_value("PAID", description="Paid; the link no longer takes payments.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not paid before it expired.")


@strawberry.type(
    description="A hosted payment form to share with the customer: they pay with a card on that page."
)
class PaymentLink(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer who pays.")
    amount: Money = strawberry.field(description="Amount to pay.")
    description: str | None = strawberry.field(description="What the payment is for (shown on the page).")
    status: PaymentLinkStatus = strawberry.field(description="Where it stands.")
    expires_time: datetime = strawberry.field(description="After this the page takes no payment.")
    transaction_ids: list[strawberry.ID] = strawberry.field(description="Payment attempts made through it.")
    created_time: datetime = strawberry.field(description="When it was made.")

    @strawberry.field(description="The page to share with the customer (contains the link's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/pay/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> PaymentLink:
        status = d["status"]
        if status == "OPEN" and d["expiresTime"] <= datetime.now(UTC):
            status = "EXPIRED"
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            amount=Money.from_minor(d["amountMinor"], d["currency"]),
            description=d.get("description"),
            status=PaymentLinkStatus[status],
            expires_time=d["expiresTime"],
            transaction_ids=[strawberry.ID(i) for i in d.get("transactionIds", ())],
            created_time=d["createdTime"],
        )


# ---------------------------------------------------------------------------------------------- collect


@strawberry.enum(description="How a payment is collected: the guide's three payment options.")
class PaymentOption(enum.Enum):
    PROCESS_WITH_INSTRUMENT = strawberry.enum_value(
        "PROCESS_WITH_INSTRUMENT",
        description="Charge a stored payment instrument (the customer's default unless one is chosen; "
        "on a decline, a backup instrument is tried).",
    )
    PAID_OUTSIDE = strawberry.enum_value(
        "PAID_OUTSIDE", description="Register a payment processed outside the gateway (no gateway call)."
    )
    HOSTED_FORM = strawberry.enum_value(
        "HOSTED_FORM", description="Make a hosted payment form link to share with the customer."
    )


@strawberry.enum(description="Method of a payment received outside the gateway.")
class OfflineMethod(enum.Enum):
    CASH = strawberry.enum_value("CASH", description="Cash.")
    CHECK = strawberry.enum_value("CHECK", description="A check.")
    BANK_TRANSFER = strawberry.enum_value("BANK_TRANSFER", description="A bank transfer.")
    OTHER = strawberry.enum_value("OTHER", description="Anything else.")


@strawberry.input(description="Details of a payment received outside the gateway.")
class PaidOutsideInput:
    method: OfflineMethod = strawberry.field(default=OfflineMethod.OTHER, description="How it was paid.")
    reference: str | None = strawberry.field(
        default=None, description="Check number, transfer reference or who received the cash (≤ 255)."
    )
    processed_time: datetime | None = strawberry.field(
        default=None, description="When it was paid (default: now); not in the future."
    )


@strawberry.input(description="The guide's *Collect or register a payment* form.")
class CustomerPaymentCollectInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer who pays.")
    amount: Decimal = strawberry.field(
        description='Amount in major units as a decimal string (`"10.50"`), > 0, with no more decimals than '
        "the currency has."
    )
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency.")
    description: str | None = strawberry.field(default=None, description="What the payment is for (≤ 255).")
    option: PaymentOption = strawberry.field(description="How to collect it.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="PROCESS_WITH_INSTRUMENT: the instrument to charge (default: the customer's default).",
    )
    gateway_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Gateway account to use (default: the oldest one accepting the currency)."
    )
    paid_outside: PaidOutsideInput | None = strawberry.field(
        default=None, description="PAID_OUTSIDE: the details."
    )
    link_expires_in_hours: int | None = strawberry.field(
        default=None,
        description="HOSTED_FORM: hours until the link expires, 1-720 "
        "(default: the `PAYMENT_LINK_HOURS` setting, 24).",
    )
    invoice_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Billing: the invoice this payment is for (same customer and currency, at most its amount "
        "due; PROCESS_WITH_INSTRUMENT or PAID_OUTSIDE). Paying an order's initial invoice activates the order.",
    )
    idempotency_key: str = strawberry.field(
        description="Your unique key for this payment (1-255 characters, e.g. a UUID). Retrying with "
        "the same key "
        "and input returns the first result and charges nothing twice; kept at least 24 hours."
    )


@strawberry.enum(description="Why a gateway did not approve a payment it was sent.")
class PaymentDeclineCode(enum.Enum):
    DECLINED = strawberry.enum_value("DECLINED", description="The gateway declined the payment.")
    GATEWAY_TIMEOUT = strawberry.enum_value(
        "GATEWAY_TIMEOUT", description="The gateway did not answer in time; the transaction is TIMEOUT."
    )


@strawberry.type(
    description="A payment that was sent to the gateway and not approved. The transaction is recorded "
    "(this is an outcome, not an input error)."
)
class PaymentDecline:
    code: PaymentDeclineCode = strawberry.field(description="Declined or timed out.")
    message: str = strawberry.field(description="The gateway's response code and message.")


@strawberry.type(description="Result of `customerPaymentCollect`.")
class CustomerPaymentCollectPayload:
    transaction: Transaction | None = strawberry.field(
        description="The sale (approved, declined or timed out) or registered payment; null when "
        "refused or for "
        "HOSTED_FORM."
    )
    attempts: list[Transaction] = strawberry.field(
        description="PROCESS_WITH_INSTRUMENT: every sale attempted, in order (a declined primary "
        "instrument, then "
        "backup instruments until one is approved); `transaction` is the last."
    )
    payment_link: PaymentLink | None = strawberry.field(description="HOSTED_FORM: the link to share.")
    decline: PaymentDecline | None = strawberry.field(
        default=None,
        description="PROCESS_WITH_INSTRUMENT: set when the last attempt was declined or timed out (the "
        "transaction and attempts are recorded); null when approved or not sent to a gateway.",
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; non-empty means nothing changed (declines are in `decline`)."
    )


# ---------------------------------------------------------------------------------------------- refunds


@strawberry.input(description="Refund one transaction, fully or partly.")
class TransactionRefundInput:
    transaction_id: strawberry.ID = strawberry.field(description="The sale to refund.")
    amount: Decimal | None = strawberry.field(
        default=None,
        description="Amount to refund (default: all that remains refundable). Before settlement only "
        "the whole amount, as a void.",
    )
    description: str | None = strawberry.field(default=None, description="Why (≤ 255).")
    idempotency_key: str = strawberry.field(description="Your unique key for this refund (1-255 characters).")


@strawberry.type(description="Result of `transactionRefund`.")
class TransactionRefundPayload:
    transaction: Transaction | None = strawberry.field(description="The original sale, after the refund.")
    refund: Transaction | None = strawberry.field(description="The new REFUND or VOID child transaction.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the refund was refused; empty on success."
    )


@strawberry.input(description="One transaction of a multi-refund.")
class TransactionsRefundItemInput:
    transaction_id: strawberry.ID = strawberry.field(description="The sale to refund.")
    amount: Decimal | None = strawberry.field(default=None, description="Amount (default: all that remains).")


@strawberry.input(description="Refund several transactions at once (the guide's *Refund selected items*).")
class TransactionsRefundInput:
    items: list[TransactionsRefundItemInput] = strawberry.field(
        description="1-50 transactions, each at most once."
    )
    description: str | None = strawberry.field(default=None, description="Why (≤ 255).")
    idempotency_key: str = strawberry.field(description="Your unique key for this batch (1-255 characters).")


@strawberry.type(description="The outcome for one transaction of `transactionsRefund`.")
class TransactionRefundResult:
    transaction_id: strawberry.ID = strawberry.field(description="The transaction as given.")
    transaction: Transaction | None = strawberry.field(description="The original sale, after the refund.")
    refund: Transaction | None = strawberry.field(description="The new REFUND or VOID; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why this one was refused (fields are paths from the input, e.g. `items.1.amount`)."
    )


@strawberry.type(description="Result of `transactionsRefund`: one result per item, in order.")
class TransactionsRefundPayload:
    results: list[TransactionRefundResult] = strawberry.field(description="Per transaction, in input order.")
    user_errors: list[UserError] = strawberry.field(description="Problems with the input as a whole.")
