"""Loaders and connection helpers of the money context: transactions, links, payout requests, accounts."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.context import Context, context_method, register_link
from resolvers.loaders import Loaders, loader
from resolvers.money.money import link_token
from resolvers.nodes import register_node
from resolvers.pagination import encode_cursor, position
from schema.common import Connection, Edge, Page
from schema.money.gateways import GatewayAccount
from schema.money.payouts import PayoutRequest
from schema.money.transactions import PaymentLink, Transaction, TransactionSegment
from store.db import Doc
from store.money import gateway_accounts, payment_links, payouts, transactions

# (customer id, segment, descending, after (createdTime, id) or None, first)
TransactionsKey = tuple[str, str, bool, tuple[Any, str] | None, int]
TransactionsPage = tuple[list[Doc], bool]


@loader
def transaction_by_id(loaders: Loaders) -> DataLoader[str, Transaction | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Transaction | None]:
        return [Transaction.from_doc(d) if d else None for d in await transactions.get_many(org, ids)]

    return DataLoader(load)


@loader
def transactions_by_customer(loaders: Loaders) -> DataLoader[TransactionsKey, TransactionsPage]:
    org = loaders.org

    async def load(keys: list[TransactionsKey]) -> list[TransactionsPage]:
        # First pages of the same shape share one query; pages after a cursor are one query each.
        results: dict[TransactionsKey, TransactionsPage] = {}
        groups: dict[tuple[str, bool, int], list[str]] = {}
        for cid, segment, desc, after, first in keys:
            if after is None:
                groups.setdefault((segment, desc, first), []).append(cid)
        for (segment, desc, first), cids in groups.items():
            found = await transactions.first_pages(org, cids, segment, desc, first)
            for cid, page in zip(cids, found, strict=True):
                results[(cid, segment, desc, None, first)] = page
        rest = [k for k in keys if k[3] is not None]
        pages = await asyncio.gather(*(transactions.list_page(org, c, s, d, a, f) for c, s, d, a, f in rest))
        results.update(zip(rest, pages, strict=True))
        return [results[k] for k in keys]

    return DataLoader(load)


@loader
def payment_link_by_id(loaders: Loaders) -> DataLoader[str, PaymentLink | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[PaymentLink | None]:
        return [PaymentLink.from_doc(d) if d else None for d in await payment_links.get_many(org, ids)]

    return DataLoader(load)


@loader
def payout_request_by_id(loaders: Loaders) -> DataLoader[str, PayoutRequest | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[PayoutRequest | None]:
        return [PayoutRequest.from_doc(d) if d else None for d in await payouts.get_requests(org, ids)]

    return DataLoader(load)


@loader
def gateway_account_by_id(loaders: Loaders) -> DataLoader[str, GatewayAccount | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[GatewayAccount | None]:
        return [GatewayAccount.from_doc(d) if d else None for d in await gateway_accounts.get_many(org, ids)]

    return DataLoader(load)


@context_method
async def transactions_connection(
    ctx: Context, customer_id: str, page: Page, segment: TransactionSegment, descending: bool,
) -> Connection[Transaction]:
    at = position(page, "TXN_CREATED", datetime)
    if page.backward:  # one query of its own, outside the batch of first pages
        docs, has_next = await transactions.list_page(ctx.org, str(customer_id), segment.name, descending,
                                                      at, page.size, backward=True)
    else:
        key = (str(customer_id), segment.name, descending, at, page.size)
        docs, has_next = await ctx.loaders.transactions_by_customer.load(key)
    by_id = ctx.loaders.transaction_by_id
    edges = []
    for d in docs:
        node = Transaction.from_doc(d)
        by_id.prime(d["id"], node)
        edges.append(Edge(cursor=encode_cursor("TXN_CREATED", d["createdTime"], d["id"]), node=node))

    async def total() -> int:
        return await transactions.count(ctx.org, str(customer_id), segment.name)

    return Connection.build(edges, page=page, has_next=has_next, count=total)


@context_method
def link_url(ctx: Context, prefix: str, entity_id: str) -> str:
    """The shared link of a payment link or payout request: `prefix` + its secret token."""
    return ctx.public_url(prefix + link_token(ctx.settings, entity_id))


register_link("Transaction", lambda loaders, i: loaders.transaction_by_id.load(i))
register_node("Transaction", lambda ctx, i: ctx.loaders.transaction_by_id.load(i))
register_node("PaymentLink", lambda ctx, i: ctx.loaders.payment_link_by_id.load(i))
register_node("PayoutRequest", lambda ctx, i: ctx.loaders.payout_request_by_id.load(i))
register_node("GatewayAccount", lambda ctx, i: ctx.loaders.gateway_account_by_id.load(i))
