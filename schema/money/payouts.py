"""Payouts (credit transactions) and payout requests made on a customer's behalf."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import strawberry

from schema.common import CurrencyCode, Money, Node, UserError
from schema.money.transactions import Transaction

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.input(
    description="The guide's *Send a payout* form: pays the customer with a CREDIT transaction."
)
class PayoutSendInput:
    customer_id: strawberry.ID = strawberry.field(description="The payee.")
    amount: Decimal = strawberry.field(description="Amount in major units (decimal string), > 0.")
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency.")
    request_id: str = strawberry.field(
        description="Your unique ID for this payout (≤ 50 of letters, digits, `-`, `_`), unique in "
                    "the organization: "
        "a second payout with the same request ID creates nothing."
    )
    description: str | None = strawberry.field(default=None, description="What it is for (≤ 255).")
    gateway_account_id: strawberry.ID | None = strawberry.field(
        default=None, description="Gateway account to use (default: the oldest one accepting the currency)."
    )
    payout_request_id: strawberry.ID | None = strawberry.field(
        default=None, description="The payout request this fulfils (same customer, amount and currency)."
    )
    idempotency_key: str = strawberry.field(description="Your unique key for this call (1-255 characters).")


@strawberry.type(description="Result of `payoutSend`.")
class PayoutSendPayload:
    transaction: Transaction | None = strawberry.field(
        description="The CREDIT transaction: the new one, or (with `alreadySent`) the earlier payout of this "
        "request ID."
    )
    already_sent: bool = strawberry.field(
        default=False,
        description="True when a payout with this `requestId` (same customer, amount and currency) was sent "
        "before: it is returned as `transaction` and nothing was paid now.",
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why nothing was paid; non-empty means nothing changed. Empty on success and for a replay."
    )


@strawberry.enum(description="Where a payout request stands.")
class PayoutRequestStatus(enum.Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for the customer to confirm on the shared page."
    )
    READY = strawberry.enum_value(
        "READY", description="Confirmed by the customer (card chosen); ready to pay out."
    )
    FULFILLED = strawberry.enum_value("FULFILLED", description="Paid out (see `transactionId`).")
    CANCELED = strawberry.enum_value("CANCELED", description="Canceled by the merchant.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not confirmed before the link expired.")


@strawberry.type(
    description="A customer's request to be paid out, made on their behalf, with a page to share."
)
class PayoutRequest(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer to be paid.")
    amount: Money = strawberry.field(description="Amount requested.")
    description: str | None = strawberry.field(description="What it is for.")
    status: PayoutRequestStatus = strawberry.field(description="Where it stands.")
    expires_time: datetime = strawberry.field(description="After this the shared page takes no confirmation.")
    card_last4: str | None = strawberry.field(description="Last four digits of the card the customer chose.")
    transaction_id: strawberry.ID | None = strawberry.field(
        description="The CREDIT transaction that fulfilled it."
    )
    cancellation_reason: str | None = strawberry.field(description="Why it was canceled.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    @strawberry.field(
        description="The page to share with the customer (contains the request's secret token)."
    )
    def url(self, info: Info) -> str:
        return info.context.link_url("/payout-requests/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> PayoutRequest:
        status = d["status"]
        if status == "PENDING" and d["expiresTime"] <= datetime.now(UTC):
            status = "EXPIRED"
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            amount=Money.from_minor(d["amountMinor"], d["currency"]),
            description=d.get("description"),
            status=PayoutRequestStatus[status],
            expires_time=d["expiresTime"],
            card_last4=d.get("cardLast4"),
            transaction_id=strawberry.ID(d["transactionId"]) if d.get("transactionId") else None,
            cancellation_reason=d.get("cancellationReason"),
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="The guide's *Request a payout*: a payout request on the customer's behalf.")
class PayoutRequestCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer to be paid.")
    amount: Decimal = strawberry.field(description="Amount in major units (decimal string), > 0.")
    currency: CurrencyCode = strawberry.field(description="ISO 4217 currency.")
    description: str | None = strawberry.field(default=None, description="What it is for (≤ 255).")
    expires_in_hours: int | None = strawberry.field(
        default=None, description="Hours the shared page stays valid, 1-720 (default 24)."
    )


@strawberry.type(description="Result of `payoutRequestCreate`.")
class PayoutRequestCreatePayload:
    payout_request: PayoutRequest | None = strawberry.field(description="The new request; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.input(description="Cancel a payout request that is not fulfilled.")
class PayoutRequestCancelInput:
    id: strawberry.ID = strawberry.field(description="The payout request.")
    reason: str | None = strawberry.field(default=None, description="Why (≤ 255).")


@strawberry.type(description="Result of `payoutRequestCancel`.")
class PayoutRequestCancelPayload:
    payout_request: PayoutRequest | None = strawberry.field(description="The request after the change.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty on success.")
