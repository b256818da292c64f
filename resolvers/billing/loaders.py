"""Billing's loaders (one `$in` query per batch) and the connection helpers its schema fields call."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from strawberry.dataloader import DataLoader

from resolvers import pagination
from resolvers.billing import invoicing
from resolvers.context import Context, context_method
from resolvers.loaders import Loaders, forget, loader
from schema.billing.catalog import Plan, Product
from schema.billing.invoices import EmailMessage, Invoice
from schema.billing.orders import Order
from schema.common import Connection, Page
from store.billing import catalog, invoices, orders, outbox
from store.db import Doc

# (customer id, extra filter as canonical JSON, the page asked for, the (createdTime, id) its cursor points at)
PageKey = tuple[str, str, Page, tuple[datetime, str] | None]
Found = tuple[list[Doc], bool]


@loader
def product_by_id(loaders: Loaders) -> DataLoader[str, Product | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Product | None]:
        return [Product.from_doc(d) if d else None for d in await catalog.get_many(org, catalog.PRODUCTS, ids)]

    return DataLoader(load)


@loader
def plan_by_id(loaders: Loaders) -> DataLoader[str, Plan | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Plan | None]:
        return [Plan.from_doc(d) if d else None for d in await catalog.get_many(org, catalog.PLANS, ids)]

    return DataLoader(load)


@loader
def order_by_id(loaders: Loaders) -> DataLoader[str, Order | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Order | None]:
        return [Order.from_doc(d) if d else None for d in await orders.get_many(org, ids)]

    return DataLoader(load)


@loader
def invoice_by_id(loaders: Loaders) -> DataLoader[str, Invoice | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Invoice | None]:
        return [Invoice.from_doc(d) if d else None for d in await invoices.get_many(org, ids)]

    return DataLoader(load)


@loader
def invoice_items_by_id(loaders: Loaders) -> DataLoader[str, list[Doc]]:
    org = loaders.org

    async def load(ids: list[str]) -> list[list[Doc]]:
        return await invoices.items_of(org, ids)

    return DataLoader(load)


def _pages_loader(module: Any, loaders: Loaders, node: Callable[[Doc], Any], sort: str) -> DataLoader[PageKey, Any]:
    """Connections of many customers' lists: first pages of the same shape share one query, other pages
    (after a cursor, or backward) are one query each. The loader hands out finished connections, so a
    customer's field returns the loader's future itself (no coroutine and task per customer on a
    dashboard page)."""
    org = loaders.org

    def connection(cid: str, fkey: str, page: Page, found: Found) -> Connection[Any]:
        async def total() -> int:
            return int(await module.count(org, cid, orjson.loads(fkey)))

        return pagination.connection(page, *found, sort=sort, key="createdTime", node=node, count=total)

    async def load(keys: list[PageKey]) -> list[Connection[Any]]:
        results: dict[PageKey, Found] = {}
        groups: dict[tuple[str, int], list[str]] = {}
        for cid, flt, page, _ in keys:
            if page.cursor is None and not page.backward:
                groups.setdefault((flt, page.size), []).append(cid)
        for (flt, size), cids in groups.items():
            found = await module.first_pages(org, cids, orjson.loads(flt), size)
            for cid, got in zip(cids, found, strict=True):
                results[(cid, flt, Page(size, None, False), None)] = got
        rest = [k for k in keys if k not in results]
        pages = await asyncio.gather(*(module.page(org, c, orjson.loads(f), at, p.size, p.backward) for c, f, p, at in rest))
        results.update(zip(rest, pages, strict=True))
        return [connection(k[0], k[1], k[2], results[k]) for k in keys]

    return DataLoader(load)


@loader
def orders_by_customer(loaders: Loaders) -> DataLoader[PageKey, Connection[Order]]:
    return _pages_loader(orders, loaders, Order.from_doc, "ORDER_CREATED")


@loader
def invoices_by_customer(loaders: Loaders) -> DataLoader[PageKey, Connection[Invoice]]:
    return _pages_loader(invoices, loaders, Invoice.from_doc, "INVOICE_CREATED")


@functools.lru_cache(maxsize=256)
def _filter_key(statuses: tuple[str, ...], order_type: str | None) -> str:
    """The extra filter of a customer's orders or invoices as canonical JSON (part of the loader's key;
    the same few per request, made once)."""
    flt: dict[str, object] = {"orderType": order_type} if order_type is not None else {}
    if statuses:
        flt["status"] = {"$in": sorted(statuses)}
    return orjson.dumps(flt, option=orjson.OPT_SORT_KEYS).decode()


@context_method
def orders_connection(
    ctx: Context, customer_id: str, page: Page, statuses: list[str], order_type: str | None
) -> Awaitable[Connection[Order]]:
    """A page of a customer's orders (newest first): the loader's future, batched across customers."""
    at = pagination.position(page, "ORDER_CREATED", datetime)
    key: PageKey = (str(customer_id), _filter_key(tuple(statuses), order_type), page, at)
    return ctx.loaders.orders_by_customer.load(key)


@context_method
def invoices_connection(
    ctx: Context, customer_id: str, page: Page, statuses: list[str]
) -> Awaitable[Connection[Invoice]]:
    """A page of a customer's invoices (newest first): the loader's future, batched across customers."""
    at = pagination.position(page, "INVOICE_CREATED", datetime)
    key: PageKey = (str(customer_id), _filter_key(tuple(statuses), None), page, at)
    return ctx.loaders.invoices_by_customer.load(key)


@context_method
async def upcoming_invoice(ctx: Context, order_id: str) -> Invoice | None:
    """The next renewal invoice of a subscription as it would be issued (a preview; nothing written)."""
    doc = await orders.get(ctx.org, order_id)
    if doc is None or doc["orderType"] != "SUBSCRIPTION" or doc["status"] not in ("ACTIVE", "PENDING"):
        return None
    if doc.get("isTrialOnly") or doc.get("renewalTime") is None:
        return None
    preview = invoicing.upcoming_doc(doc, ctx.loaders.now)
    return Invoice.from_doc(preview) if preview else None


@context_method
async def invoice_emails(ctx: Context, invoice_id: str) -> list[EmailMessage]:
    return [EmailMessage.from_doc(d) for d in await outbox.of_invoice(ctx.org, invoice_id)]


def forget_order(ctx: Context, order_id: str, customer_id: str) -> None:
    forget(ctx.loaders.order_by_id, order_id)
    forget(ctx.loaders.customer_by_id, customer_id)
