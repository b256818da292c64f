"""Timeline events of coupons, credit memos and quotes (issue 13). They register themselves in
`schema.timeline.EVENT_TYPES` / `EVENT_CLASSES` when this module is imported (as billing's events do)."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.activity.timeline import EVENT_CLASSES, EVENT_TYPES, TimelineEvent, _event
from schema.common import Money


@strawberry.type(description="A coupon was redeemed for the customer, its redemption canceled, or it discounted an "
                 "invoice (see `kind`).")
class CouponEvent(TimelineEvent):
    coupon_id: strawberry.ID = strawberry.field(description="The coupon.")
    redemption_id: strawberry.ID = strawberry.field(description="The redemption.")
    invoice_id: strawberry.ID | None = strawberry.field(description="The invoice discounted (COUPON_APPLIED).")
    amount: Money | None = strawberry.field(description="The discount (COUPON_APPLIED).")


@strawberry.type(description="A credit memo was created, issued, edited, allocated to an invoice or voided (see `kind`).")
class CreditMemoEvent(TimelineEvent):
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo.")
    invoice_id: strawberry.ID | None = strawberry.field(description="The invoice it was allocated to (CREDIT_MEMO_APPLIED).")
    amount: Money | None = strawberry.field(description="Its total, or the amount allocated.")


@strawberry.type(description="A quote was created, edited, issued, recalled, accepted, rejected or canceled (see `kind`).")
class QuoteEvent(TimelineEvent):
    quote_id: strawberry.ID = strawberry.field(description="The quote.")
    amount: Money | None = strawberry.field(description="Its subtotal.")


def _money(data: dict[str, Any]) -> Money | None:
    return Money.from_minor(data["amountMinor"], data["currency"]) if "amountMinor" in data else None


def _coupon(d: dict[str, Any]) -> TimelineEvent:
    data = d["data"]
    return _event(CouponEvent, d, coupon_id=data["couponId"], redemption_id=data["redemptionId"],
                  invoice_id=data.get("invoiceId"), amount=_money(data))


def _memo(d: dict[str, Any]) -> TimelineEvent:
    data = d["data"]
    return _event(CreditMemoEvent, d, credit_memo_id=data["creditMemoId"], invoice_id=data.get("invoiceId"),
                  amount=_money(data))


def _quote(d: dict[str, Any]) -> TimelineEvent:
    return _event(QuoteEvent, d, quote_id=d["data"]["quoteId"], amount=_money(d["data"]))


COUPON_KINDS = ("COUPON_REDEEMED", "COUPON_REDEMPTION_CANCELED", "COUPON_APPLIED")
CREDIT_MEMO_KINDS = ("CREDIT_MEMO_CREATED", "CREDIT_MEMO_ISSUED", "CREDIT_MEMO_UPDATED", "CREDIT_MEMO_APPLIED",
                     "CREDIT_MEMO_VOIDED")
EVENT_TYPES.update({k: _coupon for k in COUPON_KINDS})
EVENT_TYPES.update({k: _memo for k in CREDIT_MEMO_KINDS})
QUOTE_KINDS = ("QUOTE_CREATED", "QUOTE_UPDATED", "QUOTE_ISSUED", "QUOTE_RECALLED", "QUOTE_ACCEPTED", "QUOTE_REJECTED",
               "QUOTE_CANCELED", "QUOTE_EXPIRED")
EVENT_TYPES.update({k: _quote for k in QUOTE_KINDS})
EVENT_CLASSES.extend([CouponEvent, CreditMemoEvent, QuoteEvent])
EVENT_CLASSES_ADJUSTMENTS: tuple[type, ...] = (CouponEvent, CreditMemoEvent, QuoteEvent)
