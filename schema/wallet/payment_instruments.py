"""Payment instruments: cards, bank accounts and other methods vaulted for a customer."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, NewType

import strawberry
from graphql import GraphQLError, StringValueNode, ValueNode

from schema.common import Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.customers.customers import Customer

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


def _sensitive_value(value: object) -> str:
    if not isinstance(value, str):
        raise GraphQLError("must be a string (the value given is not repeated here)")
    return value


def _sensitive_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> str:
    if not isinstance(node, StringValueNode):
        raise GraphQLError("must be a string (the value given is not repeated here)")
    return node.value


# Card numbers, CVVs and bank account numbers: a string type whose errors never repeat the value
# (the built-in String's do, e.g. "String cannot represent a non string value: 4111…"), and which
# is never serialised back. Registered through `SCALARS` in the schema's `scalar_map`.
SensitiveString = NewType("SensitiveString", str)

SCALARS: dict[object, Any] = {
    SensitiveString: strawberry.scalar(
        name="SensitiveString",
        description="A secret string (card number, CVV, account number): accepted in inputs, never returned, "
        "never repeated in errors.",
        serialize=lambda value: "[redacted]",
        parse_value=_sensitive_value,
        parse_literal=_sensitive_literal,
    )
}


@strawberry.enum(description="Kind of payment instrument.")
class PaymentMethod(enum.Enum):
    PAYMENT_CARD = strawberry.enum_value("PAYMENT_CARD", description="A credit or debit card.")
    BANK_ACCOUNT = strawberry.enum_value(
        "BANK_ACCOUNT", description="A bank account (BBAN with routing number, or IBAN)."
    )
    OTHER = strawberry.enum_value(
        "OTHER", description="Any other method (digital wallet, alternative method) named by `methodName`."
    )


@strawberry.enum(description="Where an instrument stands.")
class PaymentInstrumentStatus(enum.Enum):
    INACTIVE = strawberry.enum_value("INACTIVE", description="New card with no approved payment yet.")
    ACTIVE = strawberry.enum_value(
        "ACTIVE", description="Usable; a card is ACTIVE after its first approved payment."
    )
    EXPIRED = strawberry.enum_value(
        "EXPIRED", description="The card's expiry month has passed (derived when read)."
    )
    DEACTIVATED = strawberry.enum_value("DEACTIVATED", description="Withdrawn from use; final, no payments.")


@strawberry.enum(description="Card brand, from the number's BIN range.")
class CardBrand(enum.Enum):
    VISA = strawberry.enum_value("VISA", description="Visa.")
    MASTERCARD = strawberry.enum_value("MASTERCARD", description="Mastercard.")
    AMERICAN_EXPRESS = strawberry.enum_value("AMERICAN_EXPRESS", description="American Express.")
    DISCOVER = strawberry.enum_value("DISCOVER", description="Discover.")
    JCB = strawberry.enum_value("JCB", description="JCB.")
    DINERS_CLUB = strawberry.enum_value("DINERS_CLUB", description="Diners Club.")
    UNIONPAY = strawberry.enum_value("UNIONPAY", description="China UnionPay.")
    MAESTRO = strawberry.enum_value("MAESTRO", description="Maestro.")


@strawberry.enum(description="How a bank account number is written.")
class BankAccountNumberType(enum.Enum):
    BBAN = strawberry.enum_value(
        "BBAN", description="Domestic account number with a routing number (digits)."
    )
    IBAN = strawberry.enum_value("IBAN", description="International Bank Account Number.")


@strawberry.enum(description="Kind of bank account.")
class BankAccountType(enum.Enum):
    CHECKING = strawberry.enum_value("CHECKING", description="Checking (current) account.")
    SAVINGS = strawberry.enum_value("SAVINGS", description="Savings account.")
    OTHER = strawberry.enum_value("OTHER", description="Any other kind.")


@strawberry.type(description="The name and postal address on an instrument.")
class BillingAddress:
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    organization: str | None = strawberry.field(description="Organization.")
    line1: str | None = strawberry.field(description="Address line 1.")
    line2: str | None = strawberry.field(description="Address line 2.")
    city: str | None = strawberry.field(description="City.")
    region: str | None = strawberry.field(description="Region, state or province.")
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> BillingAddress:
        return cls(
            first_name=d.get("firstName"),
            last_name=d.get("lastName"),
            organization=d.get("organization"),
            line1=d.get("line1"),
            line2=d.get("line2"),
            city=d.get("city"),
            region=d.get("region"),
            country=d.get("country"),
            postal_code=d.get("postalCode"),
        )


@strawberry.type(description="What is kept of a card: never the number or CVV.")
class PaymentCardDetails:
    brand: CardBrand = strawberry.field(description="Brand, from the BIN.")
    bin: str = strawberry.field(description="First 6 digits of the number.")
    last4: str = strawberry.field(description="Last 4 digits of the number.")
    exp_month: int = strawberry.field(description="Expiry month, 1-12.")
    exp_year: int = strawberry.field(description="Expiry year, 4 digits.")


@strawberry.type(description="What is kept of a bank account: never the full account number.")
class BankAccountDetails:
    account_holder: str = strawberry.field(description="Name of the account holder.")
    account_number_type: BankAccountNumberType = strawberry.field(description="BBAN or IBAN.")
    last4: str = strawberry.field(description="Last 4 characters of the account number or IBAN.")
    routing_number: str | None = strawberry.field(description="Routing number (BBAN accounts).")
    bic: str | None = strawberry.field(description="BIC (SWIFT code), given or derived from the IBAN.")
    account_type: BankAccountType = strawberry.field(description="Checking, savings or other.")
    bank_name: str | None = strawberry.field(description="Bank name, given or derived from the IBAN.")
    country: str | None = strawberry.field(description="Country of the IBAN.")


@strawberry.type(description="Another method: a digital wallet or alternative method.")
class OtherInstrumentDetails:
    method_name: str = strawberry.field(description="The method, e.g. `PayPal`, `SEPA`, `cash`.")
    account_reference: str | None = strawberry.field(
        description="The account at that method (e.g. a wallet id)."
    )


@strawberry.type(description="A stored way to pay, belonging to one customer.")
class PaymentInstrument(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer it belongs to.")
    method: PaymentMethod = strawberry.field(description="Card, bank account or other.")
    status: PaymentInstrumentStatus = strawberry.field(
        description="INACTIVE, ACTIVE, EXPIRED or DEACTIVATED."
    )
    summary: str = strawberry.field(description="Short display text, e.g. `Visa •••• 4242`.")
    use_as_backup: bool = strawberry.field(
        description="May be used as a backup method when the primary instrument is declined."
    )
    billing_address: BillingAddress | None = strawberry.field(
        description="Name and address on the instrument."
    )
    sticky_gateway_account_id: str | None = strawberry.field(
        description="Gateway account that future payments with this instrument are routed to."
    )
    fingerprint: str | None = strawberry.field(
        description="Keyed hash of the card or account number: the same card gives the same fingerprint "
        "across this organization's customers. Copy it to search or blocklist."
    )
    card: PaymentCardDetails | None = strawberry.field(description="Card details (PAYMENT_CARD only).")
    bank_account: BankAccountDetails | None = strawberry.field(
        description="Bank details (BANK_ACCOUNT only)."
    )
    other: OtherInstrumentDetails | None = strawberry.field(description="Method details (OTHER only).")
    created_time: datetime = strawberry.field(description="When it was added.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    deactivated_time: datetime | None = strawberry.field(description="When it was deactivated.")
    revision: int = strawberry.field(
        description="Increases with every change; pass it as `expectedRevision`."
    )
    _block_values: strawberry.Private[dict[str, list[str]]]

    @strawberry.field(description="The customer it belongs to.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None:
        return await info.context.loaders.customer_by_id.load(str(self.customer_id))

    @strawberry.field(
        description="True when a blocklist entry in force matches this instrument (its id, fingerprint, BIN) "
        "or its customer's id."
    )
    async def is_blocked(self, info: Info) -> bool:
        values = {**self._block_values, "CUSTOMER_ID": [str(self.customer_id)]}
        return await info.context.is_blocked(values)

    @classmethod
    def from_doc(cls, d: dict[str, Any], now: datetime | None = None) -> PaymentInstrument:
        now = now or datetime.now(UTC)
        card, bank, other = d.get("card"), d.get("bankAccount"), d.get("other")
        status = str(d["status"])
        if status != "DEACTIVATED" and card and (card["expYear"], card["expMonth"]) < (now.year, now.month):
            status = "EXPIRED"
        block: dict[str, list[str]] = {}
        if d.get("fingerprint"):
            block["FINGERPRINT"] = [d["fingerprint"]]
        if card:
            block["BIN"] = [card["bin"]]
            block["PAYMENT_CARD"] = [d["id"]]
        if bank:
            block["BANK_ACCOUNT"] = [d["id"]]
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            method=PaymentMethod[d["method"]],
            status=PaymentInstrumentStatus[status],
            summary=d.get("summary", ""),
            use_as_backup=bool(d.get("useAsBackup")),
            billing_address=BillingAddress.from_doc(d["billingAddress"]) if d.get("billingAddress") else None,
            sticky_gateway_account_id=d.get("stickyGatewayAccountId"),
            fingerprint=d.get("fingerprint"),
            card=PaymentCardDetails(
                brand=CardBrand[card["brand"]],
                bin=card["bin"],
                last4=card["last4"],
                exp_month=card["expMonth"],
                exp_year=card["expYear"],
            )
            if card
            else None,
            bank_account=BankAccountDetails(
                account_holder=bank["accountHolder"],
                account_number_type=BankAccountNumberType[bank["accountNumberType"]],
                last4=bank["last4"],
                routing_number=bank.get("routingNumber"),
                bic=bank.get("bic"),
                account_type=BankAccountType[bank["accountType"]],
                bank_name=bank.get("bankName"),
                country=bank.get("country"),
            )
            if bank
            else None,
            other=OtherInstrumentDetails(
                method_name=other["methodName"], account_reference=other.get("accountReference")
            )
            if other
            else None,
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            deactivated_time=d.get("deactivatedTime"),
            revision=d["revision"],
            _block_values=block,
        )


# ---------------------------------------------------------------------------------------------- inputs


@strawberry.input(description="Name and postal address on an instrument. Every field is optional.")
class BillingAddressInput:
    first_name: str | None = strawberry.field(default=None, description="First name (≤ 45).")
    last_name: str | None = strawberry.field(default=None, description="Last name (≤ 45).")
    organization: str | None = strawberry.field(default=None, description="Organization (≤ 255).")
    line1: str | None = strawberry.field(default=None, description="Address line 1 (≤ 60).")
    line2: str | None = strawberry.field(default=None, description="Address line 2 (≤ 60).")
    city: str | None = strawberry.field(default=None, description="City (≤ 45).")
    region: str | None = strawberry.field(default=None, description="Region, state or province (≤ 45).")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code, e.g. `DE`.")
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code (≤ 10).")


@strawberry.input(
    description="A card, entered once: the number and CVV are checked, then only brand, BIN, "
    "last 4, expiry and a fingerprint are kept."
)
class PaymentCardInput:
    number: SensitiveString = strawberry.field(
        description="Card number (12-19 digits; spaces and dashes are ignored)."
    )
    exp_month: int = strawberry.field(description="Expiry month, 1-12.")
    exp_year: int = strawberry.field(description="Expiry year, 4 digits; month and year not in the past.")
    cvv: SensitiveString | None = strawberry.field(
        default=None, description="Security code, 3 digits (4 for American Express); checked, never stored."
    )


@strawberry.input(description="A bank account: BBAN (account + routing number) or IBAN (+ optional BIC).")
class BankAccountInput:
    account_holder: str = strawberry.field(description="Name of the account holder (≤ 255).")
    account_number_type: BankAccountNumberType = strawberry.field(
        default=BankAccountNumberType.BBAN, description="BBAN (default) or IBAN."
    )
    account_number: SensitiveString = strawberry.field(
        description="BBAN: 4-17 digits. IBAN: the IBAN (checked). Never stored whole."
    )
    routing_number: str | None = strawberry.field(
        default=None, description="BBAN: 9-digit ABA routing number (required)."
    )
    bic: str | None = strawberry.field(
        default=None, description="IBAN: the BIC; derived from the IBAN when absent."
    )
    account_type: BankAccountType = strawberry.field(
        default=BankAccountType.CHECKING, description="Kind of account."
    )
    bank_name: str | None = strawberry.field(
        default=None, description="Bank name (≤ 255); derived from an IBAN when absent."
    )


@strawberry.input(description="Another method: a digital wallet or alternative method.")
class OtherInstrumentInput:
    method_name: str = strawberry.field(description="The method, e.g. `PayPal`, `SEPA`, `cash` (≤ 50).")
    account_reference: str | None = strawberry.field(
        default=None, description="The account at that method (≤ 255)."
    )


@strawberry.input(
    description="The *Default payment instrument* part of the guide's *Add a customer* form: "
    "exactly one of `card`, `bankAccount`, `other`."
)
class PaymentInstrumentDetailsInput:
    card: PaymentCardInput | None = strawberry.field(default=None, description="A payment card.")
    bank_account: BankAccountInput | None = strawberry.field(default=None, description="A bank account.")
    other: OtherInstrumentInput | None = strawberry.field(default=None, description="Another method.")
    billing_address: BillingAddressInput | None = strawberry.field(
        default=None,
        description="Name and address on the instrument; the customer's name and address when absent.",
    )
    use_as_backup: bool = strawberry.field(
        default=False, description="*Allow use as a backup method* when the primary instrument is declined."
    )


@strawberry.input(
    description="The guide's *Add a payment instrument*: exactly one of `card`, `bankAccount`, `other`."
)
class PaymentInstrumentAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer to add it to.")
    card: PaymentCardInput | None = strawberry.field(default=None, description="A payment card.")
    bank_account: BankAccountInput | None = strawberry.field(default=None, description="A bank account.")
    other: OtherInstrumentInput | None = strawberry.field(default=None, description="Another method.")
    billing_address: BillingAddressInput | None = strawberry.field(
        default=None,
        description="Name and address on the instrument; the customer's name and address when absent.",
    )
    use_as_backup: bool = strawberry.field(
        default=False, description="*Allow use as a backup method* when the primary instrument is declined."
    )
    make_default: bool = strawberry.field(
        default=False,
        description="Also make it the customer's default (it becomes default anyway when there is none).",
    )


@strawberry.input(description="Which instrument to make the customer's default (*Set as primary*).")
class PaymentInstrumentSetDefaultInput:
    id: strawberry.ID = strawberry.field(description="The instrument; not deactivated or expired.")


@strawberry.input(description="The *Use as backup* checkbox.")
class PaymentInstrumentBackupSetInput:
    id: strawberry.ID = strawberry.field(description="The instrument.")
    use_as_backup: bool = strawberry.field(description="True: may be used as a backup method.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless at this revision."
    )


@strawberry.input(description="Which instrument to deactivate (final).")
class PaymentInstrumentDeactivateInput:
    id: strawberry.ID = strawberry.field(description="The instrument.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless at this revision."
    )


@strawberry.input(description="A card's new expiry (*Update exp*).")
class PaymentInstrumentExpiryUpdateInput:
    id: strawberry.ID = strawberry.field(description="The card.")
    exp_month: int = strawberry.field(description="Expiry month, 1-12.")
    exp_year: int = strawberry.field(description="Expiry year, 4 digits; not in the past.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless at this revision."
    )


@strawberry.input(
    description="An instrument's new billing address (*Edit address*); replaces the whole address."
)
class PaymentInstrumentBillingAddressUpdateInput:
    id: strawberry.ID = strawberry.field(description="The instrument.")
    billing_address: BillingAddressInput = strawberry.field(description="The new name and address.")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless at this revision."
    )


@strawberry.input(description="An instrument's sticky gateway account (*Update sticky gateway*).")
class PaymentInstrumentStickyGatewayUpdateInput:
    id: strawberry.ID = strawberry.field(description="The instrument.")
    sticky_gateway_account_id: str | None = strawberry.field(
        description="Gateway account reference (≤ 50); null clears it."
    )
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless at this revision."
    )


# ---------------------------------------------------------------------------------------------- payloads


@strawberry.type(description="Result of `paymentInstrumentAdd`.")
class PaymentInstrumentAddPayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(
        description="The new instrument; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentSetDefault`.")
class PaymentInstrumentSetDefaultPayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(
        description="The new default; null when refused."
    )
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentBackupSet`.")
class PaymentInstrumentBackupSetPayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(description="The instrument afterwards.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentDeactivate`.")
class PaymentInstrumentDeactivatePayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(description="The instrument afterwards.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentExpiryUpdate`.")
class PaymentInstrumentExpiryUpdatePayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(description="The card afterwards.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentBillingAddressUpdate`.")
class PaymentInstrumentBillingAddressUpdatePayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(description="The instrument afterwards.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `paymentInstrumentStickyGatewayUpdate`.")
class PaymentInstrumentStickyGatewayUpdatePayload:
    payment_instrument: PaymentInstrument | None = strawberry.field(description="The instrument afterwards.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
