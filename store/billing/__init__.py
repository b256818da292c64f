"""Billing's collections: the catalog (products, plans), orders and invoices."""

from __future__ import annotations

from typing import Any

from store.billing import catalog, invoices, orders, outbox

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    **catalog.INDEXES,
    orders.COLLECTION: orders.INDEXES,
    **invoices.INDEXES,
    outbox.COLLECTION: outbox.INDEXES,
}
