"""Merging duplicate customers: the preview (nothing written), the merge, and its timeline event."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from schema.activity.notes import EVENT_CLASSES, EVENT_TYPES
from schema.activity.timeline import TimelineEvent, _event
from schema.common import UserError

if TYPE_CHECKING:
    from schema.customers.customers import Customer

CustomerRef = Annotated["Customer", strawberry.lazy("schema.customers.customers")]


@strawberry.type(description="A duplicate customer was merged into this one.")
class CustomerMergedEvent(TimelineEvent):
    merged_customer_id: strawberry.ID = strawberry.field(description="The duplicate's id (it now resolves to this customer).")
    merged_customer_name: str = strawberry.field(description="The duplicate's name and email when it was merged.")
    moved: JSON = strawberry.field(description="How many records moved here, by kind (e.g. `{\"transactions\": 3}`).")


EVENT_TYPES["CUSTOMER_MERGED"] = lambda d: _event(
    CustomerMergedEvent, d, merged_customer_id=strawberry.ID(d["data"]["mergedCustomerId"]),
    merged_customer_name=d["data"].get("mergedCustomerName", ""), moved=d["data"].get("moved", {}),
)
EVENT_CLASSES.append(CustomerMergedEvent)


@strawberry.enum(description="Whose value a merged customer keeps for a field.")
class MergeWinner(enum.Enum):
    TARGET = strawberry.enum_value("TARGET", description="The target's own value (it has one).")
    SOURCE = strawberry.enum_value("SOURCE", description="The first source (in `sourceIds` order) that has one.")
    COMBINED = strawberry.enum_value("COMBINED", description="Both: lists are united (emails, phones, tags, tax IDs, custom fields).")


@strawberry.type(description="What moves to the target, and how many.")
class MergeMove:
    what: str = strawberry.field(description="Kind of record, e.g. `transactions`, `notes`, `tags`.")
    count: int = strawberry.field(description="How many move (or, for tags and tax IDs, are added).")


@strawberry.type(description="A field the customers disagree on, and the value the target keeps.")
class MergeConflict:
    field: str = strawberry.field(description="Field name, as in `Customer`.")
    target_value: JSON | None = strawberry.field(description="The target's value.")
    source_values: list[JSON | None] = strawberry.field(description="Each source's value, in `sourceIds` order.")
    winner: MergeWinner = strawberry.field(description="Whose value is kept.")
    result: JSON | None = strawberry.field(description="The value after the merge.")


@strawberry.type(description="What `customersMerge` would do with these customers. Nothing was written.")
class CustomersMergePreview:
    target: CustomerRef | None = strawberry.field(description="The customer that stays.")
    sources: list[CustomerRef] = strawberry.field(description="The duplicates that would be merged into it.")
    moves: list[MergeMove] = strawberry.field(description="What moves to the target.")
    conflicts: list[MergeConflict] = strawberry.field(description="Fields that differ, and the value kept.")
    not_merged: list[str] = strawberry.field(description="What stays behind or is dropped, in words.")
    user_errors: list[UserError] = strawberry.field(description="Why these customers cannot be merged; empty when they can.")


@strawberry.input(description="Duplicates to merge into one customer (the guide's *Merge duplicate customers*).")
class CustomersMergeInput:
    target_id: strawberry.ID = strawberry.field(description="The customer that stays.")
    source_ids: list[strawberry.ID] = strawberry.field(description="The duplicates (1–10), merged in this order.")


@strawberry.type(description="Result of `customersMerge`.")
class CustomersMergePayload:
    customer: CustomerRef | None = strawberry.field(description="The target after the merge; null when refused.")
    merged_ids: list[strawberry.ID] = strawberry.field(description="The ids merged into it (they now resolve to it).")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")


def as_json(value: Any) -> Any:
    """Stored values as JSON (dates and times as ISO strings)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value
