"""Refetching the links context's entities by id (`node(id:)`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from schema.common import Node
from schema.compliance.kyc import KycDocument, KycRequest
from schema.links.customer_links import BillingPortal, BillingPortalLink, InstrumentSetupLink
from schema.links.deposits import DepositCustomPropertySet, DepositRequest, DepositStrategy
from store.compliance import kyc
from store.links import customer_links, deposit_requests, deposit_strategies

Fetch = Callable[[Any, str], Awaitable[dict[str, Any] | None]]
Load = Callable[[Any, str], Awaitable[Node | None]]


def _one(fetch: Fetch, make: Callable[[dict[str, Any]], Node]) -> Load:
    async def load(ctx: Any, node_id: str) -> Node | None:
        doc = await fetch(ctx.org, node_id)
        return make(doc) if doc else None
    return load


async def _property_set(org: Any, i: str) -> dict[str, Any] | None:
    return await deposit_strategies.get_property_set(org, i)


NODES: dict[str, Load] = {
    "DepositStrategy": _one(deposit_strategies.get, DepositStrategy.from_doc),
    "DepositCustomPropertySet": _one(_property_set, DepositCustomPropertySet.from_doc),
    "DepositRequest": _one(deposit_requests.get, DepositRequest.from_doc),
    "BillingPortal": _one(customer_links.portal, BillingPortal.from_doc),
    "InstrumentSetupLink": _one(customer_links.get, InstrumentSetupLink.from_doc),
    "BillingPortalLink": _one(customer_links.get, BillingPortalLink.from_doc),
}


async def _kyc_request(org: Any, i: str) -> dict[str, Any] | None:
    return await kyc.get(org, kyc.REQUESTS, i)


async def _kyc_document(org: Any, i: str) -> dict[str, Any] | None:
    return await kyc.get(org, kyc.DOCUMENTS, i)


NODES["KycRequest"] = _one(_kyc_request, KycRequest.from_doc)
NODES["KycDocument"] = _one(_kyc_document, KycDocument.from_doc)
