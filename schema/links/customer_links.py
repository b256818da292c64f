"""Billing portals and the links given to one customer: *Generate billing portal link* and *Set up a
payment instrument*."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import strawberry

from schema.common import CurrencyCode, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Whether a billing portal's links open.")
class BillingPortalStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Its links open.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="Its links answer 404 and no new ones are made.")


@strawberry.type(description="What a billing portal lets the customer do.")
class BillingPortalFeatures:
    payment_instrument_add: bool = strawberry.field(description="Add a payment card.")
    address_edit: bool = strawberry.field(description="Update the billing address.")
    order_cancel: bool = strawberry.field(description="Cancel an active subscription at the end of its period.")


@strawberry.input(description="What a billing portal lets the customer do (each default true).")
class BillingPortalFeaturesInput:
    payment_instrument_add: bool = strawberry.field(default=True, description="Add a payment card.")
    address_edit: bool = strawberry.field(default=True, description="Update the billing address.")
    order_cancel: bool = strawberry.field(
        default=True, description="Cancel an active subscription at the end of its period."
    )


@strawberry.type(description="A hosted self-service portal configuration of one website.")
class BillingPortal(Node):
    website_id: strawberry.ID = strawberry.field(description="The website it belongs to.")
    name: str = strawberry.field(description="Internal name (not shown to customers).")
    slug: str = strawberry.field(description="Unique in the organization (5-100 of a-z, 0-9, `-`).")
    features: BillingPortalFeatures = strawberry.field(description="What customers can do on it.")
    primary_color: str = strawberry.field(description="Hex colour of its buttons (6 digits, no `#`).")
    status: BillingPortalStatus = strawberry.field(description="Whether its links open.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> BillingPortal:
        f = d["features"]
        return cls(
            id=strawberry.ID(d["id"]),
            website_id=strawberry.ID(d["websiteId"]),
            name=d["name"],
            slug=d["slug"],
            features=BillingPortalFeatures(
                payment_instrument_add=f["paymentInstrumentAdd"], address_edit=f["addressEdit"],
                order_cancel=f.get("orderCancel", True),  # portals made before it: the reference's default
            ),
            primary_color=d["primaryColor"],
            status=BillingPortalStatus[d["status"]],
            created_time=d["createdTime"],
            updated_time=d["updatedTime"],
            revision=d["revision"],
        )


@strawberry.input(description="A new billing portal.")
class BillingPortalCreateInput:
    website_id: strawberry.ID = strawberry.field(description="The website it belongs to.")
    name: str = strawberry.field(description="Internal name (≤ 100).")
    slug: str = strawberry.field(description="5-100 of a-z, 0-9, `-`; unique in the organization.")
    features: BillingPortalFeaturesInput | None = strawberry.field(default=None, description="Default: everything on.")
    primary_color: str = strawberry.field(default="0044d4", description="Hex colour of its buttons (6 digits).")


@strawberry.input(description="Rename, (de)activate or change the features of a billing portal (fields left out stay).")
class BillingPortalUpdateInput:
    id: strawberry.ID = strawberry.field(description="The portal.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since.")
    name: str | None = strawberry.field(default=None, description="New name (≤ 100).")
    status: BillingPortalStatus | None = strawberry.field(default=None, description="ACTIVE or INACTIVE.")
    features: BillingPortalFeaturesInput | None = strawberry.field(default=None, description="Replaces the features.")


@strawberry.type(description="Result of `billingPortalCreate` / `billingPortalUpdate`.")
class BillingPortalPayload:
    billing_portal: BillingPortal | None = strawberry.field(description="The portal; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.enum(description="Where a customer link stands.")
class CustomerLinkStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Opens and takes changes until it expires.")
    USED = strawberry.enum_value("USED", description="A one-time link that did its job (set-up links).")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Past its expiry: the page refuses every change.")


def _status(d: dict[str, Any]) -> CustomerLinkStatus:
    if d["status"] == "ACTIVE" and d["expiresTime"] <= datetime.now(UTC):
        return CustomerLinkStatus.EXPIRED
    return CustomerLinkStatus[d["status"]]


@strawberry.type(description="A one-time link where the customer adds a payment card (*Set up a payment instrument*).")
class InstrumentSetupLink(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer; the link works for no one else.")
    currency: CurrencyCode = strawberry.field(description="Currency the instrument is set up for.")
    status: CustomerLinkStatus = strawberry.field(description="Where it stands.")
    expires_time: datetime = strawberry.field(description="After this the page refuses.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(description="The card the customer added.")
    redirect_url: str | None = strawberry.field(description="Where the customer goes afterwards.")
    created_time: datetime = strawberry.field(description="When it was made.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="The page to share with the customer (holds the link's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/setup/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> InstrumentSetupLink:
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            currency=CurrencyCode[d["currency"]],
            status=_status(d),
            expires_time=d["expiresTime"],
            payment_instrument_id=strawberry.ID(d["paymentInstrumentId"]) if d.get("paymentInstrumentId") else None,
            redirect_url=d.get("redirectUrl"),
            created_time=d["createdTime"],
            revision=d["revision"],
        )


@strawberry.type(description="A customer's session link to a billing portal (*Generate billing portal link*).")
class BillingPortalLink(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer; the link works for no one else.")
    billing_portal_id: strawberry.ID = strawberry.field(description="The portal it opens.")
    status: CustomerLinkStatus = strawberry.field(description="ACTIVE until it expires.")
    expires_time: datetime = strawberry.field(description="After this the page refuses.")
    changes: int = strawberry.field(description="How many changes the customer made through it.")
    created_time: datetime = strawberry.field(description="When it was made.")
    revision: int = strawberry.field(description="Increases by one with every change.")

    @strawberry.field(description="The page to share with the customer (holds the link's secret token).")
    def url(self, info: Info) -> str:
        return info.context.link_url("/portal/", str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> BillingPortalLink:
        return cls(
            id=strawberry.ID(d["id"]),
            customer_id=strawberry.ID(d["customerId"]),
            billing_portal_id=strawberry.ID(d["billingPortalId"]),
            status=_status(d),
            expires_time=d["expiresTime"],
            changes=len(d.get("changes", [])),
            created_time=d["createdTime"],
            revision=d["revision"],
        )


@strawberry.input(description="The guide's *Set up a payment instrument*.")
class PaymentInstrumentSetupLinkCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    currency: CurrencyCode = strawberry.field(
        description="Currency of the instrument; a gateway account must accept it."
    )
    expires_in_hours: int = strawberry.field(default=24, description="Hours the link stays valid, 1-168.")
    redirect_url: str | None = strawberry.field(default=None, description="Where the customer goes afterwards.")


@strawberry.type(description="Result of `paymentInstrumentSetupLinkCreate`.")
class PaymentInstrumentSetupLinkCreatePayload:
    setup_link: InstrumentSetupLink | None = strawberry.field(description="The link; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


@strawberry.input(description="The guide's *Generate billing portal link*.")
class BillingPortalLinkCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    billing_portal_id: strawberry.ID = strawberry.field(description="An active portal of the customer's organization.")
    expires_in_hours: int = strawberry.field(default=1, description="Hours the link stays valid, 1-72.")


@strawberry.type(description="Result of `billingPortalLinkCreate`.")
class BillingPortalLinkCreatePayload:
    billing_portal_link: BillingPortalLink | None = strawberry.field(description="The link; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
