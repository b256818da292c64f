"""Live customer activity over graphql-transport-ws, read from the timeline by seq (resolvers/activity/events.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from resolvers.activity.events import BUS
from resolvers.context import Context, Info
from resolvers.customers.customers import check_customer_id
from schema.activity.timeline import TimelineEvent, event_from_doc
from schema.common import ClientError, Problems
from store.activity import timeline
from store.customers import customers

REVOCATION_CHECK_SECONDS = 1.0
REVOKED_CLOSE_CODE = 4403  # graphql-transport-ws: Forbidden


async def _check_key(ctx: Context) -> None:
    """A websocket authenticates once, at `connection_init`: when its key is revoked later, the
    subscription ends with UNAUTHENTICATED and the connection is closed (no new subscriptions on it)."""
    if ctx.key_cache is None or await ctx.key_cache.still_active(ctx.principal):
        return
    websocket = ctx.request
    if websocket is not None and hasattr(websocket, "close"):
        asyncio.get_running_loop().call_later(0.05, _close_later, websocket)
    raise ClientError("The API key was revoked.", "UNAUTHENTICATED")


def _close_later(websocket: Any) -> None:
    async def close() -> None:
        with contextlib.suppress(Exception):  # the client may have gone already
            await websocket.close(code=REVOKED_CLOSE_CODE, reason="API key revoked")

    _CLOSING.add(task := asyncio.ensure_future(close()))
    task.add_done_callback(_CLOSING.discard)


_CLOSING: set[asyncio.Future[None]] = set()


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
        await _check_key(ctx)
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
                try:
                    doc = await asyncio.wait_for(queue.get(), REVOCATION_CHECK_SECONDS)
                except TimeoutError:
                    await _check_key(ctx)
                    continue
                await _check_key(ctx)
                # A websocket's context lives as long as the connection: each event reads fresh data.
                ctx.restart_execution()
                yield event_from_doc(doc)
