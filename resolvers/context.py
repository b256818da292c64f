"""Per-request context: who is asking, their organization's scoped store, and the loaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from resolvers.money import link_token
from resolvers.pagination import LazyCursorEdge, decode_cursor, encode_cursor
from resolvers.settings import Settings
from schema import notes as _notes  # registers the note and attachment event kinds
from schema.api_logs import ApiLogEntry, ApiLogFilter
from schema.blocklists import BlocklistEntry
from schema.common import ClientError, Connection, Edge, Linkable
from schema.customers import Customer
from schema.gateways import GatewayAccount
from schema.payment_instruments import PaymentInstrument
from schema.payouts import PayoutRequest
from schema.tags import Tag
from schema.timeline import TimelineEvent, TimelineEventKind, event_from_doc
from schema.transactions import PaymentLink, Transaction, TransactionSegment
from schema.users import Notification, User
from schema.websites import Website
from store import (
    api_logs,
    blocklists,
    customers,
    gateway_accounts,
    notifications,
    payment_instruments,
    payment_links,
    payouts,
    tags,
    timeline,
    transactions,
    users,
    websites,
)
from store.db import Doc, OrgDb, Store


@dataclass(frozen=True, slots=True)
class Principal:
    """The API key (and, when it has one, the user) behind a request."""

    organization_id: str
    key_id: str
    key_name: str
    scope: str
    user_id: str | None = None
    user_name: str | None = None

    @property
    def can_write(self) -> bool:
        return self.scope == "write"

    def actor(self) -> dict[str, Any]:
        if self.user_id:
            return {"type": "USER", "id": self.user_id, "name": self.user_name or self.user_id}
        return {"type": "API_KEY", "id": self.key_id, "name": self.key_name}


def now() -> datetime:
    """Current UTC time at the store's precision (milliseconds), so cursors compare exactly."""
    t = datetime.now(UTC)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


# (customer id, the customer's timelineSeq when read, first, before seq or None, kinds)
TimelineKey = tuple[str, int, int, int | None, tuple[str, ...]]
TimelinePage = tuple[list[Doc], bool]
# (customer id, segment, descending, after (createdTime, id) or None, first)
TransactionsKey = tuple[str, str, bool, tuple[Any, str] | None, int]


async def _load_timelines(org: OrgDb, keys: Sequence[TimelineKey]) -> list[TimelinePage]:
    """Pages of several customers' timelines: one query for all plain "newest N" pages."""
    results: list[TimelinePage | None] = [None] * len(keys)
    windowed = [i for i, key in enumerate(keys) if not key[4]]
    wins = []
    for i in windowed:
        cid, top, first, before, _ = keys[i]
        high = top if before is None else min(top, before - 1)
        wins.append(timeline.Window(cid, max(0, high - first - 1), high))
    fallback: list[int] = [i for i, (*_, kinds) in enumerate(keys) if kinds]
    for i, win, docs in zip(windowed, wins, await timeline.windows(org, wins), strict=True):
        first = keys[i][2]
        if len(docs) > first:
            results[i] = (docs[:first], True)
        elif win.low == 0:
            results[i] = (docs, False)
        else:  # a seq was reserved but its event never written: page the slow way
            fallback.append(i)

    async def one(i: int) -> None:
        cid, _, first, before, kinds = keys[i]
        docs = await timeline.page(org, cid, before, first + 1, kinds)
        results[i] = (docs[:first], len(docs) > first)

    await asyncio.gather(*(one(i) for i in fallback))
    return results  # type: ignore[return-value]


def forget(loader: DataLoader[Any, Any], key: Any) -> None:
    """Drops one cached key (if cached) so the next load reads the store again."""
    try:
        loader.clear(key)
    except KeyError:
        pass


