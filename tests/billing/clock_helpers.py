"""Driving the billing clock in tests: one FixedClock for the API and the worker, moved job by job."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

from resolvers.scheduler import FixedClock, Worker
from resolvers.settings import Settings
from store import jobs
from store.db import Store
from tests.helpers import Org

INVOICES = """query($id: ID!) { customer(id: $id) { invoices(first: 100) { edges { node {
  id invoiceNumber type status periodNumber total { amount } amountPaid { amount } issuedTime dueTime paidTime
  transactionIds items { description quantity meteredQuantity amount { amount } periodStartTime periodEndTime } } } } } }"""

TIMELINE = """query($id: ID!) { customer(id: $id) { timeline(first: 100) { edges { node { kind occurredTime
  ... on OrderEvent { orderId } ... on InvoiceEvent { invoiceId amount { amount } } } } } } }"""

ORDER_STATE = """query($id: ID!) { order(id: $id) { id status billingStatus rebillNumber inTrial renewalTime
  currentPeriodStart currentPeriodEnd trialConversionTime churnTime cancelCategory canceledBy pausedTime
  items { id } } }"""


def months(t: datetime, n: int) -> datetime:
    """`t` plus n calendar months, the day clamped to the month's last (computed here, not by the code)."""
    total = t.month - 1 + n
    year, month = t.year + total // 12, total % 12 + 1
    return t.replace(year=year, month=month, day=min(t.day, calendar.monthrange(year, month)[1]))


def same(value: str | None, t: datetime | None) -> bool:
    return (value is None and t is None) or (value is not None and t is not None and datetime.fromisoformat(value) == t)


def worker(store: Store, clock: FixedClock, owner: str | None = None) -> Worker:
    w = Worker(store, Settings(mongodb_uri=None), clock=clock, lease=timedelta(seconds=60))
    if owner:
        w.owner = owner
    return w


async def run_until(w: Worker, store: Store, clock: FixedClock, until: datetime) -> int:
    """Runs every job due up to `until`, each at exactly its due time (the clock jumps from one to the
    next), then leaves the clock at `until`. Returns how many ran."""
    ran = 0
    while True:
        upcoming = await jobs.next_due(store)
        if upcoming is None or upcoming > until:
            break
        clock.at = max(clock.at, upcoming)
        ran += await w.run_due()
    clock.at = max(clock.at, until)
    ran += await w.run_due()
    return ran


async def invoices_of(org: Org, customer_id: str) -> list[dict[str, Any]]:
    """The customer's invoices, oldest first."""
    edges = (await org.gql(INVOICES, {"id": customer_id}))["customer"]["invoices"]["edges"]
    return sorted((e["node"] for e in edges), key=lambda i: i["invoiceNumber"])


async def kinds_of(org: Org, customer_id: str) -> list[str]:
    """The customer's timeline kinds, oldest first."""
    edges = (await org.gql(TIMELINE, {"id": customer_id}))["customer"]["timeline"]["edges"]
    return [e["node"]["kind"] for e in reversed(edges)]


async def kind_count(org: Org, customer_id: str, kind: str) -> int:
    query = """query($id: ID!, $kinds: [TimelineEventKind!]) { customer(id: $id) {
      timeline(first: 1, kinds: $kinds) { totalCount } } }"""
    return (await org.gql(query, {"id": customer_id, "kinds": [kind]}))["customer"]["timeline"]["totalCount"]


async def declined_times(store: Store, org_id: str, customer_id: str) -> list[datetime]:
    """When the customer's declined sales were made, in order (read from the store: sales are counted)."""
    docs = await store.for_org(org_id)["transactions"].find_list(
        {"customerId": customer_id, "result": "DECLINED"}, {"_id": 0, "processedTime": 1, "createdTime": 1})
    return sorted(d.get("processedTime") or d["createdTime"] for d in docs)


async def order_state(org: Org, order_id: str) -> dict[str, Any]:
    return (await org.gql(ORDER_STATE, {"id": order_id}))["order"]
