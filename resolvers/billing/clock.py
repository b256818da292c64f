"""The billing clock: what happens to orders at a time, as jobs of the shared scheduler
(resolvers/scheduler.py, store/jobs.py). docs/billing.md "The clock" describes it for users.

| kind                  | key          | due                                  | does                                  |
|-----------------------|--------------|--------------------------------------|---------------------------------------|
| billing.renewal       | `ord_x:P`    | period P's start - issue shift       | period P's invoice, order to P; COMPLETED past the limit |
| billing.collect       | `in_x:k`     | due time, then the retry delays      | autopay attempt k, PAST_DUE (collection.py) |
| billing.delinquency   | `in_x`       | due time + delinquency period        | cancels the order (DELINQUENCY)       |
| billing.abandon       | `ord_x`      | abandon time                         | PENDING -> ABANDONED, its invoice too |
| billing.trial_end     | `ord_x`      | trial end                            | ends the trial; trial-only: TRIAL_ENDED |
| billing.churn         | `ord_x`      | churn time                           | CANCELED -> CHURNED                   |
| billing.pause_start/end | `ord_x`    | a scheduled pause's start / end      | ACTIVE -> PAUSED -> ACTIVE            |

`arm_order` schedules what an order's current state needs next; it runs after every change of an
order (creation, activation by a payment, every order mutation, every step here), and is idempotent (unique (kind, key)). Every
handler re-reads the order and acts only when its guard still holds, so a job that runs twice, late,
or after the order changed does nothing wrong: the invoice of (order, P) is unique by its `periodKey`,
the move to period P is guarded by `rebillNumber == P - 1`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from resolvers.billing import collection, invoicing, pricing
from resolvers.billing import coupons as coupon_service
from resolvers.billing import credit_memos as credit_service
from resolvers.billing.actors import SYSTEM
from resolvers.scheduler import JobRun, job_handler
from store.activity import timeline
from store.billing import clock as clock_store
from store.billing import coupons, invoices, orders
from store.db import Doc, OrgDb
from store.ids import new_id

RENEWAL, ABANDON, TRIAL_END, CHURN = "billing.renewal", "billing.abandon", "billing.trial_end", "billing.churn"
PAUSE_START, PAUSE_END = "billing.pause_start", "billing.pause_end"
record = collection.record
Event = tuple[str, Doc, str]  # a timeline event of the renewal: (kind, data, message)


def issue_time(order: Doc, period_start: datetime) -> datetime:
    return invoicing.shift(period_start, order.get("invoiceIssueShift"), -1)


def order_jobs(order: Doc) -> list[clock_store.Wanted]:
    """The jobs the order's state calls for (see the module's table)."""
    oid, status = order["id"], order["status"]
    wanted: list[clock_store.Wanted] = []
    if status == "PENDING" and order.get("abandonTime"):
        wanted.append((ABANDON, oid, order["abandonTime"]))
    if order["orderType"] != "SUBSCRIPTION":
        return wanted
    if status == "ACTIVE" and order.get("renewalTime") and not order.get("isTrialOnly"):
        period = order.get("rebillNumber", 1) + 1
        wanted.append((RENEWAL, f"{oid}:{period}", issue_time(order, order["renewalTime"])))
    if status == "ACTIVE" and order.get("inTrial") and order.get("trialEndTime"):
        wanted.append((TRIAL_END, oid, order["trialEndTime"]))
    if status == "CANCELED" and order.get("churnTime"):
        wanted.append((CHURN, oid, order["churnTime"]))
    pause = order.get("scheduledPause")
    if pause and status == "ACTIVE" and pause.get("startTime"):
        wanted.append((PAUSE_START, oid, pause["startTime"]))
    if pause and status == "PAUSED" and pause.get("endTime"):
        wanted.append((PAUSE_END, oid, pause["endTime"]))
    return wanted


async def arm_order(org: OrgDb, order: Doc, t: datetime) -> None:
    """Schedules the jobs the order's state calls for (each at most once: unique (kind, key))."""
    await clock_store.arm_many(org, order_jobs(order), t)


# ---------------------------------------------------------------------------------------------- periods


