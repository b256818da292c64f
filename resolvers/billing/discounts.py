"""Coupon discounts: which redeemed coupons apply to an order or invoice, and for how much. Pure
functions over documents, exact integer minor units, no I/O.

Rules (reference §22, read literally):
- A coupon applies while valid: `issuedTime <= t < expiredTime`, and before its `paid-by-time`.
- Every restriction must hold for the order: minimum/maximum order amount (the items' subtotal, in the
  restriction's currency: another currency never qualifies), countries (the customer's address), customer
  tags (all or any), customers, plans/products (a line of one of them with at least `minimumQuantity`),
  subscriptions (the order), invoices (the invoice), buy-X-get-Y (every `buy` plan present in its
  quantity), discounts per redemption (the redemption has been applied fewer times).
- The base a coupon discounts is its context: the items, the shipping, or both. With a plans or products
  restriction the items' base is the matching lines only; with buy-X-get-Y it is the `get` plans' unit
  price times the `get` quantity (at most the quantity ordered).
- Percent: base x value / 100, rounded half up once. Fixed: the amount (same currency only), at most the base.
- Coupons combine: their discounts add up, in redemption order, never beyond what is left of the order.
  An exclusive coupon is never combined: the best exclusive one wins alone only when its discount is
  strictly greater than all the others together; otherwise it is dropped (and the other exclusive ones too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Line:
    plan_id: str | None
    product_id: str | None
    quantity: int
    amount_minor: int
    unit_minor: int


@dataclass(slots=True)
class Target:
    """What coupons are weighed against: an order's first invoice, or any invoice."""

    currency: str
    lines: list[Line]
    shipping_minor: int
    customer: Doc
    time: datetime
    order_id: str | None = None
    invoice_id: str | None = None
    skip: dict[str, str] = field(default_factory=dict)  # coupon id -> why it does not apply (filled in)

    @property
    def subtotal(self) -> int:
        return sum(li.amount_minor for li in self.lines)


@dataclass(frozen=True, slots=True)
class Applied:
    coupon_id: str
    redemption_id: str
    description: str
    amount_minor: int


def coupon_status(coupon: Doc, t: datetime) -> str:
    """DRAFT before its issued time, EXPIRED from its expired time, ISSUED between."""
    if coupon.get("expiredTime") is not None and coupon["expiredTime"] <= t:
        return "EXPIRED"
    if coupon["issuedTime"] > t:
        return "DRAFT"
    return "ISSUED"


def description(coupon: Doc) -> str:
    return coupon.get("description") or f'Coupon "{coupon["id"]}"'


def _lines_matching(target: Target, ids: list[str], minimum: int, key: str) -> list[Line]:
    return [li for li in target.lines if getattr(li, key) in ids and li.quantity >= minimum]


def customer_problem(coupon: Doc, customer: Doc) -> str | None:
    """Why the coupon can never apply to this customer (countries, tags, customers), or None."""
    r = coupon.get("restrictions") or {}
    if r.get("customerIds") and customer["id"] not in r["customerIds"]:
        return "is restricted to other customers"
    if r.get("countries"):
        country = (customer.get("address") or {}).get("country")
        if country not in r["countries"]:
            return f"is restricted to customers in {', '.join(r['countries'])}"
    tags = r.get("customerTags")
    if tags:
        have = {t.lower() for t in customer.get("tags") or ()}
        want = {t.lower() for t in tags["tags"]}
        ok = want <= have if tags["requireAllTags"] else bool(want & have)
        if not ok:
            return f"needs the customer tag{'s' if len(want) > 1 else ''} {', '.join(sorted(want))}"
    return None


