"""Tax ID numbers of a customer (printed on invoices): a short list with exactly one default."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import UserError

if TYPE_CHECKING:
    from schema.customers.customers import Customer


@strawberry.enum(
    description="Kind of tax ID. Known kinds are checked (format and check digits) with python-stdnum."
)
class TaxIdType(enum.Enum):
    EU_VAT = strawberry.enum_value(
        "EU_VAT", description="EU VAT number with its country prefix, e.g. `DE136695976`."
    )
    GB_VAT = strawberry.enum_value("GB_VAT", description="UK VAT registration number.")
    CH_VAT = strawberry.enum_value("CH_VAT", description="Swiss VAT number (`CHE-…`).")
    NO_VAT = strawberry.enum_value("NO_VAT", description="Norwegian VAT number (MVA).")
    US_EIN = strawberry.enum_value("US_EIN", description="US Employer Identification Number.")
    CA_BN = strawberry.enum_value("CA_BN", description="Canadian Business Number.")
    AU_ABN = strawberry.enum_value("AU_ABN", description="Australian Business Number.")
    IN_GSTIN = strawberry.enum_value("IN_GSTIN", description="Indian GST identification number.")
    BR_CNPJ = strawberry.enum_value("BR_CNPJ", description="Brazilian company number (CNPJ).")
    MX_RFC = strawberry.enum_value("MX_RFC", description="Mexican tax number (RFC).")
    OTHER = strawberry.enum_value("OTHER", description="Any other kind: free text (≤ 64), not checked.")


@strawberry.type(description="One of the customer's tax ID numbers.")
class TaxId:
    type: TaxIdType = strawberry.field(description="Kind of number.")
    value: str = strawberry.field(
        description="The number, normalised (no spaces or separators for checked kinds)."
    )
    is_default: bool = strawberry.field(
        description="The number printed on invoices; exactly one is the default."
    )

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> TaxId:
        return cls(type=TaxIdType[d["type"]], value=d["value"], is_default=bool(d.get("isDefault")))


@strawberry.input(description="A tax ID number to add to a customer.")
class CustomerTaxIdAddInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    type: TaxIdType = strawberry.field(description="Kind of number.")
    value: str = strawberry.field(description="The number; checked for known kinds.")
    is_default: bool = strawberry.field(
        default=False, description="Make it the default (the first number is the default anyway)."
    )
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless the customer is at this revision."
    )


@strawberry.input(description="A tax ID number of a customer, by type and value.")
class CustomerTaxIdInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    type: TaxIdType = strawberry.field(description="Kind of number.")
    value: str = strawberry.field(description="The number (any spacing; compared normalised).")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless the customer is at this revision."
    )


@strawberry.type(description="Result of `customerTaxIdAdd`.")
class CustomerTaxIdAddPayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `customerTaxIdDelete`.")
class CustomerTaxIdDeletePayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `customerTaxIdSetDefault`.")
class CustomerTaxIdSetDefaultPayload:
    customer: Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        description="The customer afterwards; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
