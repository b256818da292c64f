"""The payment gateway adapter interface and the built-in sandbox gateway.

No real processor is called anywhere: `SandboxGateway` behaves like one without a network. It decides
by the card's last four digits (so it works the same for a typed card number on a hosted page and for a
stored instrument, which only keeps BIN and last four):

| card number         | last 4 | outcome                                   |
|---------------------|--------|-------------------------------------------|
| 4111 1111 1111 1111 | 1111   | approved (any other number too)           |
| 4000 0000 0000 0002 | 0002   | declined: DO_NOT_HONOR                    |
| 4000 0000 0000 9995 | 9995   | declined: INSUFFICIENT_FUNDS              |
| 4000 0000 0000 9979 | 9979   | declined: STOLEN_CARD                     |
| 4000 0000 0000 0069 | 0069   | declined: EXPIRED_CARD                    |
| 4000 0000 0000 0119 | 0119   | timeout: no answer from the processor     |

Approved sales settle `settlement_delay` after they are processed; before that a refund is a void.
Refunds, voids and credits (payouts) through the sandbox are always approved.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ulid import ULID

from resolvers.wallet import cards

SANDBOX = "SANDBOX"

DECLINES: dict[str, tuple[str, str]] = {
    "0002": ("DO_NOT_HONOR", "The issuer declined the card (do not honor)."),
    "9995": ("INSUFFICIENT_FUNDS", "The card has insufficient funds."),
    "9979": ("STOLEN_CARD", "The card is reported stolen."),
    "0069": ("EXPIRED_CARD", "The card has expired."),
}
TIMEOUT_LAST4 = "0119"


@dataclass(frozen=True, slots=True)
class CardRef:
    """What the gateway needs to know of a card: never the full number once it has been tokenized."""

    last4: str
    bin: str | None = None
    brand: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayResult:
    """A processor's answer. `result` is APPROVED, DECLINED or UNKNOWN (timeout)."""

    result: str
    code: str
    message: str
    gateway_transaction_id: str | None
    processed_time: datetime
    settlement_time: datetime | None = None

    @property
    def approved(self) -> bool:
        return self.result == "APPROVED"

    @property
    def timed_out(self) -> bool:
        return self.result == "UNKNOWN"


class GatewayAdapter(Protocol):
    """What every processor integration provides; amounts in integer minor units."""

    name: str

    async def sale(
        self, *, amount_minor: int, currency: str, card: CardRef, now: datetime
    ) -> GatewayResult: ...

    async def refund(
        self, *, gateway_transaction_id: str, amount_minor: int, currency: str, now: datetime
    ) -> GatewayResult: ...

    async def void(self, *, gateway_transaction_id: str, now: datetime) -> GatewayResult: ...

    async def credit(
        self, *, amount_minor: int, currency: str, card: CardRef | None, now: datetime
    ) -> GatewayResult: ...


class SandboxGateway:
    """A processor without a network: outcomes by test card, settlement after a fixed delay."""

    name = SANDBOX

    def __init__(self, settlement_delay: timedelta, timeout_delay: float = 0.0) -> None:
        self.settlement_delay = settlement_delay
        self.timeout_delay = timeout_delay

    def _id(self) -> str:
        return f"sbx_{ULID()}"

    async def sale(self, *, amount_minor: int, currency: str, card: CardRef, now: datetime) -> GatewayResult:
        if card.last4 == TIMEOUT_LAST4:
            if self.timeout_delay:
                await asyncio.sleep(self.timeout_delay)
            return GatewayResult("UNKNOWN", "TIMEOUT", "The processor did not answer in time.", None, now)
        decline = DECLINES.get(card.last4)
        if decline is not None:
            return GatewayResult("DECLINED", decline[0], decline[1], self._id(), now)
        return GatewayResult(
            "APPROVED", "APPROVED", "Approved.", self._id(), now, now + self.settlement_delay
        )

    async def refund(
        self, *, gateway_transaction_id: str, amount_minor: int, currency: str, now: datetime
    ) -> GatewayResult:
        return GatewayResult("APPROVED", "APPROVED", "Refunded.", self._id(), now, now)

    async def void(self, *, gateway_transaction_id: str, now: datetime) -> GatewayResult:
        return GatewayResult("APPROVED", "APPROVED", "Voided.", self._id(), now, now)

    async def credit(
        self, *, amount_minor: int, currency: str, card: CardRef | None, now: datetime
    ) -> GatewayResult:
        return GatewayResult(
            "APPROVED", "APPROVED", "Paid out.", self._id(), now, now + self.settlement_delay
        )


# ---------------------------------------------------------------------------------------------- card numbers


def normalise_card_number(raw: str) -> str | None:
    """Digits of a card number typed with spaces or dashes; None unless 12-19 digits passing Luhn."""
    number = cards.digits(raw)
    return number if cards.is_card_number(number) else None


def card_ref(number: str) -> CardRef:
    """The non-sensitive view of a card number (BIN, last four, brand): all that is kept of it."""
    return CardRef(last4=number[-4:], bin=number[:6], brand=cards.card_brand(number) or "OTHER")
