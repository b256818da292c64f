"""Live customer activity over graphql-transport-ws, fed by the in-process bus (resolvers/events.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from resolvers.activity.events import BUS
from resolvers.context import Info
from resolvers.customers.customers import check_customer_id
from schema.activity.timeline import TimelineEvent, event_from_doc
from schema.common import ClientError, Problems


@strawberry.type
class ActivitySubscriptions:
    @strawberry.subscription(
        description="New timeline entries of a customer as they are recorded by this gateway process "
        "(see docs/timeline.md for several processes). Needs a websocket with `connection_init` "
        'payload `{"Authorization": "Bearer <key>"}`.'
    )
    async def customer_activity(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer to watch.")],
    ) -> AsyncGenerator[TimelineEvent, None]:
        ctx = info.context
        cid = str(customer_id)
        problems = Problems()
        if not check_customer_id(problems, ["customerId"], cid):
            raise ClientError(problems.errors[0].message)
        with BUS.subscribe(ctx.principal.organization_id, cid) as queue:
            # Subscribe first, then check: an event recorded in between is not lost.
            if await ctx.loaders.customer_by_id.load(cid) is None:
                raise ClientError(f"no customer {cid} in this organization", "NOT_FOUND")
            while True:
                event = await queue.get()
                # A websocket's context lives as long as the connection: each event reads fresh data.
                ctx.restart_execution()
                yield event_from_doc(event)
