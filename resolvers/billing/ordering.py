"""`orderCreate`: every rule of *Create an order* checked at once, then resumable steps.

1. ORDER: the order is inserted PENDING with everything its invoices need and the id of its initial
   invoice chosen up front. Its `creationKey` (the idempotency key, unique) makes it the claim: a
   retry with the same key finds it and resumes; a different input under the key is refused.
2. INVOICE: the initial invoice is inserted with that id and the unique period key `<order>:1`.
3. CHARGE: with autopay and a usable instrument, each attempt is claimed on the invoice before the
   gateway is called (resolvers/billing/invoicing.py), falling back to backup instruments.
4. SETTLE: a paid initial invoice activates the order (guarded by PENDING).
Every step reads what the previous ones left, so `advance` finishes an order from wherever a crash
stopped it, and never makes a second invoice or a second charge.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from strawberry import Some

from resolvers.billing import clock, invoicing, plan_rules, pricing
from resolvers.billing import coupons as coupon_service
from resolvers.billing import shipping as shipping_service
from resolvers.context import Context, now
from resolvers.money import money
from resolvers.money.sales import usable
from resolvers.validation import Path, text
from schema.billing.orders import OrderCreateInput, OrderItemInput
from schema.common import Problems, UserErrorCode
from store.activity import timeline
from store.billing import catalog, invoices, orders
from store.customers import websites
from store.db import Doc, OrgDb
from store.ids import new_id
from store.money import transactions
from store.wallet import payment_instruments as pi

MAX_ITEMS = 20
MAX_QUANTITY = 1_000_000_000
PENDING_ORDER_DAYS = 30

def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Some):
        return {"some": _plain(value.value)}
    if hasattr(value, "__dict__"):
        return {k: _plain(v) for k, v in vars(value).items() if k != "idempotency_key"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def input_hash(inp: Any) -> str:
    """Canonical hash of an input (without its idempotency key): the same order asked for twice."""
    return hashlib.sha256(orjson.dumps(_plain(inp), option=orjson.OPT_SORT_KEYS)).hexdigest()


# ---------------------------------------------------------------------------------------------- rules


async def effective_items(
    org: OrgDb, problems: Problems, path: Path, items: list[OrderItemInput], order_type: str
) -> list[Doc]:
    """The order items: each catalog plan copied (with its revision), customised, checked."""
    if not items:
        problems.add(path, "give at least one item", UserErrorCode.REQUIRED)
        return []
    if len(items) > MAX_ITEMS:
        problems.add(path, f"at most {MAX_ITEMS} items", UserErrorCode.TOO_MANY)
    ids = [str(i.plan_id) for i in items]
    plans = await catalog.get_many(org, catalog.PLANS, ids)
    product_ids = list({p["productId"] for p in plans if p})
    products = {p["id"]: p for p in await catalog.get_many(org, catalog.PRODUCTS, product_ids) if p}
    out: list[Doc] = []
    for i, (item, plan) in enumerate(zip(items, plans, strict=True)):
        ipath = [*path, i]
        if not money.check_id(problems, [*ipath, "planId"], ids[i], "Plan", "plan"):
            continue
        if plan is None:
            problems.add([*ipath, "planId"], f"no plan {ids[i]} in this organization", UserErrorCode.NOT_FOUND)
            continue
        product = products.get(plan["productId"])
        if not plan.get("isActive", True) or (product is not None and not product.get("isActive", True)):
            problems.add([*ipath, "planId"], f"{ids[i]} (or its product) is deactivated", UserErrorCode.INACTIVE)
        settings, changed = (
            plan_rules.apply_override(plan, item.customize) if item.customize else
            ({k: plan.get(k) for k in plan_rules.SETTINGS}, [])
        )
        if changed:
            plan_rules.check(problems, [*ipath, "customize"], settings)
        kind = settings["type"]
        if (order_type == "ONE_TIME") != (kind == "ONE_TIME"):
            problems.add([*ipath, "planId"], f"a {order_type} order cannot have a {kind} plan",
                         UserErrorCode.ORDER_TYPE_MISMATCH)
        if not 0 <= item.quantity <= MAX_QUANTITY:
            problems.add([*ipath, "quantity"], f"must be between 0 and {MAX_QUANTITY}", UserErrorCode.QUANTITY_OUT_OF_RANGE)
        elif not settings.get("meteredBilling"):
            low, high = pricing.quantity_bounds(settings["pricing"])
            if item.quantity < low or (high is not None and item.quantity > high):
                top = high if high is not None else "unbounded"
                problems.add([*ipath, "quantity"], f"the plan takes quantities {low}..{top}",
                             UserErrorCode.QUANTITY_OUT_OF_RANGE)
        copy = {**settings, "id": plan["id"], "productId": plan["productId"], "revision": plan["revision"]}
        out.append({"id": new_id("ordi"), "quantity": item.quantity, "plan": copy, "customized": changed})
    return out


def _consistency(problems: Problems, items: list[Doc]) -> tuple[str, str, int] | None:
    """One currency and (for subscriptions) one period length; returns (currency, unit, length)."""
    if not items:
        return None
    currency = items[0]["plan"]["currency"]
    period: tuple[str, int] | None = None
    for i, item in enumerate(items):
        plan = item["plan"]
        if plan["currency"] != currency:
            problems.add(["items", i, "planId"], f"is in {plan['currency']}; the order is in {currency}",
                         UserErrorCode.CURRENCY_MISMATCH)
        rec = plan.get("recurringInterval")
        if rec:
            this = (rec["unit"], rec["length"])
            if period is None:
                period = this
            elif not pricing.same_length(period, this):
                problems.add(["items", i, "planId"],
                             f"bills every {this[1]} {this[0]}; the order's items bill every {period[1]} {period[0]}",
                             UserErrorCode.PERIOD_MISMATCH)
    unit, length = period if period else ("MONTH", 1)
    return currency, unit, length


def _anchor_day_end(start: datetime, day: int) -> datetime:
    """The first time after `start` on the given day of month (clamped in short months)."""
    for months in range(0, 14):
        candidate = pricing.add_period(start.replace(day=1), "MONTH", months)
        last = pricing.add_period(candidate, "MONTH", 1) - timedelta(days=1)
        moved = candidate.replace(day=min(day, last.day))
        if moved > start:
            return moved
    return pricing.add_period(start, "MONTH", 1)


def schedule(problems: Problems, inp: OrderCreateInput, items: list[Doc], unit: str, length: int, t: datetime) -> Doc:
    """The first service period, trial and renewal of a new order."""
    start = inp.start_time or t
    subscription = inp.order_type.name == "SUBSCRIPTION"
    out: Doc = {"startTime": start, "currentPeriodStart": start, "currentPeriodEnd": None, "renewalTime": None,
                "inTrial": False, "trialEndTime": None, "isTrialOnly": False, "serviceAnchorTime": None}
    # Times past the horizon are refused before any period is computed from them (year 9999 + a period
    # does not exist).
    horizon = t + timedelta(days=3653)
    far = [key for key in ("start_time", "renewal_time", "service_anchor_time", "trial_end_time", "abandon_time")
           if isinstance(getattr(inp, key, None), datetime) and getattr(inp, key) > horizon]
    for key in far:
        problems.add([_camel(key)], "may be at most 10 years ahead", UserErrorCode.INVALID)
    if far:
        return out
    if inp.start_time is not None and start < pricing.add_period(t, unit, -length):
        problems.add(["startTime"], "may be at most one billing period in the past", UserErrorCode.DATE_IN_PAST)
    if not subscription:
        for key in ("renewal_time", "service_anchor_time"):
            if getattr(inp, key) is not None:
                problems.add([_camel(key)], "only subscriptions renew", UserErrorCode.INVALID)
        if inp.trial_end_time is not None or inp.is_trial_only:
            problems.add(["trialEndTime"], "a one-time order has no trial", UserErrorCode.INVALID)
        return out
    trial_end: datetime | None = None
    if inp.trial_end_time is not None:
        trial_end = inp.trial_end_time.value
        if trial_end is not None and trial_end <= start:
            problems.add(["trialEndTime"], "must be after the start", UserErrorCode.INVALID)
    else:
        for item in items:
            trial = item["plan"].get("trial")
            if trial:
                trial_end = pricing.add_period(start, trial["unit"], trial["length"])
                break
    plans_trial_only = bool(items) and all(i["plan"]["type"] == "TRIAL_ONLY" for i in items)
    trial_only = inp.is_trial_only or plans_trial_only
    if inp.is_trial_only and (inp.trial_end_time is None or inp.trial_end_time.value is None):
        problems.add(["trialEndTime"], "a trial-only order needs the trial's end time", UserErrorCode.REQUIRED)
    if not trial_only and items and not any(i["plan"]["type"] == "SUBSCRIPTION" for i in items):
        problems.add(["items"], "a subscription needs at least one SUBSCRIPTION plan", UserErrorCode.ORDER_TYPE_MISMATCH)
    if trial_only and trial_end is None and not problems:
        problems.add(["trialEndTime"], "a trial-only order needs a trial", UserErrorCode.REQUIRED)
    one_period = pricing.add_period(start, unit, length)
    if trial_end is not None:
        end = trial_end
    elif inp.service_anchor_time is not None:
        end = inp.service_anchor_time
        if not start < end <= one_period:
            problems.add(["serviceAnchorTime"], "must lie within the first billing period after the start",
                         UserErrorCode.INVALID)
    else:
        day = next((i["plan"].get("periodAnchorDay") for i in items if i["plan"].get("periodAnchorDay")), None)
        end = _anchor_day_end(start, day) if day else one_period
    renewal = inp.renewal_time or end
    if inp.renewal_time is not None and inp.renewal_time <= start:
        problems.add(["renewalTime"], "must be after the start", UserErrorCode.INVALID)
    out.update(currentPeriodEnd=end, renewalTime=None if trial_only else renewal, inTrial=trial_end is not None,
               trialEndTime=trial_end, isTrialOnly=trial_only, serviceAnchorTime=inp.service_anchor_time)
    return out


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.title() for w in rest)


def _shift(problems: Problems, path: Path, value: Any) -> Doc | None:
    if value is None:
        return None
    if not 1 <= value.length <= plan_rules.MAX_LENGTH:
        problems.add([*path, "length"], f"must be between 1 and {plan_rules.MAX_LENGTH}", UserErrorCode.INVALID)
    return {"unit": value.unit.name, "length": value.length}


def _amount(problems: Problems, path: Path, value: Decimal | None, currency: str) -> int:
    if value is None or value == 0:
        return 0
    if value < 0:
        problems.add(path, "may not be negative", UserErrorCode.INVALID)
        return 0
    return money.to_minor(problems, path, value, currency)


async def _instrument(org: OrgDb, problems: Problems, inp: OrderCreateInput, customer: Doc | None, t: datetime) -> None:
    if inp.payment_instrument_id is None or customer is None:
        return
    iid = str(inp.payment_instrument_id)
    path: Path = ["paymentInstrumentId"]
    if not money.check_id(problems, path, iid, "PaymentInstrument", "inst"):
        return
    inst = await pi.get(org, iid)
    if inst is None or inst["customerId"] != customer["id"]:
        problems.add(path, f"the customer has no payment instrument {iid}", UserErrorCode.NOT_FOUND)
        return
    check = Problems()
    if not usable(check, path, inst, t):
        problems.add(path, f"{iid} cannot pay: {check.errors[0].message}", UserErrorCode.INSTRUMENT_NOT_USABLE)


async def build(ctx: Context, inp: OrderCreateInput, key: str, t: datetime) -> tuple[Doc | None, Problems]:
    """The order document of a valid input (nothing written), or every problem of the input."""
    org, problems = ctx.org, Problems()
    customer = await money.load_customer(org, problems, ["customerId"], str(inp.customer_id))
    website_id = str(inp.website_id) if inp.website_id else (customer or {}).get("websiteId")
    website_known = inp.website_id is None or bool((await websites.get_many(org, [website_id or ""]))[0])
    if not website_known:
        problems.add(["websiteId"], f"no website {website_id} in this organization", UserErrorCode.NOT_FOUND)
    order_type = inp.order_type.name
    items = await effective_items(org, problems, ["items"], inp.items, order_type)
    shape = _consistency(problems, items)
    currency, unit, length = shape or ("USD", "MONTH", 1)
    plan = schedule(problems, inp, items, unit, length, t)
    await _instrument(org, problems, inp, customer, t)
    notes = text(problems, ["notes"], inp.notes, 65535)
    shipping = _amount(problems, ["shippingAmount"], inp.shipping_amount, currency)
    ship_doc: Doc | None = {"calculator": "MANUAL", "amountMinor": shipping} if shipping else None
    delivery: Doc | None = None
    if inp.calculated_shipping is not None:
        if inp.shipping_amount is not None:
            problems.add(["calculatedShipping"], "give either `shippingAmount` (manual) or `calculatedShipping`",
                         UserErrorCode.EXACTLY_ONE_REQUIRED)
        elif customer is not None and website_id and website_known and shape is not None:
            ship_doc, delivery = await shipping_service.calculate(
                org, problems, inp.calculated_shipping, website_id, currency, items, customer)
    abandon = inp.abandon_time or t + timedelta(days=PENDING_ORDER_DAYS)
    if inp.abandon_time is not None and inp.abandon_time <= t:
        problems.add(["abandonTime"], "lies in the past", UserErrorCode.DATE_IN_PAST)
    delinquency = _shift(problems, ["delinquencyPeriod"], inp.delinquency_period)
    issue_shift = _shift(problems, ["invoiceIssueShift"], inp.invoice_issue_shift) or next(
        (i["plan"].get("invoiceIssueShift") for i in items if i["plan"].get("invoiceIssueShift")), None)
    due_shift = _shift(problems, ["invoiceDueShift"], inp.invoice_due_shift) or next(
        (i["plan"].get("invoiceDueShift") for i in items if i["plan"].get("invoiceDueShift")), None)
    if order_type == "ONE_TIME" and delinquency is not None:
        problems.add(["delinquencyPeriod"], "a one-time order has no delinquency period", UserErrorCode.INVALID)
    if inp.coupon_ids is not None and customer is not None:
        await coupon_service.check_redeemable(org, problems, ["couponIds"], [str(c) for c in inp.coupon_ids], customer, t)
    if problems or customer is None:
        return None, problems
    mrr = 0
    for item in items:
        rec = item["plan"].get("recurringInterval")
        if rec and not item["plan"].get("meteredBilling"):
            amount = pricing.line_minor(item["plan"]["pricing"], item["quantity"], currency)
            mrr += pricing.monthly_minor(amount, rec["unit"], rec["length"])
    invoice_id = new_id("in")
    order = {
        "id": new_id("ord"), "creationKey": key, "inputHash": input_hash(inp), "customerId": customer["id"],
        "websiteId": website_id, "orderType": order_type, "status": "PENDING", "billingStatus": None,
        "currency": currency, "items": items, "autopay": inp.autopay,
        "paymentInstrumentId": str(inp.payment_instrument_id) if inp.payment_instrument_id else None,
        **plan, "rebillNumber": 1, "abandonTime": abandon, "delinquencyPeriod": delinquency,
        "shipping": ship_doc, "deliveryAddress": delivery,
        "invoiceIssueShift": issue_shift, "invoiceDueShift": due_shift, "notes": notes, "mrrMinor": mrr,
        "initialInvoiceId": invoice_id, "recentInvoiceId": invoice_id, "initialCharge": None,
        "activationTime": None, "canceledTime": None, "churnTime": None, "canceledBy": None, "cancelCategory": None,
        "cancelDescription": None, "pausedTime": None, "voidTime": None,
        "revision": 1, "createdTime": t, "updatedTime": t,
    }
    if inp.autopay:
        await _charge_checks(ctx, problems, order, customer, t)
    return (None, problems) if problems else (order, problems)


async def _charge_checks(ctx: Context, problems: Problems, order: Doc, customer: Doc, t: datetime) -> None:
    """Refuses, before anything is written, an autopay charge that could not go through: no gateway
    account for the currency, or a blocklisted customer or instrument."""
    inst = await invoicing.pick_instrument(ctx.org, order, customer, t)
    if inst is None:
        return
    await money.route_account(ctx.org, problems, order["currency"], None)
    types = await money.blocked_types(
        ctx.org, money.merge_attributes(money.customer_attributes(customer), money.instrument_attributes(inst)), t
    )
    if types:
        problems.add(None, f"the order's payment is refused: the blocklist has the customer's {', '.join(types)}",
                     UserErrorCode.BLOCKED)


# ---------------------------------------------------------------------------------------------- steps


async def advance(ctx: Context, order: Doc) -> tuple[Doc, Doc | None, Doc | None]:
    """Finishes the creation of `order` from wherever it stands; returns (order, initial invoice, the
    last charge attempted). Safe to call any number of times, concurrently too."""
    org, t = ctx.org, now()
    inv = await invoices.get(org, order["initialInvoiceId"])
    if inv is None:
        number = await invoices.next_number(org)
        kind = "ONE_TIME" if order["orderType"] == "ONE_TIME" else "INITIAL"
        doc = invoicing.invoice_doc(order, order["initialInvoiceId"], number, kind, 1, invoicing.initial_lines(order), t)
        doc = await coupon_service.discount_invoice(org, order["customerId"], doc, order, t)
        inv = await invoices.insert(org, doc)
        if inv is None:  # a concurrent resumer wrote it first
            inv = await invoices.get(org, order["initialInvoiceId"])
        else:
            await timeline.record(
                org, order["customerId"], "INVOICE_ISSUED", ctx.actor(), t,
                {"invoiceId": inv["id"], "amountMinor": inv["totalMinor"], "currency": inv["currency"]},
                f"Invoice #{number} issued ({invoicing.money_text(inv['totalMinor'], inv['currency'])})",
            )
        await invoicing.step("INVOICE")
    assert inv is not None
    await coupon_service.mark_applied(org, ctx.actor(), inv, t)
    last: Doc | None = None
    if inv["status"] in invoices.PAYABLE and inv["totalMinor"] == 0:
        inv = await invoicing.apply_payment(org, inv["id"], None, t) or inv
    if inv["status"] in invoices.PAYABLE and order["autopay"] and order.get("initialCharge") is None:
        inv, last = await _initial_charge(ctx, order, inv, t)
        order = await orders.get(org, order["id"]) or order
    else:
        ids = (order.get("initialCharge") or {}).get("transactionIds") or inv.get("transactionIds") or []
        last = await transactions.get(org, ids[-1]) if ids else None
    order = await invoicing.settle_order(org, ctx.actor(), order, inv, t)
    await invoicing.step("SETTLE")
    await clock.arm_order(org, order, t)  # the billing clock's jobs (issue 12)
    return order, inv, last


async def _initial_charge(ctx: Context, order: Doc, inv: Doc, t: datetime) -> tuple[Doc, Doc | None]:
    org = ctx.org
    customer = await invoicing.customer_doc(org, order["customerId"])
    assert customer is not None
    first = await invoicing.pick_instrument(org, order, customer, t)
    account = await money.route_account(org, Problems(), order["currency"], None)
    ids: list[str] = []
    if first is not None and account is not None:
        after, ids = await invoicing.charge_invoice(org, ctx.settings, ctx.actor(), inv["id"], customer, first, account, t)
        inv = after or await invoices.get(org, inv["id"]) or inv
        await invoicing.step("CHARGE")
        last = await transactions.get(org, ids[-1]) if ids else None
        if last is not None and last["status"] == "PENDING":
            return inv, last  # the outcome of that attempt is unknown: leave the order to reconcile
    await orders.transition(org, order["id"], {"initialCharge": None}, {"initialCharge": {"transactionIds": ids}}, t)
    return inv, (await transactions.get(org, ids[-1]) if ids else None)


async def create(ctx: Context, inp: OrderCreateInput, key: str) -> tuple[Doc | None, Doc | None, Doc | None, Problems]:
    """The whole of `orderCreate`: an existing order of this key is resumed (or the key refused);
    otherwise the input is checked and the order written and advanced."""
    org, t = ctx.org, now()
    problems = Problems()
    existing = await orders.by_creation_key(org, key)
    if existing is None:
        order, problems = await build(ctx, inp, key, t)
        if order is None:
            return None, None, None, problems
        if inp.coupon_ids:
            customer = await invoicing.customer_doc(org, order["customerId"])
            found = await coupon_service.check_redeemable(org, problems, ["couponIds"], [str(c) for c in inp.coupon_ids],
                                                          customer or {}, t)
            await coupon_service.redeem(org, ctx.actor(), customer or {}, found, f"order:{key}", problems, t)
            if problems:
                return None, None, None, problems
        inserted = await orders.insert(org, order)
        if inserted is not None:
            await timeline.record(
                org, order["customerId"], "ORDER_CREATED", ctx.actor(), t,
                {"orderId": order["id"], "orderType": order["orderType"]},
                f"{'Subscription' if order['orderType'] == 'SUBSCRIPTION' else 'One-time order'} created",
            )
            await invoicing.step("ORDER")
            existing = inserted
        else:
            existing = await orders.by_creation_key(org, key)
        assert existing is not None
    if existing["inputHash"] != input_hash(inp):
        problems.add(["idempotencyKey"], "this idempotency key was used with a different input (orderCreate); "
                     "use a new key for a new order", UserErrorCode.IDEMPOTENCY_KEY_REUSED)
        return None, None, None, problems
    order, inv, last = await advance(ctx, existing)
    if last is not None and inv is not None and inv["status"] in invoices.PAYABLE:
        response = last.get("gatewayResponse") or {}
        if last["status"] in ("TIMEOUT", "PENDING"):
            problems.add(None, response.get("message", "the gateway did not answer; the invoice waits for payment"),
                         UserErrorCode.GATEWAY_TIMEOUT)
        elif last["result"] == "DECLINED":
            problems.add(None, f"{response.get('code')}: {response.get('message')}; the invoice waits for payment",
                         UserErrorCode.DECLINED)
    return order, inv, last, problems