def _anchor(order: Doc, period: int, start: datetime) -> Doc:
    """Where period numbers are counted from, so month ends do not drift (Jan 31, Feb 28, Mar 31 …):
    the order's start when period `period` starts on its schedule, else the kept anchor if it still
    agrees, else this period's start (the schedule moved: a pause, a new renewal time)."""
    unit, length, _ = invoicing.order_period(order)
    for anchor in ({"time": order["startTime"], "period": 1}, order.get("clockAnchor")):
        if anchor and pricing.add_period(anchor["time"], unit, length, period - anchor["period"]) == start:
            return anchor
    return {"time": start, "period": period}


def period_end(order: Doc, anchor: Doc, period: int) -> datetime:
    unit, length, _ = invoicing.order_period(order)
    return pricing.add_period(anchor["time"], unit, length, period + 1 - anchor["period"])


def _metered_quantity(item: Doc, reports: list[Doc], sticky: Doc | None) -> Decimal:
    metered = item["plan"]["meteredBilling"]
    mine = [Decimal(r["quantity"]) for r in reports if r["orderItemId"] == item["id"]]
    if mine:
        q = sum(mine, Decimal(0)) if metered["strategy"] == "SUM" else mine[-1]
    elif metered.get("sticky") and sticky is not None:
        q = Decimal(sticky["quantity"])
    else:
        q = Decimal(0)
    if metered.get("minQuantity") is not None:
        q = max(q, Decimal(str(metered["minQuantity"])))
    if metered.get("maxQuantity") is not None:
        q = min(q, Decimal(str(metered["maxQuantity"])))
    return q


def metered_amount(plan_pricing: Doc, q: Decimal) -> Decimal:
    """The price of a metered quantity (which may be fractional): flat rate per unit, a fixed fee as
    is, brackets by the whole units begun; nothing for nothing."""
    formula = plan_pricing["formula"]
    if formula == "FIXED_FEE":
        return Decimal(plan_pricing["price"])
    if q == 0:
        return Decimal(0)
    if formula == "FLAT_RATE":
        return Decimal(plan_pricing["price"]) * q
    whole = int(q.to_integral_value(rounding="ROUND_CEILING"))
    return pricing.line_amount(plan_pricing, whole)


async def renewal_lines(org: OrgDb, order: Doc, period: int, start: datetime, end: datetime,
                        final: bool = False) -> tuple[list[Doc], list[str]]:
    """Period P's invoice: prepaid items for P itself; postpaid items for the period that just ended
    (P - 1), metered ones at the quantity their usage gives. `final`: the order ends instead of starting
    P (its invoice limit), so only the postpaid part is billed. Returns the lines and the usage billed."""
    cur = order["currency"]
    prev_start, prev_end = order["currentPeriodStart"], order["currentPeriodEnd"]
    lines: list[Doc] = []
    usage_ids: list[str] = []
    reports: list[Doc] | None = None
    for item in order["items"]:
        plan = item["plan"]
        if plan.get("meteredBilling"):
            if reports is None:
                reports = await clock_store.usage_of(org, order["id"], prev_start, prev_end)
                usage_ids = [r["id"] for r in reports]
            sticky = None
            if plan["meteredBilling"].get("sticky") and not any(r["orderItemId"] == item["id"] for r in reports):
                sticky = await clock_store.last_usage_before(org, order["id"], item["id"], prev_start)
            q = _metered_quantity(item, reports, sticky)
            amount = metered_amount(plan["pricing"], q)
            lines.append({
                "id": new_id("ini"), "type": "DEBIT", "description": f"{plan['name']} × {format(q.normalize(), 'f')} (metered)",
                "unitPrice": format(amount, "f"), "quantity": 1, "meteredQuantity": format(q.normalize(), "f"),
                "amountMinor": pricing.round_minor(amount, cur),
                "planId": plan["id"], "productId": plan["productId"], "orderItemId": item["id"],
                "periodStartTime": prev_start, "periodEndTime": prev_end, "periodNumber": period - 1,
            })
        elif plan.get("billingTiming", "PREPAID") == "POSTPAID":
            lines.append(invoicing.item_line(item, cur, prev_start, prev_end, period - 1))
        elif not final:
            lines.append(invoicing.item_line(item, cur, start, end, period))
    return lines, usage_ids


