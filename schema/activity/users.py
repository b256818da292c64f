"""Users of an organization, the built-in Support team, the viewer and their notifications."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.activity.timeline import Actor, TimelineEvent
from schema.common import After, Before, Connection, First, Last, Node, UserError, page_of
from schema.customers.customers import Customer

if TYPE_CHECKING:
    from resolvers.context import Context

    Info = strawberry.Info[Context, None]
else:
    Info = strawberry.Info  # the typed form is for type checkers; Strawberry only needs to see `Info`


@strawberry.enum(description="What a user may do in the organization.")
class UserRole(enum.Enum):
    ADMIN = strawberry.enum_value("ADMIN", description="Manages the organization, its users and keys.")
    MEMBER = strawberry.enum_value("MEMBER", description="Works with customers and payments.")
    VIEWER = strawberry.enum_value("VIEWER", description="Reads only.")


@strawberry.type(description="A team that can be mentioned as a whole. `Support` is built in.")
class Team(Node):
    name: str = strawberry.field(description="Display name, e.g. `Support`.")
    handle: str = strawberry.field(description="What to write after `@` to mention the team, e.g. `support`.")


SUPPORT = Team(id=strawberry.ID("team_support"), name="Support", handle="support")
TEAMS = {"SUPPORT": SUPPORT}


@strawberry.type(description="A person in the organization.")
class User(Node):
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Email address; `@<email>` in a note mentions the user.")
    role: UserRole = strawberry.field(description="What the user may do.")
    teams: list[Team] = strawberry.field(
        description="Teams the user belongs to (mentioning one notifies them)."
    )
    created_time: datetime = strawberry.field(description="When the user was added.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> User:
        return cls(
            id=strawberry.ID(d["id"]),
            name=d["name"],
            email=d["email"],
            role=UserRole[d["role"]],
            teams=[TEAMS[t] for t in d.get("teams", ()) if t in TEAMS],
            created_time=d["createdTime"],
        )


Mentionable = Annotated[
    User | Team, strawberry.union("Mentionable", description="Who a note can mention: a user or a team.")
]


@strawberry.enum(description="What an API key may do.")
class ApiKeyScope(enum.Enum):
    READ = strawberry.enum_value("READ", description="Queries only.")
    WRITE = strawberry.enum_value("WRITE", description="Queries and mutations.")


@strawberry.type(description="The API key a request was made with (its secret is never shown again).")
class ApiKey:
    id: strawberry.ID = strawberry.field(description="Key id, `key_…`.")
    name: str = strawberry.field(description="Name given when the key was made.")
    scope: ApiKeyScope = strawberry.field(description="What the key may do.")


@strawberry.enum(description="Why a user was notified.")
class NotificationReason(enum.Enum):
    MENTION = strawberry.enum_value(
        "MENTION", description="The user, or a team of theirs, was mentioned in a note."
    )
    DATA_EXPORT_READY = strawberry.enum_value(
        "DATA_EXPORT_READY", description="A CSV export the user asked for is ready (`dataExportId`)."
    )


@strawberry.type(description="Something a user is told about, e.g. being mentioned in a note.")
class Notification(Node):
    reason: NotificationReason = strawberry.field(description="Why the user was notified.")
    via_team: Team | None = strawberry.field(
        description="The team that was mentioned, when it was not the user."
    )
    created_time: datetime = strawberry.field(description="When it happened.")
    read: bool = strawberry.field(description="Whether the user marked it read.")
    read_time: datetime | None = strawberry.field(description="When it was marked read.")
    excerpt: str = strawberry.field(description="The start of the note (≤ 200 characters), or what is ready.")
    author: Actor = strawberry.field(description="Who wrote the note (SYSTEM for a finished export).")
    customer_id: strawberry.ID | None = strawberry.field(
        description="Customer whose timeline holds the note; null for an export."
    )
    event_id: strawberry.ID | None = strawberry.field(description="The note's id; null for an export.")
    # tables: a finished CSV export
    data_export_id: strawberry.ID | None = strawberry.field(
        description="The export that is ready (DATA_EXPORT_READY): `dataExport(id)` has its `downloadUrl`."
    )

    @strawberry.field(description="The customer whose timeline holds the note.")
    async def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        return await info.context.loaders.customer_by_id.load(str(self.customer_id))

    @strawberry.field(description="The note; null once it was deleted, and for an export.")
    async def event(self, info: Info) -> TimelineEvent | None:
        if self.event_id is None:
            return None
        return await info.context.loaders.timeline_event_by_id.load(str(self.event_id))

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Notification:
        return cls(
            id=strawberry.ID(d["id"]),
            reason=NotificationReason[d["reason"]],
            via_team=TEAMS.get(d["via"]) if d.get("via") else None,
            created_time=d["time"],
            read=d["read"],
            read_time=d.get("readTime"),
            excerpt=d.get("excerpt") or "",
            author=Actor.from_doc(d["actor"]),
            customer_id=strawberry.ID(d["customerId"]) if d.get("customerId") else None,
            event_id=strawberry.ID(d["eventId"]) if d.get("eventId") else None,
            data_export_id=strawberry.ID(d["dataExportId"]) if d.get("dataExportId") else None,
        )


@strawberry.type(
    description="Who is asking: the API key of the request and, when the key belongs to one, its user."
)
class Viewer:
    api_key: ApiKey = strawberry.field(description="The key the request was made with.")
    user: User | None = strawberry.field(description="The key's user; null for an integration key.")
    actor: Actor = strawberry.field(description="How changes made with this key are attributed on timelines.")

    @strawberry.field(description="The user's notifications, newest first (empty for a key without a user).")
    async def notifications(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        unread_only: Annotated[bool, strawberry.argument(description="Only the unread ones.")] = False,
    ) -> Connection[Notification]:
        page = page_of(first, after, last, before)
        return await info.context.notification_connection(page, unread_only)

    @strawberry.field(description="How many of the user's notifications are unread (one count query).")
    async def unread_notification_count(self, info: Info) -> int:
        return await info.context.unread_notification_count()


@strawberry.input(description="Which of the viewer's notifications to mark read: some by id, or all.")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Notification ids (≤ 100).")
    all: bool = strawberry.field(default=False, description="Mark every unread notification read.")


@strawberry.type(description="Result of `notificationMarkRead`.")
class NotificationMarkReadPayload:
    notifications: list[Notification] = strawberry.field(
        description="The notifications named by `ids`, now read."
    )
    unread_count: int | None = strawberry.field(description="Unread notifications left; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


UserConnection = Connection[User]
