"""Users, teams, the viewer and their notifications."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.auth import mutation
from resolvers.context import Info, now
from resolvers.pagination import encode_cursor, position
from schema.activity.timeline import Actor
from schema.activity.users import (
    SUPPORT,
    ApiKey,
    ApiKeyScope,
    Notification,
    NotificationMarkReadInput,
    NotificationMarkReadPayload,
    Team,
    User,
    Viewer,
)
from schema.common import After, Before, ClientError, Connection, Edge, First, Last, Problems, UserErrorCode, page_of
from store.activity import notifications, users
from store.ids import type_of_id

MAX_IDS = 100


@strawberry.type
class UserQueries:
    @strawberry.field(description="Who is asking: the API key and, when it belongs to one, the user.")
    async def viewer(self, info: Info) -> Viewer:
        ctx = info.context
        p = ctx.principal
        user = await ctx.loaders.user_by_id.load(p.user_id) if p.user_id else None
        return Viewer(
            api_key=ApiKey(id=strawberry.ID(p.key_id), name=p.key_name, scope=ApiKeyScope[p.scope.upper()]),
            user=user,
            actor=Actor.from_doc(p.actor()),
        )

    @strawberry.field(description="The organization's users, by name.")
    async def users(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[User]:
        page = page_of(first, after, last, before)
        ctx = info.context
        at = position(page, "NAME", str)
        docs, has_next = await users.list_page(ctx.org, at, page.size, page.backward)
        edges = [
            Edge(cursor=encode_cursor("NAME", d["sortName"], d["id"]), node=User.from_doc(d)) for d in docs
        ]

        async def total() -> int:
            return await users.count(ctx.org)

        return Connection.build(edges, page=page, has_next=has_next, count=total)

    @strawberry.field(description="One user by id; null when there is none in this organization.")
    async def user(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="User id.")]
    ) -> User | None:
        if type_of_id(str(id)) != "User":
            raise ClientError(f"{id} is not a user id (`usr_…`)")
        return await info.context.loaders.user_by_id.load(str(id))

    @strawberry.field(description="Teams that can be mentioned in notes (the built-in Support team).")
    def teams(self) -> list[Team]:
        return [SUPPORT]


@strawberry.type
class NotificationMutations:
    @mutation("Marks some or all of the viewer's notifications read.")
    async def notification_mark_read(
        self, info: Info, input: NotificationMarkReadInput
    ) -> NotificationMarkReadPayload:
        ctx = info.context
        problems = Problems()
        user_id = ctx.principal.user_id
        ids = [str(i) for i in input.ids or ()]
        if user_id is None:
            problems.add(
                None, "this API key has no user, so it has no notifications", UserErrorCode.NOT_A_USER
            )
        if not ids and not input.all:
            problems.add(["ids"], "give notification ids, or `all: true`", UserErrorCode.REQUIRED)
        if len(ids) > MAX_IDS:
            problems.add(["ids"], f"{len(ids)} ids; the limit is {MAX_IDS}", UserErrorCode.TOO_MANY)
        found: dict[str, dict] = {}
        if user_id is not None and ids and not problems:
            found = {d["id"]: d for d in await notifications.of_user(ctx.org, user_id, ids)}
            for n, nid in enumerate(ids):
                if type_of_id(nid) != "Notification":
                    problems.add(
                        ["ids", n], f"{nid} is not a notification id (`ntf_…`)", UserErrorCode.WRONG_ID_TYPE
                    )
                elif nid not in found:
                    problems.add(["ids", n], f"you have no notification {nid}", UserErrorCode.NOT_FOUND)
        if problems or user_id is None:
            return NotificationMarkReadPayload(
                notifications=[], unread_count=None, user_errors=problems.errors
            )
        t = now()
        await notifications.mark_read(ctx.org, user_id, None if input.all else ids, t)
        marked = []
        for nid in dict.fromkeys(ids):
            doc = found[nid]
            if not doc["read"]:
                doc.update(read=True, readTime=t)
            marked.append(Notification.from_doc(doc))
        unread = await notifications.count(ctx.org, user_id, True)
        return NotificationMarkReadPayload(notifications=marked, unread_count=unread, user_errors=[])
