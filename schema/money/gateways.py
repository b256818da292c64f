"""Gateway accounts: the organization's accounts at a payment gateway, with their accepted currencies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from schema.common import CurrencyCode, Node, UserError


@strawberry.type(
    description="An account at a payment gateway (here: the built-in sandbox) and what it accepts."
)
class GatewayAccount(Node):
    name: str = strawberry.field(description="Display name.")
    gateway_name: str = strawberry.field(description="The gateway (`SANDBOX`).")
    accepted_currencies: list[CurrencyCode] = strawberry.field(
        description="Currencies it can process."
    )
    active: bool = strawberry.field(description="Used for new payments.")
    created_time: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_doc(cls, d: dict[str, Any]) -> GatewayAccount:
        return cls(
            id=strawberry.ID(d["id"]),
            name=d["name"],
            gateway_name=d["gatewayName"],
            accepted_currencies=[CurrencyCode[c] for c in d["acceptedCurrencies"]],
            active=d["active"],
            created_time=d["createdTime"],
        )


@strawberry.input(description="A new sandbox gateway account.")
class GatewayAccountCreateInput:
    name: str = strawberry.field(description="Display name, 1-255 characters.")
    accepted_currencies: list[CurrencyCode] = strawberry.field(
        description="Currencies it accepts (1-50, no repeats)."
    )


@strawberry.type(description="Result of `gatewayAccountCreate`.")
class GatewayAccountCreatePayload:
    gateway_account: GatewayAccount | None = strawberry.field(
        description="The new account; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why the input was refused; empty on success."
    )
