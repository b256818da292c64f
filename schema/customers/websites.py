"""Websites: where customers are acquired."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.common import Node, UserError


@strawberry.type(description="A website of the organization; every customer belongs to one.")
class Website(Node):
    name: str = strawberry.field(description="Display name.")
    url: str | None = strawberry.field(description="Public URL.")
    created_time: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Website:
        return cls(id=strawberry.ID(doc["id"]), name=doc["name"], url=doc.get("url"), created_time=doc["createdTime"])


@strawberry.input(description="A new website.")
class WebsiteCreateInput:
    name: str = strawberry.field(description="Display name, 1–255 characters.")
    url: str | None = strawberry.field(default=None, description="Public URL (http or https).")


@strawberry.type(description="Result of `websiteCreate`.")
class WebsiteCreatePayload:
    website: Website | None = strawberry.field(description="The new website; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused; empty on success.")
