"""Node refetching of the links context (`node(id:)`): strategies, property sets, deposit requests,
billing portals and customer links, each read by id from its collection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from resolvers.context import Context
from resolvers.nodes import register_node
from schema.common import Node
from schema.links.customer_links import BillingPortal, BillingPortalLink, InstrumentSetupLink
from schema.links.deposits import DepositCustomPropertySet, DepositRequest, DepositStrategy
from store.db import OrgDb
from store.links import customer_links, deposit_requests, deposit_strategies

Fetch = Callable[[OrgDb, str], Awaitable[dict[str, Any] | None]]


def _one(fetch: Fetch, make: Callable[[dict[str, Any]], Node]) -> Callable[[Context, str], Awaitable[Node | None]]:
    async def load(ctx: Context, node_id: str) -> Node | None:
        doc = await fetch(ctx.org, node_id)
        return make(doc) if doc else None

    return load


register_node("DepositStrategy", _one(deposit_strategies.get, DepositStrategy.from_doc))
register_node("DepositCustomPropertySet", _one(deposit_strategies.get_property_set, DepositCustomPropertySet.from_doc))
register_node("DepositRequest", _one(deposit_requests.get, DepositRequest.from_doc))
register_node("BillingPortal", _one(customer_links.portal, BillingPortal.from_doc))
register_node("InstrumentSetupLink", _one(customer_links.get, InstrumentSetupLink.from_doc))
register_node("BillingPortalLink", _one(customer_links.get, BillingPortalLink.from_doc))