async def issue_renewal(org: OrgDb, order: Doc, period: int, start: datetime, end: datetime, at: datetime,
                        t: datetime, final: bool = False) -> tuple[Doc | None, bool]:
    """Period P's invoice, once: its `periodKey` `<order>:P` is unique, so a second run finds the first's.
    Like the first invoice it takes the customer's coupon discounts (valid at its issue time; the customer
    is read only when it has redemptions). Returns (invoice, whether this call wrote it); (None, False): a
    final invoice with nothing to bill."""
    lines, usage_ids = await renewal_lines(org, order, period, start, end, final)
    if final and not lines:
        return None, False
    number = await invoices.next_number(org)
    doc = invoicing.invoice_doc(order, new_id("in"), number, "RENEWAL", period, lines, at)
    doc["collectionAttempts"] = 0
    if (await coupons.of_customers(org, [order["customerId"]], active_only=True))[0]:
        doc = await coupon_service.discount_invoice(org, order["customerId"], doc, order, at)
    inserted = await invoices.insert(org, doc)
    if inserted is None:
        found = await org[invoices.COLLECTION].find_one({"periodKey": f"{order['id']}:{period}"}, {"_id": 0})
        assert found is not None  # the unique period key refused the insert
        return found, False
    await invoicing.step("RENEWAL_INVOICE")
    await clock_store.mark_billed(org, usage_ids, inserted["id"], t)
    return inserted, True


def issued_event(inv: Doc) -> Event:
    return ("INVOICE_ISSUED", {"invoiceId": inv["id"], "amountMinor": inv["totalMinor"], "currency": inv["currency"]},
            f"Invoice #{inv['invoiceNumber']} issued ({invoicing.money_text(inv['totalMinor'], inv['currency'])})")


async def settle_renewal(org: OrgDb, inv: Doc, t: datetime) -> Doc:
    """What follows a written renewal invoice, each step safe to repeat (a renewal that stopped midway
    runs it again on the invoice it finds): its discounts are counted on their redemptions (once per
    invoice, so a coupon for N invoices discounts N), and the customer's credit balance (memos of its
    currency, oldest first) is allocated to it up to the amount due, each allocation's id derived from
    (invoice, memo) so a repeat allocates nothing twice. Returns the invoice afterwards."""
    await coupon_service.mark_applied(org, SYSTEM, inv, t)
    if inv["status"] not in invoices.PAYABLE or inv["totalMinor"] - inv.get("paidMinor", 0) <= 0:
        return inv
    for memo in await clock_store.credit_for_invoice(org, inv["customerId"], inv["currency"], inv["id"]):
        alloc_id = credit_service.allocation_id(f"renewal:{inv['id']}", memo["id"], inv["id"])
        _, after, _ = await credit_service.allocate(org, SYSTEM, memo["id"], inv["id"], None, alloc_id, t)
        inv = after or inv
        if inv["status"] not in invoices.PAYABLE:
            break
    return inv


