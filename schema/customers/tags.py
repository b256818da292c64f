"""Organization-wide customer tags."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.common import Node, UserError

if TYPE_CHECKING:
    from schema.customers.customers import Customer


@strawberry.type(
    description="A keyword label for customers; the name is unique per organization, case-insensitively."
)
class Tag(Node):
    name: str = strawberry.field(description="The name as first written (≤ 255).")
    created_time: datetime = strawberry.field(description="When the tag was created.")
    revision: int = strawberry.field(
        description="Increases with every change; pass it as `expectedRevision`."
    )

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> Tag:
        return cls(
            id=strawberry.ID(d["id"]), name=d["name"], created_time=d["createdTime"], revision=d["revision"]
        )


@strawberry.input(description="A new tag.")
class TagCreateInput:
    name: str = strawberry.field(description="Name: letters, digits, spaces and `@ ~ - . _ +` (≤ 255).")


@strawberry.input(description="A new name for a tag; every tagged customer follows.")
class TagRenameInput:
    id: strawberry.ID = strawberry.field(description="The tag.")
    name: str = strawberry.field(description="The new name (same rules as on create).")
    expected_revision: int | None = strawberry.field(
        default=None, description="Refuse unless the tag is at this revision."
    )


@strawberry.input(description="The tag to delete; it is removed from every customer.")
class TagDeleteInput:
    id: strawberry.ID = strawberry.field(description="The tag.")


@strawberry.input(description="Tag or untag several customers at once (the guide's *Tag a customer*).")
class CustomerTagsInput:
    customer_ids: list[strawberry.ID] = strawberry.field(description="The customers (1-100).")
    tags: list[str] = strawberry.field(
        description="Tag names (1-20, case-insensitive). "
        "Adding creates missing tags; removing needs existing ones."
    )


@strawberry.type(description="Result of `tagCreate`.")
class TagCreatePayload:
    tag: Tag | None = strawberry.field(description="The new tag; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `tagRename`.")
class TagRenamePayload:
    tag: Tag | None = strawberry.field(description="The tag afterwards; null when refused.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `tagDelete`.")
class TagDeletePayload:
    deleted_tag_id: strawberry.ID | None = strawberry.field(
        description="The deleted tag's id; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `customerTagsAdd`.")
class CustomerTagsAddPayload:
    customers: list[Annotated[Customer, strawberry.lazy("schema.customers.customers")]] = strawberry.field(
        description="The customers afterwards, in input order; empty when refused."
    )
    tags: list[Tag] = strawberry.field(description="The tags applied.")
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )


@strawberry.type(description="Result of `customerTagsRemove`.")
class CustomerTagsRemovePayload:
    customers: list[Annotated[Customer, strawberry.lazy("schema.customers.customers")]] = strawberry.field(
        description="The customers afterwards, in input order; empty when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
