"""API log entries: one per GraphQL mutation request, shown on the customers it touched."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.activity.timeline import Actor
from schema.common import Connection, Node


@strawberry.enum(description="How a logged request ended.")
class ApiLogOutcome(enum.Enum):
    OK = strawberry.enum_value("OK", description="Every mutation succeeded.")
    USER_ERRORS = strawberry.enum_value(
        "USER_ERRORS", description="An input was refused (see `userErrorCodes`)."
    )
    ERROR = strawberry.enum_value(
        "ERROR", description="A top-level error (see `errorCode`): auth, validation, bug."
    )


@strawberry.type(
    description="One logged mutation request: what was called, with what (secrets redacted), how it ended."
)
class ApiLogEntry(Node):
    time: datetime = strawberry.field(description="When the request arrived (UTC).")
    operation_name: str | None = strawberry.field(description="The operation's name, when it had one.")
    mutations: list[str] = strawberry.field(description="The mutation fields called, in order.")
    variables: JSON = strawberry.field(
        description="The variables, with card numbers, CVVs, passwords, tokens, keys and files redacted."
    )
    outcome: ApiLogOutcome = strawberry.field(description="How it ended.")
    user_error_codes: list[str] = strawberry.field(description="Codes of the user errors, when refused.")
    error_code: str | None = strawberry.field(description="`extensions.code` of the first top-level error.")
    duration_ms: float = strawberry.field(description="Time to execute, in milliseconds.")
    author: Actor = strawberry.field(description="The user or API key that made the request.")
    api_key_id: strawberry.ID = strawberry.field(description="The API key used.")
    customer_ids: list[strawberry.ID] = strawberry.field(description="Customers the request touched.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> ApiLogEntry:
        return cls(
            id=strawberry.ID(d["id"]),
            time=d["time"],
            operation_name=d.get("operationName"),
            mutations=d.get("mutations", []),
            variables=JSON(d.get("variables") or {}),
            outcome=ApiLogOutcome[d["outcome"]],
            user_error_codes=d.get("userErrorCodes", []),
            error_code=d.get("errorCode"),
            duration_ms=d.get("durationMs", 0.0),
            author=Actor.from_doc(d["actor"]),
            api_key_id=strawberry.ID(d["keyId"]),
            customer_ids=[strawberry.ID(c) for c in d.get("customerIds", ())],
        )


@strawberry.input(description="Filters of a customer's API log; all given filters must match.")
class ApiLogFilter:
    outcomes: list[ApiLogOutcome] | None = strawberry.field(
        default=None, description="Any of these outcomes."
    )
    from_: datetime | None = strawberry.field(default=None, name="from", description="Inclusive start time.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive end time.")


ApiLogConnection = Connection[ApiLogEntry]