@job_handler(RENEWAL)
async def renew(run: JobRun) -> datetime | None:
    """Period P: its invoice (discounted), the order moved to P, then the invoice settled (redemptions
    counted, credit allocated) and its collection scheduled with the order's next renewal. The timeline
    events of the move are written with it: the move happens once (guarded by `rebillNumber`), so they do
    too (only a crash right between the two loses them)."""
    org, t = run.org, run.now
    order_id, period_text = run.job["key"].rsplit(":", 1)
    period = int(period_text)
    order = await orders.get(org, order_id)
    if order is None:
        return None
    if order.get("rebillNumber", 1) < period:
        if order["status"] != "ACTIVE" or not order.get("renewalTime") or order.get("isTrialOnly") \
                or order.get("rebillNumber", 1) != period - 1:
            return None  # paused, canceled, ended, or this job is stale: the order's next change re-arms
        start = order["renewalTime"]
        at = issue_time(order, start)
        if at > t:
            return at  # the renewal moved later
        _, _, limit = invoicing.order_period(order)
        if limit is not None and period > limit:
            await _complete(org, order, period, start, at, limit, t)
            return None
        anchor = _anchor(order, period, start)
        end = period_end(order, anchor, period)
        issued, _ = await issue_renewal(org, order, period, start, end, at, t)
        assert issued is not None  # a regular renewal always has its invoice
        moved = await orders.transition(
            org, order_id, {"status": "ACTIVE", "rebillNumber": period - 1},
            {"rebillNumber": period, "currentPeriodStart": start, "currentPeriodEnd": end, "renewalTime": end,
             "clockAnchor": anchor, "recentInvoiceId": issued["id"], "billingStatus": issued["status"]}, t,
        )
        if moved is None:
            # The order changed meanwhile (canceled, paused): its change re-armed what it needs; when this
            # renewal runs again it finds the invoice, moves the order and settles the invoice then.
            return None
        order = moved
        await timeline.record_many(org, order["customerId"], SYSTEM, t, [
            issued_event(issued),
            ("ORDER_RENEWED", {"orderId": order_id, "period": period},
             f"Subscription renewed: period {period} ({start.date()} – {end.date()})")])
        inv = await settle_renewal(org, issued, t)
    elif order.get("rebillNumber", 1) == period:  # this job stopped after moving the order: finish
        found = await org[invoices.COLLECTION].find_one({"periodKey": f"{order_id}:{period}"}, {"_id": 0})
        if found is None:
            return None
        inv = await settle_renewal(org, found, t)
    else:
        return None  # a stale job of an earlier period
    await invoicing.step("RENEWAL_SETTLED")
    if inv["status"] in invoices.PAYABLE and inv["totalMinor"] == 0:
        inv = await invoicing.apply_payment(org, inv["id"], None, t) or inv
        order = await collection.on_paid(org, order, inv, t)
    elif inv["status"] in invoices.PAYABLE:  # its collection and the order's next jobs, in one write
        await clock_store.arm_many(org, [*collection.collection_jobs(inv), *order_jobs(order)], t)
        return None
    elif inv["status"] == "PAID":  # the credit balance paid it
        order = await collection.on_paid(org, order, inv, t)
    await arm_order(org, order, t)
    return None


async def _complete(org: OrgDb, order: Doc, period: int, start: datetime, at: datetime, limit: int,
                    t: datetime) -> None:
    """Past the plan's limit: the last period's postpaid (and metered) part is billed now, then the order
    is done."""
    last, fresh = await issue_renewal(org, order, period, start, start, at, t, final=True)
    if last is not None:
        last = await settle_renewal(org, last, t)
    done = await orders.transition(
        org, order["id"], {"status": "ACTIVE", "rebillNumber": period - 1},
        {"status": "COMPLETED", "renewalTime": None, "completedTime": start,
         **({"recentInvoiceId": last["id"], "billingStatus": last["status"]} if last else {})}, t)
    events: list[Event] = [issued_event(last)] if last is not None and fresh else []
    if done is not None:
        events.append(("ORDER_COMPLETED", {"orderId": order["id"]}, f"Subscription completed after its {limit} periods"))
    await timeline.record_many(org, order["customerId"], SYSTEM, t, events)
    if last is not None and last["status"] in invoices.PAYABLE and last["totalMinor"] == 0:
        await invoicing.apply_payment(org, last["id"], None, t)
    elif last is not None and last["status"] in invoices.PAYABLE:
        await collection.schedule_collection(org, done or order, last, t)
    elif last is not None and last["status"] == "PAID":  # the credit balance paid it
        await collection.on_paid(org, done or order, last, t)


# ---------------------------------------------------------------------------------------------- states


@job_handler(ABANDON)
async def abandon(run: JobRun) -> datetime | None:
    """A pending order not activated by its abandon time is abandoned, its unpaid invoice too."""
    org, t = run.org, run.now
    order = await orders.get(org, run.job["key"])
    if order is None or order["status"] != "PENDING" or not order.get("abandonTime"):
        return None
    if order["abandonTime"] > t:
        return order["abandonTime"]
    after = await orders.transition(org, order["id"], {"status": "PENDING"},
                                    {"status": "ABANDONED", "abandonedTime": t, "billingStatus": "ABANDONED"}, t)
    if after is None:
        return None
    await record(org, order["customerId"], "ORDER_ABANDONED", t, {"orderId": order["id"]},
                 "Pending order abandoned: not activated by its abandon time")
    inv = await invoices.transition(org, order["initialInvoiceId"],
                                    {"status": {"$in": ["DRAFT", *invoices.PAYABLE]}, "paidMinor": 0},
                                    {"status": "ABANDONED", "abandonedTime": t}, t)
    if inv is not None:
        await record(org, order["customerId"], "INVOICE_ABANDONED", t,
                     {"invoiceId": inv["id"], "amountMinor": inv["totalMinor"], "currency": inv["currency"]},
                     f"Invoice #{inv.get('invoiceNumber')} abandoned with its order")
    return None


