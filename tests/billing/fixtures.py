"""Billing documents written straight to the store for tests that need many of them (round trips):
orders and invoices built by the same functions `orderCreate` uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers.billing import invoicing, plan_rules
from store.billing import catalog, invoices, orders
from store.db import Doc, Store
from store.ids import new_id


def order_doc(customer_id: str, website_id: str, plan: Doc, status: str, t: datetime, quantity: int = 1) -> Doc:
    copy = {**{k: plan.get(k) for k in plan_rules.SETTINGS}, "id": plan["id"], "productId": plan["productId"],
            "revision": plan["revision"]}
    invoice_id = new_id("in")
    return {
        "id": new_id("ord"), "creationKey": new_id("ord"), "inputHash": "", "customerId": customer_id,
        "websiteId": website_id, "orderType": "SUBSCRIPTION", "status": status, "billingStatus": "PAID",
        "currency": plan["currency"], "autopay": True, "paymentInstrumentId": None,
        "items": [{"id": new_id("ordi"), "quantity": quantity, "plan": copy, "customized": []}],
        "startTime": t, "currentPeriodStart": t, "currentPeriodEnd": t + timedelta(days=30), "renewalTime": t + timedelta(days=30),
        "inTrial": False, "trialEndTime": None, "isTrialOnly": False, "serviceAnchorTime": None, "rebillNumber": 1,
        "abandonTime": None, "delinquencyPeriod": None, "shipping": None, "invoiceIssueShift": None,
        "invoiceDueShift": None, "notes": None, "mrrMinor": 1000, "initialInvoiceId": invoice_id,
        "recentInvoiceId": invoice_id, "initialCharge": {"transactionIds": []}, "activationTime": t,
        "revision": 1, "createdTime": t, "updatedTime": t,
    }


async def seed_billing(store: Store, org_id: str, customer_ids: list[str], website_id: str, plan_id: str,
                       invoices_each: int = 6) -> None:
    """Per customer: an ACTIVE and a CHURNED subscription, and `invoices_each` paid invoices."""
    db = store.for_org(org_id)
    plan = await catalog.get(db, catalog.PLANS, plan_id)
    assert plan is not None
    t0 = datetime.now(UTC) - timedelta(days=365)
    order_docs: list[Doc] = []
    invoice_docs: list[Doc] = []
    number = 0
    for i, cid in enumerate(customer_ids):
        t = t0 + timedelta(minutes=i)
        active = order_doc(cid, website_id, plan, "ACTIVE", t + timedelta(seconds=2))
        order_docs += [order_doc(cid, website_id, plan, "CHURNED", t), active]
        for period in range(1, invoices_each + 1):
            number += 1
            when = t + timedelta(days=30 * period)
            doc: dict[str, Any] = invoicing.invoice_doc(
                active, active["initialInvoiceId"] if period == 1 else new_id("in"), number,
                "INITIAL" if period == 1 else "RENEWAL", period, invoicing.initial_lines(active), when)
            doc.update(status="PAID", paidMinor=doc["totalMinor"], paidTime=when)
            invoice_docs.append(doc)
    await db[orders.COLLECTION].insert_many(order_docs)
    await db[invoices.COLLECTION].insert_many(invoice_docs)