@dataclass(slots=True)
class Loaders:
    """One loader per batch read; built per request so nothing leaks between requests or tenants."""

    org: OrgDb
    customer_by_id: DataLoader[str, Customer | None] = field(init=False)
    website_by_id: DataLoader[str, Website | None] = field(init=False)
    timeline_event_by_id: DataLoader[str, TimelineEvent | None] = field(init=False)
    timeline_by_customer: DataLoader[TimelineKey, TimelinePage] = field(init=False)
    user_by_id: DataLoader[str, User | None] = field(init=False)
    transaction_by_id: DataLoader[str, Transaction | None] = field(init=False)
    transactions_by_customer: DataLoader[TransactionsKey, TimelinePage] = field(init=False)
    payment_link_by_id: DataLoader[str, PaymentLink | None] = field(init=False)
    payout_request_by_id: DataLoader[str, PayoutRequest | None] = field(init=False)
    gateway_account_by_id: DataLoader[str, GatewayAccount | None] = field(init=False)
    payment_instrument_by_id: DataLoader[str, PaymentInstrument | None] = field(init=False)
    payment_instruments_by_customer_id: DataLoader[str, list[PaymentInstrument]] = field(init=False)
    tag_by_id: DataLoader[str, Tag | None] = field(init=False)
    tag_by_name: DataLoader[str, Tag | None] = field(init=False)
    blocklist_entry_by_id: DataLoader[str, BlocklistEntry | None] = field(init=False)
    blocklist_entries_by_attribute: DataLoader[tuple[str, str], list[Doc]] = field(init=False)

    def __post_init__(self) -> None:
        org = self.org
        t = now()

        async def load_instruments(ids: list[str]) -> list[PaymentInstrument | None]:
            docs = await payment_instruments.get_many(org, ids)
            return [PaymentInstrument.from_doc(d, t) if d else None for d in docs]

        async def load_customer_instruments(ids: list[str]) -> list[list[PaymentInstrument]]:
            lists = await payment_instruments.by_customers(org, ids)
            out = [[PaymentInstrument.from_doc(d, t) for d in docs] for docs in lists]
            for items in out:
                for inst in items:
                    self.payment_instrument_by_id.prime(str(inst.id), inst)
            return out

        async def load_tags(ids: list[str]) -> list[Tag | None]:
            return [Tag.from_doc(d) if d else None for d in await tags.get_many(org, ids)]

        async def load_tags_by_name(names: list[str]) -> list[Tag | None]:
            return [Tag.from_doc(d) if d else None for d in await tags.by_names(org, names)]

        async def load_entries(ids: list[str]) -> list[BlocklistEntry | None]:
            return [BlocklistEntry.from_doc(d, t) if d else None for d in await blocklists.get_many(org, ids)]

        async def load_blocks(keys: list[tuple[str, str]]) -> list[list[Doc]]:
            wanted: dict[str, list[str]] = {}
            for kind, value in keys:
                wanted.setdefault(kind, []).append(value)
            found: dict[tuple[str, str], list[Doc]] = {}
            for d in await blocklists.find_blocked(org, wanted, t):
                found.setdefault((d["type"], d["value"]), []).append(d)
            return [found.get(k, []) for k in keys]

        async def load_customers(ids: list[str]) -> list[Customer | None]:
            return [Customer.from_doc(d) if d else None for d in await customers.get_many(org, ids)]

        async def load_websites(ids: list[str]) -> list[Website | None]:
            return [Website.from_doc(d) if d else None for d in await websites.get_many(org, ids)]

        async def load_events(ids: list[str]) -> list[TimelineEvent | None]:
            return [event_from_doc(d) if d else None for d in await timeline.get_many(org, ids)]

        async def load_timelines(keys: list[TimelineKey]) -> list[TimelinePage]:
            return await _load_timelines(org, keys)

        self.customer_by_id = DataLoader(load_customers)
        self.website_by_id = DataLoader(load_websites)
        self.timeline_event_by_id = DataLoader(load_events)
        self.timeline_by_customer = DataLoader(load_timelines)
        self.payment_instrument_by_id = DataLoader(load_instruments)
        self.payment_instruments_by_customer_id = DataLoader(load_customer_instruments)
        self.tag_by_id = DataLoader(load_tags)
        self.tag_by_name = DataLoader(load_tags_by_name)
        self.blocklist_entry_by_id = DataLoader(load_entries)
        self.blocklist_entries_by_attribute = DataLoader(load_blocks)

        async def load_users(ids: list[str]) -> list[User | None]:
            return [User.from_doc(d) if d else None for d in await users.get_many(org, ids)]

        self.user_by_id = DataLoader(load_users)


        async def load_transactions(ids: list[str]) -> list[Transaction | None]:
            return [Transaction.from_doc(d) if d else None for d in await transactions.get_many(org, ids)]

        async def load_customer_transactions(keys: list[TransactionsKey]) -> list[TimelinePage]:
            # First pages of the same shape share one query; pages after a cursor are one query each.
            results: dict[TransactionsKey, TimelinePage] = {}
            groups: dict[tuple[str, bool, int], list[str]] = {}
            for cid, segment, desc, after, first in keys:
                if after is None:
                    groups.setdefault((segment, desc, first), []).append(cid)
            for (segment, desc, first), cids in groups.items():
                found = await transactions.first_pages(org, cids, segment, desc, first)
                for cid, page in zip(cids, found, strict=True):
                    results[(cid, segment, desc, None, first)] = page
            rest = [k for k in keys if k[3] is not None]
            pages = await asyncio.gather(
                *(transactions.list_page(org, c, s, d, a, f) for c, s, d, a, f in rest)
            )
            results.update(zip(rest, pages, strict=True))
            return [results[k] for k in keys]

        self.transaction_by_id = DataLoader(load_transactions)

        async def load_links(ids: list[str]) -> list[PaymentLink | None]:
            return [PaymentLink.from_doc(d) if d else None for d in await payment_links.get_many(org, ids)]

        async def load_payout_requests(ids: list[str]) -> list[PayoutRequest | None]:
            return [PayoutRequest.from_doc(d) if d else None for d in await payouts.get_requests(org, ids)]

        async def load_accounts(ids: list[str]) -> list[GatewayAccount | None]:
            return [GatewayAccount.from_doc(d) if d else None for d in await gateway_accounts.get_many(org, ids)]

        self.payment_link_by_id = DataLoader(load_links)
        self.payout_request_by_id = DataLoader(load_payout_requests)
        self.gateway_account_by_id = DataLoader(load_accounts)
        self.transactions_by_customer = DataLoader(load_customer_transactions)