@job_handler(TRIAL_END)
async def trial_end(run: JobRun) -> datetime | None:
    """The trial ends: a trial-only order becomes TRIAL_ENDED; others go on to their first paid period
    (whose invoice the renewal issues; paying it converts the trial)."""
    org, t = run.org, run.now
    order = await orders.get(org, run.job["key"])
    if order is None or not order.get("trialEndTime") or order.get("trialEndedTime") or order["status"] != "ACTIVE":
        return None
    if order["trialEndTime"] > t:
        return order["trialEndTime"]
    fields: Doc = {"inTrial": False, "trialEndedTime": order["trialEndTime"]}
    if order.get("isTrialOnly"):
        fields.update(status="TRIAL_ENDED", renewalTime=None)
    after = await orders.transition(org, order["id"], {"status": "ACTIVE", "trialEndedTime": None}, fields, t)
    if after is not None:
        await record(org, order["customerId"], "ORDER_TRIAL_ENDED", t, {"orderId": order["id"]},
                     "Trial ended" + (": the trial-only order is over" if order.get("isTrialOnly") else ""))
    return None


@job_handler(CHURN)
async def churn(run: JobRun) -> datetime | None:
    """A subscription canceled at the end of its period churns at its churn time."""
    org, t = run.org, run.now
    order = await orders.get(org, run.job["key"])
    if order is None or order["status"] != "CANCELED" or not order.get("churnTime"):
        return None
    if order["churnTime"] > t:
        return order["churnTime"]
    after = await orders.transition(org, order["id"], {"status": "CANCELED", "churnTime": order["churnTime"]},
                                    {"status": "CHURNED", "renewalTime": None}, t)
    if after is not None:
        await record(org, order["customerId"], "ORDER_CHURNED", t, {"orderId": order["id"]},
                     "Subscription churned at the end of its paid period")
    return None


@job_handler(PAUSE_START)
async def pause_start(run: JobRun) -> datetime | None:
    org, t = run.org, run.now
    order = await orders.get(org, run.job["key"])
    pause = (order or {}).get("scheduledPause")
    if order is None or not pause or order["status"] != "ACTIVE":
        return None
    if pause["startTime"] > t:
        return pause["startTime"]
    after = await orders.transition(org, order["id"], {"status": "ACTIVE", "scheduledPause.startTime": pause["startTime"]},
                                    {"status": "PAUSED", "pausedTime": pause["startTime"]}, t)
    if after is not None:
        await record(org, order["customerId"], "ORDER_PAUSED", t, {"orderId": order["id"]},
                     "Subscription paused (scheduled)" + (f" until {pause['endTime'].isoformat()}" if pause.get("endTime") else ""))
        await arm_order(org, after, t)
    return None


@job_handler(PAUSE_END)
async def pause_end(run: JobRun) -> datetime | None:
    """A scheduled pause ends: ACTIVE again, the renewal moved out by the time paused (as a resume does)."""
    org, t = run.org, run.now
    order = await orders.get(org, run.job["key"])
    pause = (order or {}).get("scheduledPause")
    if order is None or not pause or not pause.get("endTime") or order["status"] != "PAUSED":
        return None
    end = pause["endTime"]
    if end > t:
        return end
    paused_for = end - (order.get("pausedTime") or end)
    fields: Doc = {"status": "ACTIVE", "pausedTime": None, "scheduledPause": None}
    if order.get("renewalTime"):
        fields["renewalTime"] = order["renewalTime"] + paused_for
    if order.get("currentPeriodEnd"):
        fields["currentPeriodEnd"] = order["currentPeriodEnd"] + paused_for
    after = await orders.transition(org, order["id"], {"status": "PAUSED", "scheduledPause.endTime": end}, fields, t)
    if after is not None:
        await record(org, order["customerId"], "ORDER_RESUMED", t, {"orderId": order["id"]},
                     "Subscription resumed (end of its scheduled pause)")
        await arm_order(org, after, t)
    return None
