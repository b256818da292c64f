"""Billing's collections: the catalog (products, plans), orders and invoices."""

from __future__ import annotations

from typing import Any

from store.billing import (
    catalog,
    clock,
    coupons,
    credit_memos,
    invoice_links,
    invoices,
    orders,
    outbox,
    quotes,
    shipping_rates,
)

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    **catalog.INDEXES,
    orders.COLLECTION: orders.INDEXES,
    **invoices.INDEXES,
    outbox.COLLECTION: outbox.INDEXES,
    **clock.INDEXES,
    **coupons.INDEXES,
    **credit_memos.INDEXES,
    quotes.COLLECTION: quotes.INDEXES,
    # shipping rate tables and invoice payment links (issue 11)
    shipping_rates.COLLECTION: shipping_rates.INDEXES,
    invoice_links.COLLECTION: invoice_links.INDEXES,
}
