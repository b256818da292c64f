"""Coupons (discount codes with restrictions) and their redemptions by customers (reference §22)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe

from schema.billing.invoices import EmailMessage
from schema.common import CurrencyCode, Money, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="How a coupon discounts.")
class CouponDiscountType(enum.Enum):
    FIXED = strawberry.enum_value("FIXED", description="A fixed amount in one currency.")
    PERCENT = strawberry.enum_value("PERCENT", description="A percentage (0.01–100).")


@strawberry.enum(description="What a coupon discounts.")
class CouponDiscountContext(enum.Enum):
    ITEMS = strawberry.enum_value("ITEMS", description="The items (the default).")
    SHIPPING = strawberry.enum_value("SHIPPING", description="The shipping amount.")
    ITEMS_AND_SHIPPING = strawberry.enum_value("ITEMS_AND_SHIPPING", description="Items and shipping.")


@strawberry.enum(description="Where a coupon stands (computed from its times when read).")
class CouponStatus(enum.Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="Its issued time is still to come: not redeemable yet.")
    ISSUED = strawberry.enum_value("ISSUED", description="Valid: redeemable and applied to eligible orders.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Past its expired time: no longer redeemable or applied.")


@strawberry.enum(description="Where a redemption stands.")
class CouponRedemptionStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Applies to the customer's eligible orders and invoices.")
    CANCELED = strawberry.enum_value("CANCELED", description="Canceled: applies to nothing more.")


@strawberry.type(description="A coupon's discount.")
class CouponDiscount:
    type: CouponDiscountType = strawberry.field(description="Fixed or percent.")
    amount: Money | None = strawberry.field(description="The fixed amount (FIXED only).")
    percent: Decimal | None = strawberry.field(description="The percentage (PERCENT only).")
    context: CouponDiscountContext = strawberry.field(description="What it discounts.")


@strawberry.type(description="A minimum quantity of some plans or products.")
class CouponQuantityRestriction:
    ids: list[strawberry.ID] = strawberry.field(description="Plan or product ids.")
    minimum_quantity: int = strawberry.field(description="An order line needs at least this quantity.")


@strawberry.type(description="Customer tags a coupon needs.")
class CouponTagsRestriction:
    tags: list[str] = strawberry.field(description="Tag names.")
    require_all_tags: bool = strawberry.field(description="All of them (true) or any one (false).")


@strawberry.type(description="A plan and a quantity (buy X, get Y).")
class CouponPlanQuantity:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    quantity: int = strawberry.field(description="Its quantity.")


@strawberry.type(description="Buy X, get Y: with every `buy` plan in its quantity, the `get` plans are discounted.")
class CouponBuyXGetY:
    buy: list[CouponPlanQuantity] = strawberry.field(description="Plans the order must have.")
    get: list[CouponPlanQuantity] = strawberry.field(description="Plans (and quantities) discounted.")


@strawberry.type(description="Restrictions of a coupon (null: that restriction is not set).")
class CouponRestrictions:
    minimum_order_amount: Money | None = strawberry.field(description="The items' subtotal must be at least this.")
    maximum_order_amount: Money | None = strawberry.field(description="The items' subtotal must be at most this.")
    redemptions_per_customer: int | None = strawberry.field(description="Redemptions per customer at most.")
    total_redemptions: int | None = strawberry.field(description="Redemptions in all at most.")
    discounts_per_redemption: int | None = strawberry.field(description="Invoices one redemption discounts at most.")
    paid_by_time: datetime | None = strawberry.field(description="After this time the coupon discounts nothing more.")
    countries: list[str] | None = strawberry.field(description="Customers with an address in these countries only.")
    customer_tags: CouponTagsRestriction | None = strawberry.field(description="Customers with these tags only.")
    customer_ids: list[strawberry.ID] | None = strawberry.field(description="These customers only.")
    plans: CouponQuantityRestriction | None = strawberry.field(description="Orders with one of these plans only.")
    products: CouponQuantityRestriction | None = strawberry.field(description="Orders with one of these products only.")
    subscription_ids: list[strawberry.ID] | None = strawberry.field(description="These orders only.")
    invoice_ids: list[strawberry.ID] | None = strawberry.field(description="These invoices only.")
    exclusive: bool = strawberry.field(
        description="Never combined with other coupons: applies alone when it beats all the others together.")
    buy_x_get_y: CouponBuyXGetY | None = strawberry.field(description="Buy X, get Y.")


def _money(d: dict[str, Any] | None) -> Money | None:
    return Money.from_minor(d["amountMinor"], d["currency"]) if d else None


def _qty(d: dict[str, Any] | None, key: str) -> CouponQuantityRestriction | None:
    return CouponQuantityRestriction(ids=d[key], minimum_quantity=d.get("minimumQuantity", 1)) if d else None


def restrictions_from_doc(r: dict[str, Any]) -> CouponRestrictions:
    tags = r.get("customerTags")
    bxgy = r.get("buyXGetY")
    return CouponRestrictions(
        minimum_order_amount=_money(r.get("minimumOrderAmount")), maximum_order_amount=_money(r.get("maximumOrderAmount")),
        redemptions_per_customer=r.get("redemptionsPerCustomer"), total_redemptions=r.get("totalRedemptions"),
        discounts_per_redemption=r.get("discountsPerRedemption"), paid_by_time=r.get("paidByTime"),
        countries=r.get("countries"),
        customer_tags=CouponTagsRestriction(tags=tags["tags"], require_all_tags=tags["requireAllTags"]) if tags else None,
        customer_ids=r.get("customerIds"), plans=_qty(r.get("plans"), "planIds"),
        products=_qty(r.get("products"), "productIds"), subscription_ids=r.get("subscriptionIds"),
        invoice_ids=r.get("invoiceIds"), exclusive=bool(r.get("exclusive")),
        buy_x_get_y=CouponBuyXGetY(
            buy=[CouponPlanQuantity(plan_id=b["planId"], quantity=b["quantity"]) for b in bxgy["buy"]],
            get=[CouponPlanQuantity(plan_id=g["planId"], quantity=g["quantity"]) for g in bxgy["get"]],
        ) if bxgy else None,
    )


@strawberry.type(description="A coupon: its id is the redemption code customers redeem.")
class Coupon(Node):
    discount: CouponDiscount = strawberry.field(description="Its discount.")
    restrictions: CouponRestrictions = strawberry.field(description="Its restrictions.")
    issued_time: datetime = strawberry.field(description="Start of validity.")
    expired_time: datetime | None = strawberry.field(description="End of validity; null: open-ended.")
    status: CouponStatus = strawberry.field(description="Draft, issued or expired, from its times as of the request.")
    description: str = strawberry.field(description='The discount\'s label on invoices (default `Coupon "ID"`).')
    redemptions_count: int = strawberry.field(description="Times it was redeemed.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any], status: str) -> Coupon:
        disc = d["discount"]
        return cls(
            id=d["id"],
            discount=CouponDiscount(
                type=CouponDiscountType[disc["type"]],
                amount=Money.from_minor(disc["amountMinor"], disc["currency"]) if disc["type"] == "FIXED" else None,
                percent=Decimal(disc["percent"]) if disc["type"] == "PERCENT" else None,
                context=CouponDiscountContext[disc.get("context", "ITEMS")],
            ),
            restrictions=restrictions_from_doc(d.get("restrictions") or {}), issued_time=d["issuedTime"],
            expired_time=d.get("expiredTime"), status=CouponStatus[status],
            description=d.get("description") or f'Coupon "{d["id"]}"', redemptions_count=d.get("redemptionsCount", 0),
            revision=d["revision"], created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


@strawberry.type(description="A coupon redeemed by a customer: it discounts the customer's eligible orders and invoices.")
class CouponRedemption(Node):
    coupon_id: strawberry.ID = strawberry.field(description="The coupon (its redemption code).")
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    status: CouponRedemptionStatus = strawberry.field(description="Active or canceled.")
    applications_count: int = strawberry.field(description="Invoices it has discounted.")
    applied_invoice_ids: list[strawberry.ID] = strawberry.field(description="The invoices it discounted, oldest first.")
    canceled_time: datetime | None = strawberry.field(description="When it was canceled.")
    created_time: datetime = strawberry.field(description="When it was redeemed.")

    @strawberry.field(description="The coupon.")
    async def coupon(self, info: Info) -> Coupon | None:
        return await info.context.loaders.coupon_by_id.load(str(self.coupon_id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> CouponRedemption:
        return cls(
            id=d["id"], coupon_id=d["couponId"], customer_id=d["customerId"], status=CouponRedemptionStatus[d["status"]],
            applications_count=d.get("applicationsCount", 0), applied_invoice_ids=d.get("appliedInvoiceIds") or [],
            canceled_time=d.get("canceledTime"), created_time=d["createdTime"],
        )


# ---------------------------------------------------------------------------------------------- inputs


@strawberry.input(description="A coupon's discount: `amount` and `currency` for FIXED, `percent` for PERCENT.")
class CouponDiscountInput:
    type: CouponDiscountType = strawberry.field(description="Fixed or percent.")
    amount: Decimal | None = strawberry.field(default=None, description="FIXED: the amount (≥ 0.01).")
    currency: CurrencyCode | None = strawberry.field(default=None, description="FIXED: its currency.")
    percent: Decimal | None = strawberry.field(default=None, description="PERCENT: 0.01–100.")
    context: CouponDiscountContext = strawberry.field(default=CouponDiscountContext.ITEMS, description="What it discounts.")


@strawberry.input(description="An amount and its currency.")
class CouponAmountInput:
    amount: Decimal = strawberry.field(description="Amount in major units.")
    currency: CurrencyCode = strawberry.field(description="Currency.")


@strawberry.input(description="Plans or products and a minimum quantity.")
class CouponQuantityRestrictionInput:
    ids: list[strawberry.ID] = strawberry.field(description="Plan (`plan_…`) or product (`prod_…`) ids, 1–100.")
    minimum_quantity: int = strawberry.field(default=1, description="An order line needs at least this quantity (≥ 1).")


@strawberry.input(description="Customer tags a coupon needs.")
class CouponTagsRestrictionInput:
    tags: list[str] = strawberry.field(description="Tag names, 1–100.")
    require_all_tags: bool = strawberry.field(description="All of them (true) or any one (false).")


@strawberry.input(description="A plan and a quantity.")
class CouponPlanQuantityInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    quantity: int = strawberry.field(default=1, description="Its quantity (≥ 1).")


@strawberry.input(description="Buy X, get Y.")
class CouponBuyXGetYInput:
    buy: list[CouponPlanQuantityInput] = strawberry.field(description="Plans the order must have (1–20).")
    get: list[CouponPlanQuantityInput] = strawberry.field(description="Plans discounted, up to the quantity (1–20).")


@strawberry.input(description="A coupon's restrictions; each is optional, each type appears once.")
class CouponRestrictionsInput:
    minimum_order_amount: CouponAmountInput | None = strawberry.field(default=None, description="Minimum items' subtotal.")
    maximum_order_amount: CouponAmountInput | None = strawberry.field(default=None, description="Maximum items' subtotal.")
    redemptions_per_customer: int | None = strawberry.field(default=None, description="Redemptions per customer (≥ 1).")
    total_redemptions: int | None = strawberry.field(default=None, description="Redemptions in all (≥ 1).")
    discounts_per_redemption: int | None = strawberry.field(default=None, description="Invoices per redemption (≥ 1).")
    paid_by_time: datetime | None = strawberry.field(
        default=None, description="After this time it discounts nothing more (cannot be changed once set).")
    countries: list[str] | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 codes, 1–250.")
    customer_tags: CouponTagsRestrictionInput | None = strawberry.field(default=None, description="Customer tags.")
    customer_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Customers, 1–1000.")
    plans: CouponQuantityRestrictionInput | None = strawberry.field(default=None, description="Plans.")
    products: CouponQuantityRestrictionInput | None = strawberry.field(default=None, description="Products.")
    subscription_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Orders (`ord_…`).")
    invoice_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Invoices (`in_…`).")
    exclusive: bool = strawberry.field(default=False, description="Exclusive application.")
    buy_x_get_y: CouponBuyXGetYInput | None = strawberry.field(default=None, description="Buy X, get Y.")


@strawberry.input(description="Create a coupon.")
class CouponCreateInput:
    id: str | None = strawberry.field(
        default=None, description="Your redemption code (letters, digits, `-`, `_`; 1–64); default `cpn_…`.")
    discount: CouponDiscountInput = strawberry.field(description="Its discount.")
    restrictions: CouponRestrictionsInput | None = strawberry.field(default=None, description="Its restrictions.")
    issued_time: datetime | None = strawberry.field(default=None, description="Start of validity (default: now).")
    expired_time: datetime | None = strawberry.field(default=None, description="End of validity (after the start).")
    description: str | None = strawberry.field(default=None, description="Label on invoices (≤ 255).")


@strawberry.input(description="Edit a coupon. The discount and issued time only while it has no redemptions.")
class CouponUpdateInput:
    coupon_id: strawberry.ID = strawberry.field(description="The coupon.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse unless it is at this revision.")
    discount: CouponDiscountInput | None = strawberry.field(default=None, description="New discount.")
    restrictions: CouponRestrictionsInput | None = strawberry.field(
        default=None, description="New restrictions (replace all; `paidByTime` must stay as it is).")
    issued_time: datetime | None = strawberry.field(default=None, description="New start of validity.")
    description: Maybe[str | None] = strawberry.field(default=None, description="New label; null: the default.")


@strawberry.input(description="Set when a coupon expires.")
class CouponExpireInput:
    coupon_id: strawberry.ID = strawberry.field(description="The coupon.")
    expired_time: datetime | None = strawberry.field(
        default=None, description="When it expires (after its issued time); null: now.")


@strawberry.type(description="Result of a coupon mutation.")
class CouponPayload:
    coupon: Coupon | None = strawberry.field(description="The coupon as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.input(description="Redeem coupons for a customer (the guide's *Redeem a coupon*).")
class CustomerCouponsRedeemInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    coupon_ids: list[strawberry.ID] = strawberry.field(description="Coupons (redemption codes), 1–20.")
    send_email: bool = strawberry.field(default=False, description="Notify the customer by email.")
    idempotency_key: str = strawberry.field(description="Your unique key for this redemption (1–255).")


@strawberry.type(description="Result of `customerCouponsRedeem`.")
class CustomerCouponsRedeemPayload:
    redemptions: list[CouponRedemption] = strawberry.field(description="The redemptions made, one per coupon.")
    email: EmailMessage | None = strawberry.field(description="The notification, when asked for.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was redeemed.")


@strawberry.input(description="Cancel a redemption: it discounts nothing more.")
class CouponRedemptionCancelInput:
    redemption_id: strawberry.ID = strawberry.field(description="The redemption (`cpnr_…`).")


@strawberry.type(description="Result of `couponRedemptionCancel`.")
class CouponRedemptionPayload:
    redemption: CouponRedemption | None = strawberry.field(description="The redemption as it is now.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


CouponArg = Annotated[strawberry.ID, strawberry.argument(description="The coupon's id (its redemption code).")]
