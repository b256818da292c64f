"""The catalog's contract: products, pricing plans (every setting an order can customise), and their
create/update/deactivate inputs and payloads."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import Maybe

from schema.common import CurrencyCode, Node, UserError

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info


@strawberry.enum(description="How a plan prices a quantity (the reference's §19 formulas).")
class PricingFormula(enum.Enum):
    FIXED_FEE = strawberry.enum_value("FIXED_FEE", description="One price per period, whatever the quantity.")
    FLAT_RATE = strawberry.enum_value("FLAT_RATE", description="Price x quantity (a price of 0 is free).")
    STAIRSTEP = strawberry.enum_value(
        "STAIRSTEP", description="The total price of the bracket the quantity falls in."
    )
    TIERED = strawberry.enum_value(
        "TIERED", description="Each bracket's unit price for the units that fall inside it, summed."
    )
    VOLUME = strawberry.enum_value(
        "VOLUME", description="Every unit at the unit price of the bracket the whole quantity falls in."
    )


@strawberry.enum(description="What kind of order a plan makes.")
class PlanType(enum.Enum):
    ONE_TIME = strawberry.enum_value("ONE_TIME", description="A single, non-recurring charge.")
    SUBSCRIPTION = strawberry.enum_value("SUBSCRIPTION", description="A recurring charge every billing period.")
    TRIAL_ONLY = strawberry.enum_value(
        "TRIAL_ONLY", description="Only a trial: the order ends after it (recurring settings ignored)."
    )


@strawberry.enum(description="Unit of a billing period or trial length.")
class PeriodUnit(enum.Enum):
    DAY = strawberry.enum_value("DAY", description="Days.")
    WEEK = strawberry.enum_value("WEEK", description="Weeks.")
    MONTH = strawberry.enum_value("MONTH", description="Calendar months (the day is clamped in short months).")
    YEAR = strawberry.enum_value("YEAR", description="Calendar years.")


@strawberry.enum(description="Unit of an invoice time shift.")
class ShiftUnit(enum.Enum):
    HOUR = strawberry.enum_value("HOUR", description="Hours.")
    DAY = strawberry.enum_value("DAY", description="Days.")
    WEEK = strawberry.enum_value("WEEK", description="Weeks.")
    MONTH = strawberry.enum_value("MONTH", description="Calendar months.")


@strawberry.enum(description="When a period is paid.")
class BillingTiming(enum.Enum):
    PREPAID = strawberry.enum_value("PREPAID", description="In advance, at the start of the period (default).")
    POSTPAID = strawberry.enum_value("POSTPAID", description="In arrears, at the end of the period.")


@strawberry.enum(description="How reported usage of a metered plan becomes the billed quantity.")
class MeteredStrategy(enum.Enum):
    SUM = strawberry.enum_value("SUM", description="The sum of the usage reported in the period.")
    LAST = strawberry.enum_value("LAST", description="The last usage reported in the period.")


# ---------------------------------------------------------------------------------------------- output


@strawberry.type(description="One bracket of a STAIRSTEP, TIERED or VOLUME pricing.")
class PriceBracket:
    price: Decimal = strawberry.field(
        description="STAIRSTEP: the bracket's total price; TIERED and VOLUME: the unit price (major units)."
    )
    max_quantity: int | None = strawberry.field(
        description="Last quantity of the bracket (it starts after the previous one's); null: unbounded."
    )


@strawberry.type(description="How a plan prices a quantity.")
class Pricing:
    formula: PricingFormula = strawberry.field(description="The formula.")
    price: Decimal | None = strawberry.field(description="FIXED_FEE and FLAT_RATE: the price (major units).")
    brackets: list[PriceBracket] = strawberry.field(description="STAIRSTEP, TIERED, VOLUME: the brackets.")
    min_quantity: int | None = strawberry.field(description="Smallest quantity an order may have.")
    max_quantity: int | None = strawberry.field(
        description="FLAT_RATE: the largest quantity (bracket formulas: the last bounded bracket)."
    )


@strawberry.type(description="The billing period of a recurring plan and how often it recurs.")
class RecurringInterval:
    unit: PeriodUnit = strawberry.field(description="Unit of the period.")
    length: int = strawberry.field(description="Number of units per period (monthly = 1 MONTH).")
    limit: int | None = strawberry.field(
        description="Number of invoices the order makes (1 = the initial one only); null: until canceled."
    )


@strawberry.type(description="A length of time in whole units.")
class TimeShift:
    unit: ShiftUnit = strawberry.field(description="Unit.")
    length: int = strawberry.field(description="Number of units.")


@strawberry.type(description="A trial before the first paid period.")
class PlanTrial:
    price: Decimal = strawberry.field(description="Total price of the trial (0 = a free trial).")
    unit: PeriodUnit = strawberry.field(description="Unit of the trial's length.")
    length: int = strawberry.field(description="Length of the trial in units.")


@strawberry.type(description="Usage-based billing of a postpaid plan.")
class MeteredBilling:
    strategy: MeteredStrategy = strawberry.field(description="How reported usage becomes the quantity.")
    min_quantity: Decimal | None = strawberry.field(description="Quantity charged at least, whatever the usage.")
    max_quantity: Decimal | None = strawberry.field(description="Quantity charged at most, whatever the usage.")
    sticky: bool = strawberry.field(
        description="A period with no usage reported bills the last quantity reported before it (else nothing).")


@strawberry.type(description="Every setting of a pricing plan (a catalog plan, or an order item's copy).")
class PlanSettings:
    name: str = strawberry.field(description="Name shown on receipts and invoices.")
    description: str | None = strawberry.field(description="Plain-text description.")
    currency: CurrencyCode = strawberry.field(description="Currency of its prices.")
    type: PlanType = strawberry.field(description="One-time, subscription or trial only.")
    pricing: Pricing = strawberry.field(description="The pricing formula and its prices.")
    recurring_interval: RecurringInterval | None = strawberry.field(
        description="SUBSCRIPTION: the billing period and frequency; null otherwise."
    )
    billing_timing: BillingTiming = strawberry.field(description="Prepaid or postpaid.")
    trial: PlanTrial | None = strawberry.field(description="The trial, if any.")
    setup_price: Decimal | None = strawberry.field(description="One-time setup fee on the first invoice; null: none.")
    metered_billing: MeteredBilling | None = strawberry.field(description="Usage-based billing (postpaid only).")
    period_anchor_day: int | None = strawberry.field(
        description="Service periods renew on this day of the month (1–31, clamped in short months); null: "
        "on the start date's day."
    )
    invoice_issue_shift: TimeShift | None = strawberry.field(
        description="Renewal invoices are issued this long before the period starts; null: at its start."
    )
    invoice_due_shift: TimeShift | None = strawberry.field(
        description="Invoices are due this long after they are issued; null: when issued."
    )

    @staticmethod
    def settings_from(d: dict[str, Any]) -> dict[str, Any]:
        """The constructor arguments of the settings stored in `d` (a plan, or an order item's copy)."""
        p = d["pricing"]
        rec, trial, metered = d.get("recurringInterval"), d.get("trial"), d.get("meteredBilling")
        return {
            "name": d["name"],
            "description": d.get("description"),
            "currency": CurrencyCode[d["currency"]],
            "type": PlanType[d["type"]],
            "pricing": Pricing(
                formula=PricingFormula[p["formula"]],
                price=Decimal(p["price"]) if p.get("price") is not None else None,
                brackets=[PriceBracket(price=Decimal(b["price"]), max_quantity=b.get("maxQuantity"))
                          for b in p.get("brackets") or ()],
                min_quantity=p.get("minQuantity"),
                max_quantity=p.get("maxQuantity"),
            ),
            "recurring_interval": RecurringInterval(
                unit=PeriodUnit[rec["unit"]], length=rec["length"], limit=rec.get("limit")
            ) if rec else None,
            "billing_timing": BillingTiming[d.get("billingTiming") or "PREPAID"],
            "trial": PlanTrial(price=Decimal(trial["price"]), unit=PeriodUnit[trial["unit"]], length=trial["length"])
            if trial else None,
            "setup_price": Decimal(d["setupPrice"]) if d.get("setupPrice") is not None else None,
            "metered_billing": MeteredBilling(
                strategy=MeteredStrategy[metered["strategy"]],
                min_quantity=Decimal(metered["minQuantity"]) if metered.get("minQuantity") is not None else None,
                max_quantity=Decimal(metered["maxQuantity"]) if metered.get("maxQuantity") is not None else None,
                sticky=bool(metered.get("sticky")),
            ) if metered else None,
            "period_anchor_day": d.get("periodAnchorDay"),
            "invoice_issue_shift": _shift(d.get("invoiceIssueShift")),
            "invoice_due_shift": _shift(d.get("invoiceDueShift")),
        }


def _shift(d: dict[str, Any] | None) -> TimeShift | None:
    return TimeShift(unit=ShiftUnit[d["unit"]], length=d["length"]) if d else None


@strawberry.type(description="A product: what is sold. Its pricing plans say for how much and how often.")
class Product(Node):
    name: str = strawberry.field(description="Name (3–255).")
    unit_label: str = strawberry.field(description="What one unit is called on invoices (default `unit`).")
    description: str | None = strawberry.field(description="Description (≤ 512).")
    requires_shipping: bool = strawberry.field(description="Orders of it need shipping.")
    options: list[str] = strawberry.field(description="Option names; their values are set on plans.")
    is_active: bool = strawberry.field(description="False once deactivated: no new orders.")
    revision: int = strawberry.field(description="Increases by one with every change.")
    created_time: datetime = strawberry.field(description="When it was added.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Product:
        return cls(
            id=strawberry.ID(d["id"]), name=d["name"], unit_label=d.get("unitLabel") or "unit",
            description=d.get("description"), requires_shipping=bool(d.get("requiresShipping")),
            options=list(d.get("options") or ()), is_active=d.get("isActive", True), revision=d["revision"],
            created_time=d["createdTime"], updated_time=d["updatedTime"],
        )


@strawberry.type(description="A pricing plan of a product in the catalog.")
class Plan(PlanSettings, Node):
    product_id: strawberry.ID = strawberry.field(description="The product it prices.")
    is_active: bool = strawberry.field(description="False once deactivated: no new orders (existing ones go on).")
    revision: int = strawberry.field(description="Increases by one with every change; order items copy it.")
    created_time: datetime = strawberry.field(description="When it was added.")
    updated_time: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The product it prices.")
    async def product(self, info: Info) -> Product | None:
        return await info.context.loaders.product_by_id.load(str(self.product_id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Plan:
        return cls(
            id=strawberry.ID(d["id"]), product_id=strawberry.ID(d["productId"]), is_active=d.get("isActive", True),
            revision=d["revision"], created_time=d["createdTime"], updated_time=d["updatedTime"],
            **PlanSettings.settings_from(d),
        )


# ---------------------------------------------------------------------------------------------- input


@strawberry.input(description="One price bracket.")
class PriceBracketInput:
    price: Decimal = strawberry.field(description="STAIRSTEP: the bracket's total; TIERED/VOLUME: the unit price; ≥ 0.")
    max_quantity: int | None = strawberry.field(
        default=None, description="Last quantity of the bracket (ascending); null only for the last bracket."
    )


@strawberry.input(description="A pricing formula and its prices.")
class PricingInput:
    formula: PricingFormula = strawberry.field(description="The formula.")
    price: Decimal | None = strawberry.field(default=None, description="FIXED_FEE and FLAT_RATE: the price, ≥ 0.")
    brackets: list[PriceBracketInput] | None = strawberry.field(
        default=None, description="STAIRSTEP, TIERED, VOLUME: 1–50 brackets, ascending."
    )
    min_quantity: int | None = strawberry.field(default=None, description="Smallest quantity (1–999,999,999).")
    max_quantity: int | None = strawberry.field(default=None, description="FLAT_RATE: largest quantity.")


@strawberry.input(description="A recurring billing period: monthly (1 MONTH), yearly (1 YEAR), or custom.")
class RecurringIntervalInput:
    unit: PeriodUnit = strawberry.field(description="DAY, WEEK, MONTH or YEAR.")
    length: int = strawberry.field(default=1, description="Units per period, 1–1000.")
    limit: int | None = strawberry.field(
        default=None, description="Limited to this many invoices (1–65535); null: recurs until canceled."
    )


@strawberry.input(description="A length of time.")
class TimeShiftInput:
    unit: ShiftUnit = strawberry.field(description="HOUR, DAY, WEEK or MONTH.")
    length: int = strawberry.field(description="Number of units, 1–1000.")


@strawberry.input(description="A trial.")
class PlanTrialInput:
    price: Decimal = strawberry.field(default=Decimal(0), description="Total trial price; 0 = free trial.")
    unit: PeriodUnit = strawberry.field(default=PeriodUnit.DAY, description="Unit of the length.")
    length: int = strawberry.field(description="Length, 1–1000 units.")


@strawberry.input(description="Usage-based (metered) billing; needs POSTPAID timing.")
class MeteredBillingInput:
    strategy: MeteredStrategy = strawberry.field(description="Sum or last reported usage.")
    min_quantity: Decimal | None = strawberry.field(default=None, description="Charge at least this quantity (≥ 0.01).")
    max_quantity: Decimal | None = strawberry.field(default=None, description="Charge at most this quantity (≥ 0.01).")
    sticky: bool = strawberry.field(
        default=False, description="A period with no usage reported bills the last quantity reported before it.")


@strawberry.input(description="Add a product to the catalog (the guide's *Create a product*).")
class ProductCreateInput:
    name: str = strawberry.field(description="Name, 3–255 characters.")
    unit_label: str | None = strawberry.field(default=None, description="Unit name, 1–50 (default `unit`).")
    description: str | None = strawberry.field(default=None, description="Description (≤ 512).")
    requires_shipping: bool = strawberry.field(default=False, description="Orders of it need shipping.")
    options: list[str] | None = strawberry.field(default=None, description="Option names (≤ 10, each ≤ 50).")


@strawberry.input(description="Edit a product; absent fields stay as they are.")
class ProductUpdateInput:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    name: Maybe[str | None] = strawberry.field(default=None, description="New name.")
    unit_label: Maybe[str | None] = strawberry.field(default=None, description="New unit name.")
    description: Maybe[str | None] = strawberry.field(default=None, description="New description (null clears).")
    requires_shipping: Maybe[bool | None] = strawberry.field(default=None, description="Needs shipping.")
    options: Maybe[list[str] | None] = strawberry.field(default=None, description="New option names.")


@strawberry.input(description="Every setting of a pricing plan (the guide's *Create a pricing plan*).")
class PlanCreateInput:
    product_id: strawberry.ID = strawberry.field(description="The product it prices.")
    name: str = strawberry.field(description="Name on invoices (≤ 255).")
    description: str | None = strawberry.field(default=None, description="Plain text (≤ 65,535).")
    currency: CurrencyCode = strawberry.field(description="Currency of its prices.")
    type: PlanType = strawberry.field(default=PlanType.SUBSCRIPTION, description="What kind of order it makes.")
    pricing: PricingInput = strawberry.field(description="Formula and prices.")
    recurring_interval: RecurringIntervalInput | None = strawberry.field(
        default=None, description="SUBSCRIPTION: required; others: none."
    )
    billing_timing: BillingTiming = strawberry.field(default=BillingTiming.PREPAID, description="Prepaid or postpaid.")
    trial: PlanTrialInput | None = strawberry.field(default=None, description="A trial (TRIAL_ONLY: required).")
    setup_price: Decimal | None = strawberry.field(default=None, description="Setup fee on the first invoice (> 0).")
    metered_billing: MeteredBillingInput | None = strawberry.field(default=None, description="Metered (postpaid only).")
    period_anchor_day: int | None = strawberry.field(default=None, description="Renew on this day of month (1–31).")
    invoice_issue_shift: TimeShiftInput | None = strawberry.field(
        default=None, description="Issue renewal invoices this long before the period starts."
    )
    invoice_due_shift: TimeShiftInput | None = strawberry.field(
        default=None, description="Invoices are due this long after issue."
    )


@strawberry.input(
    description="Settings that replace a catalog plan's for one order item (the guide's *customize* panels) "
    "or in `planUpdate`; absent fields keep the plan's, null removes an optional one (trial, setup fee, …)."
)
class PlanOverrideInput:
    name: Maybe[str | None] = strawberry.field(default=None, description="Plan info: name on invoices.")
    description: Maybe[str | None] = strawberry.field(default=None, description="Plan info: description.")
    currency: Maybe[CurrencyCode | None] = strawberry.field(default=None, description="Plan info: currency.")
    type: Maybe[PlanType | None] = strawberry.field(default=None, description="Plan info: type.")
    pricing: Maybe[PricingInput | None] = strawberry.field(default=None, description="Pricing: formula and prices.")
    recurring_interval: Maybe[RecurringIntervalInput | None] = strawberry.field(
        default=None, description="Billing period and frequency."
    )
    billing_timing: Maybe[BillingTiming | None] = strawberry.field(default=None, description="Billing timing.")
    trial: Maybe[PlanTrialInput | None] = strawberry.field(default=None, description="Trial (null: no trial).")
    setup_price: Maybe[Decimal | None] = strawberry.field(default=None, description="Setup fee (null: none).")
    metered_billing: Maybe[MeteredBillingInput | None] = strawberry.field(
        default=None, description="Metered billing (null: off)."
    )
    period_anchor_day: Maybe[int | None] = strawberry.field(default=None, description="Service anchor day of month.")
    invoice_issue_shift: Maybe[TimeShiftInput | None] = strawberry.field(default=None, description="Issue shift.")
    invoice_due_shift: Maybe[TimeShiftInput | None] = strawberry.field(default=None, description="Due shift.")


@strawberry.input(description="Edit a plan. Orders already made keep their copy (grandfathered).")
class PlanUpdateInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")
    settings: PlanOverrideInput = strawberry.field(description="The settings to change.")


@strawberry.input(description="Deactivate a product or plan: no new orders; existing orders go on.")
class CatalogDeactivateInput:
    id: strawberry.ID = strawberry.field(description="A product or plan id.")


@strawberry.type(description="Result of a product mutation.")
class ProductPayload:
    product: Product | None = strawberry.field(description="The product afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused (nothing changed).")


@strawberry.type(description="Result of a plan mutation.")
class PlanPayload:
    plan: Plan | None = strawberry.field(description="The plan afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused (nothing changed).")