# What a note's link points at, by GraphQL type -> how to load it. Transactions add one line.
LINK_LOADERS: dict[str, Callable[[Loaders, str], Awaitable[Linkable | None]]] = {
    "Customer": lambda loaders, i: loaders.customer_by_id.load(i),
    "Transaction": lambda loaders, i: loaders.transaction_by_id.load(i),
}


def _time_cursor(after: str | None) -> tuple[datetime, str] | None:
    if not after:
        return None
    value, last_id = decode_cursor(after, "TIME")
    if not isinstance(value, datetime):
        raise ClientError(f"`after` is not a cursor of this list: {after!r}")
    return value, last_id


@dataclass(slots=True)
class Context:
    store: Store
    settings: Settings
    principal: Principal
    org: OrgDb
    loaders: Loaders
    request: Any = None
    response: Any = None
    touched_customers: set[str] = field(default_factory=set)
    connection_params: Any = None  # graphql-transport-ws `connection_init` payload (websocket requests)
    key_cache: Any = None  # websockets: the app's KeyCache, to notice a revocation while connected

    @classmethod
    def build(cls, store: Store, settings: Settings, principal: Principal, request: Any = None, response: Any = None) -> Context:
        org = store.for_org(principal.organization_id)
        return cls(store=store, settings=settings, principal=principal, org=org, loaders=Loaders(org),
                   request=request, response=response)

    def actor(self) -> dict[str, Any]:
        return self.principal.actor()

    def restart_execution(self) -> None:
        """Forgets what this request has loaded: the fast path's fallback (resolvers/fastpath.py) then
        runs the operation exactly as a first execution would, batches and order of completion alike."""
        self.loaders = Loaders(self.org)

    def authenticate(self, principal: Principal) -> None:
        """Binds a websocket context to the principal its `connection_init` proved."""
        self.principal = principal
        self.org = self.store.for_org(principal.organization_id)
        self.loaders = Loaders(self.org)

    async def load_link(self, type_name: str, entity_id: str) -> Linkable | None:
        loader = LINK_LOADERS.get(type_name)
        return await loader(self.loaders, entity_id) if loader else None

    async def notification_connection(
        self, first: int, after: str | None, unread_only: bool
    ) -> Connection[Notification]:
        user_id = self.principal.user_id
        position = _time_cursor(after)
        docs, has_next = ([], False) if user_id is None else await notifications.page(
            self.org, user_id, position, first, unread_only
        )
        edges = [Edge(cursor=encode_cursor("TIME", d["time"], d["id"]), node=Notification.from_doc(d))
                 for d in docs]

        async def total() -> int:
            return 0 if user_id is None else await notifications.count(self.org, user_id, unread_only)

        return Connection.build(edges, after=after, has_next=has_next, count=total)

    async def unread_notification_count(self) -> int:
        user_id = self.principal.user_id
        return 0 if user_id is None else await notifications.count(self.org, user_id, True)

    async def api_log_connection(
        self, customer_id: str, first: int, after: str | None, flt: ApiLogFilter | None
    ) -> Connection[ApiLogEntry]:
        position = _time_cursor(after)
        options: dict[str, Any] = {}
        if flt is not None:
            outcomes = [o.value for o in flt.outcomes or ()]
            options = {"outcomes": outcomes, "time_from": flt.from_, "time_to": flt.to}
        docs, has_next = await api_logs.page(self.org, customer_id, position, first, **options)
        edges = [Edge(cursor=encode_cursor("TIME", d["time"], d["id"]), node=ApiLogEntry.from_doc(d))
                 for d in docs]

        async def total() -> int:
            return await api_logs.count(self.org, customer_id, **options)

        return Connection.build(edges, after=after, has_next=has_next, count=total)

    async def transactions_connection(
        self, customer_id: str, first: int, after: str | None, segment: TransactionSegment, descending: bool,
    ) -> Connection[Transaction]:
        position = decode_cursor(after, "TXN_CREATED") if after else None
        key = (str(customer_id), segment.name, descending, tuple(position) if position else None, first)
        docs, has_next = await self.loaders.transactions_by_customer.load(key)
        edges = []
        for d in docs:
            node = Transaction.from_doc(d)
            self.loaders.transaction_by_id.prime(d["id"], node)
            edges.append(Edge(cursor=encode_cursor("TXN_CREATED", d["createdTime"], d["id"]), node=node))

        async def total() -> int:
            return await transactions.count(self.org, str(customer_id), segment.name)

        return Connection.build(edges, after=after, has_next=has_next, count=total)

    def public_url(self, path: str) -> str:
        """An absolute URL of this gateway for `path` (settings.public_url, else the request's base URL)."""
        base = self.settings.public_url or (str(self.request.base_url) if self.request is not None else "")
        return base.rstrip("/") + path

    def link_url(self, prefix: str, entity_id: str) -> str:
        """The shared link of a payment link or payout request: `prefix` + its secret token."""
        return self.public_url(prefix + link_token(self.settings, entity_id))

    async def is_blocked(self, values: dict[str, list[str]]) -> bool:
        """Whether an entry in force matches any of these (type -> values); batched across the request."""
        keys = [(kind, v) for kind, vals in values.items() for v in vals]
        return any(await self.loaders.blocklist_entries_by_attribute.load_many(keys)) if keys else False

    async def timeline_connection(
        self, customer_id: str, top_seq: int, first: int, after: str | None,
        kinds: list[TimelineEventKind] | None,
    ) -> Connection[TimelineEvent]:
        before = decode_cursor(after, "SEQ")[0] if after else None
        if before is not None and not isinstance(before, int):
            before = None
        kind_names = tuple(sorted(k.name for k in kinds or ()))
        docs, has_next = await self.loaders.timeline_by_customer.load(
            (str(customer_id), top_seq, first, before, kind_names)
        )
        edges: list[Edge[TimelineEvent]] = [LazyCursorEdge(event_from_doc(d), "SEQ", d["seq"], d["id"]) for d in docs]

        async def total() -> int:
            flt: dict[str, Any] = {"customerId": str(customer_id)}
            if kind_names:
                flt["kind"] = {"$in": list(kind_names)}
            return await self.org[timeline.COLLECTION].count(flt)

        return Connection.build(edges, after=after, has_next=has_next, count=total)


# What every resolver module annotates with: the resolve info of this gateway, and the one argument
# of every mutation.
Info = strawberry.Info[Context, None]
INPUT = strawberry.argument(description="Everything the mutation needs; see the input type.")

__all__ = ["INPUT", "Context", "Info", "Loaders", "Principal", "_notes", "forget", "now"]
