"""Loaders and connection helpers of the activity context: timeline, users, notifications, API logs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.context import Context, context_method
from resolvers.loaders import Loaders, loader
from resolvers.nodes import register_node
from resolvers.pagination import LazyCursorEdge, encode_cursor, position
from schema.activity.api_logs import ApiLogEntry, ApiLogFilter
from schema.activity.timeline import TimelineEvent, TimelineEventKind, event_from_doc
from schema.activity.users import SUPPORT, Notification, User
from schema.common import Connection, Edge, Node, Page
from store.activity import api_logs, notifications, timeline, users
from store.db import Doc, OrgDb

# (customer id, the customer's timelineSeq when read, first, before seq or None, kinds)
TimelineKey = tuple[str, int, int, int | None, tuple[str, ...]]
TimelinePage = tuple[list[Doc], bool]


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


@loader
def timeline_event_by_id(loaders: Loaders) -> DataLoader[str, TimelineEvent | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[TimelineEvent | None]:
        return [event_from_doc(d) if d else None for d in await timeline.get_many(org, ids)]

    return DataLoader(load)


@loader
def timeline_by_customer(loaders: Loaders) -> DataLoader[TimelineKey, TimelinePage]:
    org = loaders.org

    async def load(keys: list[TimelineKey]) -> list[TimelinePage]:
        return await _load_timelines(org, keys)

    return DataLoader(load)


@loader
def user_by_id(loaders: Loaders) -> DataLoader[str, User | None]:
    org = loaders.org

    async def load(ids: list[str]) -> list[User | None]:
        return [User.from_doc(d) if d else None for d in await users.get_many(org, ids)]

    return DataLoader(load)


@context_method
async def timeline_connection(
    ctx: Context, customer_id: str, top_seq: int, page: Page, kinds: list[TimelineEventKind] | None,
) -> Connection[TimelineEvent]:
    at = position(page, "SEQ", int)
    seq = at[0] if at is not None else None
    kind_names = tuple(sorted(k.name for k in kinds or ()))
    if page.backward:  # rare (not a dashboard's): one query of its own, outside the batch
        docs, has_next = await timeline.page_newer(ctx.org, str(customer_id), seq, page.size, kind_names)
    else:
        docs, has_next = await ctx.loaders.timeline_by_customer.load(
            (str(customer_id), top_seq, page.size, seq, kind_names)
        )
    edges: list[Edge[TimelineEvent]] = [LazyCursorEdge(event_from_doc(d), "SEQ", d["seq"], d["id"]) for d in docs]

    async def total() -> int:
        flt: dict[str, Any] = {"customerId": str(customer_id)}
        if kind_names:
            flt["kind"] = {"$in": list(kind_names)}
        return await ctx.org[timeline.COLLECTION].count(flt)

    return Connection.build(edges, page=page, has_next=has_next, count=total)


@context_method
async def notification_connection(ctx: Context, page: Page, unread_only: bool) -> Connection[Notification]:
    user_id = ctx.principal.user_id
    at = position(page, "TIME", datetime)
    docs, has_next = ([], False) if user_id is None else await notifications.page(
        ctx.org, user_id, at, page.size, unread_only, page.backward
    )
    edges = [Edge(cursor=encode_cursor("TIME", d["time"], d["id"]), node=Notification.from_doc(d)) for d in docs]

    async def total() -> int:
        return 0 if user_id is None else await notifications.count(ctx.org, user_id, unread_only)

    return Connection.build(edges, page=page, has_next=has_next, count=total)


@context_method
async def unread_notification_count(ctx: Context) -> int:
    user_id = ctx.principal.user_id
    return 0 if user_id is None else await notifications.count(ctx.org, user_id, True)


@context_method
async def api_log_connection(
    ctx: Context, customer_id: str, page: Page, flt: ApiLogFilter | None
) -> Connection[ApiLogEntry]:
    at = position(page, "TIME", datetime)
    options: dict[str, Any] = {}
    if flt is not None:
        outcomes = [o.value for o in flt.outcomes or ()]
        options = {"outcomes": outcomes, "time_from": flt.from_, "time_to": flt.to}
    docs, has_next = await api_logs.page(ctx.org, customer_id, at, page.size, backward=page.backward, **options)
    edges = [Edge(cursor=encode_cursor("TIME", d["time"], d["id"]), node=ApiLogEntry.from_doc(d)) for d in docs]

    async def total() -> int:
        return await api_logs.count(ctx.org, customer_id, **options)

    return Connection.build(edges, page=page, has_next=has_next, count=total)


async def _notification(ctx: Context, notification_id: str) -> Node | None:
    """Only the viewer's own notifications can be refetched."""
    if ctx.principal.user_id is None:
        return None
    found = await notifications.of_user(ctx.org, ctx.principal.user_id, [notification_id])
    return Notification.from_doc(found[0]) if found else None


async def _api_log(ctx: Context, log_id: str) -> Node | None:
    doc = (await api_logs.get_many(ctx.org, [log_id]))[0]
    return ApiLogEntry.from_doc(doc) if doc else None


async def _team(team_id: str) -> Node | None:
    return SUPPORT if team_id == str(SUPPORT.id) else None


register_node("TimelineEvent", lambda ctx, i: ctx.loaders.timeline_event_by_id.load(i))
register_node("User", lambda ctx, i: ctx.loaders.user_by_id.load(i))
register_node("Team", lambda ctx, i: _team(i))
register_node("Notification", _notification)
register_node("ApiLogEntry", _api_log)
