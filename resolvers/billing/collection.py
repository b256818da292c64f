"""Collecting a renewal invoice on the billing clock: autopay at the due time, the retry schedule,
PAST_DUE, and cancellation at the delinquency time.

Attempt `k` of invoice `in_x` is the job (`billing.collect`, `in_x:k`). Before anything is charged the
attempt is claimed on the invoice (`collectionAttempts` k-1 -> k, one guarded update), and inside the
attempt every charge is claimed again (`chargeAttempt`, the sale's id chosen first; invoicing.py). So
a job that runs twice (a lease that ran out, a worker killed mid-step) makes at most one charge per
attempt: the second run finds the attempt claimed and only resumes a charge that was claimed and not
yet written; the attempt's first sale id is derived from (invoice, attempt), so even two runs that both
pass the claim (FerretDB v1 applies guarded updates non-atomically across connections) write one sale.
Retries are scheduled from the invoice's due time by the website's delays (default
DEFAULT_RETRY_DELAYS).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from ulid import ULID

from resolvers.billing import invoicing
from resolvers.billing.actors import SYSTEM
from resolvers.money import money
from resolvers.scheduler import JobRun, job_handler
from schema.common import Problems
from store.activity import timeline
from store.billing import clock as clock_store
from store.billing import invoices, orders
from store.customers import customers
from store.db import Doc, OrgDb

COLLECT = "billing.collect"
DELINQUENCY = "billing.delinquency"

# After a failed attempt at the due time: again 1 day, 3 days and 7 days after the due time.
DEFAULT_RETRY_DELAYS: list[Doc] = [{"unit": "DAY", "length": 1}, {"unit": "DAY", "length": 3},
                                   {"unit": "DAY", "length": 7}]
# Orders in these statuses are no longer collected.
ENDED = ("ABANDONED", "VOIDED", "CHURNED")


async def retry_delays(org: OrgDb, website_id: str | None) -> list[Doc]:
    doc = await clock_store.retry_schedule(org, website_id)
    return list(doc["delays"]) if doc is not None else DEFAULT_RETRY_DELAYS


def collection_jobs(inv: Doc) -> list[clock_store.Wanted]:
    """A newly issued renewal invoice's jobs: the first collection attempt at the due time, and the
    delinquency check if the order has a delinquency period."""
    wanted: list[clock_store.Wanted] = [(COLLECT, f"{inv['id']}:1", inv["dueTime"])]
    if inv.get("delinquencyTime") is not None:
        wanted.append((DELINQUENCY, inv["id"], inv["delinquencyTime"]))
    return wanted


async def schedule_collection(org: OrgDb, order: Doc, inv: Doc, t: datetime) -> None:
    await clock_store.arm_many(org, collection_jobs(inv), t)


async def record(org: OrgDb, customer_id: str, kind: str, t: datetime, data: Doc, message: str) -> None:
    await timeline.record(org, customer_id, kind, SYSTEM, t, data, message)


def _invoice_data(inv: Doc, **more: object) -> Doc:
    return {"invoiceId": inv["id"], "amountMinor": inv["totalMinor"], "currency": inv["currency"], **more}


async def _charge(run: JobRun, order: Doc, inv: Doc) -> tuple[Doc, bool]:
    """Charges the invoice's amount due (order's instrument, else the customer's default, then backups);
    (invoice afterwards, whether something was charged and declined)."""
    org, t = run.org, run.now
    customer = await customers.get(org, order["customerId"])
    if customer is None:
        return inv, False
    first = await invoicing.pick_instrument(org, order, customer, t)
    account = await money.route_account(org, Problems(), inv["currency"], None)
    if first is None or account is None:
        return inv, False
    if inv.get("chargeAttempt") is None:
        # The attempt's first sale gets an id derived from (invoice, attempt): two runs of one attempt that
        # both get this far (FerretDB v1 does not serialise guarded updates across connections) write the
        # same sale id, and the unique id lets only one of them call the gateway.
        claim = {"transactionId": attempt_transaction_id(org.org_id, inv["id"], inv["collectionAttempts"]),
                 "paymentInstrumentId": first["id"]}
        inv = await invoices.transition(org, inv["id"], {"chargeAttempt": None}, {"chargeAttempt": claim}, t) or inv
    after, attempted = await invoicing.charge_invoice(org, run.settings, SYSTEM, inv["id"], customer, first, account, t)
    after = after or await invoices.get(org, inv["id"]) or inv
    return after, bool(attempted) and after["status"] != "PAID"


def attempt_transaction_id(org_id: str, invoice_id: str, attempt: int) -> str:
    """The sale id of collection attempt `attempt` of an invoice: the same for every run of the attempt."""
    digest = hashlib.sha256(f"{org_id}:{invoice_id}:{attempt}".encode()).digest()[:16]
    return f"txn_{ULID.from_bytes(digest)}"


async def on_paid(org: OrgDb, order: Doc, inv: Doc, t: datetime, actor: Doc = SYSTEM) -> Doc:
    """A paid invoice: the order's billing status follows (a paid initial invoice activates it); the
    first paid invoice after a trial converts the trial (once, guarded by `trialConversionTime` unset)."""
    order = await invoicing.settle_order(org, actor, order, inv, t)
    if order.get("trialEndTime") and not order.get("trialConversionTime") and inv.get("periodNumber", 1) >= 2 \
            and inv["totalMinor"] > 0:
        after = await orders.transition(org, order["id"], {"trialConversionTime": None},
                                        {"trialConversionTime": t, "inTrial": False}, t)
        if after is not None:
            order = after
            await record(org, order["customerId"], "ORDER_TRIAL_CONVERTED", t, {"orderId": order["id"]},
                         "Trial converted: first paid invoice after the trial")
    return order


async def mark_past_due(org: OrgDb, order: Doc, inv: Doc, t: datetime) -> Doc:
    if inv["status"] not in ("UNPAID", "PARTIALLY_PAID") or t < inv["dueTime"]:
        return inv
    after = await invoices.transition(org, inv["id"], {"status": {"$in": ["UNPAID", "PARTIALLY_PAID"]}},
                                      {"status": "PAST_DUE", "pastDueTime": t}, t)
    if after is None:
        return await invoices.get(org, inv["id"]) or inv
    await orders.transition(org, order["id"], {"recentInvoiceId": inv["id"]}, {"billingStatus": "PAST_DUE"}, t)
    await record(org, order["customerId"], "INVOICE_PAST_DUE", t, _invoice_data(after),
                 f"Invoice #{after.get('invoiceNumber')} is past due")
    return after


@job_handler(COLLECT)
async def collect(run: JobRun) -> datetime | None:
    """Attempt k of an invoice: charge (autopay), then PAST_DUE and the next attempt, or the effects of
    a paid invoice."""
    org, t = run.org, run.now
    invoice_id, k_text = run.job["key"].rsplit(":", 1)
    k = int(k_text)
    inv = await invoices.get(org, invoice_id)
    if inv is None or inv["status"] not in invoices.PAYABLE or not inv.get("orderId"):
        return None
    order = await orders.get(org, inv["orderId"])
    if order is None or order["status"] in ENDED:
        return None
    declined = False
    if order.get("autopay"):
        if inv.get("collectionAttempts", 0) < k:
            claimed = await invoices.transition(org, invoice_id, {"collectionAttempts": k - 1},
                                                {"collectionAttempts": k}, t)
            if claimed is not None:
                inv, declined = await _charge(run, order, claimed)
        elif inv.get("chargeAttempt"):  # this attempt was claimed and its charge never finished: resume it
            inv, declined = await _charge(run, order, inv)
    if inv["status"] == "PAID":
        await on_paid(org, order, inv, t)
        return None
    if declined:
        await record(org, order["customerId"], "INVOICE_PAYMENT_DECLINED", t, _invoice_data(inv, attempt=k),
                     f"Invoice #{inv.get('invoiceNumber')}: payment attempt {k} declined")
    inv = await mark_past_due(org, order, inv, t)
    delays = await retry_delays(org, order.get("websiteId"))
    if order.get("autopay") and k <= len(delays) and inv["status"] in invoices.PAYABLE:
        await clock_store.arm(org, COLLECT, f"{invoice_id}:{k + 1}", invoicing.shift(inv["dueTime"], delays[k - 1]), t)
    return None


@job_handler(DELINQUENCY)
async def delinquency(run: JobRun) -> datetime | None:
    """An invoice still unpaid at its delinquency time cancels its order (category DELINQUENCY)."""
    org, t = run.org, run.now
    inv = await invoices.get(org, run.job["key"])
    if inv is None or inv["status"] not in invoices.PAYABLE or not inv.get("orderId"):
        return None
    if inv.get("delinquencyTime") is None:
        return None
    if inv["delinquencyTime"] > t:
        return inv["delinquencyTime"]
    order = await orders.get(org, inv["orderId"])
    if order is None:
        return None
    await mark_past_due(org, order, inv, t)
    after = await orders.transition(
        org, order["id"], {"status": {"$in": ["ACTIVE", "PAUSED", "CANCELED"]}},
        {"status": "CHURNED", "canceledTime": t, "churnTime": t, "canceledBy": "SYSTEM",
         "cancelCategory": "DELINQUENCY", "cancelDescription": f"invoice {inv['id']} unpaid at its delinquency time",
         "renewalTime": None}, t,
    )
    if after is not None:
        await record(org, order["customerId"], "ORDER_DELINQUENCY_REACHED", t,
                     {"orderId": order["id"], "invoiceId": inv["id"]},
                     f"Subscription canceled: invoice #{inv.get('invoiceNumber')} unpaid at its delinquency time")
    return None
