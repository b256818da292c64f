"""Store of the `links` context: deposit strategies, custom property sets and deposit requests, billing
portals and the customer links (instrument set-up, billing portal sessions)."""

from __future__ import annotations

from store.links import customer_links, deposit_requests, deposit_strategies

INDEXES = {
    deposit_strategies.COLLECTION: deposit_strategies.INDEXES,
    deposit_strategies.PROPERTY_SETS: deposit_strategies.PROPERTY_SET_INDEXES,
    deposit_requests.COLLECTION: deposit_requests.INDEXES,
    customer_links.COLLECTION: customer_links.INDEXES,
    customer_links.PORTALS: customer_links.PORTAL_INDEXES,
}
