"""Loaders of coupons, redemptions, credit memos and quotes (issue 13), one `$in` query per batch."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers.billing import discounts, quote_orders
from resolvers.billing.quotes import quote_status
from resolvers.loaders import Loaders, loader
from schema.billing.coupons import Coupon, CouponRedemption
from schema.billing.credit_memos import CreditMemo
from schema.billing.quotes import Quote, QuoteInvoicePreview
from schema.common import Money
from store.billing import coupons, credit_memos, orders, quotes


@loader
def coupon_by_id(loaders: Loaders) -> DataLoader[str, Coupon | None]:
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[Coupon | None]:
        return [Coupon.from_doc(d, discounts.coupon_status(d, t)) if d else None for d in await coupons.get_many(org, ids)]

    return DataLoader(load)


@loader
def coupon_redemption_by_id(loaders: Loaders) -> DataLoader[str, CouponRedemption | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[CouponRedemption | None]:
        return [CouponRedemption.from_doc(d) if d else None for d in await coupons.redemptions_many(org, ids)]

    return DataLoader(load)


@loader
def coupon_redemptions_by_customer_id(loaders: Loaders) -> DataLoader[str, list[CouponRedemption]]:
    org = loaders.org

    async def load(ids: list[str]) -> list[list[CouponRedemption]]:
        return [[CouponRedemption.from_doc(d) for d in docs] for docs in await coupons.of_customers(org, ids)]

    return DataLoader(load)


@loader
def credit_memo_by_id(loaders: Loaders) -> DataLoader[str, CreditMemo | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[CreditMemo | None]:
        return [CreditMemo.from_doc(d) if d else None for d in await credit_memos.get_many(org, ids)]

    return DataLoader(load)


@loader
def credit_balance_by_customer_id(loaders: Loaders) -> DataLoader[str, list[Money]]:
    """Σ unused amounts of open credit memos per currency (one query for a batch of customers)."""
    org = loaders.org

    async def load(ids: list[str]) -> list[list[Money]]:
        out = []
        for docs in await credit_memos.open_of_customers(org, ids):
            sums: dict[str, int] = {}
            for d in docs:
                sums[d["currency"]] = sums.get(d["currency"], 0) + d["unusedMinor"]
            out.append([Money.from_minor(v, c) for c, v in sorted(sums.items()) if v])
        return out

    return DataLoader(load)


@loader
def quote_by_id(loaders: Loaders) -> DataLoader[str, Quote | None]:
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[Quote | None]:
        return [Quote.from_doc(d, quote_status(d, t)) if d else None for d in await quotes.get_many(org, ids)]

    return DataLoader(load)


@loader
def quote_invoice_preview_by_id(loaders: Loaders) -> DataLoader[str, QuoteInvoicePreview | None]:
    """What accepting each open CHANGE/REACTIVATION quote now would invoice (one query for the quotes, one
    for their orders, then one period-invoice lookup per CHANGE quote)."""
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[QuoteInvoicePreview | None]:
        docs = await quotes.get_many(org, ids)
        order_ids = [d["orderId"] for d in docs if d and d.get("orderId")]
        found = {o["id"]: o for o in await orders.get_many(org, order_ids) if o} if order_ids else {}
        out: list[QuoteInvoicePreview | None] = []
        for d in docs:
            doc = await quote_orders.preview_of(org, d, found.get(d.get("orderId") or ""), t) if d else None
            out.append(QuoteInvoicePreview.from_doc(doc) if doc else None)
        return out

    return DataLoader(load)
