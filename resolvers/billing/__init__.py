"""Billing: the catalog (products, plans), orders and subscriptions, invoices."""

from __future__ import annotations

from resolvers.billing import adjustment_loaders, clock, collection, loaders, quote_jobs
from resolvers.billing.catalog import CatalogMutations, CatalogQueries
from resolvers.billing.clock_api import ClockMutations, ClockQueries
from resolvers.billing.coupons import CouponMutations, CouponQueries
from resolvers.billing.credit_memo_refunds import CreditMemoRefundMutations
from resolvers.billing.credit_memos import CreditMemoMutations, CreditMemoQueries
from resolvers.billing.invoice_links import InvoiceLinkMutations, InvoiceLinkQueries
from resolvers.billing.invoices import InvoiceMutations, InvoiceQueries
from resolvers.billing.orders import OrderMutations, OrderQueries
from resolvers.billing.quotes import QuoteMutations, QuoteQueries
from resolvers.billing.shipping import ShippingMutations, ShippingQueries
from resolvers.nodes import register_node
from schema.billing import adjustment_events, events
from schema.billing import clock as clock_schema
from schema.billing.catalog import Plan, Product
from schema.billing.coupons import Coupon, CouponRedemption
from schema.billing.credit_memos import CreditMemo
from schema.billing.invoice_links import InvoicePaymentLink
from schema.billing.invoices import Invoice
from schema.billing.orders import Order
from schema.billing.quotes import Quote
from schema.billing.shipping import ShippingRate

QUERIES: tuple[type, ...] = (CatalogQueries, OrderQueries, InvoiceQueries, ClockQueries, CouponQueries,
                             CreditMemoQueries, QuoteQueries, ShippingQueries, InvoiceLinkQueries)
MUTATIONS: tuple[type, ...] = (CatalogMutations, OrderMutations, InvoiceMutations, ClockMutations, CouponMutations,
                               CreditMemoMutations, CreditMemoRefundMutations, QuoteMutations, ShippingMutations,
                               InvoiceLinkMutations)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES: tuple[type, ...] = (Product, Plan, Order, Invoice, *events.EVENT_CLASSES_BILLING,
                           *clock_schema.EVENT_CLASSES_CLOCK, Coupon, CouponRedemption, CreditMemo, Quote,
                           *adjustment_events.EVENT_CLASSES_ADJUSTMENTS, ShippingRate, InvoicePaymentLink)

register_node("Product", lambda ctx, i: ctx.loaders.product_by_id.load(i))
register_node("Plan", lambda ctx, i: ctx.loaders.plan_by_id.load(i))
register_node("Order", lambda ctx, i: ctx.loaders.order_by_id.load(i))
register_node("Invoice", lambda ctx, i: ctx.loaders.invoice_by_id.load(i))
register_node("Coupon", lambda ctx, i: ctx.loaders.coupon_by_id.load(i))
register_node("CreditMemo", lambda ctx, i: ctx.loaders.credit_memo_by_id.load(i))
register_node("Quote", lambda ctx, i: ctx.loaders.quote_by_id.load(i))
register_node("CouponRedemption", lambda ctx, i: ctx.loaders.coupon_redemption_by_id.load(i))
register_node("ShippingRate", lambda ctx, i: ctx.loaders.shipping_rate_by_id.load(i))
register_node("InvoicePaymentLink", lambda ctx, i: ctx.loaders.invoice_payment_link_by_id.load(i))

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "adjustment_loaders", "clock", "collection", "loaders",
           "quote_jobs"]
