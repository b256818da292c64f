"""Billing: the catalog (products, plans), orders and subscriptions, invoices."""

from __future__ import annotations

from resolvers.billing import loaders
from resolvers.billing.catalog import CatalogMutations, CatalogQueries
from resolvers.billing.invoices import InvoiceMutations, InvoiceQueries
from resolvers.billing.orders import OrderMutations, OrderQueries
from resolvers.nodes import register_node
from schema.billing import events
from schema.billing.catalog import Plan, Product
from schema.billing.invoices import Invoice
from schema.billing.orders import Order

QUERIES: tuple[type, ...] = (CatalogQueries, OrderQueries, InvoiceQueries)
MUTATIONS: tuple[type, ...] = (CatalogMutations, OrderMutations, InvoiceMutations)
SUBSCRIPTIONS: tuple[type, ...] = ()
TYPES: tuple[type, ...] = (Product, Plan, Order, Invoice, *events.EVENT_CLASSES_BILLING)

register_node("Product", lambda ctx, i: ctx.loaders.product_by_id.load(i))
register_node("Plan", lambda ctx, i: ctx.loaders.plan_by_id.load(i))
register_node("Order", lambda ctx, i: ctx.loaders.order_by_id.load(i))
register_node("Invoice", lambda ctx, i: ctx.loaders.invoice_by_id.load(i))

__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "loaders"]
