"""Relay refetching: `node(id:)` and `nodes(ids:)`, dispatched on the id's type prefix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from resolvers.context import Context, Info
from resolvers.tables.exports import to_node as data_export_node
from schema.api_logs import ApiLogEntry
from schema.common import ClientError, Node
from schema.tables.segments import Segment
from schema.users import SUPPORT, Notification
from store import api_logs, notifications
from store.ids import type_of_id
from store.tables import exports, segments

# GraphQL type -> how to load one by id through the request's loaders. A new node type adds one line.
NODE_LOADERS: dict[str, Callable[[Context, str], Awaitable[Node | None]]] = {
    "Customer": lambda ctx, i: ctx.loaders.customer_by_id.load(i),
    "Website": lambda ctx, i: ctx.loaders.website_by_id.load(i),
    "TimelineEvent": lambda ctx, i: ctx.loaders.timeline_event_by_id.load(i),
    "User": lambda ctx, i: ctx.loaders.user_by_id.load(i),
    "Team": lambda ctx, i: _team(i),
    "Notification": lambda ctx, i: _notification(ctx, i),
    "ApiLogEntry": lambda ctx, i: _api_log(ctx, i),
    "Transaction": lambda ctx, i: ctx.loaders.transaction_by_id.load(i),
    "PaymentLink": lambda ctx, i: ctx.loaders.payment_link_by_id.load(i),
    "PayoutRequest": lambda ctx, i: ctx.loaders.payout_request_by_id.load(i),
    "GatewayAccount": lambda ctx, i: ctx.loaders.gateway_account_by_id.load(i),
    "PaymentInstrument": lambda ctx, i: ctx.loaders.payment_instrument_by_id.load(i),
    "Tag": lambda ctx, i: ctx.loaders.tag_by_id.load(i),
    "BlocklistEntry": lambda ctx, i: ctx.loaders.blocklist_entry_by_id.load(i),
    "Segment": lambda ctx, i: _segment(ctx, i),
    "DataExport": lambda ctx, i: _data_export(ctx, i),
}


async def _data_export(ctx: Context, export_id: str) -> Node | None:
    doc = await exports.get(ctx.org, export_id)
    return data_export_node(ctx, doc) if doc else None


async def _segment(ctx: Context, segment_id: str) -> Node | None:
    doc = await segments.get(ctx.org, segment_id)
    return Segment.from_doc(doc) if doc else None


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


async def load_node(ctx: Context, node_id: str) -> Node | None:
    # Ids without a generated prefix are merchant-chosen customer ids.
    loader = NODE_LOADERS.get(type_of_id(node_id) or "Customer")
    return await loader(ctx, node_id) if loader else None


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by id; null when there is none in this organization.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Any id.")]) -> Node | None:
        return await load_node(info.context, str(id))

    @strawberry.field(description="Several objects by id, in order; null where there is none.")
    async def nodes(
        self, info: Info, ids: Annotated[list[strawberry.ID], strawberry.argument(description="Up to 100 ids.")]
    ) -> list[Node | None]:
        if len(ids) > 100:
            raise ClientError(f"`ids` has {len(ids)} ids; the limit is 100")
        return list(await asyncio.gather(*(load_node(info.context, str(i)) for i in ids)))
