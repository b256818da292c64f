"""Orders: subscriptions and one-time orders, their items (each with a copy of its effective plan), and
the inputs of *Create an order* and of *View or cancel subscription*."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import Maybe

from schema.billing.catalog import PlanOverrideInput, PlanSettings, Product, TimeShift, TimeShiftInput, _shift
from schema.billing.invoices import Invoice, InvoiceStatus, money
from schema.billing.shipping import CalculatedShippingInput, OrderShipping
from schema.common import CurrencyCode, Money, Node, UserError
from schema.money.transactions import Transaction
from schema.wallet.payment_instruments import PaymentInstrument

if TYPE_CHECKING:
    from resolvers.context import Context
    from schema.customers.customers import Customer

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="Recurring (subscription) or a single charge (one-time); fixed at creation.")
class OrderType(enum.Enum):
    SUBSCRIPTION = strawberry.enum_value("SUBSCRIPTION", description="Recurring: one invoice per service period.")
    ONE_TIME = strawberry.enum_value("ONE_TIME", description="A single, non-recurring invoice.")


@strawberry.enum(description="Where an order stands.")
class OrderStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Made; its initial invoice is not paid yet.")
    ACTIVE = strawberry.enum_value("ACTIVE", description="Paid and running.")
    PAUSED = strawberry.enum_value("PAUSED", description="Paused: no renewals until resumed.")
    CANCELED = strawberry.enum_value(
        "CANCELED", description="Cancellation confirmed; runs until its churn time (end of the paid period)."
    )
    CHURNED = strawberry.enum_value("CHURNED", description="Ended after a cancellation.")
    COMPLETED = strawberry.enum_value(
        "COMPLETED", description="Done: a one-time order paid, or a limited subscription's last invoice."
    )
    ABANDONED = strawberry.enum_value("ABANDONED", description="Pending past its abandon time (billing clock).")
    VOIDED = strawberry.enum_value("VOIDED", description="A pending order withdrawn by the merchant.")
    TRIAL_ENDED = strawberry.enum_value("TRIAL_ENDED", description="A trial-only order whose trial is over.")


@strawberry.enum(description="The guide's subscription groups on the customer page.")
class SubscriptionGroup(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Active, paused, or canceled but not churned yet.")
    PENDING = strawberry.enum_value("PENDING", description="Waiting for activation.")
    PAST = strawberry.enum_value("PAST", description="Churned, completed, abandoned, voided or trial ended.")


GROUP_STATUSES: dict[str, list[str]] = {
    "ACTIVE": ["ACTIVE", "PAUSED", "CANCELED"],
    "PENDING": ["PENDING"],
    "PAST": ["CHURNED", "COMPLETED", "ABANDONED", "VOIDED", "TRIAL_ENDED"],
}


@strawberry.enum(description="Who canceled an order.")
class CanceledBy(enum.Enum):
    MERCHANT = strawberry.enum_value("MERCHANT", description="The merchant.")
    CUSTOMER = strawberry.enum_value("CUSTOMER", description="The customer.")
    SYSTEM = strawberry.enum_value("SYSTEM", description="The billing system (e.g. delinquency).")


@strawberry.enum(description="Why an order was canceled (the reference's categories).")
class CancelCategory(enum.Enum):
    BILLING_FAILURE = strawberry.enum_value("BILLING_FAILURE", description="Payments kept failing.")
    DELINQUENCY = strawberry.enum_value("DELINQUENCY", description="Unpaid past its delinquency time.")
    DID_NOT_USE = strawberry.enum_value("DID_NOT_USE", description="The customer did not use it.")
    DID_NOT_WANT = strawberry.enum_value("DID_NOT_WANT", description="The customer did not want it.")
    MISSING_FEATURES = strawberry.enum_value("MISSING_FEATURES", description="Features were missing.")
    BUGS_OR_PROBLEMS = strawberry.enum_value("BUGS_OR_PROBLEMS", description="Bugs or problems.")
    DO_NOT_REMEMBER = strawberry.enum_value("DO_NOT_REMEMBER", description="The customer does not remember it.")
    RISK_WARNING = strawberry.enum_value("RISK_WARNING", description="A risk warning.")
    CONTRACT_EXPIRED = strawberry.enum_value("CONTRACT_EXPIRED", description="The contract expired.")
    TOO_EXPENSIVE = strawberry.enum_value("TOO_EXPENSIVE", description="Too expensive.")
    NEVER_STARTED = strawberry.enum_value("NEVER_STARTED", description="It never started.")
    SWITCHED_PLAN = strawberry.enum_value("SWITCHED_PLAN", description="Switched to another plan.")
    OTHER = strawberry.enum_value("OTHER", description="Another reason.")


@strawberry.type(description="An order item's copy of its effective plan (the catalog plan, customised or not).")
class EffectivePlan(PlanSettings):
    plan_id: strawberry.ID = strawberry.field(description="The catalog plan it was copied from.")
    plan_revision: int = strawberry.field(description="The catalog plan's revision when copied.")


@strawberry.type(description="One item of an order: a plan and a quantity.")
class OrderItem:
    id: strawberry.ID = strawberry.field(description="Item id (`ordi_…`).")
    quantity: int = strawberry.field(description="Units ordered.")
    plan: EffectivePlan = strawberry.field(description="The effective plan: what this order bills.")
    is_customized: bool = strawberry.field(description="Customised for this order (the guide's *Edit plan*).")
    customized_settings: list[str] = strawberry.field(description="The settings customised (e.g. `pricing`).")
    product_id: strawberry.ID = strawberry.field(description="The product.")

    @strawberry.field(description="The product.")
    async def product(self, info: Info) -> Product | None:
        return await info.context.loaders.product_by_id.load(str(self.product_id))

    @strawberry.field(
        description="The catalog plan changed since this item copied it (the item keeps its copy: grandfathered)."
    )
    async def is_grandfathered(self, info: Info) -> bool:
        current = await info.context.loaders.plan_by_id.load(str(self.plan.plan_id))
        return current is not None and current.revision != self.plan.plan_revision

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> OrderItem:
        plan = d["plan"]
        customized = d.get("customized")
        return cls(
            id=d["id"], quantity=d["quantity"], is_customized=bool(customized),
            customized_settings=list(customized or ()), product_id=plan["productId"],
            plan=_effective(plan) if customized else _catalog_copy(plan["id"], plan["revision"], plan),
        )


def _effective(plan: dict[str, Any]) -> EffectivePlan:
    return EffectivePlan(plan_id=plan["id"], plan_revision=plan["revision"], **PlanSettings.settings_from(plan))


_COPIES: dict[tuple[str, int], EffectivePlan] = {}


def _catalog_copy(plan_id: str, revision: int, plan: dict[str, Any]) -> EffectivePlan:
    """Uncustomised copies of one plan revision are equal: one shared, read-only object for them all."""
    found = _COPIES.get((plan_id, revision))
    if found is None:
        if len(_COPIES) > 4096:
            _COPIES.clear()
        found = _COPIES[(plan_id, revision)] = _effective(plan)
    return found


@strawberry.type(description="A customer's order: a subscription or a one-time order.")
class Order(Node):
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID = strawberry.field(description="The website it was sold on.")
    order_type: OrderType = strawberry.field(description="Subscription or one-time.")
    status: OrderStatus = strawberry.field(description="Where it stands.")
    billing_status: InvoiceStatus | None = strawberry.field(description="The status of its latest invoice.")
    currency: CurrencyCode = strawberry.field(description="Its currency.")
    items: list[OrderItem] = strawberry.field(description="Its items.")
    autopay: bool = strawberry.field(description="Invoices are charged automatically at their due time.")
    payment_instrument_id: strawberry.ID | None = strawberry.field(
        description="Its own default instrument (over the customer's primary); null: the customer's primary."
    )
    in_trial: bool = strawberry.field(description="The current period is a trial.")
    is_trial_only: bool = strawberry.field(description="The order ends after its trial.")
    trial_end_time: datetime | None = strawberry.field(description="When the trial ends.")
    start_time: datetime = strawberry.field(description="When the first service period starts.")
    renewal_time: datetime | None = strawberry.field(description="Next renewal; null for one-time orders.")
    current_period_start: datetime | None = strawberry.field(description="Start of the current service period.")
    current_period_end: datetime | None = strawberry.field(description="End of the current service period.")
    rebill_number: int = strawberry.field(description="Number of the current period (1 = the first).")
    service_anchor_time: datetime | None = strawberry.field(description="The service anchor shift, if set.")
    invoice_issue_shift: TimeShift | None = strawberry.field(description="Order's own invoice issue shift.")
    invoice_due_shift: TimeShift | None = strawberry.field(description="Order's own invoice due shift.")
    abandon_time: datetime | None = strawberry.field(description="A pending order is abandoned at this time.")
    delinquency_period: TimeShift | None = strawberry.field(
        description="Unpaid invoices cancel the order this long after their due time; null: never."
    )
    shipping: OrderShipping | None = strawberry.field(description="Its shipping, if any.")
    notes: str | None = strawberry.field(description="Notes shown on its invoices.")
    mrr: Money = strawberry.field(description="Monthly recurring revenue while active (0 otherwise).")
    initial_invoice_id: strawberry.ID = strawberry.field(description="Its first invoice.")
    recent_invoice_id: strawberry.ID = strawberry.field(description="Its latest invoice.")
    activation_time: datetime | None = strawberry.field(description="When it became active.")
    canceled_time: datetime | None = strawberry.field(description="When its cancellation was confirmed.")
    churn_time: datetime | None = strawberry.field(description="When it ends (or ended) after cancellation.")
    canceled_by: CanceledBy | None = strawberry.field(description="Who canceled it.")
    cancel_category: CancelCategory | None = strawberry.field(description="Why it was canceled.")
    cancel_description: str | None = strawberry.field(description="The cancellation's description.")
    cancellation_credit_memo_id: strawberry.ID | None = strawberry.field(
        description="The credit memo of a prorated cancellation (issue 13); null when none.")
    paused_time: datetime | None = strawberry.field(description="When it was paused (while PAUSED).")
    void_time: datetime | None = strawberry.field(description="When it was voided.")
    # billing clock (issue 12)
    trial_conversion_time: datetime | None = strawberry.field(
        description="When the first invoice after the trial was paid (the trial converted)."
    )
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was made.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Annotated[Customer, strawberry.lazy("schema.customers.customers")] | None:
        return await info.context.loaders.customer_by_id.load(str(self.customer_id))

    @strawberry.field(description="Its first invoice.")
    async def initial_invoice(self, info: Info) -> Invoice | None:
        return await info.context.loaders.invoice_by_id.load(str(self.initial_invoice_id))

    @strawberry.field(description="Its latest invoice.")
    async def recent_invoice(self, info: Info) -> Invoice | None:
        return await info.context.loaders.invoice_by_id.load(str(self.recent_invoice_id))

    @strawberry.field(description="Its own default instrument, if one was chosen.")
    async def payment_instrument(self, info: Info) -> PaymentInstrument | None:
        if self.payment_instrument_id is None:
            return None
        return await info.context.loaders.payment_instrument_by_id.load(str(self.payment_instrument_id))

    @strawberry.field(
        description="A preview of the next renewal invoice (what it would bill today; nothing is written). "
        "Null for one-time orders and orders that will not renew."
    )
    async def upcoming_invoice(self, info: Info) -> Invoice | None:
        return await info.context.upcoming_invoice(str(self.id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Order:
        cur = d["currency"]
        ship = d.get("shipping")
        cat, by = d.get("cancelCategory"), d.get("canceledBy")
        return cls(
            id=d["id"], customer_id=d["customerId"], website_id=d["websiteId"], order_type=OrderType[d["orderType"]],
            status=OrderStatus[d["status"]],
            billing_status=InvoiceStatus[d["billingStatus"]] if d.get("billingStatus") else None,
            currency=CurrencyCode[cur], items=[OrderItem.from_doc(i) for i in d["items"]], autopay=d["autopay"],
            payment_instrument_id=d.get("paymentInstrumentId"), in_trial=bool(d.get("inTrial")),
            is_trial_only=bool(d.get("isTrialOnly")), trial_end_time=d.get("trialEndTime"),
            start_time=d["startTime"], renewal_time=d.get("renewalTime"),
            current_period_start=d.get("currentPeriodStart"), current_period_end=d.get("currentPeriodEnd"),
            rebill_number=d.get("rebillNumber", 1), service_anchor_time=d.get("serviceAnchorTime"),
            invoice_issue_shift=_shift(d.get("invoiceIssueShift")), invoice_due_shift=_shift(d.get("invoiceDueShift")),
            abandon_time=d.get("abandonTime"), delinquency_period=_shift(d.get("delinquencyPeriod")),
            shipping=OrderShipping.from_doc(ship, cur) if ship else None,
            notes=d.get("notes"),
            mrr=money(d.get("mrrMinor", 0) if d["status"] in ("ACTIVE", "CANCELED") else 0, cur),
            initial_invoice_id=d["initialInvoiceId"], recent_invoice_id=d.get("recentInvoiceId") or d["initialInvoiceId"],
            activation_time=d.get("activationTime"), canceled_time=d.get("canceledTime"), churn_time=d.get("churnTime"),
            canceled_by=CanceledBy[by] if by else None, cancel_category=CancelCategory[cat] if cat else None,
            cancel_description=d.get("cancelDescription"),
            paused_time=d.get("pausedTime"), void_time=d.get("voidTime"),
            cancellation_credit_memo_id=(d.get("cancelCredit") or {}).get("creditMemoId"),
            trial_conversion_time=d.get("trialConversionTime"), revision=d["revision"], created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


# ---------------------------------------------------------------------------------------------- create


@strawberry.input(description="One item of a new order: a catalog plan, as is or customised for this order only.")
class OrderItemInput:
    plan_id: strawberry.ID = strawberry.field(description="The catalog plan (`plan_…`).")
    quantity: int = strawberry.field(default=1, description="Units, 0–1,000,000,000 within the plan's bounds.")
    customize: PlanOverrideInput | None = strawberry.field(
        default=None, description="Settings that differ for this order only (the guide's *Edit plan* panels)."
    )


@strawberry.input(description="The guide's *Create an order* form.")
class OrderCreateInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    website_id: strawberry.ID | None = strawberry.field(default=None, description="Website (default: the customer's).")
    order_type: OrderType = strawberry.field(description="Subscription or one-time.")
    items: list[OrderItemInput] = strawberry.field(description="1–20 items; a subscription's share one period length.")
    autopay: bool = strawberry.field(default=True, description="Charge invoices automatically (subscriptions).")
    payment_instrument_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order's default instrument (over the customer's primary)."
    )
    trial_end_time: Maybe[datetime | None] = strawberry.field(
        default=None,
        description="Override the plans' trial: it ends at this time (a trial is made even if the plans have "
        "none); null: no trial; absent: the plans' trial.",
    )
    is_trial_only: bool = strawberry.field(
        default=False, description="Trial only: the order ends after the trial (`trialEndTime` required)."
    )
    abandon_time: datetime | None = strawberry.field(
        default=None, description="A pending order is abandoned at this time (default: in 30 days)."
    )
    delinquency_period: TimeShiftInput | None = strawberry.field(
        default=None, description="Cancel when an invoice stays unpaid this long after its due time; null: never."
    )
    shipping_amount: Decimal | None = strawberry.field(
        default=None, description="Manual shipping amount per invoice (≥ 0)."
    )
    calculated_shipping: CalculatedShippingInput | None = strawberry.field(  # shipping rate tables
        default=None, description="Calculated shipping: priced from the website's shipping rate table (instead of "
        "`shippingAmount`)."
    )
    start_time: datetime | None = strawberry.field(
        default=None, description="Start at this time (default: now); at most one period in the past."
    )
    renewal_time: datetime | None = strawberry.field(
        default=None, description="First renewal at this time (default: the end of the first service period)."
    )
    service_anchor_time: datetime | None = strawberry.field(
        default=None, description="Service anchor shift: the first period ends here; later ones align to it."
    )
    invoice_issue_shift: TimeShiftInput | None = strawberry.field(
        default=None, description="Issue renewal invoices this long before the period (over the plans')."
    )
    invoice_due_shift: TimeShiftInput | None = strawberry.field(
        default=None, description="Invoices are due this long after issue (over the plans')."
    )
    notes: str | None = strawberry.field(default=None, description="Notes shown on the invoices (≤ 65,535).")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(  # issue 13
        default=None, description="Coupons redeemed for the customer with the order (all or none); they and the "
        "customer's other redeemed coupons discount its eligible invoices.")
    idempotency_key: str = strawberry.field(
        description="Your unique key for this order (1–255). A retry with the same key and input returns the "
        "same order and charges nothing twice; a retry after a crash finishes the order."
    )


@strawberry.type(description="Result of `orderCreate`.")
class OrderCreatePayload:
    order: Order | None = strawberry.field(description="The order (also when its charge was declined).")
    invoice: Invoice | None = strawberry.field(description="Its initial invoice.")
    transaction: Transaction | None = strawberry.field(description="The last charge attempted, if any.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused (nothing written), or DECLINED / GATEWAY_TIMEOUT next to the "
        "pending order whose invoice waits for payment."
    )


# ---------------------------------------------------------------------------------------------- actions


@strawberry.enum(description="When a cancellation takes effect.")
class CancelTiming(enum.Enum):
    NOW = strawberry.enum_value("NOW", description="Now: the order churns immediately.")
    END_OF_PERIOD = strawberry.enum_value(
        "END_OF_PERIOD", description="At the end of the current period: CANCELED until then, then CHURNED."
    )


@strawberry.input(description="Cancel a subscription (the guide's *Cancel subscription*).")
class OrderCancelInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    timing: CancelTiming = strawberry.field(default=CancelTiming.NOW, description="Now or at the period's end.")
    canceled_by: CanceledBy = strawberry.field(default=CanceledBy.MERCHANT, description="Who cancels.")
    category: CancelCategory = strawberry.field(default=CancelCategory.OTHER, description="Why.")
    description: str | None = strawberry.field(default=None, description="In words (≤ 255).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    # proration (issue 13)
    prorated: bool = strawberry.field(
        default=False, description="Credit the unused part of the current period (from the churn time to the period's "
        "end, by the second) as a credit memo, allocated to the period's invoice while that is unpaid. NOW only "
        "credits something: at the period's end nothing is left.")


@strawberry.input(description="An order action that needs only the order.")
class OrderActionInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.input(description="Move an order's next renewal.")
class OrderRenewalTimeUpdateInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    renewal_time: datetime = strawberry.field(description="The new renewal time (in the future).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.input(description="Change an order's items (the full new set) from its next renewal on.")
class OrderItemsChangeInput:
    order_id: strawberry.ID = strawberry.field(description="The order.")
    items: list[OrderItemInput] = strawberry.field(description="The full new set of items (1–20).")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.type(description="Result of an order action.")
class OrderPayload:
    order: Order | None = strawberry.field(description="The order afterwards; null when not found.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing changed).")