def ineligible(coupon: Doc, redemption: Doc, target: Target) -> str | None:
    """Why the coupon does not apply to the target, or None when it does."""
    t = target.time
    status = coupon_status(coupon, t)
    if status != "ISSUED":
        return f"is {status.lower()}"
    if redemption.get("status", "ACTIVE") != "ACTIVE":
        return "its redemption is canceled"
    r = coupon.get("restrictions") or {}
    if r.get("paidByTime") is not None and t > r["paidByTime"]:
        return "its paid-by time has passed"
    per = r.get("discountsPerRedemption")
    if per is not None and redemption.get("applicationsCount", 0) >= per:
        return f"its redemption was used {per} time(s) already"
    who = customer_problem(coupon, target.customer)
    if who:
        return who
    d = coupon["discount"]
    if d["type"] == "FIXED" and d["currency"] != target.currency:
        return f"discounts {d['currency']}; the order is in {target.currency}"
    for key, cmp in (("minimumOrderAmount", lambda a, b: a >= b), ("maximumOrderAmount", lambda a, b: a <= b)):
        limit = r.get(key)
        if limit is not None and (limit["currency"] != target.currency or not cmp(target.subtotal, limit["amountMinor"])):
            return "the order amount is outside its minimum/maximum"
    if r.get("subscriptionIds") and target.order_id not in r["subscriptionIds"]:
        return "is restricted to other subscriptions"
    if r.get("invoiceIds") and target.invoice_id not in r["invoiceIds"]:
        return "is restricted to other invoices"
    plans = r.get("plans")
    if plans and not _lines_matching(target, plans["planIds"], plans.get("minimumQuantity", 1), "plan_id"):
        return "needs one of its plans in the order"
    products = r.get("products")
    if products and not _lines_matching(target, products["productIds"], products.get("minimumQuantity", 1), "product_id"):
        return "needs one of its products in the order"
    bxgy = r.get("buyXGetY")
    if bxgy:
        for want in bxgy["buy"]:
            if sum(li.quantity for li in target.lines if li.plan_id == want["planId"]) < want["quantity"]:
                return f"needs {want['quantity']} of plan {want['planId']}"
    return None


def _items_base(coupon: Doc, target: Target) -> int:
    r = coupon.get("restrictions") or {}
    bxgy = r.get("buyXGetY")
    if bxgy:
        base = 0
        for get in bxgy["get"]:
            for li in target.lines:
                if li.plan_id == get["planId"]:
                    base += li.unit_minor * min(get["quantity"], li.quantity)
        return min(base, target.subtotal)
    lines = target.lines
    if r.get("plans"):
        lines = _lines_matching(target, r["plans"]["planIds"], r["plans"].get("minimumQuantity", 1), "plan_id")
    if r.get("products"):
        lines = [li for li in lines if li in _lines_matching(
            target, r["products"]["productIds"], r["products"].get("minimumQuantity", 1), "product_id")]
    return sum(li.amount_minor for li in lines)


def base_of(coupon: Doc, target: Target) -> int:
    context = coupon["discount"].get("context", "ITEMS")
    base = 0
    if context in ("ITEMS", "ITEMS_AND_SHIPPING"):
        base += _items_base(coupon, target)
    if context in ("SHIPPING", "ITEMS_AND_SHIPPING"):
        base += target.shipping_minor
    return max(0, base)


def raw_discount(coupon: Doc, target: Target) -> int:
    """The coupon's discount on its own, at most its base."""
    base = base_of(coupon, target)
    d = coupon["discount"]
    if d["type"] == "PERCENT":
        amount = (Decimal(base) * Decimal(d["percent"]) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return min(base, int(amount))
    return min(base, d["amountMinor"])


def _combine(pairs: list[tuple[Doc, Doc]], target: Target, room: int) -> list[Applied]:
    out: list[Applied] = []
    for coupon, redemption in pairs:
        amount = min(raw_discount(coupon, target), room)
        room -= amount
        out.append(Applied(coupon["id"], redemption["id"], description(coupon), amount))
    return out


def apply(pairs: list[tuple[Doc, Doc]], target: Target) -> list[Applied]:
    """The discounts of the customer's redeemed coupons (coupon, redemption) on the target, in
    redemption order; the ones that do not apply are named in `target.skip` with the reason."""
    eligible: list[tuple[Doc, Doc]] = []
    seen: set[str] = set()
    for coupon, redemption in pairs:
        if coupon["id"] in seen:
            target.skip[coupon["id"]] = "is applied once per order"
            continue
        why = ineligible(coupon, redemption, target)
        if why:
            target.skip[coupon["id"]] = why
            continue
        seen.add(coupon["id"])
        eligible.append((coupon, redemption))
    room = target.subtotal + target.shipping_minor
    exclusive = [p for p in eligible if (p[0].get("restrictions") or {}).get("exclusive")]
    combined = [p for p in eligible if not (p[0].get("restrictions") or {}).get("exclusive")]
    together = _combine(combined, target, room)
    if not exclusive:
        return together
    best = max(exclusive, key=lambda p: min(raw_discount(p[0], target), room))
    alone = _combine([best], target, room)
    if alone[0].amount_minor > sum(a.amount_minor for a in together):
        for coupon, _ in combined:
            target.skip[coupon["id"]] = f"an exclusive coupon ({best[0]['id']}) gives more"
        for coupon, _ in exclusive:
            if coupon["id"] != best[0]["id"]:
                target.skip[coupon["id"]] = "is exclusive; another exclusive coupon gives more"
        return alone
    for coupon, _ in exclusive:
        target.skip[coupon["id"]] = "is exclusive and gives less than the other coupons together"
    return together
