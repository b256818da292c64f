"""Shipping rate tables per website (the reference's shipping rates) and the calculated shipping of an
order: the contract of `shippingRates`, `shippingRateCreate/Update/Delete` and `OrderCreateInput.calculatedShipping`."""

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
    from schema.customers.customers import AddressInput

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="How shipping is priced on an order and its invoices.")
class ShippingCalculator(enum.Enum):
    MANUAL = strawberry.enum_value("MANUAL", description="An amount given on the order (or edited on the invoice).")
    CALCULATED = strawberry.enum_value(
        "CALCULATED", description="From the website's shipping rate table (the guide's *Rebilly* option)."
    )


@strawberry.type(description="Where calculated shipping was priced to: the delivery address's country and region.")
class ShippingDestination:
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code.")
    region: str | None = strawberry.field(description="Region, state or province.")


@strawberry.type(description="How an order's (or an invoice's) shipping is priced.")
class OrderShipping:
    calculator: ShippingCalculator = strawberry.field(description="How it is priced.")
    amount: Money = strawberry.field(description="Shipping per invoice.")
    rate_id: strawberry.ID | None = strawberry.field(description="CALCULATED: the shipping rate used.")
    rate_name: str | None = strawberry.field(description="CALCULATED: the rate's name when it was chosen.")
    destination: ShippingDestination | None = strawberry.field(
        description="CALCULATED: the delivery country and region the rate was chosen for."
    )

    @strawberry.field(description="CALCULATED: the rate as it is now (null once deleted; `amount` stays).")
    async def rate(self, info: Info) -> ShippingRate | None:
        if self.rate_id is None:
            return None
        return await info.context.loaders.shipping_rate_by_id.load(str(self.rate_id))

    @classmethod
    def from_doc(cls, d: dict[str, Any], currency: str) -> OrderShipping:
        dest = d.get("destination")
        return cls(
            calculator=ShippingCalculator[d["calculator"]], amount=Money.from_minor(d["amountMinor"], currency),
            rate_id=d.get("rateId"), rate_name=d.get("rateName"),
            destination=ShippingDestination(country=dest.get("country"), region=dest.get("region")) if dest else None,
        )


@strawberry.type(
    description="One rate of a website's shipping rate table: a price in one currency and the conditions under "
    "which an order may use it. An order with calculated shipping takes the cheapest rate whose conditions "
    "all hold (or the rate it names, if that one applies)."
)
class ShippingRate(Node):
    website_id: strawberry.ID = strawberry.field(description="The website whose table it belongs to.")
    name: str = strawberry.field(description="Name shown on the order and its invoices, e.g. `Standard`.")
    price: Money = strawberry.field(description="Shipping charged on each invoice of an order that uses it.")
    min_subtotal: Money | None = strawberry.field(
        description="Applies only to orders whose items subtotal is at least this (inclusive); null: no minimum."
    )
    max_subtotal: Money | None = strawberry.field(
        description="Applies only to orders whose items subtotal is at most this (inclusive); null: no maximum."
    )
    countries: list[str] = strawberry.field(
        description="ISO 3166-1 alpha-2 codes of the delivery countries it serves; empty: every country."
    )
    regions: list[str] = strawberry.field(
        description="Regions (states, provinces) it serves, compared with the delivery address's region without "
        "regard to case; empty: every region."
    )
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> ShippingRate:
        cur = d["currency"]
        low, high = d.get("minSubtotalMinor"), d.get("maxSubtotalMinor")
        return cls(
            id=d["id"], website_id=d["websiteId"], name=d["name"], price=Money.from_minor(d["priceMinor"], cur),
            min_subtotal=Money.from_minor(low, cur) if low is not None else None,
            max_subtotal=Money.from_minor(high, cur) if high is not None else None,
            countries=list(d.get("countries") or ()), regions=list(d.get("regions") or ()),
            revision=d["revision"], created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


@strawberry.input(description="Add a rate to a website's shipping rate table.")
class ShippingRateCreateInput:
    website_id: strawberry.ID = strawberry.field(description="The website (`web_…`).")
    name: str = strawberry.field(description="Name, 1–100 characters.")
    price: Decimal = strawberry.field(description="Shipping per invoice (≥ 0; 0 is free shipping).")
    currency: CurrencyCode = strawberry.field(description="Currency of the price and the subtotal bounds.")
    min_subtotal: Decimal | None = strawberry.field(default=None, description="Minimum items subtotal (≥ 0).")
    max_subtotal: Decimal | None = strawberry.field(
        default=None, description="Maximum items subtotal (≥ the minimum)."
    )
    countries: list[str] | None = strawberry.field(
        default=None, description="Delivery countries (ISO 3166-1 alpha-2, ≤ 250); absent or empty: every country."
    )
    regions: list[str] | None = strawberry.field(
        default=None, description="Delivery regions (each ≤ 45, ≤ 100); absent or empty: every region."
    )


@strawberry.input(description="Edit a shipping rate; absent fields stay as they are. The currency and website "
                  "cannot change (delete the rate and add another).")
class ShippingRateUpdateInput:
    shipping_rate_id: strawberry.ID = strawberry.field(description="The rate (`ship_rate_…`).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    name: Maybe[str | None] = strawberry.field(default=None, description="New name (null: refused, a rate needs one).")
    price: Maybe[Decimal | None] = strawberry.field(default=None, description="New price (null: refused).")
    min_subtotal: Maybe[Decimal | None] = strawberry.field(default=None, description="New minimum; null: none.")
    max_subtotal: Maybe[Decimal | None] = strawberry.field(default=None, description="New maximum; null: none.")
    countries: Maybe[list[str] | None] = strawberry.field(
        default=None, description="New countries; null or empty: every country."
    )
    regions: Maybe[list[str] | None] = strawberry.field(default=None, description="New regions; null or empty: every region.")


@strawberry.input(description="Delete a shipping rate. Orders that used it keep the price and name they were made with.")
class ShippingRateDeleteInput:
    shipping_rate_id: strawberry.ID = strawberry.field(description="The rate (`ship_rate_…`).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.type(description="Result of `shippingRateCreate` and `shippingRateUpdate`.")
class ShippingRatePayload:
    shipping_rate: ShippingRate | None = strawberry.field(description="The rate afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing changed).")


@strawberry.type(description="Result of `shippingRateDelete`.")
class ShippingRateDeletePayload:
    deleted_shipping_rate_id: strawberry.ID | None = strawberry.field(description="The rate deleted; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing changed).")


@strawberry.input(
    description="Calculated shipping for a new order (the guide's *Shipping: Rebilly* option): priced from the "
    "order's website's shipping rate table. At least one item's product must require shipping."
)
class CalculatedShippingInput:
    rate_id: strawberry.ID | None = strawberry.field(
        default=None, description="Use this rate (it must apply to the order); absent: the cheapest rate that applies."
    )
    delivery_address: Annotated[AddressInput, strawberry.lazy("schema.customers.customers")] | None = strawberry.field(
        default=None, description="Where the order ships (its country and region choose the rates); absent: the "
        "customer's primary address."
    )
