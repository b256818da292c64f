"""What coupons and credit memos take off an invoice, as the invoice shows it (own module: invoices, coupons and
credit memos all use it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.common import Money


@strawberry.type(description="A coupon's discount on an invoice.")
class InvoiceDiscount:
    coupon_id: strawberry.ID = strawberry.field(description="The coupon.")
    redemption_id: strawberry.ID = strawberry.field(description="The redemption it came through.")
    description: str = strawberry.field(description="The coupon's description.")
    amount: Money = strawberry.field(description="The amount discounted.")

    @classmethod
    def from_doc(cls, d: dict[str, Any], currency: str) -> InvoiceDiscount:
        return cls(coupon_id=d["couponId"], redemption_id=d["redemptionId"], description=d["description"],
                   amount=Money.from_minor(d["amountMinor"], currency))


@strawberry.type(description="An amount of a credit memo allocated to an invoice.")
class InvoiceCreditAllocation:
    credit_memo_id: strawberry.ID = strawberry.field(description="The credit memo (`crmm_…`).")
    amount: Money = strawberry.field(description="The amount allocated.")
    created_time: datetime = strawberry.field(description="When it was allocated.")

    @classmethod
    def from_doc(cls, d: dict[str, Any], currency: str) -> InvoiceCreditAllocation:
        return cls(credit_memo_id=d["creditMemoId"], amount=Money.from_minor(d["amountMinor"], currency),
                   created_time=d["createdTime"])
