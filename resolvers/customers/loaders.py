"""Loaders of the customers context: customers, websites, tags and blocklist entries."""

from __future__ import annotations

from strawberry.dataloader import DataLoader

from resolvers.context import Context, context_method, register_link
from resolvers.loaders import Loaders, loader
from resolvers.nodes import register_node
from schema.customers.blocklists import BlocklistEntry
from schema.customers.customers import Customer
from schema.customers.tags import Tag
from schema.customers.websites import Website
from store.customers import blocklists, customers, tags, websites
from store.db import Doc
from store.tables import merges


@loader
def customer_by_id(loaders: Loaders) -> DataLoader[str, Customer | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Customer | None]:
        docs = await customers.get_many(org, ids)
        missing = [i for i, d in zip(ids, docs, strict=True) if d is None]
        if missing:  # merged duplicates resolve to the customer they were merged into (tables context)
            into = {t["id"]: t["mergedInto"] for t in await merges.tombstones(org, missing) if t}
            if into:
                found = {d["id"]: d for d in await customers.get_many(org, list(set(into.values()))) if d}
                docs = [d if d is not None else found.get(into.get(i, "")) for i, d in zip(ids, docs, strict=True)]
        return [Customer.from_doc(d) if d else None for d in docs]

    return DataLoader(load)


@loader
def website_by_id(loaders: Loaders) -> DataLoader[str, Website | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Website | None]:
        return [Website.from_doc(d) if d else None for d in await websites.get_many(org, ids)]

    return DataLoader(load)


@loader
def tag_by_id(loaders: Loaders) -> DataLoader[str, Tag | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[Tag | None]:
        return [Tag.from_doc(d) if d else None for d in await tags.get_many(org, ids)]

    return DataLoader(load)


@loader
def tag_by_name(loaders: Loaders) -> DataLoader[str, Tag | None]:
    org = loaders.org

    async def load(names: list[str]) -> list[Tag | None]:
        return [Tag.from_doc(d) if d else None for d in await tags.by_names(org, names)]

    return DataLoader(load)


@loader
def blocklist_entry_by_id(loaders: Loaders) -> DataLoader[str, BlocklistEntry | None]:
    org, t = loaders.org, loaders.now

    async def load(ids: list[str]) -> list[BlocklistEntry | None]:
        return [BlocklistEntry.from_doc(d, t) if d else None for d in await blocklists.get_many(org, ids)]

    return DataLoader(load)


@loader
def blocklist_entries_by_attribute(loaders: Loaders) -> DataLoader[tuple[str, str], list[Doc]]:
    """Entries in force for (type, value) pairs, e.g. ("EMAIL", "a@b.example"); one query per batch."""
    org, t = loaders.org, loaders.now

    async def load(keys: list[tuple[str, str]]) -> list[list[Doc]]:
        wanted: dict[str, list[str]] = {}
        for kind, value in keys:
            wanted.setdefault(kind, []).append(value)
        found: dict[tuple[str, str], list[Doc]] = {}
        for d in await blocklists.find_blocked(org, wanted, t):
            found.setdefault((d["type"], d["value"]), []).append(d)
        return [found.get(k, []) for k in keys]

    return DataLoader(load)


@context_method
async def is_blocked(ctx: Context, values: dict[str, list[str]]) -> bool:
    """Whether an entry in force matches any of these (type -> values); batched across the request."""
    keys = [(kind, v) for kind, vals in values.items() for v in vals]
    return any(await ctx.loaders.blocklist_entries_by_attribute.load_many(keys)) if keys else False


register_link("Customer", lambda loaders, i: loaders.customer_by_id.load(i))
register_node("Customer", lambda ctx, i: ctx.loaders.customer_by_id.load(i))
register_node("Website", lambda ctx, i: ctx.loaders.website_by_id.load(i))
register_node("Tag", lambda ctx, i: ctx.loaders.tag_by_id.load(i))
register_node("BlocklistEntry", lambda ctx, i: ctx.loaders.blocklist_entry_by_id.load(i))
