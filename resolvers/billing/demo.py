"""Billing demo data: a catalog covering every pricing formula and plan type, and orders in every status,
made through the same code as `planCreate` and `orderCreate` (real invoices, real sandbox charges).
Statuses that only time reaches (ABANDONED, TRIAL_ENDED) are set as the billing clock will set them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from resolvers.billing import clock, invoicing, ordering, plan_rules
from resolvers.context import Context, Principal
from resolvers.settings import Settings
from schema.billing.catalog import (
    BillingTiming,
    MeteredBillingInput,
    MeteredStrategy,
    PeriodUnit,
    PlanCreateInput,
    PlanTrialInput,
    PlanType,
    PriceBracketInput,
    PricingFormula,
    PricingInput,
    RecurringIntervalInput,
)
from schema.billing.orders import OrderCreateInput, OrderItemInput, OrderType
from schema.billing.shipping import CalculatedShippingInput
from schema.common import CurrencyCode, Problems
from store.billing import catalog, invoices, orders, shipping_rates
from store.db import Doc, OrgDb, Store
from store.ids import new_id

MONTHLY = RecurringIntervalInput(unit=PeriodUnit.MONTH, length=1)
YEARLY = RecurringIntervalInput(unit=PeriodUnit.YEAR, length=1)
BRACKETS = [PriceBracketInput(price=Decimal("10.00"), max_quantity=5),
            PriceBracketInput(price=Decimal("7.50"), max_quantity=20),
            PriceBracketInput(price=Decimal("5.00"), max_quantity=None)]
PRODUCTS = [
    ("Cloud storage", "TB", False, "Encrypted storage, billed per terabyte"),
    ("Support plan", "seat", False, "Email and phone support"),
    ("Starter kit", "kit", True, "Hardware kit, shipped"),
]


def _plans() -> list[tuple[int, dict[str, Any]]]:
    """(product index, PlanCreateInput fields): every formula, each plan type, trials, setup, metered."""
    return [
        (0, {"name": "Storage Basic", "pricing": PricingInput(formula=PricingFormula.FIXED_FEE, price=Decimal("9.00")),
             "recurring_interval": MONTHLY}),
        (0, {"name": "Storage per TB", "pricing": PricingInput(formula=PricingFormula.FLAT_RATE, price=Decimal("4.50")),
             "recurring_interval": MONTHLY, "setup_price": Decimal("10.00")}),
        (0, {"name": "Storage tiered", "pricing": PricingInput(formula=PricingFormula.TIERED, brackets=BRACKETS),
             "recurring_interval": MONTHLY}),
        (0, {"name": "Storage volume (yearly)", "pricing": PricingInput(formula=PricingFormula.VOLUME, brackets=BRACKETS),
             "recurring_interval": YEARLY}),
        (0, {"name": "Storage metered", "pricing": PricingInput(formula=PricingFormula.FLAT_RATE, price=Decimal("0.125")),
             "recurring_interval": MONTHLY, "billing_timing": BillingTiming.POSTPAID,
             "metered_billing": MeteredBillingInput(strategy=MeteredStrategy.SUM, min_quantity=Decimal("1"))}),
        (1, {"name": "Support stairstep", "pricing": PricingInput(formula=PricingFormula.STAIRSTEP, brackets=[
             PriceBracketInput(price=Decimal("49.00"), max_quantity=3),
             PriceBracketInput(price=Decimal("99.00"), max_quantity=10),
             PriceBracketInput(price=Decimal("199.00"), max_quantity=None)]),
             "recurring_interval": MONTHLY, "trial": PlanTrialInput(length=14)}),
        (1, {"name": "Support evaluation", "type": PlanType.TRIAL_ONLY, "trial": PlanTrialInput(price=Decimal("1.00"), length=7),
             "pricing": PricingInput(formula=PricingFormula.FIXED_FEE, price=Decimal("0"))}),
        (2, {"name": "Starter kit", "type": PlanType.ONE_TIME,
             "pricing": PricingInput(formula=PricingFormula.FLAT_RATE, price=Decimal("59.00"), max_quantity=10)}),
    ]


async def _catalog(org: OrgDb, t: datetime) -> list[Doc]:
    product_ids = []
    for name, unit, shipping, description in PRODUCTS:
        doc = {"id": new_id("prod"), "name": name, "unitLabel": unit, "description": description,
               "requiresShipping": shipping, "options": [], "isActive": True, "revision": 1,
               "createdTime": t, "updatedTime": t}
        await catalog.insert(org, catalog.PRODUCTS, doc)
        product_ids.append(doc["id"])
    plans = []
    for index, fields in _plans():
        inp = PlanCreateInput(product_id=product_ids[index], currency=CurrencyCode["USD"], **fields)  # type: ignore[arg-type]
        problems = Problems()
        settings = plan_rules.check(problems, [], plan_rules.from_create(inp))
        problems.raise_if_any()
        doc = {"id": new_id("plan"), "productId": product_ids[index], **settings, "isActive": True, "revision": 1,
               "createdTime": t, "updatedTime": t}
        await catalog.insert(org, catalog.PLANS, doc)
        plans.append(doc)
    return plans


# Each website's shipping rate table: (name, price, countries, minimum items subtotal).
SHIPPING_RATES = [("Standard (US, Canada)", "7.90", ["US", "CA"], None), ("International", "19.90", [], None),
                  ("Free over 150", "0", [], "150")]


async def _shipping_rates(org: OrgDb, website_ids: list[str], t: datetime) -> None:
    for website_id in website_ids:
        for name, price, countries, low in SHIPPING_RATES:
            await shipping_rates.insert(org, {
                "id": new_id("ship_rate"), "websiteId": website_id, "name": name, "currency": "USD",
                "priceMinor": int(Decimal(price) * 100), "minSubtotalMinor": int(Decimal(low) * 100) if low else None,
                "maxSubtotalMinor": None, "countries": countries, "regions": [], "revision": 1,
                "createdTime": t, "updatedTime": t})


async def seed_billing(store: Store, org_id: str, customer_docs: list[Doc], t: datetime, rnd: random.Random) -> int:
    """The demo catalog and ~20 orders in every status (with 200 demo customers; fewer customers give
    fewer orders); returns how many orders were made."""
    org = store.for_org(org_id)
    plans = await _catalog(org, t)
    await _shipping_rates(org, sorted({c["websiteId"] for c in customer_docs}), t)
    by_name = {p["name"]: p["id"] for p in plans}
    principal = Principal(organization_id=org_id, key_id="key_demo", key_name="Demo data", scope="write")
    ctx = Context.build(store, Settings(), principal)
    usd = [c for c in customer_docs if c.get("defaultPaymentInstrumentId") and c["id"]]
    others = [c for c in customer_docs if not c.get("defaultPaymentInstrumentId")]
    made: list[tuple[str, Doc]] = []

    async def order(customer: Doc, kind: str, items: list[tuple[str, int]], label: str, **fields: Any) -> Doc:
        inp = OrderCreateInput(
            customer_id=customer["id"], order_type=OrderType[kind],
            items=[OrderItemInput(plan_id=by_name[n], quantity=q) for n, q in items],
            idempotency_key=f"demo-{label}-{customer['id']}", **fields,
        )
        doc, _, _, problems = await ordering.create(ctx, inp, inp.idempotency_key)
        assert doc is not None, problems.errors
        made.append((label, doc))
        return doc

    recurring = ["Storage Basic", "Storage per TB", "Storage tiered", "Storage volume (yearly)"]
    with_card = iter(usd)
    plan_of: list[tuple[str, str, list[tuple[str, int]], dict[str, Any]]] = [
        *[("active", "SUBSCRIPTION", [(recurring[i % 4], rnd.randint(1, 12))], {}) for i in range(6)],
        *[("trial", "SUBSCRIPTION", [("Support stairstep", rnd.randint(1, 12))], {}) for _ in range(2)],
        ("metered", "SUBSCRIPTION", [("Storage metered", 0)], {}),
        ("kit", "ONE_TIME", [("Starter kit", rnd.randint(1, 3))], {"shipping_amount": Decimal("7.90")}),
        ("kit", "ONE_TIME", [("Starter kit", rnd.randint(1, 3))], {"calculated_shipping": CalculatedShippingInput()}),
        *[("evaluation", "SUBSCRIPTION", [("Support evaluation", 1)], {}) for _ in range(2)],
    ]
    for label, kind, items, fields in plan_of:
        customer = next(with_card, None)
        if customer is not None:
            await order(customer, kind, items, label, **fields)
    for customer in others[:4]:
        await order(customer, "SUBSCRIPTION", [("Storage Basic", 1)], "pending", autopay=False)

    def of(label: str) -> list[Doc]:
        return [d for name, d in made if name == label]

    # What the merchant did later, and what the billing clock will do, on some of them.
    actions: list[tuple[str, dict[str, Any]]] = [("PAUSED", {"pausedTime": t}), ("CANCELED", {"canceledTime": t, "canceledBy": "CUSTOMER",
               "cancelCategory": "TOO_EXPENSIVE", "renewalTime": None}),
               ("CHURNED", {"canceledTime": t, "churnTime": t, "canceledBy": "MERCHANT", "cancelCategory": "DID_NOT_USE",
                            "renewalTime": None})]
    for (status, change), doc in zip(actions, of("active")[3:], strict=False):
        if status == "CANCELED":
            change["churnTime"] = doc["currentPeriodEnd"]
        await orders.transition(org, doc["id"], {"status": "ACTIVE"}, {"status": status, **change}, t)
    pending = of("pending")
    if len(pending) >= 3:
        await orders.transition(org, pending[-1]["id"], {"status": "PENDING"},
                                {"status": "VOIDED", "voidTime": t, "billingStatus": "VOIDED"}, t)
        await invoicing.void_invoice(org, ctx.actor(), pending[-1]["initialInvoiceId"], t)
        await orders.transition(org, pending[-2]["id"], {"status": "PENDING"},
                                {"status": "ABANDONED", "abandonTime": t - timedelta(minutes=1), "billingStatus": "ABANDONED"}, t)
        await invoices.transition(org, pending[-2]["initialInvoiceId"], {"status": "UNPAID"},
                                  {"status": "ABANDONED", "abandonedTime": t}, t)
    for doc in of("evaluation")[1:]:
        await orders.transition(org, doc["id"], {}, {"status": "TRIAL_ENDED", "inTrial": False}, t)
    for _, doc in made:  # the billing clock's jobs for each order's state now (e.g. the canceled one's churn)
        now_doc = await orders.get(org, doc["id"])
        if now_doc is not None:
            await clock.arm_order(org, now_doc, t)
    return len(made)
