"""Billing in the benchmark: a product and its plan, per customer 0-2 subscriptions (most active) and
0-8 invoices, and the billing dashboard scenario (a page of customers with their active
subscriptions, items and plan names, and their 5 latest invoices) with its hand-written limit twin.

The documents are built by their own seeded generator, so adding them leaves every other document of
the data set as it was."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from resolvers.billing import invoicing
from schema.common import minor_to_decimal
from store.billing import invoices, orders
from store.customers import customers
from store.db import Doc, OrgDb

PRODUCT: Doc = {"id": "prod_01KBENCH00000000000000000P", "name": "Cloud storage", "unitLabel": "TB", "description": None,
                "requiresShipping": False, "options": [], "isActive": True, "revision": 1}
PLANS: list[Doc] = [
    {"id": f"plan_01KBENCH00000000000000000{c}", "productId": PRODUCT["id"], "name": name, "description": None,
     "currency": "USD", "type": "SUBSCRIPTION", "pricing": pricing,
     "recurringInterval": {"unit": "MONTH", "length": 1, "limit": None}, "billingTiming": "PREPAID", "trial": None,
     "setupPrice": None, "meteredBilling": None, "periodAnchorDay": None, "invoiceIssueShift": None,
     "invoiceDueShift": None, "isActive": True, "revision": 1}
    for c, name, pricing in (
        ("A", "Basic", {"formula": "FIXED_FEE", "price": "9.00", "brackets": None, "minQuantity": None, "maxQuantity": None}),
        ("B", "Per seat", {"formula": "FLAT_RATE", "price": "4.50", "brackets": None, "minQuantity": None, "maxQuantity": None}),
        ("C", "Tiered", {"formula": "TIERED", "price": None, "minQuantity": None, "maxQuantity": None,
                         "brackets": [{"price": "10", "maxQuantity": 5}, {"price": "6", "maxQuantity": None}]}),
    )
]
SUBSCRIPTION_STATUSES = ["ACTIVE", "ACTIVE", "ACTIVE", "PAUSED", "CHURNED", "PENDING"]
INVOICE_STATUSES = ["PAID", "PAID", "PAID", "UNPAID", "PAST_DUE", "REFUNDED"]
ACTIVE = ["ACTIVE", "PAUSED", "CANCELED"]


def catalog(t: datetime) -> tuple[list[Doc], list[Doc]]:
    stamp = {"createdTime": t, "updatedTime": t}
    return [{**PRODUCT, **stamp}], [{**p, **stamp} for p in PLANS]


def customer_billing(rnd: random.Random, ids: Any, cid: str, website_id: str, created: datetime) -> tuple[list[Doc], list[Doc]]:
    """Orders and invoices of one customer."""
    order_docs: list[Doc] = []
    invoice_docs: list[Doc] = []
    for j in range(rnd.choice([0, 1, 1, 1, 2])):
        plan = rnd.choice(PLANS)
        t = created + timedelta(days=1 + j)
        qty = rnd.randint(1, 12)
        copy = {**{k: v for k, v in plan.items() if k not in ("isActive",)}}
        invoice_id = ids("in")
        order = {
            "id": ids("ord"), "creationKey": ids("ord"), "inputHash": "", "customerId": cid, "websiteId": website_id,
            "orderType": "SUBSCRIPTION", "status": rnd.choice(SUBSCRIPTION_STATUSES), "billingStatus": "PAID",
            "currency": "USD", "autopay": True, "paymentInstrumentId": None,
            "items": [{"id": ids("ordi"), "quantity": qty, "plan": copy, "customized": []}],
            "startTime": t, "currentPeriodStart": t, "currentPeriodEnd": t + timedelta(days=31),
            "renewalTime": t + timedelta(days=31), "inTrial": False, "trialEndTime": None, "isTrialOnly": False,
            "serviceAnchorTime": None, "rebillNumber": 1, "abandonTime": None, "delinquencyPeriod": None,
            "shipping": None, "invoiceIssueShift": None, "invoiceDueShift": None, "notes": None,
            "initialInvoiceId": invoice_id, "recentInvoiceId": invoice_id, "initialCharge": {"transactionIds": []},
            "activationTime": t, "revision": 1, "createdTime": t, "updatedTime": t,
        }
        lines = invoicing.initial_lines(order)
        order["mrrMinor"] = sum(li["amountMinor"] for li in lines)
        order_docs.append(order)
        for period in range(1, rnd.randint(1, 4) + 1):
            when = t + timedelta(days=31 * (period - 1))
            inv = invoicing.invoice_doc(order, invoice_id if period == 1 else ids("in"), None,
                                        "INITIAL" if period == 1 else "RENEWAL", period, lines, when,
                                        rnd.choice(INVOICE_STATUSES))
            for line in inv["items"]:
                line["id"] = ids("ini")
            invoice_docs.append(inv)
    return order_docs, invoice_docs


def number_invoices(docs: list[Doc], start: int) -> int:
    for k, d in enumerate(docs):
        d["invoiceNumber"] = start + k + 1
    return start + len(docs)


BILLING_DASHBOARD = """query BillingDashboard($first: Int!) {
  customers(first: $first) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id firstName lastName email
      subscriptions(first: 10, status: ACTIVE) { edges { node {
        id status billingStatus renewalTime mrr { amount currency }
        items { id quantity plan { planId name pricing { formula price } } }
      } } }
      invoices(first: 5) { edges { node { id invoiceNumber status total { amount currency } dueTime } } }
    } }
  }
}"""

CUSTOMER_PROJ = {"_id": 0, "id": 1, "firstName": 1, "lastName": 1, "email": 1, "createdTime": 1}
ORDER_PROJ = {"_id": 0, "id": 1, "customerId": 1, "status": 1, "billingStatus": 1, "renewalTime": 1, "mrrMinor": 1,
              "currency": 1, "items.id": 1, "items.quantity": 1, "items.plan.id": 1, "items.plan.name": 1,
              "items.plan.pricing.formula": 1, "items.plan.pricing.price": 1, "createdTime": 1}
INVOICE_PROJ = {"_id": 0, "id": 1, "customerId": 1, "invoiceNumber": 1, "status": 1, "totalMinor": 1, "currency": 1,
                "dueTime": 1, "createdTime": 1}


def _money(minor: int, currency: str) -> dict[str, str]:
    return {"amount": str(minor_to_decimal(minor, currency)), "currency": currency}


async def _grouped(org: OrgDb, collection: str, flt: Doc, proj: Doc, ids: list[str], first: int) -> dict[str, list[Doc]]:
    """First `first` rows per customer, newest first, in one query (as the gateway's loaders)."""
    grouped: dict[str, list[Doc]] = {i: [] for i in ids}
    for d in await org[collection].find_list({"customerId": {"$in": ids}, **flt}, proj,
                                             sort=[("createdTime", -1), ("id", -1)], limit=(first + 1) * len(ids)):
        grouped[d["customerId"]].append(d)
    return grouped


async def limit_billing_dashboard(org: OrgDb, v: dict[str, Any], encode_cursor: Any) -> dict[str, Any]:
    first = v["first"]
    docs = await org[customers.COLLECTION].find_list(
        {}, CUSTOMER_PROJ, sort=[("createdTime", -1), ("id", -1)], limit=first + 1
    )
    has_next, docs = len(docs) > first, docs[:first]
    ids = [d["id"] for d in docs]
    subs = await _grouped(org, orders.COLLECTION, {"orderType": "SUBSCRIPTION", "status": {"$in": ACTIVE}},
                          ORDER_PROJ, ids, 10)
    bills = await _grouped(org, invoices.COLLECTION, {}, INVOICE_PROJ, ids, 5)
    edges = []
    for d in docs:
        node = {
            "id": d["id"], "firstName": d.get("firstName"), "lastName": d.get("lastName"), "email": d.get("email"),
            "subscriptions": {"edges": [{"node": {
                "id": o["id"], "status": o["status"], "billingStatus": o.get("billingStatus"),
                "renewalTime": o.get("renewalTime"),
                "mrr": _money(o.get("mrrMinor", 0) if o["status"] in ("ACTIVE", "CANCELED") else 0, o["currency"]),
                "items": [{"id": i["id"], "quantity": i["quantity"], "plan": {
                    "planId": i["plan"]["id"], "name": i["plan"]["name"],
                    "pricing": {"formula": i["plan"]["pricing"]["formula"], "price": i["plan"]["pricing"].get("price")}}}
                    for i in o["items"]],
            }} for o in subs[d["id"]][:10]]},
            "invoices": {"edges": [{"node": {
                "id": i["id"], "invoiceNumber": i.get("invoiceNumber"), "status": i["status"],
                "total": _money(i["totalMinor"], i["currency"]), "dueTime": i.get("dueTime"),
            }} for i in bills[d["id"]][:5]]},
        }
        edges.append({"cursor": encode_cursor("CREATED_TIME", d["createdTime"], d["id"]), "node": node})
    return {"data": {"customers": {
        "pageInfo": {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None}, "edges": edges}}}
