"""The `links` context: deposit strategies and requests, billing portals and instrument set-up links,
each with its hosted page (`deposit_page`, `customer_pages`)."""

from __future__ import annotations

from resolvers.links import deposit_expiry, loaders
from resolvers.links.customer_links import CustomerLinkMutations, CustomerLinkQueries
from resolvers.links.deposits import DepositMutations, DepositQueries
from schema.links.customer_links import BillingPortal, BillingPortalLink, InstrumentSetupLink
from schema.links.deposits import DepositCustomPropertySet, DepositRequest, DepositStrategy

QUERIES = (DepositQueries, CustomerLinkQueries)
MUTATIONS = (DepositMutations, CustomerLinkMutations)
SUBSCRIPTIONS: tuple[type, ...] = ()
__all__ = ["MUTATIONS", "QUERIES", "SUBSCRIPTIONS", "TYPES", "deposit_expiry", "loaders"]
TYPES = (DepositStrategy, DepositCustomPropertySet, DepositRequest, BillingPortal, BillingPortalLink, InstrumentSetupLink)
