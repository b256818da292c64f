"""Orders: `orderCreate` and the actions of *View or cancel subscription*."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from resolvers.auth import mutation
from resolvers.billing import clock, invoicing, ordering, pricing, proration
from resolvers.billing.customer_cancel import cancel_fields
from resolvers.billing.loaders import forget_order
from resolvers.context import Context, Info, now
from resolvers.money import money
from resolvers.validation import text
from schema.billing.invoices import Invoice
from schema.billing.orders import (
    Order,
    OrderActionInput,
    OrderCancelInput,
    OrderCreateInput,
    OrderCreatePayload,
    OrderItemsChangeInput,
    OrderPayload,
    OrderRenewalTimeUpdateInput,
)
from schema.common import Problems, UserErrorCode
from schema.money.transactions import Transaction
from store.activity import timeline
from store.billing import invoices, orders
from store.db import Doc

RECURRING_LIVE = ("ACTIVE", "PAUSED")


async def load_order(ctx: Context, problems: Problems, order_id: str, expected: int | None) -> Doc | None:
    if not money.check_id(problems, ["orderId"], order_id, "Order", "ord"):
        return None
    doc = await orders.get(ctx.org, order_id)
    if doc is None:
        problems.add(["orderId"], f"no order {order_id} in this organization", UserErrorCode.NOT_FOUND)
    elif expected is not None and expected != doc["revision"]:
        problems.add(["expectedRevision"], f"the order is at revision {doc['revision']}", UserErrorCode.REVISION_CONFLICT)
    return doc


def _status_problem(problems: Problems, doc: Doc, allowed: tuple[str, ...], what: str) -> None:
    if doc["status"] not in allowed:
        problems.add(["orderId"], f"a {doc['status']} order cannot be {what} (only {', '.join(allowed)})",
                     UserErrorCode.INVALID_STATUS)


async def _move(ctx: Context, doc: Doc, guard: dict[str, Any], fields: Doc, kind: str | None, message: str,
                data: Doc | None = None) -> OrderPayload:
    """One guarded transition of an order, its timeline event, and the payload."""
    t = now()
    after = await orders.transition(ctx.org, doc["id"], guard, fields, t, revision=doc["revision"])
    if after is None:
        problems = Problems()
        problems.add(["orderId"], "the order changed meanwhile; read it again", UserErrorCode.REVISION_CONFLICT)
        return OrderPayload(order=None, user_errors=problems.errors)
    if kind is not None:
        await timeline.record(ctx.org, doc["customerId"], kind, ctx.actor(), t, {"orderId": doc["id"], **(data or {})},
                              message)
    await clock.arm_order(ctx.org, after, t)  # the billing clock's jobs follow the change (issue 12)
    forget_order(ctx, doc["id"], doc["customerId"])
    return OrderPayload(order=Order.from_doc(after), user_errors=[])


@strawberry.type
class OrderQueries:
    @strawberry.field(description="One order (subscription or one-time); null when there is none in this organization.")
    async def order(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="`ord_…`")]) -> Order | None:
        return await info.context.loaders.order_by_id.load(str(id))


@strawberry.type
class OrderMutations:
    @mutation(
        "Creates a subscription or one-time order (the guide's *Create an order*) and its initial invoice. With "
        "autopay and a usable instrument the invoice is charged at once (backup instruments on a decline); "
        "otherwise it waits for payment. Paying it activates the order. Exactly once per `idempotencyKey`."
    )
    async def order_create(self, info: Info, input: OrderCreateInput) -> OrderCreatePayload:
        ctx, problems = info.context, Problems()
        key = money.idempotency_key(problems, input.idempotency_key)
        if problems:
            return OrderCreatePayload(order=None, invoice=None, transaction=None, user_errors=problems.errors)
        order, inv, last, problems = await ordering.create(ctx, input, key)
        if order is not None:
            forget_order(ctx, order["id"], order["customerId"])
        return OrderCreatePayload(
            order=Order.from_doc(order) if order else None,
            invoice=Invoice.from_doc(inv) if inv else None,
            transaction=Transaction.from_doc(last) if last else None,
            user_errors=problems.errors,
        )

    @mutation(
        "Cancels a subscription now (it churns at once) or at the end of its period (CANCELED until then), "
        "recording who canceled and why (the guide's *Cancel subscription*)."
    )
    async def order_cancel(self, info: Info, input: OrderCancelInput) -> OrderPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        description = text(problems, ["description"], input.description, 255)
        if doc is not None and proration.pending(doc):  # a prorated cancel a crash interrupted: finish it
            after = await proration.finish_cancel_credit(ctx.org, ctx.actor(), doc["id"], t)
            forget_order(ctx, doc["id"], doc["customerId"])
            return OrderPayload(order=Order.from_doc(after or doc), user_errors=[])
        if doc is not None:
            if doc["orderType"] != "SUBSCRIPTION":
                problems.add(["orderId"], "only subscriptions are canceled; void a pending one-time order",
                             UserErrorCode.INVALID_STATUS)
            else:
                _status_problem(problems, doc, RECURRING_LIVE, "canceled")
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        at_end = input.timing.name == "END_OF_PERIOD"
        fields = cancel_fields(doc, t, at_end=at_end, canceled_by=input.canceled_by.name, category=input.category.name,
                               description=description)
        churn = fields["churnTime"]
        when = f"at {churn.isoformat()}" if at_end else "now"
        credit = await proration.cancel_credit(ctx.org, doc, churn) if input.prorated else None
        if credit is not None:
            fields["cancelCredit"] = credit  # issue 13: the memo's id and lines, written with the cancel
        payload = await _move(ctx, doc, {"status": {"$in": list(RECURRING_LIVE)}}, fields, "ORDER_CANCELED",
                              f"Subscription canceled ({input.category.name.replace('_', ' ').lower()}), ends {when}",
                              {"category": input.category.name, "canceledBy": input.canceled_by.name})
        if credit is not None and payload.order is not None:
            after = await proration.finish_cancel_credit(ctx.org, ctx.actor(), doc["id"], t)
            payload = OrderPayload(order=Order.from_doc(after) if after else payload.order, user_errors=[])
        return payload

    @mutation("Voids a pending order (and its unpaid initial invoice): it will never be activated.")
    async def order_void(self, info: Info, input: OrderActionInput) -> OrderPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if doc is not None:
            _status_problem(problems, doc, ("PENDING",), "voided")
            inv = await invoices.get(ctx.org, doc["initialInvoiceId"])
            if inv is not None and inv.get("paidMinor", 0) > 0:
                problems.add(["orderId"], "its initial invoice is partly paid; refund the payment first",
                             UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        payload = await _move(ctx, doc, {"status": "PENDING"}, {"status": "VOIDED", "voidTime": t,
                              "billingStatus": "VOIDED"}, "ORDER_VOIDED", "Pending order voided")
        if payload.order is not None:
            await invoicing.void_invoice(ctx.org, ctx.actor(), doc["initialInvoiceId"], t)
        return payload

    @mutation("Pauses an active subscription: no renewals until it is resumed.")
    async def order_pause(self, info: Info, input: OrderActionInput) -> OrderPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if doc is not None:
            _status_problem(problems, doc, ("ACTIVE",), "paused")
            if doc["orderType"] != "SUBSCRIPTION":
                problems.add(["orderId"], "only subscriptions pause", UserErrorCode.INVALID_STATUS)
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        return await _move(ctx, doc, {"status": "ACTIVE"}, {"status": "PAUSED", "pausedTime": t}, "ORDER_PAUSED",
                           "Subscription paused")

    @mutation(
        "Resumes a paused subscription. Its renewal moves out by the time it was paused (paid time is not lost)."
    )
    async def order_resume(self, info: Info, input: OrderActionInput) -> OrderPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if doc is not None:
            _status_problem(problems, doc, ("PAUSED",), "resumed")
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        fields: Doc = {"status": "ACTIVE", "pausedTime": None}
        paused_for = t - (doc.get("pausedTime") or t)
        if doc.get("renewalTime"):
            fields["renewalTime"] = doc["renewalTime"] + paused_for
        if doc.get("currentPeriodEnd"):
            fields["currentPeriodEnd"] = doc["currentPeriodEnd"] + paused_for
        return await _move(ctx, doc, {"status": "PAUSED"}, fields, "ORDER_RESUMED", "Subscription resumed")

    @mutation("Moves the next renewal of a subscription (the guide's *update a renewal date*).")
    async def order_renewal_time_update(self, info: Info, input: OrderRenewalTimeUpdateInput) -> OrderPayload:
        ctx, problems, t = info.context, Problems(), now()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        if input.renewal_time <= t:
            problems.add(["renewalTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
        if doc is not None:
            if doc["orderType"] != "SUBSCRIPTION" or doc.get("isTrialOnly"):
                problems.add(["orderId"], "only recurring subscriptions renew", UserErrorCode.INVALID_STATUS)
            else:
                _status_problem(problems, doc, ("PENDING", "ACTIVE", "PAUSED"), "renewed")
            if doc.get("renewalTime") == input.renewal_time:
                problems.add(["renewalTime"], "the order renews at this time already", UserErrorCode.NOTHING_TO_CHANGE)
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        return await _move(ctx, doc, {}, {"renewalTime": input.renewal_time, "currentPeriodEnd": input.renewal_time},
                           None, "")

    @mutation(
        "Replaces a subscription's items (the full new set). They bill from the next renewal on; the current "
        "period stays as paid (no proration)."
    )
    async def order_items_change(self, info: Info, input: OrderItemsChangeInput) -> OrderPayload:
        ctx, problems = info.context, Problems()
        doc = await load_order(ctx, problems, str(input.order_id), input.expected_revision)
        items = await ordering.effective_items(ctx.org, problems, ["items"], input.items, "SUBSCRIPTION")
        if doc is not None:
            if doc["orderType"] != "SUBSCRIPTION":
                problems.add(["orderId"], "only a subscription's items change", UserErrorCode.INVALID_STATUS)
            else:
                _status_problem(problems, doc, ("PENDING", "ACTIVE", "PAUSED"), "changed")
            shape = ordering._consistency(problems, items)
            if shape is not None:
                old_unit, old_length, _ = invoicing.order_period(doc)
                if shape[0] != doc["currency"]:
                    problems.add(["items"], f"the order is in {doc['currency']}", UserErrorCode.CURRENCY_MISMATCH)
                if not pricing.same_length((old_unit, old_length), (shape[1], shape[2])):
                    problems.add(["items"], f"the order bills every {old_length} {old_unit}", UserErrorCode.PERIOD_MISMATCH)
        if problems or doc is None:
            return OrderPayload(order=None, user_errors=problems.errors)
        mrr = 0
        for item in items:
            rec = item["plan"].get("recurringInterval")
            if rec and not item["plan"].get("meteredBilling"):
                amount = pricing.line_minor(item["plan"]["pricing"], item["quantity"], doc["currency"])
                mrr += pricing.monthly_minor(amount, rec["unit"], rec["length"])
        return await _move(ctx, doc, {}, {"items": items, "mrrMinor": mrr}, "ORDER_ITEMS_CHANGED",
                           "Subscription items changed", {"itemCount": len(items)})


__all__ = ["OrderMutations", "OrderQueries", "datetime"]
