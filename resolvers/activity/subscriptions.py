"""Live customer activity over graphql-transport-ws, read from the timeline by seq (resolvers/activity/events.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from resolvers.activity.events import BUS
from resolvers.context import Info
from resolvers.customers.customers import check_customer_id
from schema.activity.timeline import TimelineEvent, event_from_doc
from schema.common import ClientError, Problems
from store.activity import timeline
from store.customers import customers


@strawberry.type
class ActivitySubscriptions:
    @strawberry.subscription(
        description="New timeline entries of a customer as they are recorded, by any gateway process, in "
        "the order of the customer's timeline. Pass `after` (the id of the last event you received) when "
        "reconnecting to get every event since, none twice. Needs a websocket with `connection_init` "
        'payload `{"Authorization": "Bearer <key>"}`.'
    )
    async def customer_activity(
        self,
        info: Info,
        customer_id: Annotated[strawberry.ID, strawberry.argument(description="The customer to watch.")],
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Resume after this timeline event of the customer (its id); "
                                "default: only events recorded from now on."),
        ] = None,
    ) -> AsyncGenerator[TimelineEvent, None]:
        ctx = info.context
        cid = str(customer_id)
        problems = Problems()
        if not check_customer_id(problems, ["customerId"], cid):
            raise ClientError(problems.errors[0].message)
        customer = await customers.get(ctx.org, cid)
        if customer is None:
            raise ClientError(f"no customer {cid} in this organization", "NOT_FOUND")
        position = int(customer.get("timelineSeq") or 0)
        if after is not None:
            event = await timeline.get(ctx.org, str(after))
            if event is None or event["customerId"] != cid:
                raise ClientError(f"`after`: no timeline event {after} of customer {cid}", "NOT_FOUND")
            position = int(event["seq"])
        with BUS.subscribe(ctx.org, cid, position) as queue:
            while True:
                doc = await queue.get()
                # A websocket's context lives as long as the connection: each event reads fresh data.
                ctx.restart_execution()
                yield event_from_doc(doc)
