"""The billing clock's API: usage of metered items, reactivation, scheduled pauses, retry schedules,
and its timeline events (registered in `schema.activity.timeline.EVENT_TYPES` on import)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from schema.activity.timeline import EVENT_CLASSES, EVENT_TYPES, TimelineEvent, _event
from schema.billing.catalog import ShiftUnit, TimeShift, TimeShiftInput
from schema.billing.events import InvoiceEvent, OrderEvent
from schema.billing.orders import Order
from schema.common import Money, UserError


@strawberry.type(description="One usage report of a metered order item.")
class UsageRecord:
    id: strawberry.ID = strawberry.field(description="`use_…`")
    order_id: strawberry.ID = strawberry.field(description="The order.")
    order_item_id: strawberry.ID = strawberry.field(description="The order item.")
    quantity: Decimal = strawberry.field(description="The quantity reported.")
    usage_time: datetime = strawberry.field(description="When the usage happened; it counts in that period.")
    invoice_id: strawberry.ID | None = strawberry.field(description="The invoice that billed it; null until then.")
    created_time: datetime = strawberry.field(description="When it was reported.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> UsageRecord:
        return cls(id=d["id"], order_id=d["orderId"], order_item_id=d["orderItemId"], quantity=Decimal(d["quantity"]),
                   usage_time=d["usageTime"], invoice_id=d.get("invoiceId"), created_time=d["createdTime"])


@strawberry.input(description="Usage of a metered order item (the guide's metered billing).")
class UsageReportInput:
    order_id: strawberry.ID = strawberry.field(description="The subscription.")
    order_item_id: strawberry.ID = strawberry.field(description="Its item of a metered plan (`ordi_…`).")
    quantity: Decimal = strawberry.field(description="At least 0.001, at most 1,000,000,000.")
    idempotency_key: str = strawberry.field(
        description="Your unique key for this report (1–255): a retry with the same key and input returns the first "
        "report and counts the usage once; the same key with another input is refused (IDEMPOTENCY_KEY_REUSED)."
    )
    usage_time: datetime | None = strawberry.field(
        default=None, description="When it was used (default now); not before the current period, not in the future."
    )


@strawberry.type(description="The result of usageReport.")
class UsageReportPayload:
    usage: UsageRecord | None = strawberry.field(description="The report; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing written).")


@strawberry.input(description="Reactivate a canceled or churned subscription.")
class OrderReactivateInput:
    order_id: strawberry.ID = strawberry.field(description="The subscription.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.input(description="Pause an active subscription from a future time, until a later time (or until resumed).")
class OrderPauseScheduleInput:
    order_id: strawberry.ID = strawberry.field(description="The subscription.")
    start_time: datetime = strawberry.field(description="When the pause starts (in the future).")
    end_time: datetime | None = strawberry.field(default=None, description="When it ends; null: until resumed.")
    expected_revision: int | None = strawberry.field(default=None, description="Refuse if it changed since read.")


@strawberry.type(description="When a website's unpaid invoices are charged again after their due time.")
class RetrySchedule:
    website_id: strawberry.ID = strawberry.field(description="The website.")
    delays: list[TimeShift] = strawberry.field(description="Retry k is made this long after the due time.")
    is_default: bool = strawberry.field(description="The website has no schedule of its own: the default applies.")

    @classmethod
    def from_delays(cls, website_id: str, delays: list[dict[str, Any]], is_default: bool) -> RetrySchedule:
        return cls(website_id=strawberry.ID(website_id), is_default=is_default,
                   delays=[TimeShift(unit=ShiftUnit[d["unit"]], length=d["length"]) for d in delays])


@strawberry.input(description="A website's retry schedule: the delays after the due time, in increasing order.")
class RetryScheduleUpdateInput:
    website_id: strawberry.ID = strawberry.field(description="The website.")
    delays: list[TimeShiftInput] = strawberry.field(description="0 to 10 delays (none: no retries).")


@strawberry.type(description="The result of retryScheduleUpdate.")
class RetrySchedulePayload:
    retry_schedule: RetrySchedule | None = strawberry.field(description="The schedule afterwards.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing written).")


@strawberry.type(description="The result of an order action of the billing clock.")
class OrderClockPayload:
    order: Order | None = strawberry.field(description="The order afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused (nothing changed).")


@strawberry.type(description="Usage of a metered order item was reported.")
class UsageEvent(TimelineEvent):
    order_id: strawberry.ID = strawberry.field(description="The order.")
    quantity: Decimal = strawberry.field(description="The quantity.")


def _order(d: dict[str, Any]) -> TimelineEvent:
    return _event(OrderEvent, d, order_id=d["data"]["orderId"])


def _invoice(d: dict[str, Any]) -> TimelineEvent:
    data = d["data"]
    amount = Money.from_minor(data["amountMinor"], data["currency"]) if "amountMinor" in data else None
    return _event(InvoiceEvent, d, invoice_id=data["invoiceId"], amount=amount)


def _usage(d: dict[str, Any]) -> TimelineEvent:
    return _event(UsageEvent, d, order_id=d["data"]["orderId"], quantity=Decimal(d["data"]["quantity"]))


ORDER_KINDS = ("ORDER_RENEWED", "ORDER_COMPLETED", "ORDER_ABANDONED", "ORDER_TRIAL_ENDED", "ORDER_TRIAL_CONVERTED",
               "ORDER_CHURNED", "ORDER_DELINQUENCY_REACHED", "ORDER_REACTIVATED", "ORDER_PAUSE_SCHEDULED")
INVOICE_KINDS = ("INVOICE_PAST_DUE", "INVOICE_PAYMENT_DECLINED", "INVOICE_ABANDONED")
EVENT_TYPES.update({k: _order for k in ORDER_KINDS})
EVENT_TYPES.update({k: _invoice for k in INVOICE_KINDS})
EVENT_TYPES["USAGE_REPORTED"] = _usage
EVENT_CLASSES.append(UsageEvent)
EVENT_CLASSES_CLOCK: tuple[type, ...] = (UsageEvent,)
