"""Customer activity: the timeline event interface, one type per kind, and its connection.

Adding a kind is one small addition: an enum value in `TimelineEventKind`, a type implementing
`TimelineEvent` with its kind-specific fields, and one entry in `EVENT_TYPES`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from typing import Any

import strawberry

from schema.common import Connection, Node


@strawberry.enum(description="What happened on a customer's timeline.")
class TimelineEventKind(enum.Enum):
    CUSTOMER_CREATED = strawberry.enum_value("CUSTOMER_CREATED", description="The customer was added.")
    CUSTOMER_UPDATED = strawberry.enum_value("CUSTOMER_UPDATED", description="The customer's details were edited.")
    NOTE = strawberry.enum_value(
        "NOTE", description="A note by a user or integration; may mention users or Support and link objects."
    )
    NOTE_EDITED = strawberry.enum_value("NOTE_EDITED", description="A note was edited by its author.")
    NOTE_DELETED = strawberry.enum_value("NOTE_DELETED", description="A note was deleted by its author.")
    ATTACHMENT = strawberry.enum_value("ATTACHMENT", description="A file was attached, with a description.")
    ATTACHMENT_REMOVED = strawberry.enum_value("ATTACHMENT_REMOVED", description="An attachment was removed.")


@strawberry.enum(description="Who made a change.")
class ActorType(enum.Enum):
    USER = strawberry.enum_value("USER", description="A person in the organization.")
    API_KEY = strawberry.enum_value("API_KEY", description="An integration using an API key.")
    SYSTEM = strawberry.enum_value("SYSTEM", description="The gateway itself.")


@strawberry.type(description="The user, API key or system process behind an event.")
class Actor:
    type: ActorType = strawberry.field(description="Kind of actor.")
    id: str | None = strawberry.field(description="Id of the user or API key; null for the system.")
    name: str = strawberry.field(description="Display name.")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Actor:
        return cls(type=ActorType[doc["type"]], id=doc.get("id"), name=doc.get("name") or "")


@strawberry.interface(description="One entry of a customer's activity. Ask for kind-specific fields with fragments.")
class TimelineEvent(Node):
    kind: TimelineEventKind = strawberry.field(description="What happened.")
    occurred_time: datetime = strawberry.field(description="When it happened (UTC).")
    author: Actor = strawberry.field(description="Who did it.")
    message: str | None = strawberry.field(description="Human-readable summary or note text.")
    customer_id: strawberry.ID = strawberry.field(description="The customer whose timeline this is.")


def _base(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": strawberry.ID(doc["id"]),
        "kind": TimelineEventKind[doc["kind"]],
        "occurred_time": doc["time"],
        "author": Actor.from_doc(doc["actor"]),
        "message": doc.get("message"),
        "customer_id": strawberry.ID(doc["customerId"]),
    }


@strawberry.type(description="The customer was added.")
class CustomerCreatedEvent(TimelineEvent):
    pass


@strawberry.type(description="The customer's details were edited.")
class CustomerUpdatedEvent(TimelineEvent):
    changed_fields: list[str] = strawberry.field(description="Names of the fields that changed (input names).")


EVENT_TYPES: dict[str, Callable[[dict[str, Any]], TimelineEvent]] = {
    "CUSTOMER_CREATED": lambda d: CustomerCreatedEvent(**_base(d)),
    "CUSTOMER_UPDATED": lambda d: CustomerUpdatedEvent(**_base(d), changed_fields=d["data"].get("changedFields", [])),
}

# Every concrete event type, for the schema's `types=` (interfaces' implementations must be listed).
EVENT_CLASSES: list[type] = [CustomerCreatedEvent, CustomerUpdatedEvent]


def event_from_doc(doc: dict[str, Any]) -> TimelineEvent:
    return EVENT_TYPES[doc["kind"]](doc)


TimelineEventConnection = Connection[TimelineEvent]
