"""The billing clock's mutations and query: usage of metered items, reactivation, scheduled pauses,
and websites' retry schedules. What they set in motion runs on the clock (clock.py, collection.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry
from ulid import ULID

from resolvers.auth import mutation
from resolvers.billing import clock, collection
from resolvers.billing.loaders import forget_order
from resolvers.billing.orders import load_order
from resolvers.context import Context, Info, now
from resolvers.money import idempotency, money
from schema.billing.clock import (
    OrderClockPayload,
    OrderPauseScheduleInput,
    OrderReactivateInput,
    RetrySchedule,
    RetrySchedulePayload,
    RetryScheduleUpdateInput,
    UsageRecord,
    UsageReportInput,
    UsageReportPayload,
)
from schema.billing.orders import Order
from schema.common import Problems, UserErrorCode
from store.activity import timeline
from store.billing import clock as clock_store
from store.billing import orders
from store.customers import websites
from store.db import Doc
from store.money import idempotency as idem_store

MAX_USAGE = Decimal(1_000_000_000)
MIN_USAGE = Decimal("0.001")
MAX_RETRIES = 10
MAX_DELAY_DAYS = 366


USAGE_REPORT = "usageReport"


def usage_id(org_id: str, key: str) -> str:
    """The id of the usage report made with an idempotency key: the same for every retry of it."""
    digest = hashlib.sha256(f"{org_id}:{USAGE_REPORT}:{key}".encode()).digest()[:16]
    return f"use_{ULID.from_bytes(digest)}"


async def _usage_replay(ctx: Context, key: str, inp: UsageReportInput) -> Doc | None:
    """The report a finished request with this key and input made (checked before the input is)."""
    done = await idem_store.get(ctx.org, key) if key else None
    if done is None or done.get("status") != "DONE" or done.get("operation") != USAGE_REPORT \
            or done["inputHash"] != idempotency.input_hash(USAGE_REPORT, inp):
        return None
    return await clock_store.get_usage(ctx.org, done["result"]["usageId"])


def _days(delay: Doc) -> float:
    per = {"HOUR": 1 / 24, "DAY": 1, "WEEK": 7, "MONTH": 31}
    return float(delay["length"] * per[delay["unit"]])


async def _moved(ctx: Context, doc: Doc, guard: Doc, fields: Doc, kind: str, message: str, t: datetime) -> OrderClockPayload:
    after = await orders.transition(ctx.org, doc["id"], guard, fields, t, revision=doc["revision"])
    if after is None:
        problems = Problems()
        problems.add(["orderId"], "the order changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return OrderClockPayload(order=None, user_errors=problems.errors)
    await timeline.record(ctx.org, doc["customerId"], kind, ctx.actor(), t, {"orderId": doc["id"]}, message)
    await clock.arm_order(ctx.org, after, t)
    forget_order(ctx, doc["id"], doc["customerId"])
    return OrderClockPayload(order=Order.from_doc(after), user_errors=[])


@strawberry.type
class ClockQueries:
    @strawberry.field(description="A website's retry schedule for unpaid invoices (the default when it has none).")
    async def retry_schedule(
        self, info: Info, website_id: Annotated[strawberry.ID, strawberry.argument(description="The website.")]
    ) -> RetrySchedule | None:
        ctx = info.context
        if not (await websites.get_many(ctx.org, [str(website_id)]))[0]:
            return None
        doc = await clock_store.retry_schedule(ctx.org, str(website_id))
        if doc is None:
            return RetrySchedule.from_delays(str(website_id), collection.DEFAULT_RETRY_DELAYS, True)
        return RetrySchedule.from_delays(str(website_id), doc["delays"], False)


@strawberry.type
class ClockMutations:
    @mutation(
        "Reports usage of a metered order item. The invoice at the end of the period bills the sum or the last "
        "reported quantity (the plan's strategy), clamped by its minimum and maximum."
    )
    async def usage_report(self, info: Info, input: UsageReportInput) -> UsageReportPayload:
        ctx, problems, t = info.context, Problems(), now()
        key = money.idempotency_key(problems, input.idempotency_key)
        replayed = await _usage_replay(ctx, key, input)
        if replayed is not None:  # answered as the first time, even after its period closed
            return UsageReportPayload(usage=UsageRecord.from_doc(replayed), user_errors=[])
        doc = await load_order(ctx, problems, str(input.order_id), None)
        at = input.usage_time or t
        try:
            quantity = Decimal(input.quantity)
            valid = quantity.is_finite() and MIN_USAGE <= quantity <= MAX_USAGE
        except InvalidOperation:
            valid = False
        if not valid:
            problems.add(["quantity"], f"must be between {MIN_USAGE} and {MAX_USAGE}", UserErrorCode.QUANTITY_OUT_OF_RANGE)
        if at > t:
            problems.add(["usageTime"], "lies in the future", UserErrorCode.DATE_IN_FUTURE)
        item: Doc | None = None
        if doc is not None:
            item = next((i for i in doc["items"] if i["id"] == str(input.order_item_id)), None)
            if doc["status"] not in ("ACTIVE", "CANCELED", "PAUSED"):
                problems.add(["orderId"], f"a {doc['status']} order takes no usage", UserErrorCode.INVALID_STATUS)
            if item is None:
                problems.add(["orderItemId"], f"the order has no item {input.order_item_id}", UserErrorCode.NOT_FOUND)
            elif not item["plan"].get("meteredBilling"):
                problems.add(["orderItemId"], "its plan is not metered", UserErrorCode.NOT_METERED)
            start = doc.get("currentPeriodStart")
            if start is not None and at < start:
                problems.add(["usageTime"], f"lies before the current period ({start.isoformat()})",
                             UserErrorCode.USAGE_PERIOD_CLOSED)
        if problems or doc is None or item is None:
            return UsageReportPayload(usage=None, user_errors=problems.errors)
        order, line = doc, item

        async def work() -> idempotency.Outcome:
            # The report's id comes from the key: a request that stopped after writing it (its key's claim
            # left behind) and is retried finds the same report instead of counting the usage again.
            wanted = {"id": usage_id(ctx.org.org_id, key), "orderId": order["id"], "orderItemId": line["id"],
                      "customerId": order["customerId"], "quantity": format(quantity.normalize(), "f"), "usageTime": at,
                      "invoiceId": None, "createdTime": t, "updatedTime": t}
            usage = await clock_store.add_usage(ctx.org, wanted)
            if usage["createdTime"] == t:
                await timeline.record(ctx.org, order["customerId"], "USAGE_REPORTED", ctx.actor(), t,
                                      {"orderId": order["id"], "orderItemId": line["id"], "quantity": usage["quantity"]},
                                      f"Usage reported: {usage['quantity']} of {line['plan']['name']}")
            elif any(usage[k] != wanted[k] for k in ("orderItemId", "quantity")):
                return idempotency.refused(["idempotencyKey"], "this idempotency key was used with a different input "
                                           "(usageReport); use a new key for a new report", UserErrorCode.IDEMPOTENCY_KEY_REUSED)
            return {"changed": True, "usageId": usage["id"]}

        outcome = await idempotency.once(ctx, USAGE_REPORT, key, input, work)
        if outcome.get("errors"):
            for e in outcome["errors"]:
                problems.add(e["field"], e["message"], UserErrorCode(e["code"]))
            return UsageReportPayload(usage=None, user_errors=problems.errors)
        found = await clock_store.get_usage(ctx.org, outcome["usageId"])
        assert found is not None  # written by this key's first request
        return UsageReportPayload(usage=UsageRecord.from_doc(found), user_errors=[])

    @mutation(
        "Reactivates a subscription: a CANCELED one (still in its paid period) keeps its period and renews at its "
        "end; a CHURNED one starts a new period now, whose invoice the billing clock issues and collects."
    )
    async def order_reactivate(self, info: Info, input: OrderReactivateInput) -> OrderClockPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if doc is not None:
            if doc["orderType"] != "SUBSCRIPTION" or doc.get("isTrialOnly"):
                problems.add(["orderId"], "only recurring subscriptions are reactivated", UserErrorCode.INVALID_STATUS)
            elif doc["status"] not in ("CANCELED", "CHURNED"):
                problems.add(["orderId"], f"a {doc['status']} order cannot be reactivated (only CANCELED, CHURNED)",
                             UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return OrderClockPayload(order=None, user_errors=problems.errors)
        renewal = doc.get("currentPeriodEnd") if doc["status"] == "CANCELED" else t
        fields: Doc = {"status": "ACTIVE", "renewalTime": renewal, "canceledTime": None, "churnTime": None,
                       "canceledBy": None, "cancelCategory": None, "cancelDescription": None, "reactivatedTime": t}
        return await _moved(ctx, doc, {"status": doc["status"]}, fields, "ORDER_REACTIVATED",
                            "Subscription reactivated", t)

    @mutation(
        "Schedules a pause of an active subscription: it pauses at `startTime` and, with an `endTime`, resumes then "
        "(its renewal moved out by the time paused). Replaces a pause scheduled before."
    )
    async def order_pause_schedule(self, info: Info, input: OrderPauseScheduleInput) -> OrderClockPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if input.start_time <= t:
            problems.add(["startTime"], "lies in the past (pause now with orderPause)", UserErrorCode.DATE_IN_PAST)
        if input.end_time is not None and input.end_time <= input.start_time:
            problems.add(["endTime"], "must be after the start", UserErrorCode.INVALID)
        if doc is not None and (doc["orderType"] != "SUBSCRIPTION" or doc["status"] != "ACTIVE"):
            problems.add(["orderId"], f"only an ACTIVE subscription pauses (this one is {doc['status']})",
                         UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return OrderClockPayload(order=None, user_errors=problems.errors)
        pause = {"startTime": input.start_time, "endTime": input.end_time, "createdTime": t}
        until = f" until {input.end_time.isoformat()}" if input.end_time else ""
        return await _moved(ctx, doc, {"status": "ACTIVE"}, {"scheduledPause": pause}, "ORDER_PAUSE_SCHEDULED",
                            f"Pause scheduled from {input.start_time.isoformat()}{until}", t)

    @mutation("Sets a website's retry schedule: when unpaid invoices are charged again after their due time.")
    async def retry_schedule_update(self, info: Info, input: RetryScheduleUpdateInput) -> RetrySchedulePayload:
        ctx, problems, t = info.context, Problems(), now()
        wid = str(input.website_id)
        if money.check_id(problems, ["websiteId"], wid, "Website", "web") and \
                not (await websites.get_many(ctx.org, [wid]))[0]:
            problems.add(["websiteId"], f"no website {wid} in this organization", UserErrorCode.NOT_FOUND)
        if len(input.delays) > MAX_RETRIES:
            problems.add(["delays"], f"at most {MAX_RETRIES} retries", UserErrorCode.TOO_MANY)
        delays: list[Doc] = [{"unit": d.unit.name, "length": d.length} for d in input.delays]
        last = 0.0
        for i, d in enumerate(delays):
            if int(d["length"]) < 1:
                problems.add(["delays", i, "length"], "must be at least 1", UserErrorCode.INVALID)
                continue
            days = _days(d)
            if days > MAX_DELAY_DAYS:
                problems.add(["delays", i], f"at most {MAX_DELAY_DAYS} days after the due time", UserErrorCode.INVALID)
            elif days <= last:
                problems.add(["delays", i], "must come after the previous retry", UserErrorCode.INVALID)
            last = max(last, days)
        if problems:
            return RetrySchedulePayload(retry_schedule=None, user_errors=problems.errors)
        doc = await clock_store.set_retry_schedule(ctx.org, wid, delays, t)
        return RetrySchedulePayload(retry_schedule=RetrySchedule.from_delays(wid, doc["delays"], False), user_errors=[])
